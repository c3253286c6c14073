"""The item-analysis HTML report: tables and plots as inline SVG, no external resource.

Plots are drawn with matplotlib's object API (``Figure``, no pyplot, no GUI backend) and
embedded as ``<svg>`` elements, so the page works offline and from a USB stick.
"""

from __future__ import annotations

import html
import io

import numpy as np
from matplotlib import rc_context
from matplotlib.figure import Figure
from numpy.typing import NDArray

from scoring.analysis import ItemStats, SectionStats, flags
from scoring.keytable import KeyTable

STYLE = """body{font-family:system-ui,sans-serif;max-width:72rem;margin:2rem auto;color:#222}
table{border-collapse:collapse;margin:1rem 0}td,th{border:1px solid #ccc;padding:.25rem .5rem;
text-align:right}th{background:#f3f3f3}td.l{text-align:left}svg{max-width:100%;height:auto}
.flag{color:#a30}td.s{min-width:3rem}"""


def _share(v: float) -> str:
    """A share cell shaded by its size: option shares of every item at a glance."""
    if np.isnan(v):
        return "<td class=s></td>"
    return (f"<td class=s style='background:rgba(74,122,181,{0.85 * v:.2f})'>"
            f"{100 * v:.0f}%</td>")


def _item_table(key: KeyTable, stats: ItemStats) -> str:
    """Every item: n, p, r_pb, key, option shares (blank first; empty where the item has
    no such option) and flags."""
    esc = html.escape
    head = "".join(f"<th>{esc(o)}</th>" for o in ("blank", *key.options))
    out = [f"<table><tr><th>item</th><th>section</th><th>n</th><th>p</th>"
           f"<th>r<sub>pb</sub></th><th>key</th>{head}<th>flags</th></tr>"]
    for i, iid in enumerate(key.item_ids):
        code = key.scheme.sections[int(key.section[i])].code
        top = key.points[i, 1:].max()
        keyed = "".join(o for c, o in enumerate(key.options)
                        if key.allowed[i, c] and key.points[i, c + 1] == top)
        out.append(f"<tr><td class=l>{esc(iid)}</td><td class=l>{esc(code)}</td>"
                   f"<td>{int(stats.n[i])}</td><td>{_fmt(stats.p_value[i])}</td>"
                   f"<td>{_fmt(stats.point_biserial[i])}</td><td>{esc(keyed)}</td>"
                   + "".join(_share(float(v)) for v in stats.shares[i])
                   + f"<td class='l flag'>{esc('; '.join(flags(key, stats, i)))}</td></tr>")
    out.append("</table>")
    return "".join(out)


def _svg(fig: Figure) -> str:
    buf = io.StringIO()
    with rc_context({"svg.hashsalt": "seleksi"}):  # stable ids; global settings untouched
        fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    text = buf.getvalue()
    return text[text.index("<svg"):]


def _fmt(v: float) -> str:
    return "–" if np.isnan(v) else f"{v:.3f}"


def _scatter(key: KeyTable, stats: ItemStats) -> str:
    fig = Figure(figsize=(7, 4))
    ax = fig.add_subplot()
    for s, rule in enumerate(key.scheme.sections):
        here = (key.section[:-1] == s) & (stats.n > 0)
        ax.scatter(stats.p_value[here], stats.point_biserial[here], s=10, label=rule.code)
    ax.axhline(0.1, color="grey", lw=0.8, ls="--")
    ax.set_xlabel("p-value (facility)")
    ax.set_ylabel("point-biserial (item–rest)")
    ax.legend()
    ax.set_title("Items: difficulty against discrimination")
    return _svg(fig)


def _histograms(key: KeyTable, totals: NDArray[np.int32]) -> str:
    codes = key.scheme.section_codes
    fig = Figure(figsize=(3 * (len(codes) + 1), 3))
    axes = fig.subplots(1, len(codes) + 1)
    for ax, s, code in zip(axes, range(len(codes) + 1), [*codes, "total"], strict=True):
        data = totals[:, s] if s < len(codes) else totals.sum(axis=1)
        ax.hist(data, bins=30, color="#4a7ab5")
        ax.set_title(code)
    return _svg(fig)


def _options(key: KeyTable, stats: ItemStats, chosen: list[int]) -> str:
    fig = Figure(figsize=(7, 0.45 * len(chosen) + 1))
    ax = fig.add_subplot()
    labels = ["blank", *key.options]
    left = np.zeros(len(chosen))
    for c, label in enumerate(labels):
        vals = np.nan_to_num(stats.shares[chosen, c])
        ax.barh([key.item_ids[i] for i in chosen], vals, left=left, label=label)
        left += vals
    ax.set_xlabel("share of candidates given the item")
    ax.legend(ncol=len(labels), loc="lower center", bbox_to_anchor=(0.5, 1.0))
    return _svg(fig)


def render_report(key: KeyTable, stats: ItemStats, sections: list[SectionStats],
                  totals: NDArray[np.int32], title: str) -> str:
    """The whole HTML page."""
    esc = html.escape
    parts = [f"<!doctype html><html lang='en'><meta charset='utf-8'><title>{esc(title)}"
             f"</title><style>{STYLE}</style><body><h1>{esc(title)}</h1>",
             f"<p>Scheme {esc(key.scheme.id)}; {len(key.item_ids)} items in the key; "
             f"{totals.shape[0]} candidates analysed (those who sat, not disqualified).</p>",
             "<h2>Sections</h2><table><tr><th>section</th><th>candidates</th><th>mean</th>"
             "<th>SD</th><th>reliability</th><th>method</th></tr>"]
    for s in sections:
        parts.append(f"<tr><td class=l>{esc(s.code)}</td><td>{s.candidates}</td>"
                     f"<td>{s.mean:.1f}</td><td>{s.sd:.1f}</td><td>{_fmt(s.reliability)}</td>"
                     f"<td class=l>{esc(s.method)}</td></tr>")
    parts.append("</table><p>Reliability is KR-20 for single-best sections and Cronbach's "
                 "alpha for graded ones, with k the scheme's question count and the mean "
                 "item variance weighted by exposure (see docs/scoring.md).</p>")
    parts += ["<h2>Score distributions</h2>", _histograms(key, totals),
              "<h2>Difficulty and discrimination</h2>", _scatter(key, stats)]
    flagged = [i for i in range(len(key.item_ids)) if flags(key, stats, i)]
    parts.append(f"<h2>Items to review ({len(flagged)})</h2>")
    if flagged:
        worst = sorted(flagged, key=lambda i: np.nan_to_num(stats.point_biserial[i]))[:20]
        parts.append(_options(key, stats, worst))
        parts.append("<table><tr><th>item</th><th>section</th><th>n</th><th>p</th>"
                     "<th>r<sub>pb</sub></th><th>flags</th></tr>")
        for i in flagged:
            code = key.scheme.sections[int(key.section[i])].code
            parts.append(f"<tr><td class=l>{esc(key.item_ids[i])}</td><td class=l>{code}</td>"
                         f"<td>{int(stats.n[i])}</td><td>{_fmt(stats.p_value[i])}</td>"
                         f"<td>{_fmt(stats.point_biserial[i])}</td><td class='l flag'>"
                         f"{esc('; '.join(flags(key, stats, i)))}</td></tr>")
        parts.append("</table>")
    else:
        parts.append("<p>No item is flagged.</p>")
    parts.append(f"<h2>All items ({len(key.item_ids)})</h2><p>Option shares among the "
                 "candidates given the item, blank first; the shade grows with the share.</p>")
    parts.append(_item_table(key, stats))
    parts.append("</body></html>\n")
    return "".join(parts)
