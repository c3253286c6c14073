"""Reading and writing simple tables as CSV (UTF-8, comma) or XLSX (first worksheet).

Both the item layout (:mod:`question_bank.formats.tabular`) and the participant roster
(:mod:`question_bank.roster`) go through here, so a spreadsheet row and column letter mean
the same in every error message: the header is row 1, the first column is ``A``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import warnings
import zipfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import ParseError

from question_bank.errors import BankError, ImportRejected, Problem
from question_bank.formats.archive import check_members, damaged, open_zip
from question_bank.formats.base import decode_utf8, read_file_bytes, sniff_other_format

Cell = str | int | float | None


@dataclass(frozen=True)
class Sheet:
    """A table read from a file.

    Attributes
    ----------
    file
        The file's name, for error messages.
    header
        The header cells as written (stripped), in column order.
    rows
        ``(spreadsheet row number, cells)`` for each non-empty row after the header; the
        cells are strings, padded with ``""`` to the header's width.
    problems
        Row-level problems found while reading (a value under no header).
    """

    file: str
    header: tuple[str, ...]
    rows: tuple[tuple[int, tuple[str, ...]], ...]
    problems: tuple[Problem, ...] = field(default=())


def column_letter(index: int) -> str:
    """The spreadsheet letter of a 0-based column index: 0 → ``A``, 26 → ``AA``."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(ord("A") + rem) + letters
    return letters


def cell_text(value: object) -> str:
    """A spreadsheet cell as text: whole numbers without ``.0``, dates in ISO form."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return str(value)


def read_sheet(path: Path) -> Sheet:
    """Read a ``.csv`` or ``.xlsx`` table.

    Raises
    ------
    ImportRejected
        The file cannot be read, is not UTF-8 (CSV), is not the format its name says, is
        damaged or refused (XLSX: see :mod:`question_bank.formats.archive`), or has no
        header row.
    """
    name = path.name
    raw = read_file_bytes(path)
    if path.suffix.lower() == ".xlsx":
        grid = _xlsx_grid(raw, name)
    else:
        grid = _csv_grid(raw, name)
    return _to_sheet(grid, name)


def _csv_grid(raw: bytes, name: str) -> list[list[str]]:
    other = sniff_other_format(raw, "a CSV file")
    if other:
        raise ImportRejected([Problem(name, other)])
    text = decode_utf8(raw, name, "CSV file")
    try:
        grid = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    except csv.Error as exc:
        raise ImportRejected([Problem(name, f"not a readable CSV file: {exc}")]) from exc
    if grid and len(grid[0]) == 1:
        for sep, what in ((";", "semicolons"), ("\t", "tabs")):
            if sep in grid[0][0]:
                raise ImportRejected([Problem(name, f"the columns are separated by {what}; "
                                              "Seleksi reads comma-separated CSV (in Excel: "
                                              "Save As 'CSV UTF-8 (Comma delimited)')", 1)])
    return grid


def _xlsx_grid(raw: bytes, name: str) -> list[list[str]]:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    if not raw.startswith(b"PK\x03\x04"):
        kind = sniff_other_format(raw, "an XLSX workbook")
        raise ImportRejected([Problem(name, kind or "this is not an XLSX workbook (perhaps a "
                                      "CSV or .xls file renamed .xlsx?); save it as .xlsx")])
    with open_zip(raw, name, "XLSX workbook") as archive:
        check_members(archive, name)  # names a damaged member; refuses DOCTYPE
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about styles it does not read
            book = openpyxl.load_workbook(io.BytesIO(raw), data_only=True)
        try:
            sheet = book.worksheets[0]
            return [[cell_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
        finally:
            book.close()
    except (ParseError, zlib.error, EOFError, RuntimeError, NotImplementedError) as exc:
        raise damaged(name, None, exc) from exc  # what check_members could not see
    except (InvalidFileException, zipfile.BadZipFile, KeyError, IndexError, TypeError,
            AttributeError, ValueError, OSError) as exc:
        raise ImportRejected([Problem(name, f"not a readable XLSX workbook ({exc})")]) from exc


def _to_sheet(grid: list[list[str]], name: str) -> Sheet:
    if not grid or not any(c.strip() for c in grid[0]):
        raise ImportRejected([Problem(name, "the first row must be the header (column names); "
                                      "it is empty", 1)])
    header = [c.strip() for c in grid[0]]
    while header and not header[-1]:
        header.pop()
    width = len(header)
    rows: list[tuple[int, tuple[str, ...]]] = []
    problems: list[Problem] = []
    for number, cells in enumerate(grid[1:], start=2):
        if not any(c.strip() for c in cells):
            continue
        for i, c in enumerate(cells):
            if c.strip() and (i >= width or not header[i]):
                problems.append(Problem(name, f"a value {_short(c)} stands under no column "
                                        "name; add a header or remove it",
                                        number, column_letter(i)))
        padded = tuple(cells[:width]) + ("",) * max(0, width - len(cells))
        rows.append((number, padded))
    return Sheet(name, tuple(header), tuple(rows), tuple(problems))


def _short(text: str) -> str:
    text = text.strip()
    return repr(text if len(text) <= 30 else text[:29] + "…")


def map_columns(sheet: Sheet, known: Sequence[str],
                required: Sequence[str]) -> tuple[dict[str, int], list[Problem]]:
    """Find the known columns by header name (case-insensitive).

    Returns
    -------
    (name → 0-based index, problems)
        Problems: a required column missing, a header not known, a header used twice; all
        on row 1.
    """
    by_lower = {k.lower(): k for k in known}
    found: dict[str, int] = {}
    problems: list[Problem] = []
    for i, head in enumerate(sheet.header):
        if not head:
            continue
        key = by_lower.get(head.lower())
        if key is None:
            problems.append(Problem(sheet.file, f"unknown column {head!r}; the columns are "
                                    f"{', '.join(known)}", 1, column_letter(i)))
        elif key in found:
            problems.append(Problem(sheet.file, f"column {key!r} appears twice (also column "
                                    f"{column_letter(found[key])})", 1, column_letter(i)))
        else:
            found[key] = i
    missing = [r for r in required if r not in found]
    if missing:
        problems.append(Problem(sheet.file, f"missing column(s) {', '.join(missing)}: the "
                                f"header row needs {', '.join(required)}", 1))
    return found, problems


def write_table(path: Path, header: Sequence[str], rows: Sequence[Sequence[Cell]]) -> None:
    """Write a table as CSV or XLSX by ``path``'s suffix.

    CSV is UTF-8 with a byte-order mark (so Excel shows accents right), comma-separated,
    every field that needs it quoted, lines ending in CRLF: the same rows give the same
    bytes.
    """
    for number, row in enumerate(rows, start=2):
        if any(isinstance(c, str) and "\x00" in c for c in row):
            raise BankError(f"{path.name} row {number}: a text holds a NUL character, which "
                            "a spreadsheet cannot carry; remove it")
    if path.suffix.lower() == ".xlsx":
        _write_xlsx(path, header, rows)
        return
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([["" if c is None else c for c in row] for row in rows])
    path.write_bytes(out.getvalue().encode("utf-8-sig"))


def _write_xlsx(path: Path, header: Sequence[str], rows: Sequence[Sequence[Cell]]) -> None:
    import openpyxl
    from openpyxl.utils.exceptions import IllegalCharacterError

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None  # noqa: S101 - a new workbook always has one sheet
    for number, row in enumerate([header, *rows], start=1):
        try:
            sheet.append(list(row))
        except IllegalCharacterError as exc:
            raise BankError(f"{path.name} row {number}: a text holds a control character "
                            "that XLSX cannot store; remove it or export as CSV/JSON") from exc
        _text_stays_text(sheet, number, row)
    sheet.freeze_panes = "A2"
    book.save(path)


def _text_stays_text(sheet: Any, number: int, row: Sequence[Cell]) -> None:
    """Store every text of row ``number`` as a string, never as a formula.

    openpyxl takes a text beginning with ``=`` for a formula: Seleksi's own export would
    not read back, and a spreadsheet program would evaluate it (formula injection).
    """
    for column, value in enumerate(row, start=1):
        if isinstance(value, str):
            sheet.cell(row=number, column=column).data_type = "s"
