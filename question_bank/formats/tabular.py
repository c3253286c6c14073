"""Items as spreadsheet rows: CSV (UTF-8, comma) and XLSX share one column layout.

One row per item under a header row; ``docs/bank-formats.md`` lists the columns. Images
are files beside the spreadsheet, named in a stem by a relative path
(``![peta](images/peta.png)``); reading turns each into a ``sha256:`` reference and returns
its bytes as media, writing puts each image in ``images/<sha256>.<ext>`` beside the file.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from question_bank.errors import Problem
from question_bank.formats.base import (
    ANY_IMAGE,
    IMAGE_TYPES,
    SHA256_HEX,
    BankFile,
    Located,
    as_status,
    extension_for,
    reject_if,
    rewrite_images,
    sha256_hex,
    used_media,
    validate,
)
from question_bank.formats.sheet import Cell, Sheet, column_letter, map_columns, read_sheet
from question_bank.formats.sheet import write_table as _write_table
from question_bank.model import IRT, Item, Option

LABELS = ("A", "B", "C", "D", "E")
COLUMNS: tuple[str, ...] = (
    "id", "section", "topic", "difficulty", "status", "author", "stem",
    *(c for label in LABELS for c in (label, f"{label}_points")),
    "explanation", "irt_a", "irt_b", "irt_c",
)
REQUIRED = ("id", "section", "topic", "stem",
            *(c for label in LABELS[:4] for c in (label, f"{label}_points")))
IMAGE_DIR = "images"
_WHOLE = re.compile(r"^[+-]?\d+(\.0*)?$")


def read_table(path: Path) -> BankFile:
    """Read a CSV or XLSX bank file (see the module docstring); ImportRejected lists all."""
    sheet = read_sheet(path)
    columns, problems = map_columns(sheet, COLUMNS, REQUIRED)
    problems = list(sheet.problems) + problems
    if any(p.row == 1 for p in problems):
        reject_if(problems)
    media: dict[str, tuple[str, bytes]] = {}
    images = _ImageFolder(path.parent, sheet.file, media)
    located = [_parse_row(sheet, number, cells, columns, images, problems)
               for number, cells in sheet.rows]
    id_col = column_letter(columns["id"])
    problems += validate(sheet.file, located, id_col)
    reject_if(problems)
    return BankFile(tuple(entry.item for entry in located), media)


class _ImageFolder:
    """Resolves relative image paths against the spreadsheet's folder, once per file."""

    def __init__(self, folder: Path, file: str, media: dict[str, tuple[str, bytes]]) -> None:
        self.folder = folder.resolve()
        self.file = file
        self.media = media
        self.seen: dict[str, str] = {}

    def resolve(self, target: str) -> tuple[str | None, str | None]:
        """``(sha256 hex, None)`` for a readable image, else ``(None, reason)``."""
        if target in self.seen:
            return self.seen[target], None
        if target.startswith("sha256:"):
            return None, (f"image {target[:19]}… is not in this file: in CSV/XLSX an image is "
                          f"a file beside the sheet, named by its path (e.g. images/peta.png)")
        if "://" in target or target.startswith(("data:", "/", "\\")) or ":" in target[:3]:
            return None, (f"image {target!r} must be a path relative to the sheet's folder "
                          "(images travel with the file; no URLs or absolute paths)")
        ext = Path(target).suffix.lower()
        if ext not in IMAGE_TYPES:
            return None, (f"image {target!r}: unknown image type; use "
                          f"{', '.join(sorted(IMAGE_TYPES))}")
        file = (self.folder / target).resolve()
        if not file.is_relative_to(self.folder):
            return None, f"image {target!r} lies outside the sheet's folder"
        try:
            data = file.read_bytes()
        except OSError:
            return None, (f"image {target!r} not found: put it at {target} beside "
                          f"{self.file}, or fix the path")
        digest = sha256_hex(data)
        self.media[digest] = (IMAGE_TYPES[ext], data)
        self.seen[target] = digest
        return digest, None


def _parse_row(sheet: Sheet, number: int, cells: tuple[str, ...], columns: dict[str, int],
               images: _ImageFolder, problems: list[Problem]) -> Located:
    def raw(name: str) -> str:
        return cells[columns[name]] if name in columns else ""

    def letter(name: str) -> str | None:
        return column_letter(columns[name]) if name in columns else None

    def flag(name: str, reason: str) -> None:
        problems.append(Problem(sheet.file, reason, number, letter(name)))

    def text(name: str) -> str:
        def one(target: str) -> str:
            digest, reason = images.resolve(target)
            if reason is not None:
                flag(name, reason)
                return target
            return f"sha256:{digest}"
        return rewrite_images(raw(name), one)

    skip: set[str] = set()
    options: list[Option] = []
    for label in LABELS:
        body, points = text(label), raw(f"{label}_points").strip()
        if not body and not points:
            continue
        if not points:
            flag(f"{label}_points", f"option {label} has text but no points")
            skip.add(label)
            continue
        if not _WHOLE.match(points):
            flag(f"{label}_points", f"{points!r} is not a whole number of points")
            skip.add(label)
            continue
        options.append(Option(label, body, int(float(points))))
    irt = _parse_irt(raw, flag)
    if irt is False:
        skip.add("irt")
    item = Item(
        id=raw("id").strip(), section=raw("section").strip(), topic=raw("topic").strip(),
        stem=text("stem"), options=tuple(options), explanation=text("explanation"),
        difficulty=raw("difficulty").strip() or None,
        irt=irt if isinstance(irt, IRT) else None,
        status=as_status(raw("status").strip() or "draft"),
        author=raw("author").strip() or None,
    )

    def column_of(field: str, reason: str) -> str | None:
        if field in LABELS:
            return letter(f"{field}_points" if "points" in reason else field)
        if field == "irt":
            return letter("irt_a")
        return letter(field) if field in COLUMNS else None

    return Located(item, number, column_of, frozenset(skip))


def _parse_irt(raw: Callable[[str], str],
               flag: Callable[[str, str], None]) -> IRT | None | bool:
    """IRT from ``irt_a``/``irt_b``/``irt_c``: ``None`` if all empty, ``False`` if bad."""
    values = {k: raw(k).strip() for k in ("irt_a", "irt_b", "irt_c")}
    if not any(values.values()):
        return None
    parsed: dict[str, float] = {}
    ok = True
    for key, value in values.items():
        if not value:
            if key != "irt_c":
                flag(key, f"{key} is empty but other IRT columns are filled")
                ok = False
            continue
        try:
            parsed[key] = float(value)
        except ValueError:
            flag(key, f"{value!r} is not a number")
            ok = False
    if not ok:
        return False
    return IRT(parsed["irt_a"], parsed["irt_b"], parsed.get("irt_c", 0.0))


def write_table(path: Path, items: Sequence[Item],
                media: Mapping[str, tuple[str, bytes]]) -> None:
    """Write items as CSV or XLSX (by suffix), their images into ``images/`` beside it."""
    needed = used_media(items, media)
    names = {h: f"{IMAGE_DIR}/{h}{extension_for(mime)}" for h, (mime, _) in needed.items()}
    if needed:
        (path.parent / IMAGE_DIR).mkdir(parents=True, exist_ok=True)
        for digest, (_, data) in needed.items():
            (path.parent / names[digest]).write_bytes(data)

    def local(text: str) -> str:
        def one(target: str) -> str:
            digest = target.removeprefix("sha256:")
            if target.startswith("sha256:") and SHA256_HEX.match(digest):
                return names[digest]
            return target
        return rewrite_images(text, one) if ANY_IMAGE.search(text) else text

    rows: list[list[Cell]] = []
    for item in items:
        by_label = {o.label: o for o in item.options}
        row: list[Cell] = [item.id, item.section, item.topic, item.difficulty, item.status,
                           item.author, local(item.stem)]
        for label in LABELS:
            option = by_label.get(label)
            row += [None, None] if option is None else [local(option.text), option.points]
        row.append(local(item.explanation))
        row += [None, None, None] if item.irt is None else [item.irt.a, item.irt.b, item.irt.c]
        rows.append(row)
    _write_table(path, COLUMNS, rows)
