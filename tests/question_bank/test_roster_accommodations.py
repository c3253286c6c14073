"""§1 accommodations: extra minutes and large text, from the roster into the sealed manifest."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest

from question_bank.errors import ImportRejected
from question_bank.model import canonical_json
from question_bank.roster import RosterEntry, read_roster
from question_bank.sealing import read_manifest
from question_bank.sealing_format import manifest_from_bytes, manifest_to_data, split_container
from tests.question_bank.test_sealing import PUBLIC, ROSTER, seal

CATEGORIES = ["umum", "disabilitas"]
HEADER = "participant,name,formation,category,session,extra_minutes,large_text\n"


def test_accommodation_columns_are_read_with_their_spellings(tmp_path: Path) -> None:
    path = tmp_path / "peserta.csv"
    path.write_text(HEADER + "001,Siti,Analis,disabilitas,S1,15,ya\n"
                             "002,Budi,Analis,umum,S1,,\n"
                             "003,Ayu,Analis,umum,S1,0,TRUE\n"
                             "004,Eko,Analis,umum,S1,30,tidak\n"
                             "005,Nur,Analis,umum,S1,20.0,1\n"
                             "006,Rina,Analis,umum,S1,5,No\n", encoding="utf-8")
    rows = read_roster(path, ["S1"], CATEGORIES)
    assert [(r.extra_minutes, r.large_text) for r in rows] == [
        (15, True), (0, False), (0, True), (30, False), (20, True), (5, False)]
    assert rows[0] == RosterEntry("001", "Siti", "Analis", "disabilitas", "S1", 15, True)


def test_without_the_columns_nobody_is_accommodated(tmp_path: Path) -> None:
    path = tmp_path / "peserta.csv"
    path.write_text("participant,name,formation\n001,Siti,Analis\n", encoding="utf-8")
    [row] = read_roster(path, ["S1"], CATEGORIES)
    assert (row.extra_minutes, row.large_text) == (0, False)


def test_xlsx_numbers_and_booleans(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["participant", "name", "formation", "extra_minutes", "large_text"])
    sheet.append(["001", "Siti", "Analis", 15, True])
    sheet.append(["002", "Budi", "Analis", 0, False])
    book.save(tmp_path / "peserta.xlsx")
    rows = read_roster(tmp_path / "peserta.xlsx", ["S1"], CATEGORIES)
    assert [(r.extra_minutes, r.large_text) for r in rows] == [(15, True), (0, False)]


def test_bad_accommodations_are_refused_per_row_all_at_once(tmp_path: Path) -> None:
    path = tmp_path / "peserta.csv"
    path.write_text(HEADER + "001,Siti,Analis,umum,S1,-5,ya\n"
                             "002,Budi,Analis,umum,S1,lima belas,ya\n"
                             "003,Ayu,Analis,umum,S1,2.5,ya\n"
                             "004,Eko,Analis,umum,S1,601,ya\n"
                             "005,Nur,Analis,umum,S1,10,mungkin\n", encoding="utf-8")
    with pytest.raises(ImportRejected) as info:
        read_roster(path, ["S1"], CATEGORIES)
    problems = [(p.row, p.column, p.reason) for p in info.value.problems]
    assert [(r, c) for r, c, _ in problems] == [(2, "F"), (3, "F"), (4, "F"), (5, "F"),
                                               (6, "G")]
    assert "'-5' is not a whole number of minutes from 0 to 600" in problems[0][2]
    assert "participant 002" in problems[1][2]
    assert "'mungkin' is not one of yes/no, ya/tidak, true/false, 1/0" in problems[4][2]


def test_accommodations_travel_in_the_signed_manifest() -> None:
    roster = [RosterEntry(r.participant, r.name, r.formation, r.category, r.session,
                          15 if i == 0 else 0, i < 2) for i, r in enumerate(ROSTER)]
    data, _, _ = seal(roster)  # type: ignore[arg-type]
    rows = read_manifest(data, PUBLIC).roster
    assert [(r.extra_minutes, r.large_text) for r in rows[:3]] == [
        (15, True), (0, True), (0, False)]
    raw, _, _ = split_container(data)
    stored = json.loads(raw)["roster"]
    assert stored[0]["extra_minutes"] == 15
    assert "extra_minutes" not in stored[1]


def test_old_manifests_without_accommodations_still_read() -> None:
    data, _, _ = seal()
    raw, _, _ = split_container(data)
    assert b"extra_minutes" not in raw
    assert b"large_text" not in raw
    manifest = manifest_from_bytes(raw)
    assert all((r.extra_minutes, r.large_text) == (0, False) for r in manifest.roster)
    assert canonical_json(manifest_to_data(manifest)) == raw
