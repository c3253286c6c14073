"""The canonical result record (a log entry's leaf input) and the Ed25519-signed tree head.

A record is a JSON object; its leaf input is the UTF-8 of its canonical JSON: keys sorted at
every depth, no whitespace, non-ASCII written as itself, i.e.
``json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False)``. Anyone can
rebuild those bytes in any language, so records hold only strings, integers, booleans, null,
lists and objects: floats are refused (their text form differs between implementations).

A record has at least:

``kind``
    ``"result"`` (a final result) or ``"correction"`` (a later change to one; it may name the
    entry it corrects in ``corrects``, a leaf index, and say why in ``reason``).
``exam``, ``session``, ``participant``
    Identifiers: non-empty strings or integers (participant numbers are strings: they may start
    with zeros).
``sections``
    The section scores, e.g. ``{"TWK": 65, "TIU": 80, "TKP": 166}``: section code to integer.
``total``
    The total score, an integer.
``code``
    The decision code, e.g. ``"P/L"``, ``"P"``, ``"TL"``, ``"TH"``, ``"DIS"``.
``time``
    When the result became final, ISO 8601 with a UTC offset, e.g.
    ``"2026-11-24T01:00:00.123456+00:00"``.

Other keys are kept as they are and are covered by the leaf hash.

The signed tree head (STH) is the JSON object ``{"tree_size", "timestamp" (epoch ms),
"sha256_root_hash" (base64), "tree_head_signature" (base64)}``; the signature is Ed25519 over
the canonical JSON of ``{"sha256_root_hash", "timestamp", "tree_size"}``. Byte strings are
base64, standard alphabet with padding, everywhere in the JSON API.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from proctor_console.transparency.exceptions import RecordError, TreeHeadError
from proctor_console.transparency.merkle import HASH_SIZE

KINDS = ("result", "correction")
"""The values ``kind`` may take."""

REQUIRED_KEYS = ("kind", "exam", "session", "participant", "sections", "total", "code", "time")
"""Keys every record must have."""

SIGNATURE_SIZE = 64
"""Length in bytes of an Ed25519 signature."""


def canonical_json(value: Any) -> bytes:
    """The UTF-8 of ``value`` as canonical JSON (sorted keys, no whitespace, no ``\\u`` escapes).

    Raises
    ------
    TypeError, ValueError
        ``value`` holds something JSON cannot write (``allow_nan`` is off).
    """
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False)
    return text.encode("utf-8")


def b64encode(data: bytes) -> str:
    """Base64, standard alphabet with padding, as the JSON API writes byte strings."""
    return base64.b64encode(data).decode("ascii")


def b64decode(text: object, what: str, size: int | None = None) -> bytes:
    """Strict base64 (standard alphabet, padding required) to bytes, optionally of one length.

    Raises
    ------
    ValueError
        ``text`` is not a string, not valid base64, or not ``size`` bytes; the message starts
        with ``what``.
    """
    if not isinstance(text, str):
        raise ValueError(f"{what} must be a base64 string, got {type(text).__name__}")
    try:
        data = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError) as exc:
        raise ValueError(f"{what} is not valid base64 (standard alphabet, with padding):"
                         f" {exc}") from None
    if size is not None and len(data) != size:
        raise ValueError(f"{what} must be base64 of {size} bytes, got {len(data)} bytes")
    return data


# -- records ------------------------------------------------------------------------------


def validate_record(record: object) -> dict[str, Any]:
    """Check a result record; return it as a plain ``dict`` (a deep copy).

    Raises
    ------
    RecordError
        The first problem found, naming the key, e.g. ``record['total']: must be an integer,
        got 311.0``. Nothing has been appended when this is raised.
    """
    if not isinstance(record, Mapping):
        raise RecordError(f"record: must be a JSON object (mapping), got {type(record).__name__}")
    missing = [k for k in REQUIRED_KEYS if k not in record]
    if missing:
        raise RecordError(f"record: missing required key(s) {', '.join(map(repr, missing))}"
                          f" (a record needs {', '.join(REQUIRED_KEYS)})")
    plain: dict[str, Any] = _plain(record, "record")
    if plain["kind"] not in KINDS:
        raise RecordError(f"record['kind']: must be one of {', '.join(map(repr, KINDS))},"
                          f" got {plain['kind']!r}")
    for key in ("exam", "session", "participant"):
        _identifier(plain[key], f"record[{key!r}]")
    sections = plain["sections"]
    if not isinstance(sections, dict) or not sections:
        raise RecordError("record['sections']: must be a non-empty object of section code to"
                          f" integer score, got {sections!r}")
    for code, score in sections.items():
        if not code:
            raise RecordError("record['sections']: a section code is empty")
        _integer(score, f"record['sections'][{code!r}]")
    _integer(plain["total"], "record['total']")
    if not isinstance(plain["code"], str) or not plain["code"].strip():
        raise RecordError(f"record['code']: must be a non-empty string (e.g. 'P/L', 'TL'),"
                          f" got {plain['code']!r}")
    _time(plain["time"])
    if "corrects" in plain:
        _integer(plain["corrects"], "record['corrects']")
        if plain["corrects"] < 0:
            raise RecordError(f"record['corrects']: must be a leaf index (>= 0),"
                              f" got {plain['corrects']}")
    return plain


def leaf_input(record: Mapping[str, Any]) -> bytes:
    """The log entry of a record: the UTF-8 of its canonical JSON, after :func:`validate_record`.

    Raises
    ------
    RecordError
        The record is not valid (see :func:`validate_record`).
    """
    return canonical_json(validate_record(record))


def parse_leaf_input(data: bytes) -> dict[str, Any]:
    """The record a leaf input holds; checks it is valid and written canonically.

    Raises
    ------
    RecordError
        The bytes are not UTF-8 JSON of a valid record, or not in canonical form (then a
        verifier would compute a different leaf hash from the record than the log did).
    """
    try:
        record = json.loads(bytes(data).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RecordError(f"leaf input: not UTF-8 JSON: {exc}") from None
    plain = validate_record(record)
    if canonical_json(plain) != bytes(data):
        raise RecordError("leaf input: valid record but not in canonical JSON form (keys sorted,"
                          " no whitespace, no \\u escapes)")
    return plain


def _plain(value: object, where: str) -> Any:
    """A deep copy holding only JSON types; floats, NaN and non-string keys are refused."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        what = "not a number" if math.isnan(value) or math.isinf(value) else "a float"
        raise RecordError(f"{where}: {value!r} is {what}; records hold integers only (points"
                          " are integers), so every implementation writes the same bytes")
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise RecordError(f"{where}: key {key!r} must be a string")
            out[key] = _plain(item, f"{where}[{key!r}]")
        return out
    if isinstance(value, list | tuple):
        return [_plain(item, f"{where}[{i}]") for i, item in enumerate(value)]
    raise RecordError(f"{where}: {type(value).__name__} cannot be written as JSON"
                      " (use str, int, bool, None, list or dict)")


def _integer(value: object, where: str) -> None:
    if not isinstance(value, int) or isinstance(value, bool):
        raise RecordError(f"{where}: must be an integer, got {value!r}")


def _identifier(value: object, where: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise RecordError(f"{where}: must be a non-empty string or an integer, got {value!r}")
    if isinstance(value, str) and not value.strip():
        raise RecordError(f"{where}: must not be empty")


def _time(value: object) -> None:
    where = "record['time']"
    if not isinstance(value, str):
        raise RecordError(f"{where}: must be an ISO 8601 string with a UTC offset, got {value!r}")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise RecordError(f"{where}: {value!r} is not ISO 8601 (e.g."
                          " '2026-11-24T01:00:00.123456+00:00')") from None
    if moment.tzinfo is None:
        raise RecordError(f"{where}: {value!r} has no UTC offset; add one, e.g. '+00:00'")


# -- signed tree heads ----------------------------------------------------------------------


@dataclass(frozen=True)
class TreeHead:
    """A parsed signed tree head (the signature is not checked by :func:`parse_tree_head`)."""

    tree_size: int
    timestamp: int
    root: bytes
    signature: bytes

    def to_json(self) -> dict[str, Any]:
        """The STH as the JSON API writes it."""
        return {"tree_size": self.tree_size, "timestamp": self.timestamp,
                "sha256_root_hash": b64encode(self.root),
                "tree_head_signature": b64encode(self.signature)}


def tree_head_payload(tree_size: int, timestamp_ms: int, root: bytes) -> bytes:
    """The bytes an STH signature covers: canonical JSON of size, timestamp and base64 root.

    ``{"sha256_root_hash":"<b64>","timestamp":<ms>,"tree_size":<n>}``.
    """
    return canonical_json({"sha256_root_hash": b64encode(root), "timestamp": timestamp_ms,
                           "tree_size": tree_size})


def sign_tree_head(private_key: Ed25519PrivateKey, tree_size: int, timestamp_ms: int,
                   root: bytes) -> dict[str, Any]:
    """Sign a tree head; return the STH as the JSON API serves it.

    Parameters
    ----------
    private_key
        The log's Ed25519 signing key.
    tree_size
        The number of leaves the head commits to.
    timestamp_ms
        When the head was made, milliseconds since the Unix epoch (UTC).
    root
        ``MTH(D[tree_size])``, 32 bytes.

    Raises
    ------
    TreeHeadError
        ``tree_size`` or ``timestamp_ms`` is not a non-negative integer, or ``root`` is not
        32 bytes.
    """
    for name, value in (("tree_size", tree_size), ("timestamp", timestamp_ms)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise TreeHeadError(f"sign_tree_head: {name} must be a non-negative integer,"
                                f" got {value!r}")
    if not isinstance(root, bytes) or len(root) != HASH_SIZE:
        raise TreeHeadError(f"sign_tree_head: root must be {HASH_SIZE} bytes, got {root!r}")
    signature = private_key.sign(tree_head_payload(tree_size, timestamp_ms, root))
    return TreeHead(tree_size, timestamp_ms, root, signature).to_json()


def parse_tree_head(sth: object) -> TreeHead:
    """Read an STH object; check every field's type and length (not the signature).

    Raises
    ------
    TreeHeadError
        A field is missing or malformed; the message names it.
    """
    if not isinstance(sth, Mapping):
        raise TreeHeadError(f"tree head: must be a JSON object, got {type(sth).__name__}")
    for key in ("tree_size", "timestamp", "sha256_root_hash", "tree_head_signature"):
        if key not in sth:
            raise TreeHeadError(f"tree head: missing {key!r}")
    for key in ("tree_size", "timestamp"):
        value = sth[key]
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise TreeHeadError(f"tree head: {key!r} must be a non-negative integer,"
                                f" got {value!r}")
    try:
        root = b64decode(sth["sha256_root_hash"], "tree head: 'sha256_root_hash'", HASH_SIZE)
        signature = b64decode(sth["tree_head_signature"], "tree head: 'tree_head_signature'",
                              SIGNATURE_SIZE)
    except ValueError as exc:
        raise TreeHeadError(str(exc)) from None
    return TreeHead(sth["tree_size"], sth["timestamp"], root, signature)


def verify_tree_head(public_key: Ed25519PublicKey, sth: object) -> bool:
    """Check an STH's fields and its Ed25519 signature; return ``True`` when it holds.

    Raises
    ------
    TreeHeadError
        A field is malformed, or the signature is not the log key's signature over this
        size, timestamp and root (the message gives all three).
    """
    head = parse_tree_head(sth)
    try:
        public_key.verify(head.signature,
                          tree_head_payload(head.tree_size, head.timestamp, head.root))
    except InvalidSignature:
        raise TreeHeadError(
            f"tree head: the signature does not verify with the log's public key (tree_size"
            f" {head.tree_size}, timestamp {head.timestamp}, root {b64encode(head.root)}):"
            " the head was changed or signed by another key") from None
    return True


def public_key_json(public_key: Ed25519PublicKey) -> dict[str, str]:
    """``{"ed25519": <base64 of the 32-byte raw key>}``, as ``GET /api/log/pubkey`` serves it."""
    raw = public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return {"ed25519": b64encode(raw)}


def load_public_key(document: object) -> Ed25519PublicKey:
    """The key of a ``{"ed25519": <base64>}`` document (or of the base64 string itself).

    Raises
    ------
    TreeHeadError
        Not base64 of a 32-byte raw Ed25519 public key.
    """
    text = document.get("ed25519") if isinstance(document, Mapping) else document
    try:
        return Ed25519PublicKey.from_public_bytes(b64decode(text, "public key 'ed25519'", 32))
    except ValueError as exc:
        raise TreeHeadError(str(exc)) from None
