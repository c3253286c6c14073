"""Voiding and re-keying: a no-op changes nothing; a re-key changes exactly who chose the
affected options; the void policy; and the CLI diff."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring.corrections import Correction, apply_corrections, diff_rows
from scoring.exceptions import InputError
from scoring.keytable import KeyTable
from scoring.results import Results, Roster, decide_and_rank
from scoring.scheme import load_scheme
from scoring.sheets import section_totals
from tests.cli.conftest import make_runner
from tests.scoring.helpers import key_table, random_batch, read_csv, write_exam

KEY = key_table("skd-2024")


def roster(n: int) -> Roster:
    return Roster(participants=tuple(f"p{i}" for i in range(n)), categories_given=("",) * n,
                  formation=np.zeros(n, np.int32), category=np.zeros(n, np.int16),
                  disqualified=np.zeros(n, bool), formations=("F",),
                  quota=np.array([5], np.int32))


def results(key: KeyTable, items: np.ndarray, choices: np.ndarray) -> Results:
    sat = np.ones(items.shape[0], bool)
    return decide_and_rank(key.scheme, roster(items.shape[0]),
                           section_totals(key, items, choices), sat)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), item=st.sampled_from(KEY.item_ids))
def test_rekeying_to_the_same_points_is_a_no_op(seed: int, item: str) -> None:
    items, choices = random_batch(KEY, 200, seed=seed, width=110)
    row = KEY.index[item]
    same = {o: int(KEY.points[row, c + 1]) for c, o in enumerate(KEY.options)
            if KEY.allowed[row, c]}
    new_key = apply_corrections(KEY, [Correction(item, "rekey", same)])
    old, new = results(KEY, items, choices), results(new_key, items, choices)
    assert diff_rows(old, new) == [diff_rows(old, old)[0]]  # header only
    assert (new_key.points == KEY.points).all()


def test_a_rekey_changes_exactly_those_who_chose_the_affected_options() -> None:
    items, choices = random_batch(KEY, 3000, seed=11, width=110)
    row = KEY.index["TWK05"]  # keyed A; now B is the answer
    new_key = apply_corrections(KEY, [Correction("TWK05", "rekey",
                                                 {"A": 0, "B": 5, "C": 0, "D": 0, "E": 0})])
    before = section_totals(KEY, items, choices)
    after = section_totals(new_key, items, choices)
    chose = ((items == row) & np.isin(choices, [0, 1])).any(axis=1)
    changed = (before != after).any(axis=1)
    assert chose.any()
    assert (changed == chose).all()
    took_a = ((items == row) & (choices == 0)).any(axis=1)
    assert (after[took_a, 0] == before[took_a, 0] - 5).all()


def test_void_credit_gives_everyone_given_the_item_its_maximum() -> None:
    items = np.array([[KEY.index["TKP01"]], [KEY.index["TKP01"]], [KEY.sentinel]], np.int32)
    choices = np.array([[4], [-1], [-1]], np.int8)
    new_key = apply_corrections(KEY, [Correction("TKP01", "void", {})])
    assert section_totals(new_key, items, choices)[:, 2].tolist() == [5, 5, 0]


def test_void_remove_scores_zero(tmp_path: Path) -> None:
    text = (Path(load_scheme("skd-2024").source).name and
            (Path(__file__).parents[2] / "scoring/schemes/skd-2024.toml").read_text("utf-8"))
    custom = tmp_path / "skd-remove.toml"
    custom.write_text(text.replace('void = "credit"', 'void = "remove"'), encoding="utf-8")
    scheme = load_scheme(custom)
    assert scheme.void == "remove"
    key = KeyTable(scheme=scheme, item_ids=KEY.item_ids, section=KEY.section,
                   points=KEY.points, allowed=KEY.allowed, options=KEY.options)
    new_key = apply_corrections(key, [Correction("TWK01", "void", {})])
    items = np.array([[KEY.index["TWK01"], KEY.index["TWK02"]]], np.int32)
    assert section_totals(new_key, items, np.array([[0, 0]], np.int8)).tolist() == [[5, 0, 0]]


@pytest.mark.parametrize(("fix", "message"), [
    (Correction("NOPE", "void", {}, "c.csv row 2"), "c.csv row 2: item 'NOPE' is not in"),
    (Correction("TWK01", "rekey", {"A": 5, "B": 3, "C": 0, "D": 0, "E": 0}),
     "3 points is not allowed for a TWK option"),
])
def test_bad_corrections_are_refused(fix: Correction, message: str) -> None:
    with pytest.raises(InputError, match=message):
        apply_corrections(KEY, [fix])


def test_rescore_cli_writes_results_and_diff(tmp_path: Path) -> None:
    files = write_exam(tmp_path / "in", "skd-2024", [
        ("a", "F", "umum", "", (65, 80, 166)),   # TWK01..13 answered A (correct)
        ("b", "F", "umum", "", (100, 80, 166)),
    ], [("F", 1)])
    fixes = tmp_path / "corrections.csv"
    fixes.write_text("item_id,action,A,B,C,D,E\nTWK01,rekey,0,5,0,0,0\n", encoding="utf-8")
    run = make_runner(tmp_path / "instance", None)
    out, diff = tmp_path / "results.csv", tmp_path / "diff.csv"
    run("rescore", "--scheme", "skd-2024", "--key", files["key"], "--responses",
        files["responses"], "--candidates", files["candidates"], "--formations",
        files["formations"], "--corrections", fixes, "--out", out, "--diff", diff)
    rows = read_csv(diff)
    assert [(r["participant"], r["old_TWK"], r["new_TWK"], r["old_code"], r["new_code"],
             r["old_rank"], r["new_rank"]) for r in rows] == [
        ("a", "65", "60", "P/L", "TL", "2", ""), ("b", "100", "95", "P/L", "P/L", "1", "1")]
    assert read_csv(out)[0]["code"] == "TL"


def test_rescore_writes_neither_output_when_one_fails(tmp_path: Path) -> None:
    files = write_exam(tmp_path / "in", "skd-2024", [("a", "F", "umum", "", (65, 80, 166))],
                       [("F", 1)])
    fixes = tmp_path / "corrections.csv"
    fixes.write_text("item_id,action,A,B,C,D,E\nTWK01,void,,,,,\n", encoding="utf-8")
    run = make_runner(tmp_path / "instance", None)
    out, diff = tmp_path / "missing" / "results.csv", tmp_path / "diff.csv"
    run("rescore", "--scheme", "skd-2024", "--key", files["key"], "--responses",
        files["responses"], "--candidates", files["candidates"], "--formations",
        files["formations"], "--corrections", fixes, "--out", out, "--diff", diff, ok=False)
    assert not diff.exists()
    assert list(tmp_path.glob(".diff.csv*")) == []


@pytest.mark.parametrize(("line", "message"), [
    ("TKP01,rekey,2.5,4,3,2,1", r"c\.csv row 2: points of option A must be an integer, "
                                r"got '2\.5'"),
    ("TWK01,void,5,0,0,0,0", r"c\.csv row 2: a void row has no option points \(option A is "
                             r"'5'\)"),
])
def test_corrections_file_is_read_strictly(tmp_path: Path, line: str, message: str) -> None:
    from scoring.corrections import corrections_from_table
    from scoring.files import read_table

    path = tmp_path / "c.csv"
    path.write_text(f"item_id,action,A,B,C,D,E\n{line}\n", encoding="utf-8")
    with pytest.raises(InputError, match=message):
        corrections_from_table(read_table(path))
