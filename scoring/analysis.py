"""Classical item analysis of an exam whose candidates got different papers from one pool.

Per item ``i`` (over the ``n_i`` candidates who were given it), with ``x`` the item's
points and ``r`` the *rest* of the candidate's section score (section total minus ``x``):

- p-value (facility): :math:`p_i = \\bar{x}_i / m_i`, ``m_i`` the item's maximum points;
  for a single_best item this is the share who chose the keyed option.
- point-biserial, corrected (item–rest) so the item does not correlate with itself:

  .. math:: r_{pb,i} = \\frac{n\\sum xr - \\sum x \\sum r}
            {\\sqrt{(n\\sum x^2 - (\\sum x)^2)(n\\sum r^2 - (\\sum r)^2)}}

  (for graded items the same Pearson formula: an item–rest correlation).
- option choice shares (blank included): distractor analysis.

Per section, reliability with ``k`` the scheme's question count, ``σ²_X`` the variance of
section totals and ``\\bar{v}`` the mean item variance weighted by exposure:

.. math:: \\alpha = \\frac{k}{k-1}\\left(1 - \\frac{k \\bar{v}}{\\sigma^2_X}\\right)

This is Cronbach's alpha; for single_best sections (points 0 or ``m``) it equals KR-20,
:math:`\\frac{k}{k-1}(1 - \\sum p_i q_i / \\sigma^2_X)` in item units, and it is reported
under that name. For a fixed form (everyone the same items) it is exactly the textbook
value; with random papers it is the pool estimate for a typical paper.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from scoring.keytable import KeyTable
from scoring.sheets import item_points, section_totals


@dataclass(frozen=True, eq=False)
class ItemStats:
    """Per key row (sentinel excluded): exposure, p-value, point-biserial, choice shares.

    ``shares`` has shape ``(n_items, 1 + n_options)``, blank first; NaN where undefined
    (no one was given the item, or the item does not have that option).
    """

    n: NDArray[np.int64]
    p_value: NDArray[np.float64]
    point_biserial: NDArray[np.float64]
    shares: NDArray[np.float64]


@dataclass(frozen=True)
class SectionStats:
    """One section: candidates, mean and SD of totals, reliability and its name."""

    code: str
    candidates: int
    mean: float
    sd: float
    reliability: float
    method: str


def _corr(n: NDArray[np.float64], sx: NDArray[np.float64], sy: NDArray[np.float64],
          sxx: NDArray[np.float64], syy: NDArray[np.float64],
          sxy: NDArray[np.float64]) -> NDArray[np.float64]:
    cov = n * sxy - sx * sy
    vx, vy = n * sxx - sx * sx, n * syy - sy * sy
    with np.errstate(invalid="ignore", divide="ignore"):
        out = cov / np.sqrt(vx * vy)
    out[(vx <= 0) | (vy <= 0)] = np.nan
    return np.asarray(out, dtype=np.float64)


def item_statistics(key: KeyTable, items: NDArray[np.int32],
                    choices: NDArray[np.int8]) -> ItemStats:
    """Statistics of every key item from the sheets of the candidates to analyse."""
    n_rows = key.sentinel + 1
    pts = item_points(key, items, choices).astype(np.float64)
    totals = section_totals(key, items, choices).astype(np.float64)
    sec = key.section[items].astype(np.int64)
    real = sec >= 0
    rows = np.broadcast_to(np.arange(items.shape[0])[:, None], items.shape)
    x = pts[real]
    rest = totals[rows[real], sec[real]] - x
    it = items[real].astype(np.int64)

    def acc(w: NDArray[np.float64] | None) -> NDArray[np.float64]:
        return np.bincount(it, weights=w, minlength=n_rows).astype(np.float64)[:-1]

    n = acc(None)
    mx = key.max_points()[:-1].astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = acc(x) / n / mx
    rpb = _corr(n, acc(x), acc(rest), acc(x * x), acc(rest * rest), acc(x * rest))
    cells = it * key.width + choices[real].astype(np.int64) + 1
    counts = np.bincount(cells, minlength=n_rows * key.width).reshape(n_rows, key.width)
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = counts[:-1] / n[:, None]
    shares[:, 1:][~key.allowed[:-1]] = np.nan  # an option the item does not have
    return ItemStats(n=n.astype(np.int64), p_value=np.asarray(p, dtype=np.float64),
                     point_biserial=rpb, shares=np.asarray(shares, dtype=np.float64))


def section_statistics(key: KeyTable, items: NDArray[np.int32],
                       choices: NDArray[np.int8]) -> list[SectionStats]:
    """Mean, SD and reliability (KR-20 or Cronbach's alpha) of every section."""
    scheme = key.scheme
    totals = section_totals(key, items, choices).astype(np.float64)
    pts = item_points(key, items, choices).astype(np.float64)
    sec = key.section[items].astype(np.int64)
    it = items.astype(np.int64)
    out: list[SectionStats] = []
    for s, rule in enumerate(scheme.sections):
        here = sec == s
        k = rule.questions
        var_total = float(totals[:, s].var()) if totals.shape[0] > 1 else float("nan")
        n_i = np.bincount(it[here], minlength=key.sentinel + 1).astype(np.float64)
        s1 = np.bincount(it[here], weights=pts[here], minlength=key.sentinel + 1)
        s2 = np.bincount(it[here], weights=pts[here] ** 2, minlength=key.sentinel + 1)
        given = n_i > 0
        var_i = s2[given] / n_i[given] - (s1[given] / n_i[given]) ** 2
        mean_var = float((var_i * n_i[given]).sum() / n_i[given].sum()) if given.any() else 0.0
        if k > 1 and var_total > 0:
            alpha = k / (k - 1) * (1 - k * mean_var / var_total)
        else:
            alpha = float("nan")
        out.append(SectionStats(code=rule.code, candidates=int(totals.shape[0]),
                                mean=float(totals[:, s].mean()) if totals.size else 0.0,
                                sd=var_total ** 0.5, reliability=alpha,
                                method="KR-20" if rule.rule == "single_best"
                                else "Cronbach's alpha"))
    return out


def flags(key: KeyTable, stats: ItemStats, i: int) -> list[str]:
    """Review flags of item ``i``: too hard/easy, low discrimination, a distractor beats
    the key (single_best)."""
    out: list[str] = []
    p, r = stats.p_value[i], stats.point_biserial[i]
    if stats.n[i] == 0:
        return ["not given"]
    if p < 0.2:
        out.append("very hard (p < 0.20)")
    if p > 0.95:
        out.append("very easy (p > 0.95)")
    if not np.isnan(r) and r < 0.1:
        out.append("low or negative discrimination (r < 0.10)")
    rule = key.scheme.sections[int(key.section[i])]
    if rule.rule == "single_best":
        row = key.points[i, 1:]
        best = int(np.argmax(row))
        shares = stats.shares[i, 1:]
        others = [c for c in range(len(row)) if c != best and key.allowed[i, c]]
        if others and max(shares[c] for c in others) > shares[best]:
            out.append("a distractor is chosen more often than the key")
    return out


def item_rows(key: KeyTable, stats: ItemStats) -> list[list[str]]:
    """Rows of the item-analysis CSV (header first); a share is empty for an option the
    item does not have (``share_E`` of a four-option item)."""
    head = ["item_id", "section", "n", "p_value", "point_biserial", "key",
            "share_blank", *[f"share_{o}" for o in key.options], "flags"]
    rows = [head]

    def f(v: float) -> str:
        return "" if np.isnan(v) else f"{v:.4f}"

    for i, iid in enumerate(key.item_ids):
        rule = key.scheme.sections[int(key.section[i])]
        top = key.points[i, 1:].max()
        keyed = "".join(o for c, o in enumerate(key.options)
                        if key.allowed[i, c] and key.points[i, c + 1] == top)
        rows.append([iid, rule.code, str(int(stats.n[i])), f(stats.p_value[i]),
                     f(stats.point_biserial[i]), keyed,
                     *[f(v) for v in stats.shares[i]], "; ".join(flags(key, stats, i))])
    return rows
