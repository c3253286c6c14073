"""What every bank file format shares: the result type, media helpers and item validation.

A bank file reads into a :class:`BankFile`: the items in file order and the images they
show, keyed by the SHA-256 of their bytes. Stems, options and explanations name an image
as ``![alt](sha256:<64 hex>)`` (see ``docs/bank-formats.md``).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from question_bank.errors import BankError, ImportRejected, Problem
from question_bank.model import IMAGE_REF, Item, Status, check_item
from scoring.scheme import section_catalogue


@dataclass(frozen=True)
class BankFile:
    """The content of one bank file.

    Attributes
    ----------
    items
        The items in file order, validated.
    media
        Image content hash (SHA-256 hex) to ``(mime type, bytes)``.
    """

    items: tuple[Item, ...]
    media: dict[str, tuple[str, bytes]]


#: Image types a bank file may carry, by file extension.
IMAGE_TYPES: dict[str, str] = {
    ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif",
    ".webp": "image/webp", ".svg": "image/svg+xml",
}
_EXT_FOR_TYPE = {"image/png": ".png", "image/jpeg": ".jpg", "image/gif": ".gif",
                 "image/webp": ".webp", "image/svg+xml": ".svg"}

#: Any markdown image: ``![alt](target)``; group 1 is the alt text, group 2 the target.
ANY_IMAGE = re.compile(r"!\[([^\]]*)\]\(([^)\s]*)\)")
SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")


def sha256_hex(data: bytes) -> str:
    """SHA-256 of ``data`` as lower-case hex: the key of an image in the bank."""
    return hashlib.sha256(data).hexdigest()


def extension_for(mime: str) -> str:
    """The file extension an exported image of type ``mime`` gets (``.png``)."""
    try:
        return _EXT_FOR_TYPE[mime]
    except KeyError:
        raise BankError(f"cannot export an image of type {mime!r}: the bank formats carry "
                        f"{', '.join(sorted(_EXT_FOR_TYPE))}") from None


def item_texts(item: Item) -> list[str]:
    """Every text of an item that may show an image: stem, options, explanation."""
    return [item.stem, *(o.text for o in item.options), item.explanation]


def used_media(items: Sequence[Item],
               media: Mapping[str, tuple[str, bytes]]) -> dict[str, tuple[str, bytes]]:
    """The media the items refer to, in hash order; ``BankError`` if one is not given."""
    needed = sorted({h for item in items for h in item.image_refs()})
    missing = [h for h in needed if h not in media]
    if missing:
        owners = sorted({i.id for i in items for h in i.image_refs() if h in missing})
        raise BankError(f"cannot export: items {', '.join(owners)} show images that were not "
                        f"given ({', '.join(h[:12] + '…' for h in missing)})")
    return {h: media[h] for h in needed}


def rewrite_images(text: str, resolve: Callable[[str], str]) -> str:
    """Replace each image target in ``text`` by ``resolve(target)`` (alt text kept)."""
    return ANY_IMAGE.sub(lambda m: f"![{m.group(1)}]({resolve(m.group(2))})", text)


def sha_targets(text: str) -> list[str]:
    """The content hashes of the ``sha256:`` images in ``text``, in order."""
    return [m.group(1) for m in IMAGE_REF.finditer(text)]


def as_status(value: str) -> Status:
    """A status string as the model's type; :func:`check_item` rejects an unknown one."""
    return cast(Status, value)


@dataclass
class Located:
    """An item parsed from a file with where it came from, for error messages.

    ``column_of`` maps a :func:`check_item` field (``stem``, ``A``, ``points``…) plus its
    reason to the file's column; ``skip`` holds fields already reported by the format
    reader, whose follow-on problems are not repeated.
    """

    item: Item
    row: int
    column_of: Callable[[str, str], str | None]
    skip: frozenset[str] = frozenset()


def validate(file: str, located: Sequence[Located], id_column: str | None) -> list[Problem]:
    """Check every item against its section's rule and for ids used twice in the file."""
    sections = section_catalogue()
    problems: list[Problem] = []
    first_row: dict[str, int] = {}
    for entry in located:
        item = entry.item
        for field, reason in check_item(item, sections):
            if field in entry.skip or (field == "points" and entry.skip & set("ABCDE")):
                continue
            problems.append(Problem(file, reason, entry.row, entry.column_of(field, reason)))
        if item.id in first_row:
            problems.append(Problem(
                file, f"item id {item.id} appears twice, at rows {first_row[item.id]} and "
                      f"{entry.row}: give each item its own id", entry.row, id_column))
        elif item.id:
            first_row[item.id] = entry.row
    return problems


def reject_if(problems: list[Problem]) -> None:
    """Raise :class:`ImportRejected` with every problem, sorted by place, if there is any."""
    if problems:
        problems.sort(key=lambda p: (p.row or 0))
        raise ImportRejected(problems)


def sniff_other_format(raw: bytes, expected: str) -> str | None:
    """Name the real kind of a file that is not ``expected`` (PDF, zip, …), else ``None``."""
    kinds = [(b"%PDF", "a PDF document"), (b"PK\x03\x04", "a zip archive (an XLSX workbook "
             "or a QTI package?)"), (b"\xd0\xcf\x11\xe0", "an old Excel/Word (.xls/.doc) file"),
             (b"\x89PNG", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"),
             (b"\xff\xfe", "UTF-16 text"), (b"\xfe\xff", "UTF-16 text")]
    for magic, kind in kinds:
        if raw.startswith(magic):
            hint = " (save it as UTF-8)" if "UTF-16" in kind else ""
            return f"this is {kind}, not {expected}{hint}"
    if b"\x00" in raw[:4096]:
        return f"this is a binary file, not {expected}"
    return None


def read_file_bytes(path: Path) -> bytes:
    """The bytes of a file being imported; ImportRejected naming it if it cannot be read."""
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ImportRejected([Problem(path.name, f"cannot read the file "
                                      f"({exc.strerror or exc})")]) from exc


def decode_utf8(raw: bytes, file: str, what: str) -> str:
    """Decode UTF-8 text (a byte-order mark is allowed); ImportRejected naming the line if not."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise ImportRejected([Problem(
            file, f"not UTF-8 text: byte {exc.start} (line {line}) is 0x{raw[exc.start]:02x}; "
                  f"save the {what} as UTF-8 (in Excel: 'CSV UTF-8')")]) from None
