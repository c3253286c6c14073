"""The append-only, hash-chained audit log.

Every row's ``hash`` is the SHA-256 (hex) of the canonical JSON of the row's own fields and
the previous row's hash, so changing, removing or re-ordering any row breaks the chain at
that row. ``docs/database.md`` specifies the hash so anyone can re-verify a dump.
"""

from __future__ import annotations

import hashlib
import json
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from exam_server.db import factory_of, reading, serialise
from exam_server.models import AuditLog, utcnow
from question_bank.model import canonical_json

GENESIS_HASH = "0" * 64
AUDIT_LOCK = "seleksi.audit_log"


@dataclass(frozen=True)
class AuditCheck:
    """The outcome of :func:`verify_audit_chain`.

    ``bad_row`` is the id of the first row that fails and ``reason`` says how; both are
    None when ``ok``.
    """

    ok: bool
    rows_checked: int
    bad_row: int | None = None
    reason: str | None = None


def audit_time(at: datetime) -> str:
    """The ``at`` field as hashed: ISO 8601 in UTC with microseconds, ``+00:00`` suffix."""
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def row_hash(*, id: int, at: datetime, actor: str, action: str, subject: str,
             details: dict[str, Any], prev_hash: str) -> str:
    """SHA-256 (hex) of the canonical JSON of one audit row (see ``docs/database.md``)."""
    body = {"id": id, "at": audit_time(at), "actor": actor, "action": action,
            "subject": subject, "details": details, "prev_hash": prev_hash}
    return hashlib.sha256(canonical_json(body)).hexdigest()


def append_audit(session: Session, *, actor: str, action: str, subject: str,
                 details: dict[str, Any]) -> AuditLog:
    """Append one row inside the caller's transaction and return it (flushed, hashed).

    The chain cannot fork: PostgreSQL serialises appends with a transaction-level advisory
    lock taken before the last row is read; SQLite transactions already hold the write lock
    (``BEGIN IMMEDIATE``). ``details`` must be JSON data (str keys); it is stored as its
    canonical JSON reads back, so the hash verifies after a round trip through the database.
    """
    try:
        details = json.loads(canonical_json(details))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"audit details for {action} {subject} are not JSON data: {exc}") from exc
    serialise(session, AUDIT_LOCK)
    last = session.execute(
        select(AuditLog.hash).order_by(AuditLog.id.desc()).limit(1)).scalar_one_or_none()
    at = utcnow()
    row = AuditLog(at=at, actor=actor, action=action, subject=subject, details=details,
                   prev_hash=last or GENESIS_HASH, hash="")
    session.add(row)
    session.flush()  # assigns the id, which the hash covers
    row.hash = row_hash(id=row.id, at=at, actor=actor, action=action, subject=subject,
                        details=details, prev_hash=row.prev_hash)
    session.flush()
    return row


def verify_audit_chain(factory: sessionmaker[Session] | Engine) -> AuditCheck:
    """Re-compute every row's hash in id order and check each links to the one before.

    Returns at the first bad row, naming it and saying what is wrong. A chain cut off at
    its end still verifies: compare the last hash with one recorded elsewhere to catch that.
    """
    expected_prev = GENESIS_HASH
    checked = 0
    with reading(factory_of(factory)) as session:
        query = select(AuditLog).order_by(AuditLog.id).execution_options(yield_per=1000)
        with closing(session.scalars(query)) as rows:
            for row in rows:
                checked += 1
                problem = _row_problem(row, expected_prev)
                if problem is not None:
                    return AuditCheck(False, checked, row.id, problem)
                expected_prev = row.hash
    return AuditCheck(True, checked)


def _row_problem(row: AuditLog, expected_prev: str) -> str | None:
    if row.prev_hash != expected_prev:
        return (f"audit row {row.id}: prev_hash {row.prev_hash[:12]}… does not match the hash "
                f"of the row before it ({expected_prev[:12]}…): a row before it was changed, "
                "removed or inserted")
    actual = row_hash(id=row.id, at=row.at, actor=row.actor, action=row.action,
                      subject=row.subject, details=row.details, prev_hash=row.prev_hash)
    if actual != row.hash:
        return (f"audit row {row.id}: its content does not match its hash (stored "
                f"{row.hash[:12]}…, computed {actual[:12]}…): the row was changed after it "
                "was written")
    return None
