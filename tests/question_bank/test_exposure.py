"""Exposure of 500 sequential participants: bounds that follow from the construction."""

from __future__ import annotations

import math
import random

import pytest

from question_bank.exposure import exposure_report
from question_bank.papers import BankSnapshot, Paper, PaperQuestion, build_papers
from tests.question_bank.factories import make_pool, tiny_blueprint

FIRST = 2411000000123
N = 500


@pytest.fixture(scope="module")
def snapshot() -> BankSnapshot:
    # Pool sizes are multiples of the cell counts (12/2, 5/1, 12/3, 10/2), so every
    # complete round uses every item of the cell exactly once.
    pool = make_pool([("TWK", "Nasionalisme", "easy", 12), ("TWK", "Nasionalisme", "hard", 5),
                      ("TIU", "Berhitung", "medium", 12), ("TKP", "Pelayanan Publik", None, 10)])
    return BankSnapshot(pool, tiny_blueprint())


@pytest.fixture(scope="module")
def papers(snapshot: BankSnapshot) -> list[Paper]:
    return build_papers("exposure-seed", [str(FIRST + i) for i in range(N)], snapshot)


def windows(snapshot: BankSnapshot) -> list[int]:
    return [len(p) // c.count for c, p in zip(snapshot.cells, snapshot.cell_pools, strict=True)]


def test_uses_per_cell_are_within_two_of_the_complete_rounds(
        snapshot: BankSnapshot, papers: list[Paper]) -> None:
    report = exposure_report(papers, snapshot)
    worst_bound = 1.0
    for cell, m in zip(report.cells, windows(snapshot), strict=True):
        # rounds r with [r*m, (r+1)*m) inside [FIRST, FIRST+N)
        complete = (FIRST + N) // m - math.ceil(FIRST / m)
        assert complete <= cell.min_uses <= cell.max_uses <= complete + 2
        worst_bound = max(worst_bound, (complete + 2) / complete)
    assert 1.0 <= report.max_min_ratio <= worst_bound < 1.05
    assert report.unused_items == 0
    assert report.papers == N


def test_neighbours_share_questions_only_across_round_boundaries(
        snapshot: BankSnapshot, papers: list[Paper]) -> None:
    report = exposure_report(papers, snapshot)
    ms = windows(snapshot)
    crossing = 0
    for i in range(N - 1):
        j = FIRST + i
        crosses = any((j + 1) % m == 0 for m in ms)
        crossing += crosses
        shared = set(papers[i].refs) & set(papers[i + 1].refs)
        if not crosses:
            assert not shared
    assert report.neighbour_same_position_rate <= crossing / (N - 1)
    # Tiny pools (windows of 4 to 6) cross round boundaries often: ~13 % here, ~1.5 % for the
    # SKD bench. A naive draw (random.sample per cell, shuffle per section) shares far more.
    rng = random.Random(7)
    naive = []
    for i in range(N):
        refs: list[str] = []
        for section in snapshot.blueprint.sections:
            chosen: list[str] = []
            for c, pool in zip(snapshot.cells, snapshot.cell_pools, strict=True):
                if c.section == section.code:
                    chosen += rng.sample([snapshot.refs[int(x)] for x in pool], c.count)
            rng.shuffle(chosen)
            refs += chosen
        naive.append(Paper(str(i), tuple(PaperQuestion(n + 1, r, "", "ABCDE")
                                         for n, r in enumerate(refs))))
    baseline = exposure_report(naive, snapshot)
    assert baseline.neighbour_same_position_rate > 3 * report.neighbour_same_position_rate
    assert baseline.max_min_ratio > report.max_min_ratio


def test_unused_items_make_the_ratio_infinite(snapshot: BankSnapshot) -> None:
    few = build_papers("s", ["1", "2"], snapshot)
    report = exposure_report(few, snapshot)
    assert report.max_min_ratio == math.inf
    assert report.unused_items > 0
    assert report.neighbour_same_position_rate == 0.0  # slots 1 and 2 share a round everywhere
