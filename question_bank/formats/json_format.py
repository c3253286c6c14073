"""Seleksi's own bank format: one JSON document with the items and their images.

``{"format": "seleksi-bank", "version": 1, "items": [...], "media": {sha256: {"type",
"data"}}}``; ``docs/bank.schema.json`` is its JSON Schema and ``docs/bank-formats.md``
describes it. Writing is deterministic: the same items and media give the same bytes
(fixed key order, media sorted by hash, two-space indent, UTF-8, final newline).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from question_bank.errors import ImportRejected, Problem
from question_bank.formats.base import (
    SHA256_HEX,
    BankFile,
    Located,
    as_status,
    decode_utf8,
    item_texts,
    read_file_bytes,
    reject_if,
    sha256_hex,
    sha_targets,
    sniff_other_format,
    used_media,
    validate,
)
from question_bank.model import IRT, Item, Option

FORMAT = "seleksi-bank"
VERSION = 1
ITEM_FIELDS = ("id", "section", "topic", "difficulty", "irt", "status", "author", "stem",
               "options", "explanation")
_REQUIRED = ("id", "section", "topic", "stem", "options")


def dump_bank(items: Sequence[Item], media: Mapping[str, tuple[str, bytes]]) -> bytes:
    """The JSON document for ``items`` and the images they show (deterministic bytes)."""
    needed = used_media(items, media)
    doc = {
        "format": FORMAT,
        "version": VERSION,
        "items": [_item_json(i) for i in items],
        "media": {h: {"type": mime, "data": base64.b64encode(data).decode("ascii")}
                  for h, (mime, data) in needed.items()},
    }
    return (json.dumps(doc, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _item_json(item: Item) -> dict[str, Any]:
    out: dict[str, Any] = {"id": item.id, "section": item.section, "topic": item.topic}
    if item.difficulty is not None:
        out["difficulty"] = item.difficulty
    if item.irt is not None:
        out["irt"] = {"a": item.irt.a, "b": item.irt.b, "c": item.irt.c}
    out["status"] = item.status
    if item.author is not None:
        out["author"] = item.author
    out["stem"] = item.stem
    out["options"] = [{"label": o.label, "text": o.text, "points": o.points}
                      for o in item.options]
    if item.explanation:
        out["explanation"] = item.explanation
    return out


def write_json(path: Path, items: Sequence[Item],
               media: Mapping[str, tuple[str, bytes]]) -> None:
    """Write a ``seleksi-bank`` JSON file."""
    path.write_bytes(dump_bank(items, media))


def read_json(path: Path) -> BankFile:
    """Read a ``seleksi-bank`` JSON file; ImportRejected lists every problem at once."""
    return parse_bank(read_file_bytes(path), path.name)


def parse_bank(raw: bytes, name: str) -> BankFile:
    """Parse and validate the bytes of a ``seleksi-bank`` JSON document."""
    other = sniff_other_format(raw, "a JSON bank file")
    if other:
        raise ImportRejected([Problem(name, other)])
    text = decode_utf8(raw, name, "JSON file")
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ImportRejected([Problem(name, f"not valid JSON: {exc.msg} at line {exc.lineno}, "
                                      f"column {exc.colno}")]) from exc
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ImportRejected([Problem(name, f'not a Seleksi bank file: the top level must be '
                                      f'an object with "format": "{FORMAT}"')])
    if doc.get("version") != VERSION:
        raise ImportRejected([Problem(name, f"bank format version {doc.get('version')!r} is "
                                      f"not supported (this Seleksi reads version {VERSION})",
                                      column="version")])
    problems: list[Problem] = []
    for key in sorted(set(doc) - {"format", "version", "items", "media"}):
        problems.append(Problem(name, f"unknown top-level field {key!r}", column=key))
    media = _parse_media(doc.get("media", {}), name, problems)
    raw_items = doc.get("items")
    if not isinstance(raw_items, list):
        problems.append(Problem(name, '"items" must be a list of items', column="items"))
        raw_items = []
    located = [_parse_item(entry, row, name, media, problems)
               for row, entry in enumerate(raw_items, start=1)]
    problems += validate(name, [x for x in located if x is not None], "id")
    reject_if(problems)
    return BankFile(tuple(x.item for x in located if x is not None), media)


def _parse_media(raw: object, name: str,
                 problems: list[Problem]) -> dict[str, tuple[str, bytes]]:
    if not isinstance(raw, dict):
        problems.append(Problem(name, '"media" must be an object keyed by SHA-256',
                                column="media"))
        return {}
    media: dict[str, tuple[str, bytes]] = {}
    for key, entry in sorted(raw.items()):
        where = f"media.{key[:16]}"
        if not SHA256_HEX.match(key):
            problems.append(Problem(name, f"media key {key!r} is not a SHA-256 in lower-case "
                                    "hex (64 characters)", column=where))
            continue
        if (not isinstance(entry, dict) or not isinstance(entry.get("type"), str)
                or not isinstance(entry.get("data"), str)):
            problems.append(Problem(name, 'a media entry must be {"type": mime type, '
                                    '"data": base64}', column=where))
            continue
        try:
            data = base64.b64decode(entry["data"], validate=True)
        except (binascii.Error, ValueError):
            problems.append(Problem(name, "media data is not valid base64", column=where))
            continue
        if sha256_hex(data) != key:
            problems.append(Problem(name, f"media {key[:12]}…: the bytes hash to "
                                    f"{sha256_hex(data)[:12]}…, not to their key (damaged or "
                                    "edited image)", column=where))
            continue
        media[key] = (entry["type"], data)
    return media


def _parse_item(entry: object, row: int, name: str, media: Mapping[str, object],
                problems: list[Problem]) -> Located | None:
    def flag(column: str, reason: str) -> None:
        problems.append(Problem(name, reason, row, column))

    if not isinstance(entry, dict):
        flag("items", "an item must be an object")
        return None
    for key in sorted(set(entry) - set(ITEM_FIELDS)):
        flag(key, f"unknown field {key!r} (fields: {', '.join(ITEM_FIELDS)})")
    for key in _REQUIRED:
        if key not in entry:
            flag(key, f"missing field {key!r}")
    strings: dict[str, str | None] = {}
    for key in ("id", "section", "topic", "stem", "explanation", "difficulty", "status",
                "author"):
        value = entry.get(key)
        nullable = key in ("difficulty", "author")
        if value is None or isinstance(value, str):
            strings[key] = value
        else:
            flag(key, f"{key} must be a string{' or null' if nullable else ''}, got "
                      f"{json.dumps(value)[:40]}")
            strings[key] = None
        if value is None and not nullable and key in entry and key != "explanation":
            flag(key, f"{key} must be a string, not null")
    skip: set[str] = set()
    options = _parse_options(entry.get("options", []), flag, skip)
    irt = _parse_irt(entry.get("irt"), flag)
    if irt is False:
        skip.add("irt")
    item = Item(
        id=strings["id"] or "", section=strings["section"] or "",
        topic=strings["topic"] or "", stem=strings["stem"] or "", options=tuple(options),
        explanation=strings["explanation"] or "", difficulty=strings["difficulty"],
        irt=irt if isinstance(irt, IRT) else None,
        status=as_status(strings["status"] or "draft"), author=strings["author"],
    )
    for field, text in zip(["stem", *(f"options.{o.label}" for o in options), "explanation"],
                           item_texts(item), strict=True):
        for digest in sha_targets(text):
            if digest not in media:
                flag(field, f"image sha256:{digest[:12]}… is not in the file's \"media\"")
    skip |= {k for k in _REQUIRED if k not in entry}
    skip |= {k for k in strings if k in entry and strings[k] is None and entry[k] is not None}
    if "options" in skip:
        skip |= {*"ABCDE", "points"}
    return Located(item, row, _json_column, frozenset(skip))


def _json_column(field: str, _reason: str) -> str:
    if field == "points":
        return "options"
    return f"options.{field}" if len(field) == 1 else field


def _parse_options(raw: object, flag: Any, skip: set[str]) -> list[Option]:
    if not isinstance(raw, list):
        flag("options", "options must be a list of {label, text, points}")
        return []
    options: list[Option] = []
    for i, o in enumerate(raw, start=1):
        if not isinstance(o, dict) or not isinstance(o.get("label"), str):
            flag("options", f"option {i} must be an object with a string \"label\"")
            continue
        label, text, points = o["label"], o.get("text"), o.get("points")
        where = f"options.{label}"
        for key in sorted(set(o) - {"label", "text", "points"}):
            flag(where, f"unknown option field {key!r}")
        if not isinstance(text, str):
            flag(where, f"option {label} needs a string \"text\"")
            text = ""
            skip.add(label)
        if isinstance(points, bool) or not isinstance(points, int):
            flag(f"{where}.points", f"option {label}: points must be a whole number, got "
                                    f"{json.dumps(points)}")
            skip.add(label)
            continue
        options.append(Option(label, text, points))
    return options


def _parse_irt(raw: object, flag: Any) -> IRT | None | bool:
    if raw is None:
        return None
    if not isinstance(raw, dict) or set(raw) - {"a", "b", "c"} or not {"a", "b"} <= set(raw):
        flag("irt", 'irt must be {"a": number, "b": number, "c": number (optional)}')
        return False
    values = [raw["a"], raw["b"], raw.get("c", 0.0)]
    if any(isinstance(v, bool) or not isinstance(v, int | float) for v in values):
        flag("irt", "irt a, b and c must be numbers")
        return False
    return IRT(float(values[0]), float(values[1]), float(values[2]))
