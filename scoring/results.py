"""From answer sheets to published results: score, decide, rank, code.

Codes
-----
``P/L``  passed and ranked within ``go_on_per_quota × quota`` of the formation (ties at the
         cut all go on); ``P`` passed, ranked, beyond the cut; ``TL`` below threshold (no
         rank); ``TH`` absent, no response rows; ``DIS`` disqualified in the candidate list
         (no rank; takes precedence over ``TH``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from scoring.decide import Decisions, decide, explain, measure
from scoring.keytable import KeyTable
from scoring.rank import competition_rank, goes_on
from scoring.scheme import Scheme
from scoring.sheets import section_totals

CODES = ("P/L", "P", "TL", "TH", "DIS")
PL, P, TL, TH, DIS = range(5)


@dataclass(frozen=True, eq=False)
class Roster:
    """Candidates in list order, with their formation and category as indices.

    Attributes
    ----------
    participants, categories_given
        Participant numbers and the normalised category (``umum`` for an empty cell).
    formation
        Index into ``formations`` per candidate.
    category
        Index into ``scheme.categories`` per candidate.
    disqualified
        ``status`` was ``DIS``.
    formations, quota
        Formation names and their quota.
    """

    participants: tuple[str, ...]
    categories_given: tuple[str, ...]
    formation: NDArray[np.int32]
    category: NDArray[np.int16]
    disqualified: NDArray[np.bool_]
    formations: tuple[str, ...]
    quota: NDArray[np.int32]


@dataclass(frozen=True, eq=False)
class Results:
    """Everything published for every candidate, in roster order.

    ``rank`` is 0 where there is none; ``code`` indexes :data:`CODES`.
    """

    scheme: Scheme
    roster: Roster
    totals: NDArray[np.int32]
    sat: NDArray[np.bool_]
    decisions: Decisions
    rank: NDArray[np.int32]
    code: NDArray[np.int8]

    def reason(self, i: int) -> str:
        """Why candidate ``i`` has their code, in one line."""
        c = int(self.code[i])
        if c == DIS:
            return "disqualified (status DIS in the candidate list)"
        if c == TH:
            return "absent: no response rows"
        why = explain(self.scheme, tuple(int(t) for t in self.totals[i]),
                      self.scheme.categories[int(self.roster.category[i])])
        if c in (PL, P):
            f = int(self.roster.formation[i])
            quota = int(self.roster.quota[f])
            cut = quota * self.scheme.go_on_per_quota
            where = "within" if c == PL else "beyond"
            why += (f"; rank {int(self.rank[i])} in {self.roster.formations[f]} {where} the "
                    f"cut {cut} ({self.scheme.go_on_per_quota} × quota {quota})")
        return why


def rank_keys(scheme: Scheme, totals: NDArray[np.int32]) -> list[NDArray[np.int32]]:
    """The tie-break measures in the scheme's order."""
    return [measure(scheme, totals, name) for name in scheme.tie_break]


def decide_and_rank(scheme: Scheme, roster: Roster, totals: NDArray[np.int32],
                    sat: NDArray[np.bool_]) -> Results:
    """Codes and ranks from section totals (``sat``: has response rows)."""
    decisions = decide(scheme, totals, roster.category)
    present = sat & ~roster.disqualified
    eligible = present & decisions.passed
    rank = competition_rank(roster.formation, rank_keys(scheme, totals), eligible)
    on = goes_on(rank, roster.formation, roster.quota, scheme.go_on_per_quota)
    code = np.full(totals.shape[0], TL, dtype=np.int8)
    code[eligible] = P
    code[on] = PL
    code[~sat] = TH
    code[roster.disqualified] = DIS
    return Results(scheme=scheme, roster=roster, totals=totals, sat=sat, decisions=decisions,
                   rank=rank, code=code)


def score_exam(key: KeyTable, roster: Roster, items: NDArray[np.int32],
               choices: NDArray[np.int8], sat: NDArray[np.bool_]) -> Results:
    """Score every sheet, decide and rank: the official result.

    Parameters
    ----------
    key
        The answer key table.
    roster
        The candidates; row ``i`` of ``items``/``choices`` is candidate ``i``.
    items, choices
        The batch (see :mod:`scoring.sheets`); absent candidates' rows are padding.
    sat
        Whether each candidate has response rows.
    """
    return decide_and_rank(key.scheme, roster, section_totals(key, items, choices), sat)


def header(scheme: Scheme) -> list[str]:
    """``participant,formation,category,<section codes>,total,code,rank``."""
    return ["participant", "formation", "category", *scheme.section_codes, "total", "code",
            "rank"]


def score_cells(results: Results, i: int) -> list[str]:
    """Candidate ``i``'s published values: section scores, total, code, rank.

    Scores are empty for ``TH`` and ``DIS``; the rank is empty except for ``P/L`` and
    ``P``. ``results.csv`` and the re-scoring diff both print through this function.
    """
    c = int(results.code[i])
    t = results.totals[i]
    scores = ([str(int(v)) for v in t] + [str(int(t.sum()))] if c not in (TH, DIS)
              else [""] * (len(results.scheme.sections) + 1))
    return [*scores, CODES[c], str(int(results.rank[i])) if c in (PL, P) else ""]


def result_rows(results: Results) -> list[list[str]]:
    """The rows of ``results.csv`` (header first), every value as text.

    The category is the normalised one the scheme knows (``papua`` for ``Papua``,
    ``umum`` for an empty cell).
    """
    r = results.roster
    cats = results.scheme.categories
    rows = [header(results.scheme)]
    for i, pid in enumerate(r.participants):
        rows.append([pid, r.formations[int(r.formation[i])], cats[int(r.category[i])],
                     *score_cells(results, i)])
    return rows


def compare_rows(given: Sequence[Sequence[str]],
                 computed: Sequence[Sequence[str]]) -> list[tuple[str, str, str, str]]:
    """Differences between a results file and the recomputation.

    Returns
    -------
    list of (participant, column, file value, recomputed value)
        ``participant`` is ``"(header)"`` for a header difference; a missing or extra row
        shows as column ``"(row)"``.
    """
    diffs: list[tuple[str, str, str, str]] = []
    head = list(computed[0])
    if list(given[0]) != head:
        diffs.append(("(header)", "(header)", ",".join(given[0]), ",".join(head)))
        return diffs
    mine = {row[0]: row for row in computed[1:]}
    theirs: dict[str, Sequence[str]] = {}
    for row in given[1:]:
        if row and row[0] in theirs:
            diffs.append((row[0], "(row)", "appears twice", "once"))
        elif row:
            theirs[row[0]] = row
    for pid, want in mine.items():
        got = theirs.get(pid)
        if got is None:
            diffs.append((pid, "(row)", "missing", "present"))
            continue
        for col, a, b in zip(head, list(got) + [""] * len(head), want, strict=False):
            if a != b:
                diffs.append((pid, col, a, b))
    diffs += [(pid, "(row)", "present", "not a candidate") for pid in theirs if pid not in mine]
    return diffs
