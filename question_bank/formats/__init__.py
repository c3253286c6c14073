"""Bank files in and out: Seleksi JSON, CSV, XLSX and QTI 2.1 packages.

:func:`read_bank` picks the reader by the file's suffix and refuses the whole file, listing
every problem at once, if anything in it is wrong; :func:`write_bank` writes any of the
formats. The formats are documented in ``docs/bank-formats.md``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from question_bank.errors import BankError, ImportRejected, Problem
from question_bank.formats.base import BankFile
from question_bank.formats.json_format import read_json, write_json
from question_bank.formats.qti import write_qti
from question_bank.formats.qti_read import read_qti
from question_bank.formats.tabular import read_table, write_table
from question_bank.model import Item

__all__ = ["FORMATS", "SUFFIXES", "SUFFIX_OF", "BankFile", "read_bank", "write_bank"]

FORMATS = ("json", "csv", "xlsx", "qti")
#: File suffix read by :func:`read_bank` → format name.
SUFFIXES = {".json": "json", ".csv": "csv", ".xlsx": "xlsx", ".zip": "qti"}
#: Format name → the suffix :func:`write_bank` requires (the one :func:`read_bank` reads).
SUFFIX_OF = {fmt: suffix for suffix, fmt in SUFFIXES.items()}


def read_bank(path: Path) -> BankFile:
    """Read and validate a bank file: ``.json``, ``.csv``, ``.xlsx`` or a QTI 2.1 ``.zip``.

    Every item is checked with :func:`question_bank.model.check_item` against the sections
    of the shipped schemes, plus the format's own checks (encoding, header, types, images).

    Raises
    ------
    ImportRejected
        Anything is wrong; ``problems`` lists every problem in the file with its row and
        column. Nothing of the file is returned then.
    """
    path = Path(path)
    fmt = SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        raise ImportRejected([Problem(path.name, f"unknown kind of bank file "
                                      f"{path.suffix or '(no suffix)'!r}: Seleksi reads "
                                      f"{', '.join(SUFFIXES)} (a QTI 2.1 package is a .zip)")])
    if fmt == "json":
        return read_json(path)
    if fmt == "qti":
        return read_qti(path)
    return read_table(path)


def write_bank(path: Path, fmt: str, items: Sequence[Item],
               media: Mapping[str, tuple[str, bytes]]) -> None:
    """Write ``items`` (and the images they show, taken from ``media``) as ``fmt``.

    ``fmt`` is one of :data:`FORMATS` and ``path`` must end in its suffix (``.zip`` for
    QTI), so that :func:`read_bank` reads the file back. CSV and XLSX put images in
    ``images/`` beside the file. JSON, CSV and QTI output is deterministic: the same items
    give the same bytes.

    Raises
    ------
    BankError
        Unknown format, a suffix that is not the format's, an image an item shows is
        missing from ``media``, or a text the format cannot store.
    """
    path = Path(path)
    suffix = SUFFIX_OF.get(fmt)
    if suffix is None:
        raise BankError(f"unknown bank format {fmt!r}: choose one of {', '.join(FORMATS)}")
    if path.suffix.lower() != suffix:
        raise BankError(f"a {fmt.upper()} bank file must be named *{suffix}, got {path.name}: "
                        "`seleksi bank import` tells the format by that suffix")
    if fmt == "json":
        write_json(path, items, media)
    elif fmt == "qti":
        write_qti(path, items, media)
    else:
        write_table(path, items, media)
