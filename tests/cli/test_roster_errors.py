"""A roster with errors given to ``seleksi papers build`` is refused whole: every bad row is
listed, the exit code is non-zero, and nothing is written (no package file, no database row,
no audit row)."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import openpyxl
import pytest

from tests.cli.conftest import make_runner
from tests.protocol.conftest import sealed  # noqa: F401 - the fixture, built once per run
from tests.protocol.helpers import EXAM, Sealed

HEADER = "participant,name,formation,category,session"
BAD_ROWS = [
    "241100000001,Andi,Analis Kebijakan,umum,JKT1-S1",      # row 2: fine
    "241100000002,Citra,Analis Kebijakan,asing,JKT1-S1",    # row 3: unknown category
    "241100000001,Dewi,Analis Kebijakan,umum,JKT1-S1",      # row 4: number used twice
    ",Eko,Analis Kebijakan,umum,JKT1-S1",                   # row 5: no number
    "241100000005,,Analis Kebijakan,umum,JKT1-S9",          # row 6: no name, unknown session
    "2.411E+11,Fajar,Analis Kebijakan,umum,JKT1-S1",        # row 7: a rounded number
    "241100000007,Gita,Analis Kebijakan,umum,JKT1-S1",      # row 8: fine
]
PROBLEMS = [
    "row 3, column D: unknown category 'asing'",
    "row 4, column A: participant 241100000001 appears twice, at rows 2 and 4",
    "row 5, column A: the participant number is empty",
    "row 6, column B: participant 241100000005 has no name",
    "row 6, column E: unknown session 'JKT1-S9' (the exam's sessions: JKT1-S1)",
    "row 7, column A: participant number '2.411E+11' is in scientific notation",
]


@pytest.fixture
def bank_instance(sealed: Sealed, tmp_path: Path) -> Path:  # noqa: F811
    """A copy of the sealed fixture's instance: keys, a 600-item bank and the exam loaded,
    no package imported (so no participant in the database)."""
    folder = tmp_path / "instance"
    shutil.copytree(sealed.keys.parent, folder)
    return folder


def _everything(db: Path) -> dict[str, int]:
    """The number of rows of every table of the database."""
    with sqlite3.connect(db) as conn:
        tables = [t for (t,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        counts = {t: int(conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0])  # noqa: S608
                  for t in tables}
    conn.close()
    return counts


def _refused(instance: Path, roster: Path, out: Path) -> str:
    run = make_runner(instance, None)
    db = instance / "seleksi.db"
    before = _everything(db)
    assert before["audit_log"] > 0 and before["participant"] == 0  # noqa: PT018
    refused = run("papers", "build", "--exam", EXAM, "--participants", roster,
                  "--seed", "uji", "--out", out, ok=False)
    assert refused.returncode == 1
    assert refused.stdout == ""
    assert not out.exists()
    assert sorted(p.name for p in out.parent.iterdir()) == sorted(
        ["instance", roster.name])  # no package, no temporary file left behind
    assert _everything(db) == before  # no row in any table, the audit log included
    return refused.stderr


def test_a_bad_csv_roster_lists_every_row_and_writes_nothing(bank_instance: Path,
                                                             tmp_path: Path) -> None:
    roster = tmp_path / "peserta.csv"
    roster.write_text("\n".join([HEADER, *BAD_ROWS]) + "\n", encoding="utf-8")
    stderr = _refused(bank_instance, roster, tmp_path / "exam.seal")
    lines = stderr.splitlines()
    assert lines[0] == (f"seleksi: error: import refused, nothing written: "
                        f"{len(PROBLEMS)} problem(s)")
    assert len(lines) == 1 + len(PROBLEMS)
    for line, problem in zip(lines[1:], PROBLEMS, strict=True):
        assert line.startswith(f"  peserta.csv {problem}"), (line, problem)
    assert "row 2" not in stderr and "row 8" not in stderr  # noqa: PT018

    # the same roster mended is accepted: the refusal was the rows, not the setup
    good = tmp_path / "baik.csv"
    good.write_text("\n".join([HEADER, BAD_ROWS[0], BAD_ROWS[-1]]) + "\n", encoding="utf-8")
    run = make_runner(bank_instance, None)
    built = run("papers", "build", "--exam", EXAM, "--participants", good, "--seed", "uji",
                "--out", tmp_path / "ok.seal")
    assert "sealed 2 papers" in built.stdout
    assert (tmp_path / "ok.seal").exists()


def test_a_bad_xlsx_roster_lists_every_row_and_writes_nothing(bank_instance: Path,
                                                              tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append([*HEADER.split(","), "extra_minutes", "large_text"])
    sheet.append(["241100000001", "Andi", "Analis", "umum", "JKT1-S1", 15, "ya"])
    sheet.append(["241100000002", "Budi", "Analis", "umum", "JKT1-S2", None, None])
    sheet.append(["241100000003", "Citra", "Analis", "cumlaude", "JKT1-S1", 700, "mungkin"])
    sheet.append(["241100000001", None, "Analis", "umum", "JKT1-S1", 0, "tidak"])
    book.save(tmp_path / "peserta.xlsx")
    stderr = _refused(bank_instance, tmp_path / "peserta.xlsx", tmp_path / "exam.seal")
    assert "import refused, nothing written" in stderr
    problems = ["row 3, column E: unknown session 'JKT1-S2'",
                "row 4, column F: participant 241100000003: extra_minutes '700' is not a whole",
                "row 4, column G: participant 241100000003: large_text 'mungkin' is not one of",
                "row 5, column A: participant 241100000001 appears twice, at rows 2 and 5",
                "row 5, column B: participant 241100000001 has no name"]
    lines = stderr.splitlines()
    assert lines[0].endswith(f"nothing written: {len(problems)} problem(s)")
    for line, problem in zip(lines[1:], problems, strict=True):
        assert line.startswith(f"  peserta.xlsx {problem}"), (line, problem)
