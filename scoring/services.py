"""The public face of the scoring package."""

from scoring.analysis import (
    ItemStats,
    SectionStats,
    item_rows,
    item_statistics,
    section_statistics,
)
from scoring.corrections import Correction, apply_corrections, diff_rows
from scoring.decide import Decisions, decide, explain, rule_checks
from scoring.exceptions import InputError, SchemeError
from scoring.keytable import KeyTable, build_key
from scoring.rank import competition_rank, goes_on
from scoring.results import (
    CODES,
    Results,
    Roster,
    compare_rows,
    decide_and_rank,
    result_rows,
    score_exam,
)
from scoring.rules import PassRule
from scoring.scheme import (
    Scheme,
    SectionRule,
    available_schemes,
    load_scheme,
    section_catalogue,
)
from scoring.sheets import AttemptScore, item_points, score_answers, score_attempt, section_totals

__all__ = ["CODES", "AttemptScore", "Correction", "Decisions", "InputError", "ItemStats",
           "KeyTable", "PassRule", "Results", "Roster", "Scheme", "SchemeError",
           "SectionRule", "SectionStats", "apply_corrections", "available_schemes",
           "build_key", "compare_rows", "competition_rank", "decide", "decide_and_rank",
           "diff_rows", "explain", "goes_on", "item_points", "item_rows", "item_statistics",
           "load_scheme", "result_rows", "rule_checks", "score_answers", "score_attempt",
           "score_exam", "section_catalogue", "section_statistics", "section_totals"]
