"""Attempts: who a bearer is, start (or resume), finish, and the candidate's view of their state.

Service functions own their transaction; ``finish_in`` works inside the caller's (the
answer journal and the timer finish attempts in their own transactions). Finishing is a
conditional ``UPDATE … WHERE state = 'working'``, so when two paths race only one finishes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, Table, bindparam, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from exam_server import clock, hot_sql
from exam_server.audit import AuditEntry, append_audit, append_audit_batch
from exam_server.db import reading, transaction
from exam_server.models import Answer, Attempt, ExamSession, Participant
from exam_server.results import attempt_result, attempt_score, score_payload
from exam_server.session_papers import OpenedSession, PaperCache
from exam_server.tokens import bearer_digest
from question_bank.errors import SealError

ATTEMPT = cast(Table, Attempt.__table__)
PARTICIPANT = cast(Table, Participant.__table__)
SESSION = cast(Table, ExamSession.__table__)
ANSWER = cast(Table, Answer.__table__)
_BY_BEARERS = (select(ATTEMPT.c.bearer_sha256, ATTEMPT.c.id, ATTEMPT.c.session_id,
                      PARTICIPANT.c.id, PARTICIPANT.c.number, PARTICIPANT.c.category,
                      PARTICIPANT.c.extra_minutes, PARTICIPANT.c.exam_id)
               .join_from(ATTEMPT, PARTICIPANT, ATTEMPT.c.participant_id == PARTICIPANT.c.id)
               .where(ATTEMPT.c.bearer_sha256.in_(bindparam("digests", expanding=True))))
# ``start``'s statements, built once (begin_all)
_START_ROWS = (
    select(ATTEMPT.c.id, ATTEMPT.c.state, ATTEMPT.c.result, ATTEMPT.c.deadline_at,
           ATTEMPT.c.extension_seconds, ATTEMPT.c.paused_seconds, ATTEMPT.c.downtime_seconds,
           PARTICIPANT.c.number, PARTICIPANT.c.name, PARTICIPANT.c.large_text,
           SESSION.c.state.label("session_state"), SESSION.c.paused_at)
    .join_from(ATTEMPT, PARTICIPANT, ATTEMPT.c.participant_id == PARTICIPANT.c.id)
    .join(SESSION, ATTEMPT.c.session_id == SESSION.c.id)
    .where(ATTEMPT.c.id.in_(bindparam("ids", expanding=True)))
    .order_by(ATTEMPT.c.id).with_for_update(of=ATTEMPT))
_START_ANSWERS = (select(ANSWER.c.attempt_id, ANSWER.c.q, ANSWER.c.choice, ANSWER.c.flagged,
                         ANSWER.c.answer_seq, ANSWER.c.flag_seq)
                  .where(ANSWER.c.attempt_id.in_(bindparam("ids", expanding=True)))
                  .order_by(ANSWER.c.attempt_id, ANSWER.c.q))


class AttemptRefused(Exception):  # noqa: N818 - a refusal, the protocol's word
    """An action the attempt's state does not allow; ``code`` is the protocol's error code."""

    def __init__(self, code: str, result: dict[str, Any] | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.result = result


@dataclass(frozen=True)
class AttemptRef:
    """What a connection knows of its attempt (fixed for the attempt's life)."""

    id: int
    session_id: int
    participant_id: int
    participant: str
    category: str
    extra_minutes: int
    subject: str


def room(attempt_id: int) -> str:
    """The Socket.IO room of an attempt: every connection of it, in any process."""
    return f"attempt:{attempt_id}"


def attempt_for_bearer(factory: sessionmaker[Session], bearer: str) -> AttemptRef | None:
    """The attempt a bearer belongs to, or None (unknown, revoked, or its session closed)."""
    a, p = ATTEMPT.c, PARTICIPANT.c
    with reading(factory) as db:
        row = db.connection().execute(
            select(a.id, a.session_id, p.id, p.number, p.category, p.extra_minutes, p.exam_id)
            .join_from(ATTEMPT, PARTICIPANT, a.participant_id == p.id)
            .where(a.bearer_sha256 == bearer_digest(bearer))).one_or_none()
    if row is None:
        return None
    attempt_id, session_id, participant_id, number, category, extra, exam_id = row
    return AttemptRef(attempt_id, session_id, participant_id, number, category, extra,
                      f"{exam_id}/{number}")


def attempts_for_bearers(conn: Connection, digests: Sequence[str]) -> dict[str, AttemptRef]:
    """Bearer digest → the attempt it belongs to, for the digests that name one (read with
    one statement inside the caller's transaction; see :func:`attempt_for_bearer`)."""
    if not digests:
        return {}
    return {digest: AttemptRef(attempt_id, session_id, participant_id, number, category, extra,
                               f"{exam_id}/{number}")
            for (digest, attempt_id, session_id, participant_id, number, category, extra,
                 exam_id) in conn.execute(_BY_BEARERS, {"digests": sorted(set(digests))})}


def finished_result(factory: sessionmaker[Session], attempt_id: int) -> dict[str, Any] | None:
    """The stored result of a finished attempt, else None (read when its session's papers
    are gone, after the session closed)."""
    try:
        with reading(factory) as db:
            row = db.execute(select(ATTEMPT.c.state, ATTEMPT.c.result)
                             .where(ATTEMPT.c.id == attempt_id)).one_or_none()
    except SQLAlchemyError:
        return None
    return row.result if row is not None and row.state == "finished" else None


def mark_connected(factory: sessionmaker[Session], attempt_id: int, sid: str,
                   now: datetime) -> None:
    """Record a live connection (it is how other processes see the candidate is online)."""
    with transaction(factory) as db:
        db.execute(update(Attempt).where(Attempt.id == attempt_id)
                   .values(connected_sid=sid, connected_at=now))


def mark_disconnected(factory: sessionmaker[Session], attempt_id: int, sid: str,
                      now: datetime) -> None:
    """Forget a connection, unless a newer one of the same attempt has replaced it;
    ``connected_at`` keeps when it was last seen (``now``), which the roster counts from."""
    with transaction(factory) as db:
        db.execute(update(Attempt).where(Attempt.id == attempt_id,
                                         Attempt.connected_sid == sid)
                   .values(connected_sid=None, connected_at=now))


def refresh_connections(factory: sessionmaker[Session], sids: list[str], now: datetime) -> None:
    """The connection heartbeat: every sid this process holds is still live at ``now``.

    The rows are locked in id order first, as every other writer of several attempts locks
    them (the answer journal, the timer, the proctor's room actions): an ``UPDATE`` alone
    would lock them in the table's physical order and could deadlock with an answer batch
    (seen with 1,000 candidates on PostgreSQL: a batch refused ``storage_unavailable``)."""
    if sids:
        with transaction(factory) as db:
            ids = db.scalars(select(Attempt.id).where(Attempt.connected_sid.in_(sids))
                             .order_by(Attempt.id).with_for_update(key_share=True)).all()
            if ids:
                db.execute(update(Attempt).where(Attempt.id.in_(ids))
                           .values(connected_at=now))


def _answers(db: Session, attempt_id: int) -> tuple[dict[int, str | None], list[int], int]:
    """Answers, flags, and the highest seq applied to the attempt so far."""
    c = cast(Table, Answer.__table__).c
    rows = db.connection().execute(select(c.q, c.choice, c.flagged, c.answer_seq, c.flag_seq)
                                   .where(c.attempt_id == attempt_id).order_by(c.q)).all()
    highest = max((max(a, f) for *_, a, f in rows), default=0)
    return ({q: c for q, c, *_ in rows if c is not None},
            [q for q, _, flagged, *_ in rows if flagged], highest)


def opened_for_start(factory: sessionmaker[Session], papers: PaperCache,
                     ref: AttemptRef) -> OpenedSession:
    """The attempt's opened session for ``start``.

    Raises
    ------
    AttemptRefused
        ``finished`` (with the stored result) when the session's papers are gone because it
        closed after the attempt finished.
    SealError
        When the papers cannot be opened otherwise.
    """
    try:
        return papers.get(ref.session_id)
    except SealError:
        result = finished_result(factory, ref.id)
        if result is None:
            raise
        raise AttemptRefused("finished", result) from None


@dataclass(frozen=True)
class Begin:
    """A ``start`` to apply in a write transaction (:func:`begin_all`)."""

    ref: AttemptRef
    duration_minutes: int
    now: datetime


@dataclass(frozen=True)
class Started:
    """What the ``start`` ack says besides the paper: the attempt's state once started."""

    deadline_at: datetime
    paused_at: datetime | None
    participant: dict[str, Any]
    answers: dict[int, str | None]
    flags: list[int]
    seq: int


def begin_all(conn: Connection, begins: Sequence[Begin], audit: list[AuditEntry]
              ) -> list[Started | AttemptRefused]:
    """Apply ``start`` requests in order inside the caller's transaction.

    A ready attempt of a running, unpaused session starts (state ``working``, its deadline
    from ``now``) with an audit entry appended to ``audit`` (the caller appends them to the
    chain in the same transaction); a working one is returned unchanged; otherwise the
    refusal (``finished`` with the result, ``session_not_running``, ``paused``). Every
    request of a batch is read with one statement, its answers with another.
    """
    if not begins:
        return []
    ids = sorted({b.ref.id for b in begins})
    rows = {row.id: row for row in conn.execute(_START_ROWS, {"ids": ids})}
    deadlines = {i: row.deadline_at for i, row in rows.items()}
    states = {i: row.state for i, row in rows.items()}
    started: list[tuple[int, datetime, datetime]] = []
    outcomes: list[Started | AttemptRefused | None] = []
    for b in begins:
        ref, row = b.ref, rows[b.ref.id]
        if states[ref.id] == "finished":
            outcomes.append(AttemptRefused("finished", row.result))
            continue
        if states[ref.id] == "ready":
            if row.session_state != "running":
                outcomes.append(AttemptRefused("session_not_running"))
                continue
            if row.paused_at is not None:
                outcomes.append(AttemptRefused("paused"))
                continue
            deadline_at = clock.deadline(
                b.now, duration_minutes=b.duration_minutes, extra_minutes=ref.extra_minutes,
                extension_seconds=row.extension_seconds, paused_seconds=row.paused_seconds,
                downtime_seconds=row.downtime_seconds)
            started.append((ref.id, b.now, deadline_at))
            audit.append(AuditEntry("candidate", "start", ref.subject, {
                "attempt": ref.id, "deadline": clock.epoch_ms(deadline_at)}))
            states[ref.id], deadlines[ref.id] = "working", deadline_at
        outcomes.append(None)
    hot_sql.set_started(conn, started)
    working = sorted({b.ref.id for b, o in zip(begins, outcomes, strict=True) if o is None})
    stored: dict[int, list[Any]] = {}
    for attempt_id, q, choice, flagged, answer_seq, flag_seq in (
            conn.execute(_START_ANSWERS, {"ids": working}) if working else ()):
        stored.setdefault(attempt_id, []).append((q, choice, flagged, answer_seq, flag_seq))
    done: list[Started | AttemptRefused] = []
    for b, outcome in zip(begins, outcomes, strict=True):
        if outcome is not None:
            done.append(outcome)
            continue
        row, answers = rows[b.ref.id], stored.get(b.ref.id, [])
        deadline_at = deadlines[b.ref.id]
        assert deadline_at is not None  # noqa: S101 - set when working
        done.append(Started(
            deadline_at, row.paused_at,
            {"number": row.number, "name": row.name, "large_text": row.large_text},
            {q: c for q, c, *_ in answers if c is not None},
            [q for q, _, flagged, *_ in answers if flagged],
            max((max(a, f) for *_, a, f in answers), default=0)))
    return done


def start_ack(opened: OpenedSession, ref: AttemptRef, started: Started,
              now: datetime) -> dict[str, Any]:
    """The ``start`` ack: paper, answers, flags, deadline and server time (epoch ms), and
    whether the room is paused (with ``paused_at`` when it is: the countdown stands still at
    ``deadline - paused_at``)."""
    state = {"ok": True, "paper": opened.candidate_paper(ref.participant),
             "answers": {str(q): c for q, c in started.answers.items()},
             "flags": started.flags, "seq": started.seq, "participant": started.participant,
             "deadline": clock.epoch_ms(started.deadline_at),
             "server_time": clock.epoch_ms(now), "paused": started.paused_at is not None}
    if started.paused_at is not None:
        state["paused_at"] = clock.epoch_ms(started.paused_at)
    return state


def start_attempt(factory: sessionmaker[Session], papers: PaperCache, ref: AttemptRef,
                  now: datetime) -> dict[str, Any]:
    """Start the attempt (first call) or return its current state (every later call), in
    its own transaction (the serving process group-commits it through the answer journal
    instead: ``JournalOp("start")``).

    Returns the ``start`` ack (:func:`start_ack`).

    Raises
    ------
    AttemptRefused
        ``session_not_running`` before the session runs, ``paused`` when a first start
        comes while the room is paused, ``finished`` (with the result) after the attempt
        was finished.
    """
    opened = opened_for_start(factory, papers, ref)
    with transaction(factory) as db:
        audit: list[AuditEntry] = []
        [outcome] = begin_all(db.connection(), [Begin(ref, opened.duration_minutes, now)],
                              audit)
        append_audit_batch(db, audit)
    if isinstance(outcome, AttemptRefused):
        raise outcome
    return start_ack(opened, ref, outcome, now)


def deadline_of(a: Attempt, opened: OpenedSession, ref: AttemptRef) -> datetime:
    """The attempt's deadline from its inputs (``exam_server.clock.deadline``)."""
    assert a.started_at is not None  # noqa: S101 - only for started attempts
    return clock.deadline(a.started_at, duration_minutes=opened.duration_minutes,
                          extra_minutes=ref.extra_minutes,
                          extension_seconds=a.extension_seconds,
                          paused_seconds=a.paused_seconds, downtime_seconds=a.downtime_seconds)


def finish_in(db: Session, opened: OpenedSession, ref: AttemptRef, reason: str,
              now: datetime) -> dict[str, Any] | None:
    """Finish a working attempt inside the caller's transaction; the result, or None when
    the attempt was not working (already finished, or never started)."""
    answers, _, _ = _answers(db, ref.id)
    score = attempt_score(opened.key, opened.paper(ref.participant), opened.content.items,
                          answers)
    result = attempt_result(opened.scheme, score, ref.category)
    done = db.execute(update(Attempt)
                      .where(Attempt.id == ref.id, Attempt.state == "working")
                      .values(state="finished", finished_at=now, finish_reason=reason,
                              result=result, live_score=score_payload(opened.scheme, score)))
    if cast(CursorResult[Any], done).rowcount != 1:
        return None
    append_audit(db, actor="candidate" if reason == "candidate" else "server", action="finish",
                 subject=ref.subject, details={"attempt": ref.id, "reason": reason,
                                               "answered": len(answers), "result": result})
    return result


def finish_attempt(factory: sessionmaker[Session], papers: PaperCache, ref: AttemptRef,
                   reason: str, now: datetime) -> dict[str, Any]:
    """Finish the attempt in its own transaction and return the result.

    Raises
    ------
    AttemptRefused
        ``not_started`` or ``finished`` (with the stored result).
    """
    opened = papers.get(ref.session_id)
    with transaction(factory) as db:
        a = db.scalars(select(Attempt).where(Attempt.id == ref.id).with_for_update()).one()
        if a.state != "working":
            state, stored = a.state, a.result
            result = None
        else:
            result = finish_in(db, opened, ref, reason, now)
            state, stored = "finished", result
    if result is None:
        raise AttemptRefused("not_started" if state == "ready" else "finished", stored)
    return result


def ref_for_attempt(db: Session, attempt_id: int) -> AttemptRef:
    """The :class:`AttemptRef` of an attempt id (for the timer and the proctor)."""
    a, p = db.execute(select(Attempt, Participant)
                      .join(Participant, Attempt.participant_id == Participant.id)
                      .where(Attempt.id == attempt_id)).one()
    return AttemptRef(a.id, a.session_id, p.id, p.number, p.category, p.extra_minutes,
                      f"{p.exam_id}/{p.number}")
