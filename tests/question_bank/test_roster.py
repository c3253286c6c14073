"""The participant roster: CSV/XLSX, defaults, and every problem at once."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from question_bank.errors import ImportRejected
from question_bank.roster import RosterEntry, read_roster

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
