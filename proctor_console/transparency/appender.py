"""Appending final results to the log: one ``result`` entry per finished attempt, exactly once.

The exam server does not call the log when an attempt finishes (it never imports the
console). Instead every serving process runs an :class:`Appender` that sweeps once a second:
it looks for finished attempts without a ``result`` leaf and appends them with
:func:`append_pending`, which owns the transaction. That transaction first serialises with
every other append (``exam_server.db.serialise(db, "seleksi.result_log")``: PostgreSQL's
advisory lock; SQLite's ``BEGIN IMMEDIATE`` write lock), then looks again (under the lock it
sees every append committed before), numbers the new leaves after the last one, writes them
and the signed head of the new size, and commits. So two processes sweeping at once append
each result once, with indexes 0, 1, 2, … and no gap; a partial unique index on
``result_log (attempt_id) WHERE kind = 'result'`` stands behind that in the schema.

A record holds no name (the log is public): ``kind``, ``exam``, ``session``, ``participant``
(the number), ``sections``, ``total``, ``code`` (``P`` when the result passed the threshold,
else ``TL``), ``time`` (``finished_at``, ISO 8601 UTC) and ``reason`` (candidate, deadline or
proctor). A disqualification (DIS) is appended, after its result, as a ``correction`` with
code ``DIS``, the proctor's reason and ``corrects`` (the result's leaf index).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Connection, Select, Table, and_, insert, or_, select
from sqlalchemy.orm import Session, sessionmaker

from exam_server.clock import epoch_ms
from exam_server.db import reading, serialise, transaction
from exam_server.models import Attempt, Exam, ExamSession, Participant
from proctor_console.transparency.exceptions import LogIntegrityError, RecordError
from proctor_console.transparency.log_store import (
    HEAD,
    LOG,
    StoredHead,
    TreeCache,
    latest_head,
)
from proctor_console.transparency.merkle import MerkleTree, leaf_hash
from proctor_console.transparency.records import b64decode, leaf_input, sign_tree_head
from scoring.services import load_scheme

log = logging.getLogger(__name__)

RESULT_LOG_LOCK = "seleksi.result_log"
BATCH = 500
"""At most this many results are appended per transaction (the rest in the next sweep)."""

ATTEMPT = cast(Table, Attempt.__table__)
PARTICIPANT = cast(Table, Participant.__table__)
SESSION = cast(Table, ExamSession.__table__)
EXAM = cast(Table, Exam.__table__)


def pending_query(limit: int, skip: frozenset[int] = frozenset()) -> Select[Any]:
    """Finished attempts without a ``result`` leaf, oldest finish first (not those in
    ``skip``: attempts whose stored result cannot be logged, already reported)."""
    a, p, s, r = ATTEMPT.c, PARTICIPANT.c, SESSION.c, LOG.c
    query = (select(a.id, a.finished_at, a.finish_reason, a.result, p.number, p.exam_id,
                   a.participant_id, s.code.label("session_code"))
            .join_from(ATTEMPT, PARTICIPANT, a.participant_id == p.id)
            .join(SESSION, a.session_id == s.id)
            .outerjoin(LOG, and_(r.attempt_id == a.id, r.kind == "result"))
             .where(a.state == "finished", r.leaf_index.is_(None))
             .order_by(a.finished_at, a.id).limit(limit))
    return query.where(a.id.not_in(skip)) if skip else query


def absent_query(limit: int) -> Select[Any]:
    """Participants of closed (or published) sessions who did not finish and have no
    ``result`` leaf: they are absent (TH). The earliest closed session first."""
    a, p, s, r = ATTEMPT.c, PARTICIPANT.c, SESSION.c, LOG.c
    return (select(p.id, p.number, p.exam_id, s.code.label("session_code"), s.closed_at,
                   EXAM.c.scheme)
            .join_from(PARTICIPANT, SESSION, p.session_id == s.id)
            .join(EXAM, s.exam_id == EXAM.c.id)
            .outerjoin(ATTEMPT, a.participant_id == p.id)
            .outerjoin(LOG, and_(r.participant_id == p.id, r.kind == "result"))
            .where(s.state.in_(("closed", "published")), s.closed_at.is_not(None),
                   or_(a.id.is_(None), a.state != "finished"), r.leaf_index.is_(None))
            .order_by(s.closed_at, p.number).limit(limit))


def absent_record(row: Any) -> dict[str, Any]:
    """The ``result`` record of an absent participant (a row of :func:`absent_query`): code
    ``TH``, every section 0, the time the session closed, reason ``absent``."""
    sections = dict.fromkeys(_section_codes(row.scheme), 0)
    return {"kind": "result", "exam": row.exam_id, "session": row.session_code,
            "participant": row.number, "sections": sections, "total": 0, "code": "TH",
            "time": row.closed_at.astimezone(UTC).isoformat(timespec="microseconds"),
            "reason": "absent"}


@functools.cache
def _section_codes(scheme: str) -> tuple[str, ...]:
    return tuple(load_scheme(scheme).section_codes)


def corrections_query(limit: int) -> Select[Any]:
    """Disqualified participants whose result is logged and whose ``DIS`` correction is not,
    the oldest disqualification first."""
    a, p, s = ATTEMPT.c, PARTICIPANT.c, SESSION.c
    logged, corrected = LOG.alias("logged"), LOG.alias("corrected")
    return (select(a.id, a.result, p.number, p.exam_id, p.disqualified_at, a.participant_id,
                   p.disqualified_reason, s.code.label("session_code"),
                   logged.c.leaf_index.label("result_leaf"))
            .join_from(ATTEMPT, PARTICIPANT, a.participant_id == p.id)
            .join(SESSION, a.session_id == s.id)
            .join(logged, and_(logged.c.attempt_id == a.id, logged.c.kind == "result"))
            .outerjoin(corrected, and_(corrected.c.attempt_id == a.id,
                                       corrected.c.kind == "correction",
                                       corrected.c.correction == "DIS"))
            .where(p.disqualified_at.is_not(None), corrected.c.leaf_index.is_(None))
            .order_by(p.disqualified_at, a.id).limit(limit))


def dis_record(row: Any) -> dict[str, Any]:
    """The ``correction`` record of a disqualification (a row of :func:`corrections_query`):
    the logged result's scores with code ``DIS``, the time and reason, and ``corrects``, the
    leaf index of the result it corrects."""
    result = row.result if isinstance(row.result, dict) else {}
    return {"kind": "correction", "exam": row.exam_id, "session": row.session_code,
            "participant": row.number, "sections": result.get("sections", {}),
            "total": result.get("total", 0), "code": "DIS",
            "time": row.disqualified_at.astimezone(UTC).isoformat(timespec="microseconds"),
            "reason": row.disqualified_reason or "", "corrects": int(row.result_leaf)}


def result_record(row: Any) -> dict[str, Any]:
    """The log record of one finished attempt (a row of :func:`pending_query`).

    Raises
    ------
    RecordError
        The stored result lacks what a record needs (named), or has no finish time.
    """
    result = row.result
    if not isinstance(result, dict) or "sections" not in result or "total" not in result:
        raise RecordError(f"attempt {row.id}: its stored result {result!r} has no sections "
                          "and total to log")
    if row.finished_at is None:
        raise RecordError(f"attempt {row.id} is finished but has no finished_at")
    return {"kind": "result", "exam": row.exam_id, "session": row.session_code,
            "participant": row.number, "sections": result["sections"],
            "total": result["total"], "code": "P" if result.get("passed") else "TL",
            "time": row.finished_at.astimezone(UTC).isoformat(timespec="microseconds"),
            "reason": row.finish_reason}


def _other_work(conn: Connection) -> bool:
    """Whether an absent participant or a disqualification lacks its leaf."""
    return (conn.execute(absent_query(1)).first() is not None
            or conn.execute(corrections_query(1)).first() is not None)


@dataclass(frozen=True)
class Appended:
    """What one :func:`append_pending` call did: leaves added, and the signed head after."""

    count: int
    tree_size: int
    head: dict[str, Any] | None = None
    refused: tuple[tuple[int, str], ...] = ()
    """Attempts left out, each with the reason (an invalid stored result)."""


def append_pending(factory: sessionmaker[Session], key: Ed25519PrivateKey, *, now: datetime,
                   cache: TreeCache | None = None, limit: int = BATCH,
                   skip: frozenset[int] = frozenset()) -> Appended:
    """Append a ``result`` entry for every finished attempt that has none (up to ``limit``),
    then sign and store the head of the new size; all in one serialised transaction.

    Parameters
    ----------
    factory
        Sessions of the exam server's database.
    key
        The log's Ed25519 signing key.
    now
        The time of the new head (kept no earlier than the previous head's).
    cache
        The caller's tree of the log, caught up and extended here; a fresh one when None.
        If this call raises, the cache may hold leaves that were rolled back: reset it.
    limit
        Most results appended in this call.
    skip
        Attempts not to look at (their stored result was refused before).

    Raises
    ------
    LogIntegrityError
        The stored log does not hold together (an entry deleted, a leaf hash changed):
        nothing is appended to a damaged log.
    """
    cache = cache or TreeCache()
    with transaction(factory) as db:
        serialise(db, RESULT_LOG_LOCK)
        conn = db.connection()
        rows = conn.execute(pending_query(limit, skip)).all()
        if not rows and not _other_work(conn):
            return Appended(0, cache.tree.size)
        head = latest_head(conn)
        size = 0 if head is None else head.tree_size
        tree = checked_tree(conn, cache, head)
        entries: list[dict[str, Any]] = []
        refused: list[tuple[int, str]] = []
        for row in rows:
            try:
                data = leaf_input(result_record(row))
            except RecordError as exc:
                refused.append((int(row.id), str(exc)))
                continue
            entries.append({"leaf_index": size + len(entries), "leaf_input": data,
                            "leaf_hash": leaf_hash(data), "kind": "result",
                            "attempt_id": row.id, "participant_id": row.participant_id,
                            "correction": None})
        for row in conn.execute(absent_query(limit)).all():
            data = leaf_input(absent_record(row))
            entries.append({"leaf_index": size + len(entries), "leaf_input": data,
                            "leaf_hash": leaf_hash(data), "kind": "result", "attempt_id": None,
                            "participant_id": row.id, "correction": None})
        if entries:  # results first: a correction names its result's leaf
            conn.execute(insert(LOG), entries)
        corrections: list[dict[str, Any]] = []
        for row in conn.execute(corrections_query(limit)).all():
            try:
                data = leaf_input(dis_record(row))
            except RecordError as exc:
                refused.append((int(row.id), str(exc)))
                continue
            corrections.append({"leaf_index": size + len(entries) + len(corrections),
                                "leaf_input": data, "leaf_hash": leaf_hash(data),
                                "kind": "correction", "attempt_id": row.id,
                                "participant_id": row.participant_id, "correction": "DIS"})
        if corrections:
            conn.execute(insert(LOG), corrections)
        entries += corrections
        if not entries:
            return Appended(0, size, refused=tuple(refused))
        sth = sign_head(conn, tree, head, key, now, entries)
    return Appended(len(entries), tree.size, sth, tuple(refused))


def append_entries(conn: Connection, key: Ed25519PrivateKey, now: datetime,
                   records: list[tuple[dict[str, Any], dict[str, Any]]]) -> int:
    """Append ``(record, columns)`` pairs after the log's last leaf and sign the new head,
    inside the caller's transaction, which must hold the ``seleksi.result_log`` lock.
    ``columns`` are ``kind``, ``attempt_id``, ``participant_id`` and ``correction``.
    Returns the new tree size.

    Raises
    ------
    RecordError
        A record is not valid; LogIntegrityError: the stored log does not hold together.
    """
    head = latest_head(conn)
    size = 0 if head is None else head.tree_size
    if not records:
        return size
    tree = checked_tree(conn, TreeCache(), head)
    entries: list[dict[str, Any]] = []
    for record, columns in records:
        data = leaf_input(record)
        entries.append({"leaf_index": size + len(entries), "leaf_input": data,
                        "leaf_hash": leaf_hash(data), **columns})
    conn.execute(insert(LOG), entries)
    sign_head(conn, tree, head, key, now, entries)
    return tree.size


def sign_head(conn: Connection, tree: MerkleTree, head: StoredHead | None,
              key: Ed25519PrivateKey, now: datetime, entries: list[dict[str, Any]]
              ) -> dict[str, Any]:
    """Extend ``tree`` (from :func:`checked_tree`) by the appended ``entries``, then sign
    and store the head of the new size (timestamp no earlier than ``head``'s); the STH."""
    tree.extend(e["leaf_hash"] for e in entries)
    stamp = max(epoch_ms(now), 0 if head is None else head.timestamp)
    root = tree.root()
    sth = sign_tree_head(key, tree.size, stamp, root)
    conn.execute(insert(HEAD).values(
        tree_size=tree.size, timestamp=stamp, root_hash=root,
        signature=b64decode(sth["tree_head_signature"], "tree_head_signature")))
    return sth


def checked_tree(conn: Connection, cache: TreeCache, head: StoredHead | None) -> MerkleTree:
    """The cached tree caught up to the table, checked against the newest signed head."""
    size = 0 if head is None else head.tree_size
    if cache.tree.size > size:
        cache.reset()  # leaves of a rolled-back append, or a log restored from backup
    last = conn.execute(select(LOG.c.leaf_index).order_by(LOG.c.leaf_index.desc())
                        .limit(1)).scalar()
    count = 0 if last is None else int(last) + 1
    if count != size:
        raise LogIntegrityError(
            f"result_log ends at entry {count - 1} but the newest signed head (log_head) is "
            f"of size {size}: entries or heads were deleted or written outside the appender; "
            "restore both tables from backup before appending")
    tree = cache.catch_up(conn, size)
    if head is not None and tree.root(size) != head.root_hash:
        cache.reset()
        raise LogIntegrityError(
            f"the leaf hashes in result_log do not hash to the root of the signed head of "
            f"size {size}: a stored leaf hash was changed; restore result_log from backup")
    return tree


class Appender:
    """A serving process's sweep: append pending results once a second.

    Parameters
    ----------
    factory
        Sessions of the exam server's database.
    key
        Returns the log's signing key (loaded on first use).
    now
        The server's clock.
    offload
        Runs the append transaction (``offload(fn)``); on SQLite a thread of gevent's pool,
        so the event loop is not held while SQLite waits for its write lock and syncs.
    every
        Seconds between sweeps.
    """

    def __init__(self, factory: sessionmaker[Session], key: Callable[[], Ed25519PrivateKey],
                 now: Callable[[], datetime], *,
                 offload: Callable[[Callable[[], Appended]], Appended] | None = None,
                 every: float = 1.0) -> None:
        self.factory, self.key, self.now, self.every = factory, key, now, every
        self.offload = offload or (lambda fn: fn())
        self.cache = TreeCache()
        self.skip: frozenset[int] = frozenset()

    def pending(self) -> bool:
        """Whether some finished attempt or disqualification lacks its leaf (a read, no lock
        taken)."""
        with reading(self.factory) as db:
            conn = db.connection()
            return (conn.execute(pending_query(1, self.skip)).first() is not None
                    or _other_work(conn))

    def sweep(self) -> int:
        """Append what is pending; the number of leaves appended."""
        if not self.pending():
            return 0
        key = self.key()
        try:
            done = self.offload(lambda: append_pending(self.factory, key, now=self.now(),
                                                       cache=self.cache, skip=self.skip))
        except Exception:
            self.cache.reset()
            raise
        for attempt_id, reason in done.refused:
            log.error("result log: attempt %s not appended (skipped until the server "
                      "restarts): %s", attempt_id, reason)
        self.skip |= {attempt_id for attempt_id, _ in done.refused}
        return done.count

    def run(self) -> None:
        """Sweep every :attr:`every` seconds for ever (the serving process's greenlet)."""
        import gevent

        while True:
            try:
                self.sweep()
            except Exception:
                log.exception("result log: the sweep failed; trying again in %s s", self.every)
            gevent.sleep(self.every)
