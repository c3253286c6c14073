"""``seleksi score`` and ``seleksi results verify`` through the real console script."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from openpyxl import Workbook

from scoring.scheme import load_scheme
from tests.cli.conftest import Run, make_runner
from tests.scoring.helpers import read_csv, write_exam

# (participant, formation, category, status, (TWK, TIU, TKP) or None for absent)
CANDIDATES = [
    ("c01", "F1", "umum", "", (65, 80, 166)),            # exactly on every threshold
    ("c02", "F1", "umum", "", (60, 80, 166)),            # TWK one step below
    ("c03", "F1", "umum", "", (65, 75, 166)),            # TIU one step below
    ("c04", "F1", "umum", "", (65, 80, 165)),            # TKP one step below
    ("c05", "F1", "cumlaude", "", (60, 85, 166)),        # special: total 311, TIU 85
    ("c06", "F1", "diaspora", "", (60, 85, 165)),        # total 310
    ("c07", "F1", "papua", "", (50, 60, 176)),           # special: total 286, TIU 60
    ("c08", "F1", "disabilitas", "", (55, 55, 176)),     # 286 but TIU 55
    ("c09", "F1", "daerah_tertinggal", "", (50, 60, 175)),  # 285
    ("c10", "F1", "umum", "", None),                     # absent
    ("c11", "F1", "umum", "DIS", (100, 100, 200)),       # disqualified
    ("c12", "F1", "umum", "", (70, 80, 170)),
    ("d1", "F2", "umum", "", (100, 100, 200)),
    ("d2", "F2", "umum", "", (100, 100, 190)),
    ("d3", "F2", "umum", "", (100, 90, 200)),
    ("d4", "F2", "umum", "", (100, 90, 200)),            # ties d3 at the cut
    ("d5", "F2", "umum", "", (95, 95, 200)),
]
FORMATIONS = [("F1", 1), ("F2", 1)]

# Worked by hand. F1 passers: c12 320; c05 311 (TKP 166, TIU 85) before c01 311 (TIU 80);
# c07 286: ranks 1, 2, 3, 4 and the cut is 3 × 1. F2: d1 400; d5, d3, d4 and d2 all 390,
# d2 has the lowest TKP (190), d5 the best TIU among the TKP 200s: d5 2, d3 = d4 3 (ties
# at the cut all go on), d2 5.
EXPECTED = """participant,formation,category,TWK,TIU,TKP,total,code,rank
c01,F1,umum,65,80,166,311,P/L,3
c02,F1,umum,60,80,166,306,TL,
c03,F1,umum,65,75,166,306,TL,
c04,F1,umum,65,80,165,310,TL,
c05,F1,cumlaude,60,85,166,311,P/L,2
c06,F1,diaspora,60,85,165,310,TL,
c07,F1,papua,50,60,176,286,P,4
c08,F1,disabilitas,55,55,176,286,TL,
c09,F1,daerah_tertinggal,50,60,175,285,TL,
c10,F1,umum,,,,,TH,
c11,F1,umum,,,,,DIS,
c12,F1,umum,70,80,170,320,P/L,1
d1,F2,umum,100,100,200,400,P/L,1
d2,F2,umum,100,100,190,390,P,5
d3,F2,umum,100,90,200,390,P/L,3
d4,F2,umum,100,90,200,390,P/L,3
d5,F2,umum,95,95,200,390,P/L,2
"""


@pytest.fixture
def exam(tmp_path: Path) -> dict[str, Path]:
    return write_exam(tmp_path / "in", "skd-2024", CANDIDATES, FORMATIONS)


@pytest.fixture
def run(tmp_path: Path) -> Run:
    return make_runner(tmp_path / "instance", None)


def args(files: dict[str, Path], scheme: str = "skd-2024") -> list[str | Path]:
    return ["--scheme", scheme, "--key", files["key"], "--responses", files["responses"],
            "--candidates", files["candidates"], "--formations", files["formations"]]


def test_score_writes_the_hand_computed_results(run: Run, exam: dict[str, Path],
                                                tmp_path: Path) -> None:
    out, why = tmp_path / "results.csv", tmp_path / "why.csv"
    proc = run("score", *args(exam), "--out", out, "--explain", why)
    assert out.read_text(encoding="utf-8") == EXPECTED
    with out.open(encoding="utf-8", newline="") as fh:
        assert next(csv.reader(fh)) == ["participant", "formation", "category", "TWK", "TIU",
                                        "TKP", "total", "code", "rank"]
    assert "P/L 7, P 2, TL 6, TH 1, DIS 1" in proc.stdout
    reasons = {r["participant"]: r["reason"] for r in read_csv(why)}
    assert reasons["c05"].startswith("failed general rule: TWK 60 < 65; passed special[0] "
                                     "rule for cumlaude")
    assert reasons["c04"] == "failed: general rule: TKP 165 < 166"
    assert reasons["c07"].endswith("rank 4 in F1 beyond the cut 3 (3 × quota 1)")


def test_xlsx_inputs_give_the_same_results(run: Run, exam: dict[str, Path],
                                           tmp_path: Path) -> None:
    files = dict(exam)
    for name in ("key", "responses", "candidates"):
        book = Workbook()
        sheet = book.active
        assert sheet is not None
        with exam[name].open(encoding="utf-8", newline="") as fh:
            for row in csv.reader(fh):
                sheet.append([int(c) if c.isdigit() else c for c in row])
        files[name] = exam[name].with_suffix(".xlsx")
        book.save(files[name])
    out = tmp_path / "results.csv"
    run("score", *args(files), "--out", out)
    assert out.read_text(encoding="utf-8") == EXPECTED


def test_verify_reports_no_difference_then_each_difference(run: Run, exam: dict[str, Path],
                                                           tmp_path: Path) -> None:
    out = tmp_path / "results.csv"
    run("score", *args(exam), "--out", out)
    assert "no differences" in run("results", "verify", out, *args(exam)).stdout
    out.write_text(EXPECTED.replace("c07,F1,papua,50,60,176,286,P,4",
                                    "c07,F1,papua,50,60,176,291,P/L,3"), encoding="utf-8")
    proc = run("results", "verify", out, *args(exam), ok=False)
    assert proc.returncode == 1
    assert proc.stdout.splitlines() == [
        "c07: total: file '291', recomputed '286'",
        "c07: code: file 'P/L', recomputed 'P'",
        "c07: rank: file '3', recomputed '4'"]


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.mark.parametrize(("name", "old", "new", "message"), [
    ("responses", "c01,TWK01,A", "c01,TWK99,A",
     "responses.csv row 2: item 'TWK99' is not in key.csv"),
    ("responses", "c01,TWK01,A", "c01,TWK01,F",
     "responses.csv row 2: choice 'F' is not one of the options of item 'TWK01' (A, B, C, D, E"),
    ("responses", "c01,TWK02,A", "c01,TWK01,A",
     "responses.csv row 3: participant 'c01' and item 'TWK01' appear twice (first at row 2)"),
    ("responses", "c01,TWK01,A", "zz,TWK01,A",
     "responses.csv row 2: participant 'zz' is not in candidates.csv"),
    ("candidates", "c02,Peserta c02,F1", "c02,Peserta c02,F9",
     "candidates.csv row 3: formation 'F9' has no quota in formations.csv"),
    ("candidates", "F1,diaspora", "F1,alien",
     "candidates.csv row 7: unknown category 'alien' for skd-2024"),
    ("key", "TKP01,TKP,5,4,3,2,1", "TKP01,TKP,5,4,3,2,9",
     "key.csv row 67: item 'TKP01': 9 points is outside 1–5 for a TKP option"),
])
def test_bad_input_is_refused_with_file_row_and_reason(run: Run, exam: dict[str, Path],
                                                       tmp_path: Path, name: str, old: str,
                                                       new: str, message: str) -> None:
    _edit(exam[name], old, new)
    out = tmp_path / "results.csv"
    proc = run("score", *args(exam), "--out", out, ok=False)
    assert proc.returncode == 1
    assert proc.stderr.startswith("seleksi: error: ")
    assert message in proc.stderr
    assert not out.exists()
    assert list(tmp_path.glob(".results.csv*")) == []


def test_unknown_scheme_is_refused(run: Run, exam: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "results.csv"
    proc = run("score", *args(exam, scheme="skd-1999"), "--out", out, ok=False)
    assert "unknown scheme 'skd-1999'" in proc.stderr
    assert not out.exists()


def test_pppk_is_ranked_without_threshold(run: Run, tmp_path: Path) -> None:
    files = write_exam(tmp_path / "p", "pppk-2024", [
        ("p1", "G", "umum", "", (300, 50, 40, 20)),
        ("p2", "G", "umum", "", (10, 100, 80, 40)),   # 230: TEKNIS decides the tie
        ("p3", "G", "umum", "", (5, 25, 20, 10)),
    ], [("G", 2)])
    out = tmp_path / "results.csv"
    run("score", *args(files, "pppk-2024"), "--out", out)
    assert out.read_text(encoding="utf-8").splitlines() == [
        "participant,formation,category,TEKNIS,MANAJERIAL,SOSIOKULTURAL,WAWANCARA,total,"
        "code,rank",
        "p1,G,umum,300,50,40,20,410,P/L,1",
        "p2,G,umum,10,100,80,40,230,P/L,2",
        "p3,G,umum,5,25,20,10,60,P,3"]


def test_analyse_writes_item_csv_and_html(run: Run, exam: dict[str, Path],
                                          tmp_path: Path) -> None:
    items, page = tmp_path / "items.csv", tmp_path / "report.html"
    proc = run("analyse", *args(exam), "--out-csv", items, "--out-html", page)
    rows = read_csv(items)
    assert len(rows) == 110
    twk01 = rows[0]
    # 15 candidates sat and are not disqualified; every TWK score ≥ 5 starts with TWK01 = A
    assert (twk01["item_id"], twk01["n"], twk01["p_value"]) == ("TWK01", "15", "1.0000")
    assert "KR-20" in proc.stdout
    assert "Cronbach's alpha" in proc.stdout
    assert "<svg" in page.read_text(encoding="utf-8")


def test_different_papers_from_one_pool_and_normalised_categories(run: Run,
                                                                 tmp_path: Path) -> None:
    from tests.scoring.helpers import answers_for, skd_key_rows, write_csv

    scheme = load_scheme("skd-2024")
    key = [*skd_key_rows(scheme), ["TWK31", "TWK", "0", "0", "5", "0", "0"],
           ["TKP46", "TKP", "1", "2", "3", "4", "5"]]
    x = answers_for(scheme, (65, 80, 166))   # TWK01..13 A; TKP 33 × A, one E, TKP45 blank
    swap = {"TWK01": ("TWK31", "C"), "TKP45": ("TKP46", "e")}
    y = [swap.get(item, (item, c)) for item, c in x]   # another paper: TWK31, TKP46
    z = answers_for(scheme, (50, 60, 176))
    responses = [["participant", "item_id", "choice"], *[["x", i, c] for i, c in x],
                 *[["y", i, c] for i, c in y], *[["z", i, c] for i, c in z]]
    files = {
        "key": write_csv(tmp_path / "key.csv", key),
        "responses": write_csv(tmp_path / "responses.csv", responses),
        "candidates": write_csv(tmp_path / "candidates.csv", [
            ["participant", "name", "formation", "category", "status"],
            ["x", "X", "F", "", ""], ["y", "Y", "F", "UMUM", ""], ["z", "Z", "F", "Papua", ""]]),
        "formations": write_csv(tmp_path / "formations.csv", [["formation", "quota"], ["F", 1]]),
    }
    assert {i for i, _ in x} != {i for i, _ in y}
    out = tmp_path / "results.csv"
    run("score", *args(files), "--out", out)
    assert out.read_text(encoding="utf-8").splitlines()[1:] == [
        "x,F,umum,65,80,166,311,P/L,2",
        "y,F,umum,65,80,171,316,P/L,1",
        "z,F,papua,50,60,176,286,P/L,3"]


def test_score_writes_no_output_when_one_of_them_fails(run: Run, exam: dict[str, Path],
                                                       tmp_path: Path) -> None:
    why, out = tmp_path / "why.csv", tmp_path / "missing" / "results.csv"
    run("score", *args(exam), "--out", out, "--explain", why, ok=False)
    assert not why.exists()
    assert list(tmp_path.glob(".why.csv*")) == []


def test_a_short_row_in_an_input_is_refused(run: Run, exam: dict[str, Path],
                                            tmp_path: Path) -> None:
    _edit(exam["candidates"], "c02,Peserta c02,F1,umum,", "c02,Peserta c02,F1")
    out = tmp_path / "results.csv"
    proc = run("score", *args(exam), "--out", out, ok=False)
    assert "candidates.csv row 3: 3 cell(s), but the header has 5" in proc.stderr
    assert not out.exists()
