"""Decisions at every threshold edge and special category; competition ranking; codes."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring.decide import decide, explain, rule_checks
from scoring.rank import competition_rank, goes_on
from scoring.results import CODES, Roster, decide_and_rank
from scoring.scheme import load_scheme


def passes(scheme_id: str, sections: tuple[int, ...], category: str = "umum") -> bool:
    scheme = load_scheme(scheme_id)
    d = decide(scheme, np.array([sections], dtype=np.int32),
               np.array([scheme.categories.index(category)]))
    return bool(d.passed[0])


@pytest.mark.parametrize(("scheme_id", "on"), [
    ("skd-2024", (65, 80, 166)), ("skd-2019", (65, 80, 126)), ("skd-2018", (75, 80, 143))])
def test_general_thresholds_exactly_on_and_one_step_below(scheme_id: str,
                                                          on: tuple[int, int, int]) -> None:
    assert passes(scheme_id, on)
    steps = (5, 5, 1)  # TWK and TIU move in 5s, TKP in 1s
    for s in range(3):
        below = tuple(v - steps[s] if i == s else v for i, v in enumerate(on))
        assert not passes(scheme_id, below), below
    assert passes(scheme_id, (150, 175, 225))


@pytest.mark.parametrize("category", ["cumlaude", "diaspora"])
def test_cumlaude_and_diaspora_pass_on_total_311_and_tiu_85(category: str) -> None:
    assert passes("skd-2024", (60, 85, 166), category)       # total exactly 311, TWK fails
    assert not passes("skd-2024", (60, 85, 165), category)   # total 310
    assert not passes("skd-2024", (60, 80, 171), category)  # 311 but TIU 80 < 85
    assert passes("skd-2024", (65, 80, 166), category)       # the general rule still counts
    assert not passes("skd-2024", (60, 85, 166), "umum")     # umum has only the general rule


@pytest.mark.parametrize("category", ["disabilitas", "papua", "daerah_tertinggal"])
def test_affirmation_categories_pass_on_total_286_and_tiu_60(category: str) -> None:
    assert passes("skd-2024", (50, 60, 176), category)       # total exactly 286, TIU 60
    assert not passes("skd-2024", (50, 60, 175), category)   # total 285
    assert not passes("skd-2024", (55, 55, 176), category)   # 286 but TIU 55
    assert not passes("skd-2024", (50, 60, 176), "cumlaude")  # needs 311 and 85 there
    assert not passes("skd-2024", (50, 60, 176), "umum")


def test_pppk_has_no_threshold() -> None:
    assert passes("pppk-2024", (0, 0, 0, 0))
    assert explain(load_scheme("pppk-2024"), (0, 0, 0, 0), "umum").startswith("no threshold")


def test_reasons_name_the_threshold_and_the_rule() -> None:
    scheme = load_scheme("skd-2024")
    assert explain(scheme, (65, 80, 165), "umum") == "failed: general rule: TKP 165 < 166"
    assert explain(scheme, (60, 85, 166), "diaspora") == (
        "failed general rule: TWK 60 < 65; passed special[0] rule for diaspora "
        "(total ≥ 311, TIU ≥ 85)")
    assert explain(scheme, (50, 55, 176), "papua") == (
        "failed: general rule: TWK 50 < 65, TIU 55 < 80; special[1] rule for papua: "
        "total 281 < 286, TIU 55 < 60")


def test_rule_checks_give_every_minimum_of_the_rules_that_apply() -> None:
    scheme = load_scheme("skd-2024")
    [general] = rule_checks(scheme, (65, 80, 165), "umum")
    assert general == {"rule": "general", "categories": None, "passed": False, "checks": [
        {"measure": "TWK", "value": 65, "minimum": 65, "met": True},
        {"measure": "TIU", "value": 80, "minimum": 80, "met": True},
        {"measure": "TKP", "value": 165, "minimum": 166, "met": False}]}
    general, special = rule_checks(scheme, (60, 85, 166), "diaspora")
    assert (general["passed"], special["passed"]) == (False, True)
    assert special["rule"] == "special[0]" and "diaspora" in special["categories"]  # noqa: PT018
    assert special["checks"] == [{"measure": "total", "value": 311, "minimum": 311, "met": True},
                                 {"measure": "TIU", "value": 85, "minimum": 85, "met": True}]
    # The structured form agrees with decide() for every category at the edges.
    for category in scheme.categories:
        for sections in ((65, 80, 166), (64, 85, 166), (60, 60, 166), (100, 60, 126)):
            checks = rule_checks(scheme, sections, category)
            assert any(r["passed"] for r in checks) == passes("skd-2024", sections, category)
    assert rule_checks(load_scheme("pppk-2024"), (0, 0, 0, 0), "umum") == []


def test_competition_ranking_with_ties() -> None:
    group = np.array([0, 0, 0, 0, 1, 1, 0])
    total = np.array([300, 310, 310, 290, 100, 100, 400])
    tkp = np.array([150, 170, 170, 160, 50, 60, 0])
    eligible = np.array([True, True, True, True, True, True, False])
    rank = competition_rank(group, [total, tkp], eligible)
    assert rank.tolist() == [3, 1, 1, 4, 2, 1, 0]


def test_ties_at_the_cut_all_go_on() -> None:
    rank = np.array([1, 2, 3, 3, 5, 0])
    on = goes_on(rank.astype(np.int32), np.zeros(6, dtype=np.int64), np.array([1]), 3)
    assert on.tolist() == [True, True, True, True, False, False]


def test_codes_for_every_case() -> None:
    scheme = load_scheme("skd-2024")
    roster = Roster(participants=tuple("abcdefg"), categories_given=("umum",) * 7,
                    formation=np.zeros(7, np.int32), category=np.zeros(7, np.int16),
                    disqualified=np.array([0, 0, 0, 0, 0, 0, 1], bool),
                    formations=("F",), quota=np.array([1], np.int32))
    totals = np.array([[100, 100, 200], [100, 100, 199], [100, 100, 199], [100, 100, 198],
                       [60, 100, 200], [0, 0, 0], [150, 175, 225]], dtype=np.int32)
    sat = np.array([1, 1, 1, 1, 1, 0, 1], bool)
    r = decide_and_rank(scheme, roster, totals, sat)
    assert [CODES[c] for c in r.code] == ["P/L", "P/L", "P/L", "P", "TL", "TH", "DIS"]
    assert r.rank.tolist() == [1, 2, 2, 4, 0, 0, 0]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 2), st.integers(0, 6), st.integers(0, 4),
                          st.booleans()), min_size=1, max_size=60))
def test_ranking_is_a_permutation_consistent_with_the_tie_break(
        rows: list[tuple[int, int, int, bool]]) -> None:
    group = np.array([r[0] for r in rows])
    a = np.array([r[1] for r in rows])
    b = np.array([r[2] for r in rows])
    eligible = np.array([r[3] for r in rows])
    rank = competition_rank(group, [a, b], eligible)
    assert (rank[~eligible] == 0).all()
    for g in np.unique(group[eligible]):
        here = np.flatnonzero(eligible & (group == g))
        for i in here:
            better = sum(1 for j in here if (a[j], b[j]) > (a[i], b[i]))
            assert rank[i] == 1 + better
        # competition ranks: the first is 1, equal keys share a rank, and after a run of
        # k equal keys the next rank is k higher (1, 2, 2, 4)
        by_rank = sorted(here.tolist(), key=lambda j: (rank[j], j))
        assert rank[by_rank[0]] == 1
        for pos, (j, k) in enumerate(zip(by_rank, by_rank[1:], strict=False), 1):
            assert (a[j], b[j]) >= (a[k], b[k])               # never a better one below
            if (a[j], b[j]) == (a[k], b[k]):
                assert rank[k] == rank[j]                      # a tie shares its rank
            else:
                assert rank[k] == pos + 1                      # skips past the tie
        # compared with a sort of the group by the tie-break (ids break no tie)
        expected = sorted(here.tolist(), key=lambda j: (-a[j], -b[j]))
        assert [(a[j], b[j]) for j in by_rank] == [(a[j], b[j]) for j in expected]
