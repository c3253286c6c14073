"""Attempts: who a bearer is, start (or resume), finish, and the candidate's view of their state.

Service functions own their transaction; ``finish_in`` works inside the caller's (the
answer journal and the timer finish attempts in their own transactions). Finishing is a
conditional ``UPDATE … WHERE state = 'working'``, so when two paths race only one finishes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, Table, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from exam_server import clock
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


def mark_disconnected(factory: sessionmaker[Session], attempt_id: int, sid: str) -> None:
    """Forget a connection, unless a newer one of the same attempt has replaced it."""
    with transaction(factory) as db:
        db.execute(update(Attempt).where(Attempt.id == attempt_id,
                                         Attempt.connected_sid == sid)
                   .values(connected_sid=None, connected_at=None))


def refresh_connections(factory: sessionmaker[Session], sids: list[str], now: datetime) -> None:
    """The connection heartbeat: every sid this process holds is still live at ``now``."""
    if sids:
        with transaction(factory) as db:
            db.execute(update(Attempt).where(Attempt.connected_sid.in_(sids))
                       .values(connected_at=now))


def _answers(db: Session, attempt_id: int) -> tuple[dict[int, str | None], list[int], int]:
    """Answers, flags, and the highest seq applied to the attempt so far."""
    c = cast(Table, Answer.__table__).c
    rows = db.connection().execute(select(c.q, c.choice, c.flagged, c.answer_seq, c.flag_seq)
                                   .where(c.attempt_id == attempt_id).order_by(c.q)).all()
    highest = max((max(a, f) for *_, a, f in rows), default=0)
    return ({q: c for q, c, *_ in rows if c is not None},
            [q for q, _, flagged, *_ in rows if flagged], highest)


def start_attempt(factory: sessionmaker[Session], papers: PaperCache, ref: AttemptRef,
                  now: datetime) -> dict[str, Any]:
    """Start the attempt (first call) or return its current state (every later call).

    Returns the ``start`` ack: paper, answers, flags, deadline and server time (epoch ms),
    and whether the room is paused (with ``paused_at`` when it is: the countdown stands
    still at ``deadline - paused_at``).

    Raises
    ------
    AttemptRefused
        ``session_not_running`` before the session runs, ``paused`` when a first start
        comes while the room is paused, ``finished`` (with the result) after the attempt
        was finished.
    """
    try:
        opened = papers.get(ref.session_id)
    except SealError:
        result = finished_result(factory, ref.id)
        if result is None:
            raise
        raise AttemptRefused("finished", result) from None
    a, p, s = ATTEMPT.c, PARTICIPANT.c, SESSION.c
    with transaction(factory) as db:
        conn = db.connection()
        row = conn.execute(
            select(a.state, a.result, a.deadline_at, a.extension_seconds, a.paused_seconds,
                   a.downtime_seconds, p.number, p.name, p.large_text,
                   s.state.label("session_state"), s.paused_at)
            .join_from(ATTEMPT, PARTICIPANT, a.participant_id == p.id)
            .join(SESSION, a.session_id == s.id)
            .where(a.id == ref.id).with_for_update(of=ATTEMPT)).one()
        if row.state == "finished":
            raise AttemptRefused("finished", row.result)
        deadline_at = row.deadline_at
        if row.state == "ready":
            if row.session_state != "running":
                raise AttemptRefused("session_not_running")
            if row.paused_at is not None:
                raise AttemptRefused("paused")
            deadline_at = clock.deadline(
                now, duration_minutes=opened.duration_minutes, extra_minutes=ref.extra_minutes,
                extension_seconds=row.extension_seconds, paused_seconds=row.paused_seconds,
                downtime_seconds=row.downtime_seconds)
            conn.execute(update(ATTEMPT).where(a.id == ref.id)
                         .values(state="working", started_at=now, deadline_at=deadline_at))
            append_audit_batch(db, [AuditEntry("candidate", "start", ref.subject, {
                "attempt": ref.id, "deadline": clock.epoch_ms(deadline_at)})])
        answers, flags, seq = _answers(db, ref.id)
        assert deadline_at is not None  # noqa: S101 - set when working
        participant = {"number": row.number, "name": row.name, "large_text": row.large_text}
    state = {"ok": True, "paper": opened.candidate_paper(ref.participant),
             "answers": {str(q): c for q, c in answers.items()}, "flags": flags,
             "seq": seq, "participant": participant,
             "deadline": clock.epoch_ms(deadline_at), "server_time": clock.epoch_ms(now),
             "paused": row.paused_at is not None}
    if row.paused_at is not None:
        state["paused_at"] = clock.epoch_ms(row.paused_at)
    return state


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
