"""Final integration: SKD 40 % + SKB 60 %, each scaled to 0–100, ranked per formation.

Only candidates coded ``P/L`` in the SKD results go on to SKB. With ``S`` the SKD total,
``S_max`` the scheme's maximum, ``B`` the SKB score and ``B_max`` its maximum,

.. math:: F = 0.4 \\cdot 100 \\frac{S}{S_{max}} + 0.6 \\cdot 100 \\frac{B}{B_{max}}

Ranking uses the exact value ``40 S B_max + 60 B S_max`` (integers, SKB in hundredths),
then SKB, then the SKD tie-break order; competition ranking per formation. Rank ≤ quota
→ ``L`` (ties at the cut all go on), other ranked ``TL``; no SKB row, or an empty SKB
cell, → ``TH`` (absent at SKB). An SKB row for a candidate who did not go on (not ``P/L``)
is refused, naming the row; ``formations.csv`` is read as by ``seleksi score``.
Scaled scores and ``F`` are printed with two decimals (half up).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import numpy as np

from scoring.exceptions import InputError
from scoring.files import Table
from scoring.inputs import formations_from_table
from scoring.rank import competition_rank, goes_on
from scoring.scheme import Scheme

HEADER = ["participant", "formation", "category", "skd", "skd_scaled", "skb", "skb_scaled",
          "final", "code", "rank"]


def _centi(text: str, where: str, what: str) -> int:
    try:
        value = Decimal(text) * 100
    except InvalidOperation:
        raise InputError(f"{where}: {what} must be a number, got {text!r}") from None
    if value != value.to_integral_value() or value < 0:
        raise InputError(f"{where}: {what} must be non-negative with at most two decimals, "
                         f"got {text!r}")
    return int(value)


def _fmt(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def integrate(scheme: Scheme, skd: Table, skb: Table, formations: Table,
              skb_max: str = "100") -> list[list[str]]:
    """Rows of ``final.csv`` (header first) for every ``P/L`` candidate of ``skd``.

    Parameters
    ----------
    scheme
        The SKD scheme (its maximum and tie-break order).
    skd
        A ``results.csv`` of ``seleksi score``.
    skb
        ``participant,skb``: the SKB score of each candidate who sat SKB.
    formations
        ``formation,quota``.
    skb_max
        The SKB maximum (the score that scales to 100).
    """
    bmax = _centi(skb_max, "--skb-max", "the SKB maximum")
    if bmax <= 0:
        raise InputError("--skb-max: must be positive")
    names, quotas = formations_from_table(formations)
    quota = dict(zip(names, quotas, strict=True))
    codes = scheme.section_codes
    cols = skd.columns("participant", "formation", "category", *codes, "total", "code")
    rows = [row for _, row in skd.rows if row[cols["code"]] == "P/L"]
    skd_code = {row[cols["participant"]]: row[cols["code"]] for _, row in skd.rows}
    bcols = skb.columns("participant", "skb")
    scores: dict[str, int] = {}
    first: dict[str, int] = {}
    for n, row in skb.rows:
        at = f"{skb.name} row {n}"
        pid, cell = row[bcols["participant"]], row[bcols["skb"]]
        if pid in first:
            raise InputError(f"{at}: participant {pid!r} appears twice (first at row "
                             f"{first[pid]})")
        first[pid] = n
        if pid not in skd_code:
            raise InputError(f"{at}: participant {pid!r} is not in {skd.name}")
        if skd_code[pid] != "P/L":
            raise InputError(f"{at}: participant {pid!r} did not go on to SKB (code "
                             f"{skd_code[pid]} in {skd.name}, not P/L); remove the row")
        if cell == "":
            continue  # an empty SKB cell: absent at SKB (TH)
        scores[pid] = _centi(cell, at, "skb")
        if scores[pid] > bmax:
            raise InputError(f"{at}: skb {cell} is above the maximum {skb_max}")
    forms = sorted({row[cols["formation"]] for row in rows})
    for f in forms:
        if f not in quota:
            raise InputError(f"{skd.name}: formation {f!r} has no quota in {formations.name}")
    group = np.array([forms.index(r[cols["formation"]]) for r in rows], dtype=np.int64)
    smax = scheme.max_score
    total = np.array([int(r[cols["total"]]) for r in rows], dtype=np.int64)
    b = np.array([scores.get(r[cols["participant"]], -1) for r in rows], dtype=np.int64)
    sat = b >= 0
    exact = 40 * total * bmax + 60 * b * smax
    tie = {name: (total if name == "total" else
                  np.array([int(r[cols[name]]) for r in rows], dtype=np.int64))
           for name in scheme.tie_break}
    rank = competition_rank(group, [exact, b, *tie.values()], sat)
    q = np.array([quota[f] for f in forms], dtype=np.int64)
    on = goes_on(rank, group, q, 1)
    out = [list(HEADER)]
    for i, r in enumerate(rows):
        skd_scaled = Decimal(100 * int(total[i])) / smax
        base = [r[cols["participant"]], r[cols["formation"]], r[cols["category"]],
                str(int(total[i])), _fmt(skd_scaled)]
        if not sat[i]:
            out.append([*base, "", "", "", "TH", ""])
            continue
        skb_scaled = Decimal(int(b[i])) / bmax * 100
        final = Decimal(int(exact[i])) / (smax * bmax)
        out.append([*base, _fmt(Decimal(int(b[i])) / 100), _fmt(skb_scaled), _fmt(final),
                    "L" if on[i] else "TL", str(int(rank[i]))])
    return out
