"""The file I/O of the scoring package: read CSV/XLSX tables, write outputs atomically.

A table is its header and its rows, each row with its number as a spreadsheet shows it
(the header is row 1), so every error can name the file and the row. Small files are read
whole (:func:`read_table`); ``responses.csv`` is streamed (:class:`Rows`). Scheme files
are read by :mod:`scoring.scheme_files`.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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


class Rows:
    """The data rows of a CSV or XLSX file, read one at a time (a file is never held whole).

    Use as a context manager: ``header`` is the first non-blank row; iterating gives
    ``(row number, cells)`` with the number as a spreadsheet shows it (the header's row
    counts), CSV cells as written (not stripped: the caller strips where a lookup misses),
    XLSX cells as text padded to the header's width (a spreadsheet has no short rows).
    Blank rows are skipped.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.name = path.name
        self.xlsx = path.suffix.lower() in (".xlsx", ".xlsm")
        self.header: tuple[str, ...] = ()
        self._start = 1
        self._book: Any = None
        self._fh: Any = None
        self._raw: Iterator[Any] = iter(())

    def __enter__(self) -> Rows:
        if self.xlsx:
            from openpyxl import load_workbook

            try:
                self._book = load_workbook(self.path, read_only=True, data_only=True)
                self._raw = self._book.worksheets[0].iter_rows(values_only=True)
            except Exception as exc:  # openpyxl raises many kinds for a bad file
                raise InputError(f"{self.name}: not a readable XLSX workbook ({exc})") from exc
        else:
            try:
                self._fh = self.path.open(encoding="utf-8-sig", newline="")
            except OSError as exc:
                raise InputError(f"{self.path}: cannot read ({exc.strerror})") from exc
            self._raw = csv.reader(self._fh)
        try:
            for n, raw in enumerate(self._raw, 1):
                row = [_cell(v) for v in raw] if self.xlsx else [c.strip() for c in raw]
                if any(row):
                    self.header, self._start = tuple(row), n + 1
                    break
        except UnicodeDecodeError as exc:
            self.__exit__()
            raise InputError(f"{self.name}: not UTF-8 text (byte {exc.start})") from exc
        if not self.header:
            self.__exit__()
            raise InputError(f"{self.name}: empty file (a header row is needed)")
        return self

    def __exit__(self, *exc: object) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None
        if self._book is not None:
            self._book.close()
            self._book = None

    def __iter__(self) -> Iterator[tuple[int, list[str]]]:
        width = len(self.header)
        try:
            if self.xlsx:
                for n, raw in enumerate(self._raw, self._start):
                    row = [_cell(v) for v in raw]
                    if any(row):
                        yield n, (row + [""] * width)[:max(width, len(row))]
            else:
                for n, row in enumerate(self._raw, self._start):
                    if row and (len(row) > 1 or row[0].strip()):
                        yield n, row
        except UnicodeDecodeError as exc:
            raise InputError(f"{self.name}: not UTF-8 text (byte {exc.start})") from exc

    def columns(self, *required: str, optional: Sequence[str] = ()) -> dict[str, int]:
        """Column positions by name, as :meth:`Table.columns`."""
        return Table(self.name, self.header, []).columns(*required, optional=optional)

    def short_row(self, n: int, row: list[str], optional_last: bool = False) -> list[str]:
        """Check a row whose cell count differs from the header's; the row to use.

        A row with fewer cells than the header is refused (``InputError`` naming the
        file, row and columns), except that with ``optional_last`` a row lacking only the
        last cell reads it as empty. Extra cells must be empty.
        """
        width = len(self.header)
        if len(row) > width:
            if any(c.strip() for c in row[width:]):
                raise InputError(f"{self.name} row {n}: {len(row)} cells, but the header has "
                                 f"{width} ({','.join(self.header)})")
            return row[:width]
        if optional_last and len(row) == width - 1:
            return [*row, ""]
        raise InputError(f"{self.name} row {n}: {len(row)} cell(s), but the header has "
                         f"{width} ({','.join(self.header)}); a short row is refused, "
                         f"write empty cells with commas")


def read_table(path: Path) -> Table:
    """Read a whole ``.csv`` (UTF-8, optional BOM) or ``.xlsx`` file; blank rows skipped.

    Cells are stripped of surrounding spaces. A CSV row with fewer cells than the header,
    or with non-empty cells beyond it, is refused.

    Raises
    ------
    InputError
        Unreadable file, not UTF-8, no header row, or a row of the wrong length.
    """
    with Rows(path) as rows:
        width = len(rows.header)
        body = []
        for n, row in rows:
            if len(row) != width:
                row = rows.short_row(n, row)
            body.append((n, [c.strip() for c in row]))
        return Table(name=rows.name, header=rows.header, rows=body)


def csv_text(rows: Iterable[Sequence[str]]) -> str:
    """Rows as CSV text (``\\n`` line ends, minimal quoting)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerows(rows)
    return buf.getvalue()


def write_outputs(outputs: Sequence[tuple[Path, str]]) -> None:
    """Write every ``(path, text)`` as UTF-8, all or none.

    Each text goes to a temporary file in its path's folder; only when every one is
    written are they renamed onto their paths. If any write fails, the temporary files
    are removed and no path is touched.
    """
    done: list[tuple[str, Path]] = []
    try:
        umask = os.umask(0)
        os.umask(umask)
        for path, text in outputs:
            folder = path.parent if str(path.parent) else Path(".")
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
            done.append((tmp, path))
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
                fh.write(text)
            os.chmod(tmp, 0o666 & ~umask)
    except BaseException:
        for tmp, _ in done:
            Path(tmp).unlink(missing_ok=True)
        raise
    for tmp, path in done:
        os.replace(tmp, path)


def write_csv(path: Path, rows: Iterable[Sequence[str]]) -> None:
    """Write rows as CSV atomically (temporary file, then rename); nothing on failure."""
    write_outputs([(path, csv_text(rows))])


def write_text(path: Path, text: str) -> None:
    """Write UTF-8 text atomically (temporary file in the same folder, then rename)."""
    write_outputs([(path, text)])
