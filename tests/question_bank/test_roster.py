"""The participant roster: CSV/XLSX, defaults, and every problem at once."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from question_bank.errors import ImportRejected
from question_bank.roster import RosterEntry, read_roster
from tests.question_bank.test_formats_tabular import SHEET1, break_deflate, rezip

CATEGORIES = ["umum", "cumlaude", "disabilitas"]


def problems_of(path: Path, sessions: list[str]) -> list[str]:
    with pytest.raises(ImportRejected) as info:
        read_roster(path, sessions, CATEGORIES)
    return [str(p) for p in info.value.problems]


def test_csv_keeps_leading_zeros_and_fills_defaults(tmp_path: Path) -> None:
    path = tmp_path / "peserta.csv"
    path.write_text("participant,name,formation,category,session\n"
                    "0012300001,Siti Aminah,Analis Kebijakan,,\n"
                    "0012300002,\"Budi, S.E.\",Pranata Komputer,cumlaude,JKT1-S1\n",
                    encoding="utf-8")
    assert read_roster(path, ["JKT1-S1"], CATEGORIES) == [
        RosterEntry("0012300001", "Siti Aminah", "Analis Kebijakan", "umum", "JKT1-S1"),
        RosterEntry("0012300002", "Budi, S.E.", "Pranata Komputer", "cumlaude", "JKT1-S1"),
    ]


def test_xlsx_numeric_cells_become_integer_text(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Participant", "Name", "Formation", "Category", "Session"])
    sheet.append([24001234567, "Made Wirawan", "Dokter Ahli Pertama", "umum", "S2"])
    sheet.append(["0042", "Ratna", "Perawat", None, "S1"])
    sheet.append([None, None, None, None, None])  # blank rows are skipped
    book.save(tmp_path / "peserta.xlsx")
    entries = read_roster(tmp_path / "peserta.xlsx", ["S1", "S2"], CATEGORIES)
    assert [(e.participant, e.session, e.category) for e in entries] == [
        ("24001234567", "S2", "umum"), ("0042", "S1", "umum")]


def test_category_and_session_columns_may_be_left_out(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_bytes(b"\xef\xbb\xbfparticipant,name,formation\n1,A,F\n")
    assert read_roster(path, ["S1"], CATEGORIES) == [RosterEntry("1", "A", "F", "umum", "S1")]


def test_every_problem_at_once(tmp_path: Path) -> None:
    path = tmp_path / "peserta.csv"
    path.write_text("participant,name,formation,category,session\n"
                    "001,Andi,Analis,umum,S1\n"
                    "002,Citra,Analis,papua,S1\n"
                    "001,Dewi,Analis,umum,S2\n"
                    ",Eko,Analis,umum,S3\n"
                    "005,,Analis,umum,\n", encoding="utf-8")
    assert problems_of(path, ["S1", "S2"]) == [
        "peserta.csv row 3, column D: unknown category 'papua' (known: umum, cumlaude, "
        "disabilitas)",
        "peserta.csv row 4, column A: participant 001 appears twice, at rows 2 and 4",
        "peserta.csv row 5, column A: the participant number is empty",
        "peserta.csv row 5, column E: unknown session 'S3' (the exam's sessions: S1, S2)",
        "peserta.csv row 6, column B: participant 005 has no name",
        "peserta.csv row 6, column E: the session is empty and the exam has 2 sessions "
        "(S1, S2); say which one",
    ]


def test_missing_columns_and_bad_encoding(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("nomor,name\n1,A\n", encoding="utf-8")
    found = problems_of(path, ["S1"])
    assert "a.csv row 1, column A: unknown column 'nomor'" in found[0]
    assert found[1] == ("a.csv row 1: missing column(s) participant, formation: the header row "
                        "needs participant, name, formation")
    latin = tmp_path / "b.csv"
    latin.write_bytes("participant,name,formation\n1,José,F\n".encode("cp1252"))
    (problem,) = problems_of(latin, ["S1"])
    assert problem.startswith("b.csv: not UTF-8 text: byte 32 (line 2) is 0xe9")
    other = tmp_path / "c.pdf"
    other.write_bytes(b"%PDF")
    assert problems_of(other, ["S1"]) == ["c.pdf: a roster must be a .csv or .xlsx file"]


def roster_xlsx(path: Path, numbers: list[object]) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["participant", "name", "formation"])
    for n, number in enumerate(numbers):
        sheet.append([number, f"Peserta {n}", "Analis"])
    book.save(path)
    return path


def test_damaged_xlsx_roster_is_refused_naming_the_member(tmp_path: Path) -> None:
    path = roster_xlsx(tmp_path / "peserta.xlsx", ["2411000000001"])
    rezip(path, SHEET1, lambda b: b[:-40])
    (problem,) = problems_of(path, ["S1"])
    assert problem.startswith("peserta.xlsx: the file is damaged (xl/worksheets/sheet1.xml: "
                              "not well-formed XML")
    path = break_deflate(roster_xlsx(tmp_path / "p2.xlsx", ["2411000000001"]), SHEET1)
    (problem,) = problems_of(path, ["S1"])
    assert problem.startswith("p2.xlsx: the file is damaged (xl/worksheets/sheet1.xml: ")


def test_participant_numbers_must_be_plain_text(tmp_path: Path) -> None:
    path = roster_xlsx(tmp_path / "peserta.xlsx", [
        "2411000000001", "2.411E+12", "2,411E+12", "2411 0000 02", "2411\u200b03", "24e5",
        2411000000009])
    found = problems_of(path, ["S1"])
    fix = "format the participant column as Text in the spreadsheet and type the numbers again"
    assert found == [
        f"peserta.xlsx row 3, column A: participant number '2.411E+12' is in scientific "
        f"notation (the spreadsheet turned a long number into a rounded one): {fix}",
        f"peserta.xlsx row 4, column A: participant number '2,411E+12' is in scientific "
        f"notation (the spreadsheet turned a long number into a rounded one): {fix}",
        f"peserta.xlsx row 5, column A: participant number '2411 0000 02' holds a space or "
        f"control character: {fix}",
        f"peserta.xlsx row 6, column A: participant number '2411\\u200b03' holds a space or "
        f"control character: {fix}",
        f"peserta.xlsx row 7, column A: participant number '24e5' is in scientific "
        f"notation (the spreadsheet turned a long number into a rounded one): {fix}",
    ]
