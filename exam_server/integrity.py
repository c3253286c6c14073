"""Integrity alerts from the candidate page: logged for the proctor, never blocking.

``integrity {"kind", "at"}`` with ``kind`` one of :data:`INTEGRITY_KINDS` and ``at`` the
browser's epoch milliseconds. Each becomes an ``alert`` row and an audit row.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from exam_server.attempts import AttemptRef
from exam_server.audit import append_audit
from exam_server.db import transaction
from exam_server.models import Alert

INTEGRITY_KINDS = ("blur", "visibility", "fullscreen_exit", "copy", "paste")


def record_integrity(factory: sessionmaker[Session], ref: AttemptRef, kind: str,
                     client_at: int | None, now: datetime) -> Alert:
    """Store one integrity alert of an attempt, and audit it."""
    if kind not in INTEGRITY_KINDS:
        raise ValueError(f"integrity kind {kind!r}: one of {', '.join(INTEGRITY_KINDS)}")
    with transaction(factory) as db:
        alert = Alert(session_id=ref.session_id, participant_id=ref.participant_id,
                      attempt_id=ref.id, kind=kind, client_at=client_at, at=now, details={})
        db.add(alert)
        append_audit(db, actor="candidate", action="integrity", subject=ref.subject,
                     details={"attempt": ref.id, "kind": kind, "at": client_at})
    return alert
