"""The byte layout of a sealed package, its manifest, session keys and release keys.

``docs/sealed-package.md`` specifies every byte. In short::

    0        16  magic "SELEKSI-SEAL v1\\n"
    16        4  manifest length L, unsigned big-endian
    20       32  SHA-256 of the manifest
    52        8  header check: first 8 bytes of SHA-256 of bytes 0..51
    60        L  manifest: canonical JSON, UTF-8
    60+L     64  Ed25519 signature of bytes 0 .. 60+L (header and manifest)
    124+L        session payloads (AES-256-GCM ciphertext + tag), back to back in manifest
                 order; the file ends exactly after the last one
"""

from __future__ import annotations

import base64
import hashlib
import json
import struct
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from question_bank.blueprint import Blueprint, blueprint_from_data, blueprint_to_data
from question_bank.errors import BlueprintError, SealError
from scoring.scheme import SectionRule

MAGIC = b"SELEKSI-SEAL v1\n"
HEADER = struct.Struct(">16sI32s8s")
HEADER_SIZE = HEADER.size  # 60
SIGNATURE_SIZE = 64
FORMAT = "seleksi-sealed-package/1"
PAYLOAD_FORMAT = "seleksi-session/1"
KEY_INFO = "seleksi/session-key/v2|"
AAD_PREFIX = "seleksi/session-aad/v1"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
RELEASE_KEY_CHARS = 56


@dataclass(frozen=True)
class RosterRow:
    """One participant of the package's roster (not secret: sites need it for check-in).

    ``extra_minutes`` and ``large_text`` are the accommodations; a manifest without them
    (written before they existed) reads as 0 and false.
    """

    participant: str
    name: str
    formation: str
    category: str
    session: str
    extra_minutes: int = 0
    large_text: bool = False


@dataclass(frozen=True)
class SessionEntry:
    """One session of the manifest: where and when, and where its payload lies."""

    id: str
    site: str
    room: str
    starts_at: datetime
    duration_minutes: int | None
    participants: int
    items: int
    offset: int
    length: int
    nonce: bytes
    sha256: str


@dataclass(frozen=True)
class Manifest:
    """The signed, readable part of a sealed package."""

    format: str
    package_id: str
    exam_id: str
    exam_name: str
    exam_source_sha256: str
    scheme_id: str
    scheme_sections: tuple[SectionRule, ...]
    blueprint: Blueprint
    bank_sha256: str
    created: datetime
    public_key_sha256: str
    roster: tuple[RosterRow, ...]
    sessions: tuple[SessionEntry, ...]
    sha256: str
    created_text: str

    def session(self, session_id: str) -> SessionEntry:
        """The session with this id; ``SealError`` naming the known ids if none."""
        for s in self.sessions:
            if s.id == session_id:
                return s
        raise SealError(f"the package has no session {session_id!r} "
                        f"(sessions: {', '.join(s.id for s in self.sessions)})")


def session_key(master_secret: bytes, exam_id: str, package_id: str, session_id: str) -> bytes:
    """HKDF-SHA256(ikm=master secret, salt=exam id,
    info="seleksi/session-key/v2|" + package id + "|" + session id).

    The package id is random per sealing, so a rebuilt package (say, after a suspected leak)
    has new keys, and no key exists before its package does.
    """
    if len(master_secret) != 32:
        raise SealError("the master secret must be 32 bytes")
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=exam_id.encode("utf-8"),
                info=f"{KEY_INFO}{package_id}|{session_id}".encode()).derive(master_secret)


def session_aad(exam_id: str, session_id: str, bank_sha256: str, created: str) -> bytes:
    """GCM associated data: ``seleksi/session-aad/v1|exam|session|bank sha256|created``."""
    return "|".join((AAD_PREFIX, exam_id, session_id, bank_sha256, created)).encode("utf-8")


def _checksum(key: bytes) -> str:
    value = int.from_bytes(hashlib.sha256(key).digest()[:3], "big") >> 4
    return "".join(B32[(value >> (5 * (3 - i))) & 31] for i in range(4))


def format_release_key(key: bytes) -> str:
    """A 32-byte session key as 14 dash-separated groups of 4 base32 characters.

    52 characters of RFC 4648 base32 (no padding) then 4 characters of checksum (the first
    20 bits of SHA-256 of the key).
    """
    text = base64.b32encode(key).decode("ascii").rstrip("=") + _checksum(key)
    return "-".join(text[i:i + 4] for i in range(0, len(text), 4))


def parse_release_key(text: str) -> bytes:
    """The 32-byte session key from its printed form; ignores case, dashes and spaces.

    Raises
    ------
    SealError
        Wrong length, a character outside base32, or a checksum that does not match.
    """
    clean = "".join(ch for ch in text.upper() if ch != "-" and not ch.isspace())
    if len(clean) != RELEASE_KEY_CHARS:
        raise SealError(f"a release key has {RELEASE_KEY_CHARS} letters and digits "
                        f"(14 groups of 4), this one has {len(clean)}")
    for pos, ch in enumerate(clean, 1):
        if ch not in B32:
            raise SealError(f"release key character {pos} is {ch!r}: only A–Z and 2–7 are used "
                            f"(0 is O, 1 is I, 8 is B)")
    try:
        key = base64.b32decode(clean[:52] + "====")
    except ValueError:
        raise SealError("the release key is malformed") from None
    if base64.b32encode(key).decode("ascii").rstrip("=") != clean[:52]:
        raise SealError("the release key is malformed (its last key character is impossible)")
    if _checksum(key) != clean[52:]:
        raise SealError("the release key's checksum does not match: a character was mistyped")
    return key


def pack_header(manifest: bytes) -> bytes:
    """Magic, manifest length, manifest SHA-256 and the header check (60 bytes)."""
    head = MAGIC + struct.pack(">I", len(manifest)) + hashlib.sha256(manifest).digest()
    return head + hashlib.sha256(head).digest()[:8]


def split_container(data: bytes) -> tuple[bytes, bytes, int]:
    """Check the header and manifest hash; return (manifest bytes, signature, payload start).

    Raises
    ------
    SealError
        Naming ``header`` or ``manifest``.
    """
    if len(data) < HEADER_SIZE:
        raise SealError(f"header: the file is {len(data)} bytes, shorter than the "
                        f"{HEADER_SIZE}-byte header of a Seleksi sealed package")
    magic, length, digest, check = HEADER.unpack_from(data)
    if magic != MAGIC:
        raise SealError("header: not a Seleksi sealed package (the magic line does not match)")
    if hashlib.sha256(data[:HEADER_SIZE - 8]).digest()[:8] != check:
        raise SealError("header: the header check does not match (header bytes altered)")
    end = HEADER_SIZE + length
    if end + SIGNATURE_SIZE > len(data):
        raise SealError(f"manifest: the file is truncated ({len(data)} bytes, the manifest and "
                        f"signature end at byte {end + SIGNATURE_SIZE})")
    manifest = data[HEADER_SIZE:end]
    if hashlib.sha256(manifest).digest() != digest:
        raise SealError("manifest: altered (its SHA-256 does not match the header)")
    return manifest, data[end:end + SIGNATURE_SIZE], end + SIGNATURE_SIZE


def manifest_from_bytes(raw: bytes) -> Manifest:
    """Parse signed manifest bytes into a :class:`Manifest`.

    Raises
    ------
    SealError
        ``manifest: ...`` when the data is not shaped like a manifest.
    """
    try:
        d: dict[str, Any] = json.loads(raw.decode("utf-8"))
        if d["format"] != FORMAT:
            raise SealError(f"manifest: format {d['format']!r} is not {FORMAT!r}; this "
                            f"version of Seleksi cannot read it")
        sections = tuple(SectionRule(code=s["code"], name=s["name"], questions=s["questions"],
                                     rule=s["rule"], max_points=s["max_points"],
                                     min_points=s["min_points"], options=tuple(s["options"]))
                         for s in d["scheme"]["sections"])
        sessions = tuple(SessionEntry(
            id=s["id"], site=s["site"], room=s["room"],
            starts_at=datetime.fromisoformat(s["starts_at"]),
            duration_minutes=s["duration_minutes"], participants=s["participants"],
            items=s["items"], offset=s["offset"], length=s["length"],
            nonce=bytes.fromhex(s["nonce"]), sha256=s["sha256"]) for s in d["sessions"])
        roster = tuple(RosterRow(r["participant"], r["name"], r["formation"], r["category"],
                                 r["session"], int(r.get("extra_minutes", 0)),
                                 bool(r.get("large_text", False))) for r in d["roster"])
        return Manifest(format=d["format"], package_id=d["package_id"],
                        exam_id=d["exam"]["id"], exam_name=d["exam"]["name"],
                        exam_source_sha256=d["exam"]["source_sha256"],
                        scheme_id=d["scheme"]["id"], scheme_sections=sections,
                        blueprint=blueprint_from_data(d["blueprint"]),
                        bank_sha256=d["bank_sha256"],
                        created=datetime.fromisoformat(d["created"]),
                        public_key_sha256=d["public_key_sha256"], roster=roster,
                        sessions=sessions, sha256=hashlib.sha256(raw).hexdigest(),
                        created_text=d["created"])
    except SealError:
        raise
    except (ValueError, KeyError, TypeError, BlueprintError) as exc:
        raise SealError(f"manifest: not a valid manifest ({exc!r})") from exc


def _roster_data(r: RosterRow) -> dict[str, Any]:
    """One roster row; the accommodations only when there are any, so a package without
    them is byte for byte what older versions wrote."""
    data: dict[str, Any] = {"participant": r.participant, "name": r.name,
                            "formation": r.formation, "category": r.category,
                            "session": r.session}
    if r.extra_minutes:
        data["extra_minutes"] = r.extra_minutes
    if r.large_text:
        data["large_text"] = True
    return data


def manifest_to_data(m: Manifest) -> dict[str, Any]:
    """A :class:`Manifest` as the JSON data that is signed (see ``docs/sealed-package.md``)."""
    return {
        "format": m.format,
        "package_id": m.package_id,
        "exam": {"id": m.exam_id, "name": m.exam_name, "source_sha256": m.exam_source_sha256},
        "scheme": {"id": m.scheme_id, "sections": [
            {"code": s.code, "name": s.name, "questions": s.questions, "rule": s.rule,
             "min_points": s.min_points, "max_points": s.max_points, "options": list(s.options)}
            for s in m.scheme_sections]},
        "blueprint": blueprint_to_data(m.blueprint),
        "bank_sha256": m.bank_sha256,
        "created": m.created_text,
        "public_key_sha256": m.public_key_sha256,
        "crypto": {"cipher": "AES-256-GCM", "kdf": "HKDF-SHA256", "compression": "zlib",
                   "signature": "Ed25519"},
        "roster": [_roster_data(r) for r in m.roster],
        "sessions": [{"id": s.id, "site": s.site, "room": s.room,
                      "starts_at": s.starts_at.isoformat(),
                      "duration_minutes": s.duration_minutes, "participants": s.participants,
                      "items": s.items, "offset": s.offset, "length": s.length,
                      "nonce": s.nonce.hex(), "sha256": s.sha256} for s in m.sessions],
    }
