"""Score sheets: known totals, the scalar equals the batch, and properties of totals."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import scoring.sheets as sheets
from scoring.keytable import KeyTable, build_key
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
    given = items != key.sentinel  # the live path takes the real questions only
    scalar = np.array([score_attempt(key, items[r][given[r]].tolist(),
                                     choices[r][given[r]].tolist()).sections
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


def random_key(seed: int, scheme_id: str = "skd-2024") -> KeyTable:
    """A key whose best option is random per item (and graded points a random order)."""
    scheme = load_scheme(scheme_id)
    rng = np.random.default_rng(seed)
    ids, codes, points = [], [], []
    for s in scheme.sections:
        for q in range(s.questions):
            k = len(s.options)
            if s.rule == "single_best":
                pts = [0] * k
                pts[int(rng.integers(k))] = s.max_points
            else:
                pts = rng.integers(s.min_points, s.max_points + 1, size=k).tolist()
            ids.append(f"{s.code}{q}")
            codes.append(s.code)
            points.append(dict(zip(s.options, map(int, pts), strict=True)))
    return build_key(scheme, ids, codes, points)


@settings(max_examples=150, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), data=st.data(),
       scheme_id=st.sampled_from(["skd-2024", "pppk-2024"]))
def test_a_correct_answer_never_lowers_a_total(seed: int, data: st.DataObject,
                                               scheme_id: str) -> None:
    key = random_key(seed, scheme_id)
    n = len(key.item_ids)
    rng = np.random.default_rng(seed)
    items = rng.permutation(n).tolist()
    choices = [int(rng.integers(-1, int(key.allowed[i].sum()))) for i in items]
    position = data.draw(st.integers(0, n - 1))
    item = items[position]
    best = int(np.argmax(np.where(key.allowed[item], key.points[item, 1:], -1)))
    assert key.points[item, best + 1] == key.points[item, 1:].max()
    before = score_attempt(key, items, choices)
    better = choices.copy()
    better[position] = best
    after = score_attempt(key, items, better)
    assert after.total >= before.total
    assert all(a >= b for a, b in zip(after.sections, before.sections, strict=True))
    if choices[position] == -1:  # a blank answered correctly gains the item's maximum
        assert after.total - before.total == int(key.points[item, 1:].max())


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 40), width=st.integers(1, 150),
       scheme_id=st.sampled_from(["skd-2024", "pppk-2024"]))
def test_scalar_and_batch_agree(seed: int, n: int, width: int, scheme_id: str) -> None:
    key = random_key(seed, scheme_id)
    items, choices = random_batch(key, n, seed=seed, width=width)
    batch = section_totals(key, items, choices)
    for r in range(n):
        given = items[r] != key.sentinel
        live = score_attempt(key, items[r][given].tolist(), choices[r][given].tolist())
        assert live.sections == tuple(int(t) for t in batch[r])


@pytest.mark.parametrize(("items", "choices", "message"), [
    (["TEKNIS01"], [6], r"choice 6 is not an option of item 'TEKNIS01'"),
    (["TEKNIS02"], [-2], r"choice -2 is not an option of item 'TEKNIS02'"),
    (["MANAJERIAL01"], [4], r"choice 4 is not an option of item 'MANAJERIAL01'"),
    (["TEKNIS01", "TEKNIS01"], [0, 0], r"item 'TEKNIS01' appears twice in one sheet"),
    ([145], [-1], r"item row 145 is not in the key \(0\.\.144\)"),
    ([-1], [-1], r"item row -1 is not in the key"),
    (["TEKNIS01"], [0, 1], r"1 items but 2 choices"),
])
def test_a_live_attempt_refuses_what_is_not_on_the_paper(items: list[object],
                                                        choices: list[int],
                                                        message: str) -> None:
    rows = [PPPK.index[i] if isinstance(i, str) else int(str(i)) for i in items]
    with pytest.raises(ValueError, match=message):
        score_attempt(PPPK, rows, choices)


def test_labels_read_the_same_live_and_in_the_batch() -> None:
    ids = ["TEKNIS01", "MANAJERIAL01", "SOSIOKULTURAL01"]
    upper = score_answers(PPPK, ids, ["A", "B", None])
    assert score_answers(PPPK, ids, ["a", " b ", ""]) == upper
    assert PPPK.choice_codes["a"] == PPPK.choice_codes["A"] == 0
    with pytest.raises(ValueError, match=r"choice 4 is not an option of item 'MANAJERIAL01'"):
        score_answers(PPPK, ids, ["A", "E", None])
    with pytest.raises(ValueError, match=r"item 'TEKNIS01': choice 'F' is not an option label"):
        score_answers(PPPK, ids, ["F", "A", None])


@pytest.mark.parametrize(("item", "choice", "message"), [
    (0, 5, r"sheet 1, question 2: choice 5 is not an option of item 'TEKNIS01'"),
    (0, -2, r"choice -2 is not an option"),
    (95, 4, r"choice 4 is not an option of item 'MANAJERIAL06'"),
    (145, 0, r"choice 0 is not an option of item '\(padding\)'"),
    (146, -1, r"item row 146 is outside the key"),
    (-1, -1, r"item row -1 is outside the key"),
])
def test_the_batch_checks_every_cell(item: int, choice: int, message: str) -> None:
    items = np.full((3, 4), PPPK.sentinel, np.int32)
    choices = np.full((3, 4), -1, np.int8)
    items[1, :2] = [10, 11]
    items[1, 2], choices[1, 2] = item, choice
    with pytest.raises(ValueError, match=message):
        section_totals(PPPK, items, choices)
