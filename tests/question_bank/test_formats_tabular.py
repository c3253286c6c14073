"""CSV and XLSX bank files: one column layout, images beside the file, every rejection."""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from question_bank.errors import BankError, ImportRejected
from question_bank.formats import read_bank, write_bank
from question_bank.formats.tabular import COLUMNS
from question_bank.model import IRT, Item, Option
from scoring.scheme import section_catalogue
from tests.cli.conftest import make_runner

PNG = b"\x89PNG\r\n\x1a\n" + b"denah" * 20
PNG_HASH = hashlib.sha256(PNG).hexdigest()
HEADER = list(COLUMNS)


def twk(item_id: str, best: str = "A", **kw: object) -> Item:
    opts = tuple(Option(lab, f"pilihan {lab}", 5 if lab == best else 0) for lab in "ABCDE")
    return Item(item_id, "TWK", "Integritas", str(kw.pop("stem", "Soal, \"kutip\"?")), opts,
                **kw)  # type: ignore[arg-type]


ITEMS = [
    twk("TWK-0001", "D", stem=f"Lihat denah:\n\n![denah](sha256:{PNG_HASH})\n\nBaris *dua*",
        explanation="Penjelasan,\nbaris 2", difficulty="medium", irt=IRT(0.8, 1.5, 0.25),
        status="approved", author="sari"),
    Item("TKP-0001", "TKP", "Jejaring Kerja", "Sikap Anda ...",
         tuple(Option(lab, f"s{lab}", p) for lab, p in zip("ABCDE", [2, 5, 1, 4, 3],
                                                           strict=True))),
    Item("MAN-0001", "MANAJERIAL", "Kepemimpinan", "Tim Anda ...",  # four options, E empty
         tuple(Option(lab, f"m{lab}", p) for lab, p in zip("ABCD", [4, 2, 1, 3], strict=True))),
]
MEDIA = {PNG_HASH: ("image/png", PNG)}


def row(**cells: object) -> list[object]:
    values: dict[str, object] = {"id": "TWK-0001", "section": "TWK", "topic": "Integritas",
                                 "stem": "Soal?", "A": "a", "A_points": 5, "B": "b",
                                 "B_points": 0, "C": "c", "C_points": 0, "D": "d",
                                 "D_points": 0, "E": "e", "E_points": 0}
    values.update(cells)
    return ["" if values.get(c) is None else values.get(c, "") for c in HEADER]


def write_csv(path: Path, rows: list[list[object]], header: list[str] = HEADER) -> None:
    out = io.StringIO()
    csv.writer(out).writerows([header, *rows])
    path.write_text(out.getvalue(), encoding="utf-8")


def write_xlsx(path: Path, rows: list[list[Any]]) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for r in [HEADER, *rows]:
        sheet.append([None if c == "" else c for c in r])
    book.save(path)


def problems_of(path: Path) -> list[str]:
    with pytest.raises(ImportRejected) as info:
        read_bank(path)
    return [str(p) for p in info.value.problems]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_round_trip_with_images_beside_the_file(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / f"bank.{fmt}"
    write_bank(path, fmt, ITEMS, MEDIA)
    assert (tmp_path / "images" / f"{PNG_HASH}.png").read_bytes() == PNG
    bank = read_bank(path)
    assert bank.items == tuple(ITEMS)
    assert bank.media == MEDIA


def test_csv_layout_is_documented_columns_and_deterministic(tmp_path: Path) -> None:
    write_bank(tmp_path / "a.csv", "csv", ITEMS, MEDIA)
    write_bank(tmp_path / "b.csv", "csv", ITEMS, MEDIA)
    data = (tmp_path / "a.csv").read_bytes()
    assert data == (tmp_path / "b.csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbfid,section,topic,difficulty,status,author,stem,A,"
                           b"A_points,B,B_points")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert rows[1][6].startswith("Lihat denah:\n\n![denah](images/")
    assert rows[3][COLUMNS.index("E")] == ""
    assert rows[3][COLUMNS.index("E_points")] == ""


def test_xlsx_points_are_numbers_and_csv_without_bom_reads(tmp_path: Path) -> None:
    write_bank(tmp_path / "bank.xlsx", "xlsx", ITEMS[1:], {})
    sheet = openpyxl.load_workbook(tmp_path / "bank.xlsx").worksheets[0]
    assert sheet.cell(2, COLUMNS.index("B_points") + 1).value == 5
    write_csv(tmp_path / "plain.csv", [row()])
    assert read_bank(tmp_path / "plain.csv").items[0].status == "draft"


# Any text but NUL (which the writer refuses for spreadsheets) and lone surrogates.
texts = st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"),
                max_size=40).filter(str.strip)
keys = st.text(st.characters(whitelist_categories=("L", "N"), max_codepoint=0x2FF),
               min_size=1, max_size=10)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_property_csv_round_trip(tmp_path: Path, data: st.DataObject) -> None:
    items = []
    for n in range(data.draw(st.integers(1, 4))):
        points = data.draw(st.permutations([1, 2, 3, 4, 5]))
        items.append(Item(
            f"TKP-{n}", "TKP", data.draw(keys),
            data.draw(texts) + data.draw(st.sampled_from(["", ",", "\"", "\n", "\r\n", "; x"])),
            tuple(Option(lab, data.draw(texts), p) for lab, p in zip("ABCDE", points,
                                                                      strict=True)),
            explanation=data.draw(st.text(st.characters(blacklist_categories=["Cs"],
                                                        blacklist_characters="\x00"),
                                          max_size=20)),
            difficulty=data.draw(st.sampled_from([None, "easy"])),
            irt=data.draw(st.none() | st.builds(IRT, st.floats(0.01, 4), st.floats(-4, 4),
                                                st.floats(0, 0.9))),
            status=data.draw(st.sampled_from(["draft", "approved"])),
            author=data.draw(st.none() | keys)))
    path = tmp_path / "gen.csv"
    write_bank(path, "csv", items, {})
    assert read_bank(path).items == tuple(items)


def test_the_issue_example_message(tmp_path: Path) -> None:
    rows = [row(id=f"TWK-{n:04d}") for n in range(2, 17)]
    rows.append(row(id="TKP-0017", section="TKP", A_points=1, B_points=2, C_points=7,
                    D_points=4, E_points=5))
    write_xlsx(tmp_path / "soal.xlsx", rows)
    assert problems_of(tmp_path / "soal.xlsx") == [
        "soal.xlsx row 17, column M: 7 points is outside 1–5 for a TKP option"]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_every_problem_is_listed_at_once(tmp_path: Path, fmt: str) -> None:
    rows = [
        row(),                                                        # 2 fine
        row(id="TWK-0002", topic=""),                                 # 3 empty topic
        row(),                                                        # 4 duplicate of row 2
        row(id="TWK-0005", E="", E_points=""),                        # 5 option E missing
        row(id="TWK-0006", stem=" "),                                 # 6 empty stem
        row(id="ABC-0007", section="ABC"),                            # 7 unknown section
        row(id="TWK-0008", difficulty="sulit", status="terbit"),      # 8 bad values
        row(id="TWK-0009", B_points="lima"),                          # 9 non-integer points
        row(id="TWK-0010", C_points=2.5),                             # 10 non-integer points
        row(id="TWK-0011", stem="Peta ![p](images/tidak-ada.png)"),   # 11 missing image
        row(id="TWK-0012", B_points=5),                               # 12 two right answers
        row(id="TWK-0013", D=""),                                     # 13 points, no text
        row(id="TWK-0014", irt_a="x", irt_b="1"),                     # 14 bad IRT
    ]
    path = tmp_path / f"soal.{fmt}"
    (write_xlsx if fmt == "xlsx" else write_csv)(path, rows)
    found = problems_of(path)
    name = path.name
    known = ", ".join(sorted(section_catalogue()))
    assert "TKP" in known
    assert found == [
        f"{name} row 3, column C: the topic is empty",
        f"{name} row 4, column A: item id TWK-0001 appears twice, at rows 2 and 4: give each "
        "item its own id",
        f"{name} row 5, column P: option E is missing (TWK needs A, B, C, D, E)",
        f"{name} row 6, column G: the stem (question text) is empty",
        f"{name} row 7, column B: unknown section 'ABC' (known: {known})",
        f"{name} row 8, column D: 'sulit' is not one of easy, medium, hard",
        f"{name} row 8, column E: 'terbit' is not one of draft, reviewed, approved, retired",
        f"{name} row 9, column K: 'lima' is not a whole number of points",
        f"{name} row 10, column M: '2.5' is not a whole number of points",
        f"{name} row 11, column G: image 'images/tidak-ada.png' not found: put it at "
        f"images/tidak-ada.png beside {name}, or fix the path",
        f"{name} row 12: a TWK item needs exactly one option with 5 points, found 2",
        f"{name} row 13, column N: option D has no text",
        f"{name} row 14, column S: 'x' is not a number",
    ]


def test_header_problems_are_reported_before_rows(tmp_path: Path) -> None:
    header = [h for h in HEADER if h not in ("topic", "B_points")] + ["catatan"]
    write_csv(tmp_path / "soal.csv", [["x"] * len(header)], header)
    found = problems_of(tmp_path / "soal.csv")
    assert found[0].startswith("soal.csv row 1, column T: unknown column 'catatan'; the "
                               "columns are id, section")
    assert found[1].startswith("soal.csv row 1: missing column(s) topic, B_points: the header "
                               "row needs id, section, topic, stem")


@pytest.mark.parametrize(("name", "content", "expected"), [
    ("soal.csv", "id,section\nTWK-1,Café\n".encode("latin-1"),
     "soal.csv: not UTF-8 text: byte 20 (line 2) is 0xe9; save the CSV file as UTF-8"),
    ("soal.csv", b"%PDF-1.4 binary", "soal.csv: this is a PDF document, not a CSV file"),
    ("soal.csv", "id,x".encode("utf-16"), "this is UTF-16 text, not a CSV file (save it as"),
    ("soal.csv", b"id;section;topic\n", "the columns are separated by semicolons"),
    ("soal.xlsx", b"id,section\n", "this is not an XLSX workbook (perhaps a CSV"),
    ("soal.xlsx", b"PK\x03\x04broken", "not a readable XLSX workbook"),
    ("soal.csv", b"\n\n", "the first row must be the header"),
])
def test_wrong_encoding_or_not_the_format(tmp_path: Path, name: str, content: bytes,
                                          expected: str) -> None:
    (tmp_path / name).write_bytes(content)
    (problem,) = problems_of(tmp_path / name)
    assert expected in problem


def test_image_paths_must_stay_beside_the_file(tmp_path: Path) -> None:
    (tmp_path / "secret.png").write_bytes(PNG)
    folder = tmp_path / "bank"
    folder.mkdir()
    write_csv(folder / "soal.csv", [row(stem="![x](../secret.png)"),
                                    row(id="TWK-0002", stem="![x](http://contoh.id/p.png)"),
                                    row(id="TWK-0003", stem="![x](images/p.bmp)")])
    found = problems_of(folder / "soal.csv")
    assert "lies outside the sheet's folder" in found[0]
    assert "must be a path relative to the sheet's folder" in found[1]
    assert "unknown image type" in found[2]


def test_writer_refuses_nul_characters(tmp_path: Path) -> None:
    with pytest.raises(BankError, match="NUL character"):
        write_bank(tmp_path / "x.csv", "csv", [twk("TWK-1", stem="a\x00b")], {})


def test_a_value_under_no_header_is_a_problem(tmp_path: Path) -> None:
    write_csv(tmp_path / "soal.csv", [row() + ["stray"]])
    assert problems_of(tmp_path / "soal.csv") == [
        "soal.csv row 2, column V: a value 'stray' stands under no column name; add a header "
        "or remove it"]


SHEET1 = "xl/worksheets/sheet1.xml"
#: An entity-expansion bomb: ten levels of ten, which expat stops ("amplification factor").
BOMB = (b'<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa">'
        + b"".join(f'<!ENTITY {n} "{("&" + p + ";") * 10}">'.encode()
                   for p, n in zip("abcdefghi", "bcdefghij", strict=True)) + b"]>")


def rezip(path: Path, member: str, change: Callable[[bytes], bytes]) -> Path:
    """Rewrite one member of the zip at ``path`` (kept deflated, a valid zip otherwise)."""
    with zipfile.ZipFile(path) as source:
        members = [(info.filename, source.read(info)) for info in source.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in members:
            target.writestr(name, change(data) if name == member else data)
    return path


def break_deflate(path: Path, member: str) -> Path:
    """Flip bytes inside ``member``'s compressed data: the zip directory stays intact."""
    raw = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as z:
        info = z.getinfo(member)
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    for k in range(start + 8, start + min(40, info.compress_size)):
        raw[k] ^= 0xFF
    path.write_bytes(bytes(raw))
    return path


def damaged_xlsx(path: Path, how: str) -> Path:
    """A workbook written by openpyxl, then damaged ``how``: truncated, bomb or deflate."""
    write_xlsx(path, [row()])
    if how == "truncated":
        return rezip(path, SHEET1, lambda b: b[:len(b) // 2])
    if how == "bomb":
        return rezip(path, SHEET1, lambda b: BOMB + b.replace(
            b"</sheetData>", b'<row r="9"><c r="A9" t="inlineStr"><is><t>&j;</t></is></c>'
                             b"</row></sheetData>"))
    return break_deflate(path, SHEET1)


@pytest.mark.parametrize(("how", "expected"), [
    ("truncated", "soal.xlsx: the file is damaged (xl/worksheets/sheet1.xml: not well-formed "
                  "XML (line 1, column"),
    ("deflate", "soal.xlsx: the file is damaged (xl/worksheets/sheet1.xml: "),
    ("bomb", "soal.xlsx: xl/worksheets/sheet1.xml holds a DOCTYPE or ENTITY declaration, "
             "which is refused"),
])
def test_damaged_xlsx_is_refused_naming_the_member(tmp_path: Path, how: str,
                                                   expected: str) -> None:
    (problem,) = problems_of(damaged_xlsx(tmp_path / "soal.xlsx", how))
    assert problem.startswith(expected)


def test_xlsx_over_the_unpacked_limit_is_refused(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    write_xlsx(tmp_path / "soal.xlsx", [row()])
    assert read_bank(tmp_path / "soal.xlsx").items
    monkeypatch.setattr("question_bank.formats.archive.MAX_UNPACKED", 4000)
    (problem,) = problems_of(tmp_path / "soal.xlsx")
    assert problem.startswith("soal.xlsx: the file unpacks to ")
    assert "over the limit of 4000" in problem


def test_cli_refuses_a_damaged_xlsx_without_a_traceback(tmp_path: Path) -> None:
    bad = damaged_xlsx(tmp_path / "soal.xlsx", "truncated")
    refused = make_runner(tmp_path / "instance", None)("bank", "import", bad, ok=False)
    assert refused.returncode == 1
    assert refused.stderr.startswith("seleksi: error: import refused, nothing written")
    assert "soal.xlsx: the file is damaged (xl/worksheets/sheet1.xml:" in refused.stderr
    assert "Traceback" not in refused.stderr


def test_xlsx_export_writes_formula_like_text_as_text(tmp_path: Path) -> None:
    starts = ["=1+1 adalah ...", "+62 812", "-5 derajat", "@admin", "=HYPERLINK(\"x\")"]
    items = [Item(f"TKP-{n}", "TKP", "Pelayanan Publik", stem,
                  tuple(Option(lab, f"{start[0]}{lab} {start}", p)
                        for lab, p, start in zip("ABCDE", [1, 2, 3, 4, 5], starts,
                                                 strict=True)))
             for n, stem in enumerate(starts)]
    path = tmp_path / "bank.xlsx"
    write_bank(path, "xlsx", items, {})
    sheet = openpyxl.load_workbook(path).worksheets[0]
    kinds = {cell.data_type for line in sheet.iter_rows(min_row=2) for cell in line
             if isinstance(cell.value, str)}
    assert kinds == {"s"}
    assert sheet.cell(2, COLUMNS.index("stem") + 1).value == "=1+1 adalah ..."
    assert read_bank(path).items == tuple(items)
