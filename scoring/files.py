"""The only file I/O of the scoring package: read CSV/XLSX tables, write CSV atomically.

A table is its header and its rows, each row with its number as a spreadsheet shows it
(the header is row 1), so every error can name the file and the row.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from scoring.exceptions import InputError


@dataclass(frozen=True)
class Table:
    """A read table: ``name`` (the file name for messages), header, numbered rows."""

    name: str
    header: tuple[str, ...]
    rows: list[tuple[int, list[str]]]

    def columns(self, *required: str, optional: Sequence[str] = ()) -> dict[str, int]:
        """Column positions by (case-insensitive) name; missing required ones are an error."""
        lower = [h.strip().lower() for h in self.header]
        found: dict[str, int] = {}
        for name in (*required, *optional):
            if name.lower() in lower:
                found[name] = lower.index(name.lower())
            elif name in required:
                raise InputError(f"{self.name} row 1: column {name!r} is missing (the header "
                                 f"must be {','.join(required)})")
        return found


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _read_xlsx(path: Path) -> list[tuple[int, list[str]]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a bad file
        raise InputError(f"{path.name}: not a readable XLSX workbook ({exc})") from exc
    try:
        sheet = book.worksheets[0]
        return [(n, [_cell(v) for v in row])
                for n, row in enumerate(sheet.iter_rows(values_only=True), start=1)]
    finally:
        book.close()


def read_table(path: Path) -> Table:
    """Read a ``.csv`` (UTF-8, optional BOM) or ``.xlsx`` file; blank rows are skipped.

    Raises
    ------
    InputError
        Unreadable file, not UTF-8, or no header row.
    """
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        numbered = _read_xlsx(path)
    else:
        try:
            text = path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError as exc:
            raise InputError(f"{path.name}: not UTF-8 text (byte {exc.start})") from exc
        except OSError as exc:
            raise InputError(f"{path}: cannot read ({exc.strerror})") from exc
        numbered = [(n, [c.strip() for c in row])
                    for n, row in enumerate(csv.reader(io.StringIO(text, newline="")), 1)]
    numbered = [(n, row) for n, row in numbered if any(row)]
    if not numbered:
        raise InputError(f"{path.name}: empty file (a header row is needed)")
    (_, head), body = numbered[0], numbered[1:]
    width = len(head)
    rows = [(n, (row + [""] * width)[:max(width, len(row))]) for n, row in body]
    return Table(name=path.name, header=tuple(head), rows=rows)


def write_csv(path: Path, rows: Iterable[Sequence[str]]) -> None:
    """Write rows as CSV (``\\n`` line ends) to a temporary file, then rename onto ``path``.

    Nothing is left at ``path`` if writing fails.
    """
    write_text(path, _csv_text(rows))


def _csv_text(rows: Iterable[Sequence[str]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerows(rows)
    return buf.getvalue()


def write_text(path: Path, text: str) -> None:
    """Write UTF-8 text atomically (temporary file in the same folder, then rename)."""
    folder = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
