"""Sealed packages: the papers of an exam, encrypted per session and signed.

One file carries a signed manifest (exam, scheme, blueprint, roster, sessions, hashes) and
one AES-256-GCM payload per session (the items used, at their versions, with their answer
keys, and every paper of the session). A session's key is derived from the bank's master
secret with HKDF; its printed form is the session's release key, read out at session start.
``docs/sealed-package.md`` specifies the bytes.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from question_bank.errors import BankError, SealError
from question_bank.exam_definition import ExamDefinition
from question_bank.keys import public_key_fingerprint
from question_bank.model import ItemVersion, canonical_json
from question_bank.papers import BankSnapshot, Paper
from question_bank.sealing_format import (
    FORMAT,
    Manifest,
    RosterRow,
    SessionEntry,
    format_release_key,
    manifest_from_bytes,
    manifest_to_data,
    pack_header,
    parse_release_key,
    session_aad,
    session_key,
    split_container,
)
from question_bank.sealing_payload import decode_session, encode_payload, session_papers

__all__ = ["Manifest", "RosterLike", "SessionContent", "VerifyReport", "match_keys", "open_session",
           "parse_release_key", "read_manifest", "release_key", "seal_package",
           "verify_package"]


class RosterLike(Protocol):
    """Anything with the five roster fields (``RosterEntry`` of ``question_bank.roster``);
    ``extra_minutes`` and ``large_text`` are taken too when it has them."""

    @property
    def participant(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def formation(self) -> str: ...
    @property
    def category(self) -> str: ...
    @property
    def session(self) -> str: ...


@dataclass(frozen=True)
class SessionContent:
    """A decrypted session: the item versions used, and the papers by participant."""

    items: dict[str, ItemVersion]
    papers: dict[str, Paper]
    media: dict[str, tuple[str, bytes]]


@dataclass(frozen=True)
class VerifyReport:
    """What :func:`verify_package` checked; ``lines`` are for people (the CLI prints them)."""

    manifest: Manifest
    sessions_opened: tuple[str, ...]
    lines: tuple[str, ...]


def release_key(master_secret: bytes, manifest: Manifest, session_id: str) -> str:
    """The printable release key of one session of a package (``XXXX-...``, 14 groups of 4)."""
    manifest.session(session_id)
    return format_release_key(session_key(master_secret, manifest.exam_id, manifest.package_id,
                                          session_id))


def _roster_rows(exam: ExamDefinition, roster: Sequence[RosterLike]) -> list[RosterRow]:
    ids = [s.id for s in exam.sessions]
    rows, seen = [], set()
    for n, r in enumerate(roster, 1):
        session = r.session or (ids[0] if len(ids) == 1 else "")
        if session not in ids:
            raise BankError(f"roster entry {n} ({r.participant}): "
                            f"{'no session given' if not r.session else repr(r.session)}; "
                            f"exam {exam.id} has sessions {', '.join(ids)}")
        if r.participant in seen:
            raise BankError(f"roster entry {n}: participant {r.participant} appears twice")
        seen.add(r.participant)
        rows.append(RosterRow(r.participant, r.name, r.formation, r.category, session,
                              int(getattr(r, "extra_minutes", 0)),
                              bool(getattr(r, "large_text", False))))
    return rows


def seal_package(exam: ExamDefinition, roster: Sequence[RosterLike], papers: Sequence[Paper],
                 snapshot: BankSnapshot, master_secret: bytes,
                 signing_key: Ed25519PrivateKey, created: datetime,
                 media: Mapping[str, tuple[str, bytes]] | None = None) -> bytes:
    """Seal the papers of an exam into one package (bytes of the ``.seal`` file).

    ``media`` holds the images the items refer to (sha256 -> (mime, bytes)); each session's
    payload carries the ones its papers use, encrypted with the papers.

    Papers are matched to sessions through the roster; an empty roster session means
    the exam's only session.

    Raises
    ------
    BankError
        Roster and papers do not match one to one, a session is unknown, a paper names an
        item outside the snapshot, the snapshot was built for another blueprint, or
        ``created`` has no time zone.
    """
    if created.tzinfo is None or created.utcoffset() is None:
        raise BankError("created: a sealing time needs a time zone")
    if snapshot.blueprint != exam.blueprint:
        raise BankError(f"the bank snapshot was built for another blueprint than exam {exam.id}")
    rows = _roster_rows(exam, roster)
    by_participant: dict[str, Paper] = {}
    for paper in papers:
        if paper.participant in by_participant:
            raise BankError(f"two papers for participant {paper.participant}")
        by_participant[paper.participant] = paper
    extra = sorted(set(by_participant) - {r.participant for r in rows})
    missing = [r.participant for r in rows if r.participant not in by_participant]
    if extra or missing:
        raise BankError(f"papers and roster differ: {len(missing)} on the roster without a "
                        f"paper (first: {missing[:3]}), {len(extra)} papers not on the roster "
                        f"(first: {extra[:3]}); build papers for exactly the roster")
    created_text = created.isoformat()
    package_id = os.urandom(16).hex()
    entries: list[SessionEntry] = []
    payloads: list[bytes] = []
    offset = 0
    for session in exam.sessions:
        group = [by_participant[r.participant] for r in rows if r.session == session.id]
        used = sorted({ref for p in group for ref in p.refs})
        try:
            versions = [snapshot.item(ref) for ref in used]
        except KeyError as exc:
            raise BankError(f"session {session.id}: {exc.args[0]}") from None
        nonce = os.urandom(12)
        aad = session_aad(exam.id, session.id, snapshot.sha256, created_text)
        key = session_key(master_secret, exam.id, package_id, session.id)
        plain = encode_payload(exam.id, session.id, versions, group, media or {})
        sealed = AESGCM(key).encrypt(nonce, plain, aad)
        entries.append(SessionEntry(
            id=session.id, site=session.site, room=session.room, starts_at=session.starts_at,
            duration_minutes=session.duration_minutes, participants=len(group),
            items=len(versions), offset=offset, length=len(sealed), nonce=nonce,
            sha256=hashlib.sha256(sealed).hexdigest()))
        payloads.append(sealed)
        offset += len(sealed)
    manifest = Manifest(
        format=FORMAT, package_id=package_id, exam_id=exam.id, exam_name=exam.name,
        exam_source_sha256=exam.source_sha256, scheme_id=exam.scheme.id,
        scheme_sections=exam.scheme.sections, blueprint=exam.blueprint,
        bank_sha256=snapshot.sha256, created=created,
        public_key_sha256=public_key_fingerprint(signing_key.public_key()), roster=tuple(rows),
        sessions=tuple(entries), sha256="", created_text=created_text)
    raw = canonical_json(manifest_to_data(manifest))
    signed = pack_header(raw) + raw
    return b"".join([signed, signing_key.sign(signed), *payloads])


def read_manifest(data: bytes, public_key: Ed25519PublicKey) -> Manifest:
    """Check a package without any release key and return its manifest.

    Checks the header, the manifest hash, the signer and signature, the payload layout,
    the exact file length and every payload's SHA-256.

    Raises
    ------
    SealError
        Naming the part: ``header``, ``manifest``, ``signature``,
        ``session <id> payload`` or ``trailing bytes``.
    """
    raw, signature, start = split_container(data)
    manifest = manifest_from_bytes(raw)
    fingerprint = public_key_fingerprint(public_key)
    if manifest.public_key_sha256 != fingerprint:
        raise SealError(f"signature: the package names signing key "
                        f"{manifest.public_key_sha256[:16]}…, the public key given is "
                        f"{fingerprint[:16]}…; use the bank's bank.pub")
    try:
        public_key.verify(signature, data[:start - len(signature)])
    except InvalidSignature:
        raise SealError("signature: the Ed25519 signature does not verify (the signature was "
                        "altered, or the package was not signed by this key)") from None
    position = start
    for entry in manifest.sessions:
        if entry.offset != position - start:
            raise SealError(f"session {entry.id} payload: offset {entry.offset} does not follow "
                            f"the previous payload")
        end = position + entry.length
        if end > len(data):
            raise SealError(f"session {entry.id} payload: truncated (the file is {len(data)} "
                            f"bytes, the payload ends at byte {end})")
        if hashlib.sha256(data[position:end]).hexdigest() != entry.sha256:
            raise SealError(f"session {entry.id} payload: altered (its SHA-256 does not match "
                            f"the manifest)")
        position = end
    if len(data) != position:
        raise SealError(f"trailing bytes: {len(data) - position} bytes after the last session "
                        f"payload; the file must end at byte {position}")
    return manifest


def _decrypt(data: bytes, manifest: Manifest, session_id: str, key: bytes) -> bytes:
    entry = manifest.session(session_id)
    start = len(data) - sum(s.length for s in manifest.sessions) + entry.offset
    aad = session_aad(manifest.exam_id, entry.id, manifest.bank_sha256, manifest.created_text)
    if len(key) != 32:
        raise SealError(f"session {session_id}: a session key is 32 bytes, got {len(key)}")
    try:
        return AESGCM(key).decrypt(entry.nonce, data[start:start + entry.length], aad)
    except InvalidTag:
        raise SealError(f"session {session_id} payload: cannot decrypt: wrong release key for "
                        f"this session") from None


def match_keys(data: bytes, manifest: Manifest, keys: Sequence[bytes]) -> dict[str, bytes]:
    """Which session each key opens: GCM authentication only, no payload decoding.

    ``manifest`` must come from :func:`read_manifest` of ``data``.

    Raises
    ------
    SealError
        A key that opens no session of the package (``key #n``, counting from 1).
    """
    matched: dict[str, bytes] = {}
    for n, key in enumerate(keys, start=1):
        for entry in manifest.sessions:
            try:
                _decrypt(data, manifest, entry.id, key)
            except SealError:
                continue
            matched[entry.id] = key
            break
        else:
            raise SealError(f"key #{n} opens no session of this package (sessions: "
                            f"{', '.join(s.id for s in manifest.sessions)})")
    return matched


def open_session(data: bytes, public_key: Ed25519PublicKey, session_id: str,
                 key: bytes) -> SessionContent:
    """Check the package, decrypt one session with its key, check its papers, return them.

    Raises
    ------
    SealError
        Any check of :func:`read_manifest`, a wrong key, or a paper that breaks the blueprint.
    """
    manifest = read_manifest(data, public_key)
    decoded = decode_session(_decrypt(data, manifest, session_id, key), manifest,
                             manifest.session(session_id))
    sections = [s.code for s in manifest.blueprint.sections for _ in range(s.count)]
    return SessionContent(items={v.ref: v for v in decoded.items},
                          papers=session_papers(decoded, sections), media=decoded.media)


def verify_package(data: bytes, public_key: Ed25519PublicKey,
                   keys: Mapping[str, bytes] | None = None) -> VerifyReport:
    """Verify a package: signature and hashes, and with keys every paper of those sessions.

    ``keys`` maps session ids to session keys (:func:`parse_release_key` of release keys).

    Raises
    ------
    SealError
        The first failed check, naming the part.
    """
    manifest = read_manifest(data, public_key)
    lines = [f"package of exam {manifest.exam_id} ({manifest.exam_name}), scheme "
             f"{manifest.scheme_id}, sealed {manifest.created_text}",
             f"signature: valid, signed by key {manifest.public_key_sha256[:16]}…",
             f"manifest: {len(manifest.roster)} participants in {len(manifest.sessions)} "
             f"session(s); bank snapshot {manifest.bank_sha256[:16]}…",
             *(f"session {s.id}: {s.participants} papers, {s.items} items, payload "
               f"{s.length} bytes, SHA-256 matches" for s in manifest.sessions)]
    opened = []
    for session_id, key in (keys or {}).items():
        entry = manifest.session(session_id)
        decoded = decode_session(_decrypt(data, manifest, session_id, key), manifest, entry)
        opened.append(session_id)
        lines.append(f"session {session_id}: decrypted; {len(decoded.participants)} papers "
                     f"follow the blueprint ({manifest.blueprint.questions} questions, no "
                     f"repeats, option orders valid), {len(decoded.items)} answer keys valid")
    if not keys:
        lines.append("papers not checked: give a release key to decrypt and check a session")
    return VerifyReport(manifest=manifest, sessions_opened=tuple(opened), lines=tuple(lines))
