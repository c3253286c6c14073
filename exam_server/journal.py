"""The answer journal: answers and flags applied with group commit, acked only once committed.

Handlers put their operation on a queue and wait. One writer greenlet per process takes
everything queued, applies it in ONE transaction (the answer rows, one audit row per applied
change, the attempts' live scores), commits, and only then releases every waiting handler
with its ack. A failed commit refuses the whole batch (``storage_unavailable``): nothing is
acked that is not committed. A ``finish`` queued behind answers waits for them.

Apply rule, per question and field (choice, flag): an operation whose ``seq`` is at or below
the stored ``seq`` of that field changes nothing and is acked ``ok`` (a duplicate or stale
resend); a higher one overwrites.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import gevent
from gevent.event import AsyncResult
from gevent.queue import Queue
from sqlalchemy import select, tuple_, update
from sqlalchemy.orm import Session, sessionmaker

from exam_server.attempts import AttemptRef, AttemptRefused, finish_attempt
from exam_server.audit import AUDIT_LOCK, GENESIS_HASH, row_hash
from exam_server.clock import Clock, accepts_answers
from exam_server.db import serialise, transaction
from exam_server.models import Answer, Attempt, AuditLog, utcnow
from exam_server.results import attempt_score, score_payload
from exam_server.session_papers import PaperCache
from question_bank.model import canonical_json

log = logging.getLogger(__name__)
MAX_BATCH = 1000
Kind = Literal["answer", "flag", "finish"]


@dataclass
class JournalOp:
    """One queued operation and the event its handler waits on."""

    kind: Kind
    ref: AttemptRef
    q: int = 0
    value: str | bool | None = None
    seq: int = 0
    done: AsyncResult = field(default_factory=AsyncResult)


@dataclass(frozen=True)
class AuditEntry:
    """An audit row to append (see :func:`append_audit_batch`)."""

    actor: str
    action: str
    subject: str
    details: dict[str, Any]


def append_audit_batch(db: Session, entries: Sequence[AuditEntry]) -> list[AuditLog]:
    """Append many audit rows in the caller's transaction with one insert and one update.

    The same chain as :func:`exam_server.audit.append_audit` (same lock, same hash): rows
    are inserted, then hashed in id order, each linking to the row before it.
    """
    if not entries:
        return []
    serialise(db, AUDIT_LOCK)
    last = db.execute(select(AuditLog.hash).order_by(AuditLog.id.desc())
                      .limit(1)).scalar_one_or_none()
    at = utcnow()
    rows = [AuditLog(at=at, actor=e.actor, action=e.action, subject=e.subject,
                     details=json.loads(canonical_json(e.details)), prev_hash="", hash="")
            for e in entries]
    db.add_all(rows)
    db.flush()
    prev = last or GENESIS_HASH
    for row in sorted(rows, key=lambda r: r.id):
        row.prev_hash = prev
        row.hash = prev = row_hash(id=row.id, at=row.at, actor=row.actor, action=row.action,
                                   subject=row.subject, details=row.details, prev_hash=prev)
    db.flush()
    return rows


class Journal:
    """The per-process answer journal (see the module docstring).

    ``on_finished(ref, result, reason)`` is called after a finish commits (the namespace
    pushes ``finished`` to the candidate's room from it).
    """

    def __init__(self, factory: sessionmaker[Session], papers: PaperCache, clock: Clock,
                 on_finished: Callable[[AttemptRef, dict[str, Any], str], None] | None = None
                 ) -> None:
        self.factory = factory
        self.papers = papers
        self.clock = clock
        self.on_finished = on_finished
        self._queue: Queue[JournalOp] = Queue()
        self._writer: gevent.Greenlet[Any, Any] | None = None
        self.batches = 0
        self.applied = 0

    def submit(self, op: JournalOp) -> dict[str, Any]:
        """Queue ``op`` and wait until its batch is committed; its ack."""
        if self._writer is None or self._writer.dead:
            self._writer = gevent.spawn(self._run)
        self._queue.put(op)
        ack: dict[str, Any] = op.done.get()
        return ack

    def _run(self) -> None:
        while True:
            ops = [self._queue.get()]
            while len(ops) < MAX_BATCH and not self._queue.empty():
                ops.append(self._queue.get_nowait())
            try:
                self._process(ops)
            except Exception:  # the writer must survive anything; handlers get a refusal
                log.exception("answer journal: batch of %d failed", len(ops))
                for op in ops:
                    if not op.done.ready():
                        op.done.set({"ok": False, "error": "storage_unavailable"})

    def _process(self, ops: list[JournalOp]) -> None:
        pending: list[JournalOp] = []
        for op in ops:
            if op.kind != "finish":
                pending.append(op)
                continue
            self._commit(pending)
            pending = []
            self._finish(op)
        self._commit(pending)

    def _finish(self, op: JournalOp) -> None:
        try:
            result = finish_attempt(self.factory, self.papers, op.ref, "candidate",
                                    self.clock.now())
        except AttemptRefused as exc:
            ack: dict[str, Any] = {"ok": False, "error": exc.code}
            if exc.result is not None:
                ack["result"] = exc.result
            op.done.set(ack)
            return
        op.done.set({"ok": True, "result": result})
        if self.on_finished is not None:
            self.on_finished(op.ref, result, "candidate")

    def _commit(self, ops: list[JournalOp]) -> None:
        if not ops:
            return
        now = self.clock.now()
        try:
            with transaction(self.factory) as db:
                acks = self._apply(db, ops, now)
        except Exception:
            log.exception("answer journal: commit of %d operations failed", len(ops))
            acks = [{"ok": False, "error": "storage_unavailable"}] * len(ops)
        else:
            self.batches += 1
            self.applied += len(ops)
        for op, ack in zip(ops, acks, strict=True):
            op.done.set(ack)

    def _apply(self, db: Session, ops: list[JournalOp], now: datetime) -> list[dict[str, Any]]:
        ids = sorted({op.ref.id for op in ops})
        states = {i: (s, d) for i, s, d in db.execute(
            select(Attempt.id, Attempt.state, Attempt.deadline_at)
            .where(Attempt.id.in_(ids)).order_by(Attempt.id).with_for_update())}
        keys = list({(op.ref.id, op.q) for op in ops})
        rows = {(r.attempt_id, r.q): r for r in db.scalars(
            select(Answer).where(tuple_(Answer.attempt_id, Answer.q).in_(keys)))}
        audit: list[AuditEntry] = []
        touched: dict[int, AttemptRef] = {}
        acks: list[dict[str, Any]] = []
        for op in ops:
            state, deadline_at = states[op.ref.id]
            refusal = _refusal(state, deadline_at, now)
            if refusal is not None:
                if refusal == "time_over":
                    audit.append(AuditEntry("candidate", f"{op.kind}.refused", op.ref.subject,
                                            {"q": op.q, "value": op.value, "seq": op.seq,
                                             "reason": refusal}))
                acks.append({"ok": False, "error": refusal})
                continue
            row = rows.get((op.ref.id, op.q))
            if row is None:
                row = Answer(attempt_id=op.ref.id, q=op.q, choice=None, answer_seq=0,
                             flagged=False, flag_seq=0, updated_at=now)
                db.add(row)
                rows[(op.ref.id, op.q)] = row
            if op.kind == "answer" and op.seq > row.answer_seq:
                row.choice = op.value if isinstance(op.value, str) else None
                row.answer_seq, row.updated_at = op.seq, now
                audit.append(AuditEntry("candidate", "answer", op.ref.subject,
                                        {"q": op.q, "choice": row.choice, "seq": op.seq}))
                touched[op.ref.id] = op.ref
            elif op.kind == "flag" and op.seq > row.flag_seq:
                row.flagged, row.flag_seq, row.updated_at = bool(op.value), op.seq, now
                audit.append(AuditEntry("candidate", "flag", op.ref.subject,
                                        {"q": op.q, "flagged": row.flagged, "seq": op.seq}))
            acks.append({"ok": True, "seq": op.seq})
        db.flush()
        append_audit_batch(db, audit)
        self._live_scores(db, touched)
        return acks

    def _live_scores(self, db: Session, touched: dict[int, AttemptRef]) -> None:
        if not touched:
            return
        answers: dict[int, dict[int, str | None]] = {i: {} for i in touched}
        for attempt_id, q, choice in db.execute(
                select(Answer.attempt_id, Answer.q, Answer.choice)
                .where(Answer.attempt_id.in_(list(touched)))):
            answers[attempt_id][q] = choice
        for attempt_id, ref in touched.items():
            opened = self.papers.get(ref.session_id)
            score = attempt_score(opened.key, opened.paper(ref.participant),
                                  opened.content.items, answers[attempt_id])
            db.execute(update(Attempt).where(Attempt.id == attempt_id)
                       .values(live_score=score_payload(opened.scheme, score)))


def _refusal(state: str, deadline_at: datetime | None, now: datetime) -> str | None:
    if state == "ready":
        return "not_started"
    if state == "finished":
        return "finished"
    if deadline_at is None or not accepts_answers(now, deadline_at):
        return "time_over"
    return None
