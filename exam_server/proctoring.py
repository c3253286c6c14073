"""What a proctor does to a running room: pause, resume, extend, finish one, disqualify,
close, publish.

Each action is a service function that owns its transaction, needs a reason, writes an audit
row, and bumps ``exam_session.control_version``: every server process watches that number
(:mod:`exam_server.control_watch`) and tells its own connections of the session what
changed (``paused``, ``resumed``, ``time``, ``finished``), so an action taken from the
command line, or on another process, reaches every candidate within a second.

The clock (``exam_server.clock``): a pause freezes every working attempt of the room; the
resume adds the whole pause, rounded up to the second, to each one's ``paused_seconds`` and
deadline. Nobody starts while the room is paused, and the timer finishes nobody of a paused
room, so a pause never costs a candidate time.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from exam_server.attempts import AttemptRefused, finish_in, ref_for_attempt
from exam_server.audit import append_audit
from exam_server.db import transaction
from exam_server.models import Attempt, ExamSession, Participant
from exam_server.session_papers import PaperCache
from exam_server.sessions import SessionStateError, find_participant, find_session

MAX_EXTENSION_MINUTES = 600


def _reason(reason: str) -> str:
    text = reason.strip()
    if not text:
        raise SessionStateError("give a reason for the action (it goes into the audit log "
                                "and the session report)")
    return text


def _running(db: Session, code: str, exam_id: str | None, action: str) -> ExamSession:
    row = find_session(db, code, exam_id)
    if row.state != "running":
        raise SessionStateError(f"session {row.code} is {row.state}; {action} needs it running")
    return row


def _bump(row: ExamSession) -> None:
    row.control_version = (row.control_version or 0) + 1


def pause_session(factory: sessionmaker[Session], code: str, *, actor: str, reason: str,
                  now: datetime, exam_id: str | None = None) -> ExamSession:
    """Pause the whole room (a power cut): every clock of the session stands still.

    While paused, answers and flags are refused with ``paused`` (the page keeps them and
    resends after the resume), first starts with ``paused``, and nobody is finished by the
    clock.
    """
    why = _reason(reason)
    with transaction(factory) as db:
        row = _running(db, code, exam_id, "pausing")
        if row.paused_at is not None:
            raise SessionStateError(f"session {row.code} is already paused (since "
                                    f"{row.paused_at:%H:%M:%S} UTC)")
        row.paused_at = now
        _bump(row)
        working = db.scalar(select(func.count()).select_from(Attempt).where(
            Attempt.session_id == row.id, Attempt.state == "working"))
        append_audit(db, actor=actor, action="session.pause",
                     subject=f"{row.exam_id}/{row.code}",
                     details={"reason": why, "working": working})
    return row


def resume_session(factory: sessionmaker[Session], code: str, *, actor: str, reason: str,
                   now: datetime, exam_id: str | None = None) -> int:
    """Resume a paused room; every working attempt gets the pause back. The seconds given."""
    why = _reason(reason)
    with transaction(factory) as db:
        row = _running(db, code, exam_id, "resuming")
        if row.paused_at is None:
            raise SessionStateError(f"session {row.code} is not paused")
        seconds = max(0, math.ceil((now - row.paused_at).total_seconds()))
        attempts = db.scalars(select(Attempt).where(Attempt.session_id == row.id,
                                                    Attempt.state == "working")
                              .order_by(Attempt.id).with_for_update()).all()
        for a in attempts:
            assert a.deadline_at is not None  # noqa: S101 - set when working
            a.paused_seconds += seconds
            a.deadline_at += timedelta(seconds=seconds)
        row.paused_at = None
        _bump(row)
        append_audit(db, actor=actor, action="session.resume",
                     subject=f"{row.exam_id}/{row.code}",
                     details={"reason": why, "seconds": seconds, "attempts": len(attempts)})
    return seconds


def extend_time(factory: sessionmaker[Session], code: str, minutes: int, *, actor: str,
                reason: str, now: datetime, participant: str | None = None,
                exam_id: str | None = None) -> int:
    """Give ``minutes`` more to one participant of the session, or to everyone in it.

    A participant who has logged in but not started gets it at start; one who has not logged
    in yet cannot be extended (give them ``extra_minutes`` in the roster instead). Finished
    attempts are not reopened. Returns how many attempts were extended.
    """
    why = _reason(reason)
    if not 1 <= minutes <= MAX_EXTENSION_MINUTES:
        raise SessionStateError(f"--minutes {minutes}: give a whole number of minutes from 1 "
                                f"to {MAX_EXTENSION_MINUTES}")
    with transaction(factory) as db:
        row = _running(db, code, exam_id, "extending time")
        query = select(Attempt).where(Attempt.session_id == row.id,
                                      Attempt.state != "finished")
        subject = f"{row.exam_id}/{row.code}"
        if participant is not None:
            person = find_participant(db, participant, row.exam_id)
            if person.session_id != row.id:
                raise SessionStateError(f"participant {participant} is not in session "
                                        f"{row.code}")
            state = db.scalar(select(Attempt.state).where(Attempt.participant_id == person.id))
            if state is None:
                raise SessionStateError(f"participant {participant} has not logged in yet: "
                                        "extend after they log in, or give extra minutes "
                                        "in the roster")
            if state == "finished":
                raise SessionStateError(f"participant {participant} has finished: a finished "
                                        "attempt is not reopened")
            query = query.where(Attempt.participant_id == person.id)
            subject = f"{row.exam_id}/{participant}"
        attempts = db.scalars(query.order_by(Attempt.id).with_for_update()).all()
        for a in attempts:
            a.extension_seconds += minutes * 60
            if a.deadline_at is not None:
                a.deadline_at += timedelta(minutes=minutes)
        _bump(row)
        append_audit(db, actor=actor, action="attempt.extend", subject=subject,
                     details={"reason": why, "minutes": minutes, "attempts": len(attempts),
                              "session": row.code})
    return len(attempts)


def finish_participant(factory: sessionmaker[Session], papers: PaperCache, number: str, *,
                       actor: str, reason: str, now: datetime,
                       exam_id: str | None = None) -> dict[str, Any]:
    """A proctor finishes one participant's attempt now (reason ``proctor``); the result.

    Raises
    ------
    AttemptRefused
        ``not_started`` (never started) or ``finished`` (already finished).
    """
    why = _reason(reason)
    with transaction(factory) as db:
        person = find_participant(db, number, exam_id)
        attempt_id = db.scalar(select(Attempt.id).where(Attempt.participant_id == person.id))
        if attempt_id is None:
            raise AttemptRefused("not_started")
        ref = ref_for_attempt(db, attempt_id)
    opened = papers.get(ref.session_id)
    with transaction(factory) as db:
        a = db.scalars(select(Attempt).where(Attempt.id == ref.id).with_for_update()).one()
        if a.state != "working":
            raise AttemptRefused("not_started" if a.state == "ready" else "finished", a.result)
        result = finish_in(db, opened, ref, "proctor", now)
        assert result is not None  # noqa: S101 - the row was working and is locked
        _bump(db.get_one(ExamSession, ref.session_id))
        append_audit(db, actor=actor, action="attempt.finish_by_proctor", subject=ref.subject,
                     details={"reason": why, "attempt": ref.id})
    return result


def close_session(factory: sessionmaker[Session], papers: PaperCache, code: str, *,
                  actor: str, reason: str, now: datetime,
                  exam_id: str | None = None) -> dict[str, int]:
    """Close the session: finish every working attempt (reason ``proctor``), end log-ins,
    and drop the session key and token secret, so its papers are sealed again.

    Returns counts: ``finished`` now, ``already`` finished before, ``absent`` (never
    started).
    """
    why = _reason(reason)
    with transaction(factory) as db:
        row = find_session(db, code, exam_id)
        if row.state not in ("opened", "running"):
            raise SessionStateError(f"session {row.code} is {row.state}; closing needs it "
                                    "opened or running")
        session_id = row.id
    opened = papers.get(session_id)
    with transaction(factory) as db:
        row = db.get_one(ExamSession, session_id, with_for_update=True)
        if row.state not in ("opened", "running"):
            raise SessionStateError(f"session {row.code} is {row.state} (closed meanwhile)")
        working = db.scalars(select(Attempt.id).where(Attempt.session_id == session_id,
                                                      Attempt.state == "working")
                             .order_by(Attempt.id)).all()
        finished = sum(1 for i in working
                       if finish_in(db, opened, ref_for_attempt(db, i), "proctor", now))
        already = db.scalar(select(func.count()).select_from(Attempt).where(
            Attempt.session_id == session_id, Attempt.state == "finished")) or 0
        people = db.scalar(select(func.count()).select_from(Participant).where(
            Participant.session_id == session_id)) or 0
        db.execute(update(Attempt).where(Attempt.session_id == session_id,
                                         Attempt.state == "ready")
                   .values(bearer_sha256=None))
        row.state, row.closed_at, row.paused_at = "closed", now, None
        row.session_key = row.token_secret = None
        _bump(row)
        counts = {"finished": finished, "already": already - finished,
                  "absent": people - already}
        append_audit(db, actor=actor, action="session.close",
                     subject=f"{row.exam_id}/{row.code}", details={"reason": why, **counts})
    papers.forget(session_id)
    return counts


def publish_session(factory: sessionmaker[Session], code: str, *, actor: str, reason: str,
                    now: datetime, exam_id: str | None = None) -> ExamSession:
    """Publish a closed session's results (closed → published)."""
    why = _reason(reason)
    with transaction(factory) as db:
        row = find_session(db, code, exam_id)
        if row.state != "closed":
            raise SessionStateError(f"session {row.code} is {row.state}; publishing needs it "
                                    "closed (seleksi session close)")
        row.state, row.published_at = "published", now
        append_audit(db, actor=actor, action="session.publish",
                     subject=f"{row.exam_id}/{row.code}", details={"reason": why})
    return row


def disqualify(factory: sessionmaker[Session], papers: PaperCache, number: str, *,
               actor: str, reason: str, now: datetime,
               exam_id: str | None = None) -> dict[str, Any]:
    """Disqualify a participant (DIS): their attempt is finished now if it is still running
    (reason ``proctor``), and their result stands as DIS on the scoreboard, in the session
    report and, as a ``correction`` entry, in the public result log. Returns the result.

    Raises
    ------
    AttemptRefused
        ``not_started``: nobody can be disqualified from a paper they never started.
    SessionStateError
        Already disqualified.
    """
    why = _reason(reason)
    with transaction(factory) as db:
        person = find_participant(db, number, exam_id)
        if person.disqualified_at is not None:
            raise SessionStateError(f"participant {number} was disqualified already "
                                    f"({person.disqualified_at:%Y-%m-%d %H:%M} UTC)")
        attempt = db.scalars(select(Attempt).where(Attempt.participant_id == person.id)
                             ).one_or_none()
        if attempt is None or attempt.state == "ready":
            raise AttemptRefused("not_started")
        ref = ref_for_attempt(db, attempt.id)
    opened = papers.get(ref.session_id) if attempt.state == "working" else None
    with transaction(factory) as db:
        a = db.scalars(select(Attempt).where(Attempt.id == ref.id).with_for_update()).one()
        if a.state == "working":
            assert opened is not None  # noqa: S101 - read above for a working attempt
            finish_in(db, opened, ref, "proctor", now)
            db.refresh(a)
        person = db.get_one(Participant, ref.participant_id)
        person.disqualified_at, person.disqualified_by = now, actor
        person.disqualified_reason = why[:500]
        _bump(db.get_one(ExamSession, ref.session_id))
        append_audit(db, actor=actor, action="participant.disqualify", subject=ref.subject,
                     details={"reason": why, "attempt": ref.id})
        result = dict(a.result or {})
    return result
