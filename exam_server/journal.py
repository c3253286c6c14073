"""The answer journal: answers and flags applied with group commit, acked only once committed.

Handlers put their operation on a queue and wait. One writer greenlet per process takes
everything queued, applies it in ONE transaction (the answer rows, one audit row per applied
change, the attempts' live scores), commits, and only then releases every waiting handler
with its ack. A failed commit refuses the whole batch (``storage_unavailable``): nothing is
acked that is not committed. A ``finish`` queued behind answers waits for them.

A connect (:class:`ConnectOp`: finds the attempt of its bearer and records the new live
connection, as ``mark_connected``), a ``start`` (starts the attempt or reads its state:
``attempts.begin_all``) and a log-in (:meth:`Journal.admit`: ``login.admit_all``) go through
the same group commit, so a burst of log-ins, connections and starts costs a few commits, not
one each. Within a batch the connects apply first, then the log-ins, then the starts, then the
answers and flags (the operations of one batch were all in flight at once: any order among
them is one they could have had).

Apply rule, per question and field (choice, flag): an operation whose ``seq`` is at or below
the stored ``seq`` of that field changes nothing and is acked ``ok`` (a duplicate or stale
resend); a higher one overwrites.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import gevent
from gevent.event import AsyncResult
from gevent.queue import Queue
from sqlalchemy import Connection
from sqlalchemy.orm import Session, sessionmaker

from exam_server import hot_sql
from exam_server.attempts import (
    AttemptRef,
    AttemptRefused,
    Begin,
    Started,
    attempts_for_bearers,
    begin_all,
    finish_attempt,
)
from exam_server.audit import AuditEntry, append_audit_batch
from exam_server.clock import Clock, accepts_answers
from exam_server.db import bound_engine, is_transient
from exam_server.login import Admission, LoginGranted, admit_all
from exam_server.session_papers import OpenedSession, PaperCache

log = logging.getLogger(__name__)
MAX_BATCH = 1000
COMMIT_TRIES = 3
"""A batch that PostgreSQL aborted to break a deadlock is applied again, up to this many
times in all, before its operations are refused ``storage_unavailable``."""
__all__ = ["AuditEntry", "Journal", "JournalOp", "append_audit_batch"]
Kind = Literal["answer", "flag", "finish", "connect", "start"]


@dataclass
class JournalOp:
    """One queued operation and the event its handler waits on."""

    kind: Kind
    ref: AttemptRef
    q: int = 0
    value: str | bool | None = None
    seq: int = 0
    done: AsyncResult = field(default_factory=AsyncResult)
    #: ``start``: the opened session's duration and the time of the request
    begin: Begin | None = None


@dataclass
class LoginOp:
    """A queued log-in (:meth:`Journal.admit`) and the event its handler waits on."""

    admission: Admission
    done: AsyncResult = field(default_factory=AsyncResult)
    kind: Literal["login"] = "login"


@dataclass
class ConnectOp:
    """A queued connection (the bearer's digest, the Socket.IO sid) and the event its handler
    waits on; acked ``{"ok": true, "ref": AttemptRef}`` or refused ``bad_token`` (unknown or
    revoked bearer)."""

    digest: str
    sid: str
    done: AsyncResult = field(default_factory=AsyncResult)
    kind: Literal["connect"] = "connect"


Op = JournalOp | LoginOp | ConnectOp


class Journal:
    """The per-process answer journal (see the module docstring).

    ``on_finished(ref, result, reason)`` is called after a finish commits (the namespace
    pushes ``finished`` to the candidate's room from it).
    """

    def __init__(self, factory: sessionmaker[Session], papers: PaperCache, clock: Clock,
                 on_finished: Callable[[AttemptRef, dict[str, Any], str], None] | None = None
                 ) -> None:
        self.factory = factory
        self.engine = bound_engine(factory)
        self.papers = papers
        self.clock = clock
        self.on_finished = on_finished
        self._queue: Queue[Op] = Queue()
        self._writer: gevent.Greenlet[Any, Any] | None = None
        self.batches = 0
        self.applied = 0
        self.failing = 0  # batches refused in a row (storage_unavailable) until one commits

    def submit(self, op: Op) -> dict[str, Any]:
        """Queue ``op`` and wait until its batch is committed; its ack (a ``start``'s ack
        carries ``"started"``, an :class:`attempts.Started`, in place of the paper)."""
        if self._writer is None or self._writer.dead:
            self._writer = gevent.spawn(self._run)
        self._queue.put(op)
        ack: dict[str, Any] = op.done.get()
        return ack

    def admit(self, admission: Admission) -> LoginGranted | str:
        """Admit a log-in in the next batch (``login.admit_all``) and wait for its commit:
        the granted login, or the refusal's code (``storage_unavailable`` when the batch
        failed)."""
        ack = self.submit(LoginOp(admission))
        if not ack.get("ok"):
            return str(ack["error"])
        granted: LoginGranted | str = ack["login"]
        return granted

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

    def _process(self, ops: list[Op]) -> None:
        pending: list[Op] = []
        for op in ops:
            if not isinstance(op, JournalOp) or op.kind != "finish":
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

    def _commit(self, ops: list[Op]) -> None:
        if not ops:
            return
        acks: list[dict[str, Any]] = []
        for attempt in range(1, COMMIT_TRIES + 1):
            now = self.clock.now()
            try:
                with self.engine.begin() as conn:  # no ORM session: the batch is driver SQL
                    acks = self._apply(conn, ops, now)
            except Exception as exc:
                if is_transient(exc) and attempt < COMMIT_TRIES:
                    log.warning("answer journal: batch of %d aborted by the database "
                                "(%s), applying it again", len(ops), exc)
                    continue
                self._failed(len(ops), exc)
                acks = [{"ok": False, "error": "storage_unavailable"}] * len(ops)
            else:
                self.batches += 1
                self.applied += len(ops)
                if self.failing:
                    log.warning("answer journal: committing again after %d refused batches",
                                self.failing)
                    self.failing = 0
            break
        for op, ack in zip(ops, acks, strict=True):
            op.done.set(ack)

    def _failed(self, count: int, exc: Exception) -> None:
        """Log a refused batch: the first of an outage with its traceback, the next ones
        in a line each (a database that is down would otherwise fill the log)."""
        self.failing += 1
        if self.failing == 1:
            log.exception("answer journal: commit of %d operations failed", count)
        else:
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            log.error("answer journal: commit of %d operations failed again (%d in a row): "
                      "%s: %s", count, self.failing, type(exc).__name__, reason)

    def _apply(self, conn: Connection, all_ops: list[Op], now: datetime
               ) -> list[dict[str, Any]]:
        audit: list[AuditEntry] = []
        logins = [op for op in all_ops if isinstance(op, LoginOp)]
        connecting = [op for op in all_ops if isinstance(op, ConnectOp)]
        ops = [op for op in all_ops if isinstance(op, JournalOp)]
        ids = sorted({op.ref.id for op in ops})
        attempts: dict[int, tuple[str, datetime | None, dict[str, Any] | None]] = {}
        paused: set[int] = set()  # attempts of rooms paused now: answers wait for resume
        for i, state, deadline_at, live, paused_at in hot_sql.batch_attempts(conn, ids):
            attempts[i] = (state, deadline_at, live)
            if paused_at is not None:
                paused.add(i)
        early: dict[int, dict[str, Any]] = {}  # id(op) → the ack of a connect, login, start
        refs = attempts_for_bearers(conn, [op.digest for op in connecting])
        connects = [(op.ref.id, str(op.value)) for op in ops if op.kind == "connect"]
        for connect_op in connecting:
            ref = refs.get(connect_op.digest)
            if ref is None:
                early[id(connect_op)] = {"ok": False, "error": "bad_token"}
            else:
                early[id(connect_op)] = {"ok": True, "ref": ref}
                connects.append((ref.id, connect_op.sid))
        hot_sql.set_connected(conn, connects, now)
        for login_op, outcome in zip(logins, admit_all(
                conn, [op.admission for op in logins], audit), strict=True):
            early[id(login_op)] = ({"ok": True, "login": outcome} if isinstance(
                outcome, LoginGranted) else {"ok": False, "error": outcome})
        starts = [op for op in ops if op.kind == "start"]
        for start_op, began in zip(starts, begin_all(
                conn, [_begin(op) for op in starts], audit), strict=True):
            early[id(start_op)] = _start_ack(began)
            if isinstance(began, Started):  # answers after it in this batch apply
                attempts[start_op.ref.id] = ("working", began.deadline_at,
                                             attempts[start_op.ref.id][2])
        rows = _stored_answers(conn, {(op.ref.id, op.q) for op in ops
                                    if op.kind in ("answer", "flag")})
        was = {key: row[0] for key, row in rows.items()}  # the choices before this batch
        changed: set[tuple[int, int]] = set()
        touched: dict[int, AttemptRef] = {}
        acks: list[dict[str, Any]] = []
        for op in ops:
            if op.kind == "connect":
                acks.append({"ok": True})
                continue
            if op.kind == "start":
                acks.append(early[id(op)])
                continue
            state, deadline_at, _ = attempts[op.ref.id]
            refusal = _refusal(state, deadline_at, now, op.ref.id in paused)
            if refusal is not None:
                if refusal == "time_over":
                    audit.append(AuditEntry("candidate", f"{op.kind}.refused", op.ref.subject,
                                            {"q": op.q, "value": op.value, "seq": op.seq,
                                             "reason": refusal}))
                acks.append({"ok": False, "error": refusal})
                continue
            key = (op.ref.id, op.q)
            row = rows.get(key)
            if row is None:
                row = rows[key] = [None, 0, False, 0]
            if op.kind == "answer" and op.seq > row[ANSWER_SEQ]:
                row[CHOICE] = op.value if isinstance(op.value, str) else None
                row[ANSWER_SEQ] = op.seq
                audit.append(AuditEntry("candidate", "answer", op.ref.subject,
                                        {"q": op.q, "choice": row[CHOICE], "seq": op.seq}))
                touched[op.ref.id] = op.ref
                changed.add(key)
            elif op.kind == "flag" and op.seq > row[FLAG_SEQ]:
                row[FLAGGED], row[FLAG_SEQ] = bool(op.value), op.seq
                audit.append(AuditEntry("candidate", "flag", op.ref.subject,
                                        {"q": op.q, "flagged": row[FLAGGED], "seq": op.seq}))
                changed.add(key)
            acks.append({"ok": True, "seq": op.seq})
        keys = sorted(changed)
        _write_answers(conn, [(key, rows[key]) for key in keys], now)
        append_audit_batch(conn, audit)
        self._live_scores(conn, touched, attempts, was, rows, keys)
        answered = iter(acks)
        return [next(answered) if isinstance(op, JournalOp) else early[id(op)]
                for op in all_ops]

    def _live_scores(self, conn: Connection, touched: dict[int, AttemptRef],
                     attempts: dict[int, tuple[str, datetime | None, dict[str, Any] | None]],
                     was: dict[tuple[int, int], str | None],
                     rows: dict[tuple[int, int], list[Any]],
                     changed: list[tuple[int, int]]) -> None:
        """Update each touched attempt's live score by the batch's changes of choice.

        The score is a sum over questions (``scoring``'s section totals), so the new score
        is the stored one minus the points of each changed question's old choice plus those
        of its new one; the points of a question are :meth:`OpenedSession.question_points`,
        from ``scoring.services.score_answers``. An attempt without a stored live score is
        scored in full from the journal: the same sum over all its stored answers (the
        answers of every such attempt of the batch read with one query).
        """
        if not touched:
            return
        deltas: dict[int, list[int]] = {}
        for key in changed:
            attempt_id, q = key
            ref = touched.get(attempt_id)
            before, after = was.get(key), rows[key][CHOICE]
            if ref is None or after == before:
                continue
            opened = self.papers.get(ref.session_id)
            delta = deltas.setdefault(attempt_id, [0] * len(opened.section_codes))
            new = opened.question_points(ref.participant, q, after)
            old = opened.question_points(ref.participant, q, before)
            for i, (n, o) in enumerate(zip(new, old, strict=True)):
                delta[i] += n - o
        updates: list[tuple[int, dict[str, Any]]] = []
        unscored = [i for i, ref in touched.items()
                    if not _scored(attempts[i][2], self.papers.get(ref.session_id))]
        journal = hot_sql.choices_of(conn, unscored)  # one query for all of them
        for attempt_id, ref in touched.items():
            opened = self.papers.get(ref.session_id)
            codes = opened.section_codes
            stored = attempts[attempt_id][2]
            if stored is None or not _scored(stored, opened):
                sections = dict.fromkeys(codes, 0)
                for q, label in journal.get(attempt_id, {}).items():
                    for c, points in zip(codes, opened.question_points(ref.participant, q, label),
                                         strict=True):
                        sections[c] += points
                payload = {"sections": sections, "total": sum(sections.values())}
            else:
                delta = deltas.get(attempt_id, [0] * len(codes))
                sections = {c: stored["sections"][c] + d for c, d in zip(codes, delta, strict=True)}
                payload = {"sections": sections, "total": sum(sections.values())}
            updates.append((attempt_id, payload))
        hot_sql.set_live_scores(conn, updates)


CHOICE, ANSWER_SEQ, FLAGGED, FLAG_SEQ = range(4)


def _stored_answers(conn: Connection, keys: set[tuple[int, int]]
                    ) -> dict[tuple[int, int], list[Any]]:
    """``[choice, answer_seq, flagged, flag_seq]`` of the stored rows among ``keys``."""
    found = hot_sql.stored_answers(conn, keys)
    return {(i, q): [c, s, f, fs] for i, q, c, s, f, fs in found if (i, q) in keys}


def _write_answers(conn: Connection, changed: list[tuple[tuple[int, int], list[Any]]],
                   now: datetime) -> None:
    """Insert or update the changed answer rows in one statement (the seq guard repeated)."""
    hot_sql.upsert_answers(conn, [
        (i, q, row[CHOICE], row[ANSWER_SEQ], bool(row[FLAGGED]), row[FLAG_SEQ])
        for (i, q), row in changed], now)


def _scored(stored: dict[str, Any] | None, opened: OpenedSession) -> bool:
    """Whether a stored live score can be updated by deltas (it has the scheme's sections)."""
    sections = stored.get("sections") if stored is not None else None
    return isinstance(sections, dict) and sections.keys() == set(opened.section_codes)


def _begin(op: JournalOp) -> Begin:
    if op.begin is None:
        raise ValueError("a start operation needs its Begin")
    return op.begin


def _start_ack(began: Started | AttemptRefused) -> dict[str, Any]:
    if isinstance(began, Started):
        return {"ok": True, "started": began}
    ack: dict[str, Any] = {"ok": False, "error": began.code}
    if began.result is not None:
        ack["result"] = began.result
    return ack


def _refusal(state: str, deadline_at: datetime | None, now: datetime,
             paused: bool) -> str | None:
    if state == "ready":
        return "not_started"
    if state == "finished":
        return "finished"
    if paused:  # the room's clock stands still; the page resends after ``resumed``
        return "paused"
    if deadline_at is None or not accepts_answers(now, deadline_at):
        return "time_over"
    return None
