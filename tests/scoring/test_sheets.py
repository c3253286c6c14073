"""Score sheets: known totals, the scalar equals the batch, and properties of totals."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import scoring.sheets as sheets
from scoring.keytable import build_key
from scoring.scheme import load_scheme
from scoring.sheets import score_answers, score_attempt, section_totals
from tests.scoring.helpers import answers_for, key_table, random_batch

KEY = key_table("skd-2024")
PPPK = key_table("pppk-2024")


def test_known_sheet_scores_by_section() -> None:
    scheme = KEY.scheme
    answers = answers_for(scheme, (65, 80, 166))
    score = score_answers(KEY, [a for a, _ in answers], [c for _, c in answers])
    assert (score.sections, score.total) == ((65, 80, 166), 311)
    everything = score_answers(KEY, list(KEY.item_ids), ["A"] * len(KEY.item_ids))
    assert everything.sections == (150, 175, 225)
    blank = score_answers(KEY, list(KEY.item_ids), [None] * len(KEY.item_ids))
    assert blank.total == 0


def test_a_live_attempt_scores_as_it_goes() -> None:
    items = [KEY.index["TWK01"], KEY.index["TKP01"], KEY.index["TIU01"]]
    assert score_attempt(KEY, items, [-1, -1, -1]).sections == (0, 0, 0)
    assert score_attempt(KEY, items, [0, -1, -1]).sections == (5, 0, 0)
    assert score_attempt(KEY, items, [0, 4, 1]).sections == (5, 0, 1)
    assert score_attempt(KEY, [], []).total == 0


def test_unknown_item_in_a_live_attempt() -> None:
    with pytest.raises(ValueError, match="item 'NOPE' is not in the key"):
        score_answers(KEY, ["NOPE"], ["A"])


@pytest.mark.parametrize("key", [KEY, PPPK], ids=["skd-2024", "pppk-2024"])
def test_scalar_and_batch_agree_on_20000_random_sheets(key: object) -> None:
    assert key is KEY or key is PPPK
    items, choices = random_batch(key, 20_000, seed=7, width=len(key.item_ids))
    batch = section_totals(key, items, choices)
    scalar = np.array([score_attempt(key, items[r].tolist(), choices[r].tolist()).sections
                       for r in range(items.shape[0])])
    assert (batch == scalar).all()
    # an independent reference: one boolean mask per section
    pts = key.points[items, choices.astype(np.int64) + 1]
    sec = key.section[items]
    reference = np.stack([np.where(sec == s, pts, 0).sum(axis=1)
                          for s in range(len(key.scheme.sections))], axis=1)
    assert (batch == reference).all()


def test_the_one_lane_path_equals_the_packed_path(monkeypatch: pytest.MonkeyPatch) -> None:
    items, choices = random_batch(KEY, 2_000, seed=3, width=110)
    packed = section_totals(KEY, items, choices)
    monkeypatch.setattr(sheets, "_lanes", lambda key, q: 1)
    assert (section_totals(KEY, items, choices) == packed).all()


def test_big_points_fall_back_to_one_section_per_word() -> None:
    scheme = load_scheme("skd-2024")
    key = build_key(scheme, ["a", "b"], ["TKP", "TKP"],
                    [dict(zip("ABCDE", (1, 2, 3, 4, 5), strict=True))] * 2)
    items = np.zeros((1, 20_000), dtype=np.int32)
    choices = np.full((1, 20_000), 4, dtype=np.int8)
    assert section_totals(key, items, choices).tolist() == [[0, 0, 100_000]]


def test_batch_shapes_must_match() -> None:
    with pytest.raises(ValueError, match="same"):
        section_totals(KEY, np.zeros((2, 3), np.int32), np.zeros((2, 4), np.int8))


sheet = st.lists(st.integers(-1, 4), min_size=110, max_size=110)


@settings(max_examples=200, deadline=None)
@given(choices=sheet, seed=st.integers(0, 2**32 - 1))
def test_totals_never_exceed_the_maxima(choices: list[int], seed: int) -> None:
    order = np.random.default_rng(seed).permutation(len(KEY.item_ids))
    score = score_attempt(KEY, order.tolist(), choices)
    maxima = [s.max_score for s in KEY.scheme.sections]
    assert all(0 <= t <= m for t, m in zip(score.sections, maxima, strict=True))
    assert score.total <= KEY.scheme.max_score


@settings(max_examples=200, deadline=None)
@given(choices=sheet, position=st.integers(0, 109))
def test_a_correct_answer_never_lowers_a_total(choices: list[int], position: int) -> None:
    items = list(range(110))
    before = score_attempt(KEY, items, choices)
    best = int(np.argmax(KEY.points[position, 1:]))
    better = choices.copy()
    better[position] = best
    after = score_attempt(KEY, items, better)
    assert after.total >= before.total
    assert all(a >= b for a, b in zip(after.sections, before.sections, strict=True))
