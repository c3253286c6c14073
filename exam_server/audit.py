"""The append-only, hash-chained audit log.

Every row's ``hash`` is the SHA-256 (hex) of the canonical JSON of the row's own fields and
the previous row's hash, so changing, removing or re-ordering any row breaks the chain at
that row. ``docs/database.md`` specifies the hash so anyone can re-verify a dump.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Sequence
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Connection, Engine, Table, select
from sqlalchemy.orm import Session, sessionmaker

from exam_server.db import factory_of, is_postgresql, reading, serialise
from exam_server.hot_sql import fetch_all, insert_audit_rows
from exam_server.models import AuditLog, utcnow
from question_bank.model import canonical_json

GENESIS_HASH = "0" * 64
AUDIT_LOCK = "seleksi.audit_log"
AUDIT_TABLE = cast(Table, AuditLog.__table__)
LAST_ROW = "SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1"
SQLITE_SEQUENCE = "SELECT seq FROM sqlite_sequence WHERE name = 'audit_log'"


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


@functools.lru_cache(maxsize=4096)  # actors, actions and subjects repeat row after row
def _json_text(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def hash_text(*, id: int, at: datetime, actor: str, action: str, subject: str,
              details_json: str, prev_hash: str) -> bytes:
    """The bytes :func:`row_hash` hashes, built from ``details`` already in canonical JSON.

    Equal to ``canonical_json(body)`` of :func:`row_hash` (keys in sorted order, no spaces),
    without serialising ``details`` a second time.
    """
    return _hash_text(id, audit_time(at), actor, action, subject, details_json, prev_hash)


def _hash_text(id: int, at: str, actor: str, action: str, subject: str, details_json: str,
               prev_hash: str) -> bytes:
    return (f'{{"action":{_json_text(action)},"actor":{_json_text(actor)},'
            f'"at":"{at}","details":{details_json},"id":{int(id)},'
            f'"prev_hash":{json.dumps(prev_hash, ensure_ascii=False)},'  # new each row: not cached
            f'"subject":{_json_text(subject)}}}'
            ).encode()


@dataclass(frozen=True)
class AuditEntry:
    """An audit row to append (see :func:`append_audit_batch`)."""

    actor: str
    action: str
    subject: str
    details: dict[str, Any]


def _next_ids(conn: Connection, count: int, last_id: int) -> list[int]:
    """``count`` fresh ids for audit rows, in increasing order, never used before.

    PostgreSQL: taken from the column's sequence (as an insert would). SQLite: after the
    table's ``AUTOINCREMENT`` high-water mark (an explicit id above it moves it on).
    """
    if is_postgresql(conn):
        ids = fetch_all(conn, "SELECT nextval(pg_get_serial_sequence('audit_log', 'id')) "
                              "FROM generate_series(1, %s)", (count,))
        return sorted(int(i) for i, in ids)
    seq = fetch_all(conn, SQLITE_SEQUENCE)
    start = max(int(seq[0][0] if seq else 0), last_id) + 1
    return list(range(start, start + count))


def append_audit_batch(session: Session | Connection, entries: Sequence[AuditEntry]
                       ) -> list[tuple[int, str]]:
    """Append many audit rows inside the caller's transaction with one multi-row insert.

    The same chain, lock and hash as :func:`append_audit`: under the ``seleksi.audit_log``
    lock the last row is read, the rows get fresh ids in order, each row's hash is computed
    (linking to the row before it) before the insert, so one statement writes them all.
    Returns ``(id, hash)`` per entry, in order.
    """
    return [(row["id"], row["hash"]) for row in _append(_connection(session), entries)]


def _connection(session: Session | Connection) -> Connection:
    """The caller's transaction's connection; a ``Session``'s pending ORM changes are
    flushed first, as an ORM query would."""
    if isinstance(session, Connection):
        return session
    session.flush()
    return session.connection()


def _append(conn: Connection, entries: Sequence[AuditEntry]) -> list[dict[str, Any]]:
    if not entries:
        return []
    serialise(conn, AUDIT_LOCK)
    found = fetch_all(conn, LAST_ROW)
    last = found[0] if found else None
    prev = last[1] if last is not None else GENESIS_HASH
    ids = _next_ids(conn, len(entries), int(last[0]) if last is not None else 0)
    at = utcnow()
    at_text = audit_time(at)
    rows: list[dict[str, Any]] = []
    for row_id, e in zip(ids, entries, strict=True):
        try:
            details_json = canonical_json(e.details).decode("utf-8")
        except (TypeError, ValueError) as exc:
            raise ValueError(f"audit details for {e.action} {e.subject} are not JSON data: "
                             f"{exc}") from exc
        digest = hashlib.sha256(_hash_text(row_id, at_text, e.actor, e.action, e.subject,
                                           details_json, prev)).hexdigest()
        rows.append({"id": row_id, "at": at, "actor": e.actor, "action": e.action,
                     "subject": e.subject, "details_json": details_json,
                     "prev_hash": prev, "hash": digest})
        prev = digest
    insert_audit_rows(conn, rows)  # driver SQL: no per-row type processing
    return rows


def append_audit(session: Session, *, actor: str, action: str, subject: str,
                 details: dict[str, Any]) -> AuditLog:
    """Append one row inside the caller's transaction and return it (flushed, hashed).

    The chain cannot fork: PostgreSQL serialises appends with a transaction-level advisory
    lock taken before the last row is read; SQLite transactions already hold the write lock
    (``BEGIN IMMEDIATE``). ``details`` must be JSON data (str keys); it is stored as its
    canonical JSON reads back, so the hash verifies after a round trip through the database.
    """
    # the row as stored; it is written with a Core insert, so the object is not in the session
    [row] = _append(_connection(session), [AuditEntry(actor, action, subject, details)])
    row["details"] = json.loads(row.pop("details_json"))
    return AuditLog(**row)


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
