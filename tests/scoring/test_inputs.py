"""Reading the input files: short rows, blanks, categories, streaming responses, one parser."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from scoring.exceptions import InputError
from scoring.files import read_table
from scoring.inputs import parse_int, read_batch, roster_from_tables
from scoring.results import Roster
from scoring.scheme import load_scheme
from tests.scoring.helpers import key_table

KEY = key_table("skd-2024")


def roster(tmp_path: Path, lines: str = "p1,A,F,umum,\np2,B,F,,\np3,C,F,Papua,\n") -> Roster:
    cands = tmp_path / "candidates.csv"
    cands.write_text("participant,name,formation,category,status\n" + lines, encoding="utf-8")
    forms = tmp_path / "formations.csv"
    forms.write_text("formation,quota\nF,1\n", encoding="utf-8")
    return roster_from_tables(KEY.scheme, read_table(cands), read_table(forms))


def responses(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "responses.csv"
    path.write_text("participant,item_id,choice\n" + body, encoding="utf-8")
    return path


def test_categories_are_normalised(tmp_path: Path) -> None:
    r = roster(tmp_path)
    assert r.categories_given == ("umum", "umum", "papua")


def test_a_short_row_is_refused_with_file_and_row(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"candidates\.csv row 3: 3 cell\(s\), but the header "
                                         r"has 5 \(participant,name,formation,category,status\)"):
        roster(tmp_path, "p1,A,F,umum,\np2,B,F\n")
    with pytest.raises(InputError, match=r"candidates\.csv row 2: 6 cells, but the header has 5"):
        roster(tmp_path, "p1,A,F,umum,,surprise\n")
    assert len(roster(tmp_path, "p1,A,F,umum,,\n").participants) == 1


def test_a_response_row_without_its_choice_cell_is_blank(tmp_path: Path) -> None:
    r = roster(tmp_path)
    path = responses(tmp_path, "p1,TWK01,\np1,TWK02\np1,TWK03,a\n p2 , TWK01 , A \n")
    batch = read_batch(KEY, r, path)
    assert batch.choices[0].tolist() == [-1, -1, 0]
    assert batch.items[1, 0] == KEY.index["TWK01"]
    assert batch.choices[1, 0] == 0
    assert batch.sat.tolist() == [True, True, False]
    with pytest.raises(InputError, match=r"responses\.csv row 3: 1 cell\(s\), but the header "
                                         r"has 3"):
        read_batch(KEY, r, responses(tmp_path, "p1,TWK01,A\np1\n"))


@pytest.mark.parametrize(("body", "message"), [
    ("p1,TWK01,A\n\np1,TWK01,B\n", r"row 4: participant 'p1' and item 'TWK01' appear twice "
                                   r"\(first at row 2\)"),
    ("p1,TWK01,A\np9,TWK01,A\n", r"row 3: participant 'p9' is not in the candidate list"),
    ("p1,NOPE,A\n", r"row 2: item 'NOPE' is not in the key"),
    ("p1,TWK01,F\n", r"row 2: choice 'F' is not one of the options of item 'TWK01'"),
])
def test_streamed_responses_name_the_row(tmp_path: Path, body: str, message: str) -> None:
    r = roster(tmp_path)
    with pytest.raises(InputError, match=r"responses\.csv " + message):
        read_batch(KEY, r, responses(tmp_path, body))


def test_a_choice_the_item_lacks_is_refused_by_the_batch_check(tmp_path: Path) -> None:
    pppk = key_table("pppk-2024")
    scheme = load_scheme("pppk-2024")
    cands = tmp_path / "c.csv"
    cands.write_text("participant,formation,category\np1,F,\n", encoding="utf-8")
    forms = tmp_path / "f.csv"
    forms.write_text("formation,quota\nF,1\n", encoding="utf-8")
    r = roster_from_tables(scheme, read_table(cands), read_table(forms))
    path = responses(tmp_path, "p1,TEKNIS01,E\np1,MANAJERIAL01,e\n")
    with pytest.raises(InputError, match=r"responses\.csv row 3: choice 'E' is not one of the "
                                         r"options of item 'MANAJERIAL01' \(A, B, C, D, or"):
        read_batch(pppk, r, path)


@pytest.mark.parametrize(("text", "value"), [("5", 5), ("5.0", 5), (" -3 ", -3), ("+2", 2)])
def test_the_one_integer_parser_accepts_whole_numbers(text: str, value: int) -> None:
    assert parse_int(text, "f.csv row 2", "quota") == value


@pytest.mark.parametrize("text", ["2.5", "1e3", "", "nan", "inf", "five", "1.5.0"])
def test_the_one_integer_parser_refuses_the_rest(text: str) -> None:
    with pytest.raises(InputError, match=r"f\.csv row 2: quota must be an integer"):
        parse_int(text, "f.csv row 2", "quota")


def test_xlsx_rows_pad_and_stream(tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in (["participant", "item_id", "choice"], ["p1", "TWK01", "A"], ["p1", "TWK02"],
                [None, None, None], ["p2", "TKP01", "e"]):
        sheet.append(row)
    path = tmp_path / "responses.xlsx"
    book.save(path)
    batch = read_batch(KEY, roster(tmp_path), path)
    assert batch.choices[:2, :2].tolist() == [[0, -1], [4, -1]]
    assert np.array_equal(batch.sat, [True, True, False])
