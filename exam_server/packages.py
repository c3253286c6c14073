"""Sealed packages: build one from the bank and an exam, import one into the exam server.

Only two things cross from the bank to the exam server: the sealed package file and, at
session start, its release key (ARCHITECTURE.md). Importing stores the roster in the clear
(the site needs it for check-in) and the papers still encrypted, one ciphertext per session.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from exam_server import bank_store
from exam_server.audit import append_audit
from exam_server.db import reading, transaction
from exam_server.exams import exam_definition
from exam_server.models import Exam, ExamSession, Participant, SealedPackage, SealedSession
from question_bank.blueprint import check_blueprint
from question_bank.errors import BankError, SealError
from question_bank.exposure import ExposureReport, exposure_report
from question_bank.keys import load_master_secret, load_signing_key
from question_bank.model import canonical_json
from question_bank.papers import BankSnapshot, build_papers, slot_number
from question_bank.roster import read_roster
from question_bank.sealing import read_manifest, seal_package
from question_bank.sealing_format import (
    Manifest,
    pack_header,
    split_container,
)


@dataclass(frozen=True)
class BuiltPackage:
    """A sealed package's bytes and what went into it."""

    data: bytes
    exam_id: str
    participants: int
    sessions: tuple[str, ...]
    bank_sha256: str
    exposure: dict[str, ExposureReport]
    contiguous: dict[str, bool]


def build_package(factory: sessionmaker[Session], *, exam_id: str, roster_path: Path,
                  seed: str, keys_folder: Path, actor: str, out: Path | None = None,
                  created: datetime | None = None) -> BuiltPackage:
    """Build every participant's paper for an exam and seal them into one package.

    The papers come from the approved bank as it is now (its snapshot hash goes into the
    manifest); the roster file names the participants and their sessions. With ``out`` the
    package is written there durably (temporary file, fsync, rename) before the build is
    recorded in the audit log; a failure leaves neither a file nor an audit row.
    """
    if not seed.strip():
        raise BankError("--seed: the exam seed must not be empty")
    if out is not None and not out.parent.is_dir():
        raise BankError(f"--out: the folder {out.parent} does not exist")
    definition = exam_definition(factory, exam_id)
    pool = bank_store.approved_pool(factory)
    check_blueprint(definition.blueprint, pool)
    snapshot = BankSnapshot(pool, definition.blueprint)
    roster = read_roster(roster_path, [s.id for s in definition.sessions],
                         definition.scheme.categories)
    papers = build_papers(seed, [r.participant for r in roster], snapshot)
    media = bank_store.media_for(factory, {h for v in pool for h in v.item.image_refs()})
    data = seal_package(definition, roster, papers, snapshot, load_master_secret(keys_folder),
                        load_signing_key(keys_folder), created or datetime.now(UTC), media=media)
    if out is not None:
        write_durably(out, data)
    with transaction(factory) as db:
        append_audit(db, actor=actor, action="papers.build", subject=exam_id,
                     details={"participants": len(roster), "bank_sha256": snapshot.sha256,
                              "seed_sha256": hashlib.sha256(seed.encode()).hexdigest(),
                              "package_sha256": hashlib.sha256(data).hexdigest(),
                              "file": None if out is None else out.name})
    session_of = {r.participant: r.session for r in roster}
    exposure, contiguous = {}, {}
    for s in definition.sessions:
        group = [p for p in papers if session_of[p.participant] == s.id]
        if group:
            exposure[s.id] = exposure_report(group, snapshot)
            slots = sorted(slot_number(p.participant) for p in group)
            contiguous[s.id] = slots[-1] - slots[0] == len(slots) - 1
    return BuiltPackage(data=data, exam_id=exam_id, participants=len(roster),
                        sessions=tuple(s.id for s in definition.sessions),
                        bank_sha256=snapshot.sha256, exposure=exposure, contiguous=contiguous)


def write_durably(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that a crash leaves the old file or the new, never half."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with tmp.open("wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


@dataclass(frozen=True)
class ImportedPackage:
    """What ``import_package`` did."""

    exam_id: str
    sessions: int
    participants: int
    unchanged: bool
    replaced: bool


def import_package(factory: sessionmaker[Session], data: bytes, public_key: Ed25519PublicKey,
                   *, actor: str, source: str) -> ImportedPackage:
    """Verify a sealed package and store it: roster in the clear, papers still sealed.

    The same file twice changes nothing. A new package for an exam replaces the previous
    one while every session is still scheduled; once a session has been opened it is refused.
    """
    manifest = read_manifest(data, public_key)
    raw, signature, start = split_container(data)
    file_sha256 = hashlib.sha256(data).hexdigest()
    with transaction(factory) as db:
        if db.scalar(select(SealedPackage.id).where(SealedPackage.file_sha256 == file_sha256)):
            return ImportedPackage(manifest.exam_id, len(manifest.sessions),
                                   len(manifest.roster), unchanged=True, replaced=False)
        exam = _exam_for(db, manifest, source)
        sessions = _sync_sessions(db, manifest, source)
        replaced = _drop_previous(db, manifest.exam_id, source)
        _sync_roster(db, manifest, sessions)
        package = SealedPackage(exam_id=exam.id, file_sha256=file_sha256,
                                manifest=json.loads(raw), signature=signature,
                                bank_snapshot_sha256=manifest.bank_sha256, imported_by=actor)
        db.add(package)
        db.flush()
        position = start
        for entry in manifest.sessions:
            ciphertext = data[position:position + entry.length]
            position += entry.length
            db.add(SealedSession(sealed_package_id=package.id, session_id=sessions[entry.id].id,
                                 nonce=entry.nonce, ciphertext=ciphertext,
                                 ciphertext_sha256=entry.sha256))
        append_audit(db, actor=actor, action="papers.import", subject=manifest.exam_id,
                     details={"file": source, "sha256": file_sha256, "replaced": replaced,
                              "manifest_sha256": hashlib.sha256(raw).hexdigest(),
                              "sessions": [s.id for s in manifest.sessions],
                              "participants": len(manifest.roster)})
    return ImportedPackage(manifest.exam_id, len(manifest.sessions), len(manifest.roster),
                           unchanged=False, replaced=replaced)


def _exam_for(db: Session, manifest: Manifest, source: str) -> Exam:
    exam = db.get(Exam, manifest.exam_id)
    if exam is None:
        exam = Exam(id=manifest.exam_id, name=manifest.exam_name, scheme=manifest.scheme_id,
                    definition={"package": source},
                    definition_sha256=manifest.exam_source_sha256)
        db.add(exam)
    elif exam.definition_sha256 != manifest.exam_source_sha256:
        raise SealError(f"{source}: built from another definition of exam {exam.id} than the "
                        f"one loaded here (definition {manifest.exam_source_sha256[:12]}… vs "
                        f"{exam.definition_sha256[:12]}…); nothing imported")
    return exam


def _sync_sessions(db: Session, manifest: Manifest, source: str) -> dict[str, ExamSession]:
    rows = {s.code: s for s in db.scalars(
        select(ExamSession).where(ExamSession.exam_id == manifest.exam_id))}
    for entry in manifest.sessions:
        row = rows.get(entry.id)
        if row is None:
            row = ExamSession(exam_id=manifest.exam_id, code=entry.id, state="scheduled",
                              site=entry.site, room=entry.room, starts_at=entry.starts_at,
                              duration_minutes=entry.duration_minutes)
            db.add(row)
            rows[entry.id] = row
        elif row.state != "scheduled":
            raise SealError(f"{source}: session {entry.id} is already {row.state}; its papers "
                            f"cannot be replaced now; nothing imported")
    db.flush()
    return rows


def _drop_previous(db: Session, exam_id: str, source: str) -> bool:
    previous = db.scalars(select(SealedPackage.id)
                          .where(SealedPackage.exam_id == exam_id)).all()
    if not previous:
        return False
    db.execute(delete(SealedSession).where(SealedSession.sealed_package_id.in_(previous)))
    db.execute(delete(SealedPackage).where(SealedPackage.id.in_(previous)))
    return True


def _sync_roster(db: Session, manifest: Manifest, sessions: dict[str, ExamSession]) -> None:
    existing = {p.number: p for p in db.scalars(
        select(Participant).where(Participant.exam_id == manifest.exam_id))}
    for row in manifest.roster:
        p = existing.pop(row.participant, None)
        if p is None:
            db.add(Participant(exam_id=manifest.exam_id, session_id=sessions[row.session].id,
                               number=row.participant, name=row.name, formation=row.formation,
                               category=row.category, extra_minutes=row.extra_minutes,
                               large_text=row.large_text))
        else:
            p.session_id, p.name = sessions[row.session].id, row.name
            p.formation, p.category = row.formation, row.category
            p.extra_minutes, p.large_text = row.extra_minutes, row.large_text
    for p in existing.values():
        db.delete(p)


def stored_package(factory: sessionmaker[Session], exam_id: str) -> bytes:
    """The exam's imported package, byte for byte as it was sealed, rebuilt from the database.

    Opening a session goes through this, so the signature and every hash are checked again
    against what the database holds: a row altered after import is caught at opening.
    """
    with reading(factory) as db:
        package = db.scalar(select(SealedPackage).where(SealedPackage.exam_id == exam_id))
        if package is None:
            raise SealError(f"exam {exam_id} has no imported package; run "
                            f"`seleksi papers import FILE` first")
        payloads = {s.session_id: s.ciphertext for s in package.sessions}
        codes = dict(db.execute(select(ExamSession.code, ExamSession.id)
                                .where(ExamSession.exam_id == exam_id)).all())
        raw = canonical_json(package.manifest)
        ordered = [payloads[codes[s["id"]]] for s in package.manifest["sessions"]]
        return b"".join([pack_header(raw), raw, package.signature, *ordered])
