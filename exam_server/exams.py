"""Exams and their sessions in the database, loaded from exam definition files.

The stored definition keeps the TOML source, so the exact definition the papers are built
from can always be read back and re-validated.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from exam_server.audit import append_audit
from exam_server.db import reading, transaction
from exam_server.models import Exam, ExamSession, Participant, SealedPackage
from question_bank.errors import BankError, BlueprintError
from question_bank.exam_definition import (
    ExamDefinition,
    load_exam_definition,
    parse_exam_definition,
)


@dataclass(frozen=True)
class LoadResult:
    """What ``load_exam`` did: created, changed, or nothing (the same file again)."""

    exam_id: str
    created: bool
    changed: bool
    sessions: int


def load_exam(factory: sessionmaker[Session], path: Path, *, actor: str) -> LoadResult:
    """Load (or reload) an exam definition file into the database.

    Loading the same file again changes nothing. A changed definition replaces the stored
    one while no sealed package exists for the exam; afterwards it is refused, since the
    papers were built from the stored definition.
    """
    definition = load_exam_definition(path)
    source = path.read_text(encoding="utf-8")
    with transaction(factory) as db:
        exam = db.get(Exam, definition.id)
        if exam is not None and exam.definition_sha256 == definition.source_sha256:
            return LoadResult(definition.id, created=False, changed=False,
                              sessions=len(definition.sessions))
        created = exam is None
        if exam is None:
            exam = Exam(id=definition.id, name=definition.name, scheme=definition.scheme.id,
                        definition={"toml": source, "file": path.name},
                        definition_sha256=definition.source_sha256)
            db.add(exam)
        else:
            packages = db.scalar(select(func.count()).select_from(SealedPackage)
                                 .where(SealedPackage.exam_id == exam.id))
            if packages:
                raise BankError(f"{path.name}: exam {exam.id} already has a sealed package "
                                f"built from its stored definition; give the changed exam a "
                                f"new id instead of changing it")
            exam.name, exam.scheme = definition.name, definition.scheme.id
            exam.definition = {"toml": source, "file": path.name}
            exam.definition_sha256 = definition.source_sha256
        _sync_sessions(db, exam, definition, path.name)
        db.flush()
        append_audit(db, actor=actor, action="exam.load", subject=definition.id,
                     details={"file": path.name, "sha256": definition.source_sha256,
                              "created": created,
                              "sessions": [s.id for s in definition.sessions]})
    return LoadResult(definition.id, created=created, changed=not created,
                      sessions=len(definition.sessions))


def _sync_sessions(db: Session, exam: Exam, definition: ExamDefinition, source: str) -> None:
    existing = {s.code: s for s in db.scalars(
        select(ExamSession).where(ExamSession.exam_id == definition.id))}
    for s in definition.sessions:
        row = existing.pop(s.id, None)
        if row is None:
            db.add(ExamSession(exam_id=definition.id, code=s.id, site=s.site, room=s.room,
                               starts_at=s.starts_at, duration_minutes=s.duration_minutes,
                               state="scheduled"))
        else:
            row.site, row.room = s.site, s.room
            row.starts_at, row.duration_minutes = s.starts_at, s.duration_minutes
    for code, row in existing.items():
        used = db.scalar(select(func.count()).select_from(Participant)
                         .where(Participant.session_id == row.id))
        if used:
            raise BankError(f"{source}: session {code} of exam {exam.id} has {used} "
                            f"participants and cannot be removed from the definition")
        db.delete(row)


def exam_definition(factory: sessionmaker[Session], exam_id: str) -> ExamDefinition:
    """The stored definition of an exam, re-validated; a clear error if there is none."""
    with reading(factory) as db:
        exam = db.get(Exam, exam_id)
        if exam is None:
            known = db.scalars(select(Exam.id).order_by(Exam.id)).all()
            raise BankError(f"no exam {exam_id!r} in this instance (exams: "
                            f"{', '.join(known) or 'none'}); load one with "
                            f"`seleksi exam load FILE`")
        definition, sha256 = dict(exam.definition), exam.definition_sha256
    if "toml" not in definition:
        raise BlueprintError(f"exam {exam_id} came from a sealed package and has no "
                             f"definition file here; papers are built where it was loaded")
    return parse_exam_definition(tomllib.loads(definition["toml"]), definition["file"],
                                 sha256=sha256)
