"""Candidate login: participant number + PIN + the room's token → a bearer for one attempt.

Checks, in order: the participant exists (else ``bad_credentials``), their session is running
(``session_not_running``), they are not locked (``locked``), the token is the room's
(``bad_token``), the PIN matches (``bad_credentials``; the fifth wrong PIN in a row locks and
answers ``locked``), the attempt is not finished (``finished``), and no connection of theirs
is live (``already_logged_in``: refused, audit-logged and raised as an alert for the proctor).
A login while no connection is live issues a new bearer, which revokes the previous one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

import sqlalchemy as sa
from sqlalchemy import Table, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from exam_server.audit import AuditEntry, append_audit, append_audit_batch
from exam_server.db import reading, transaction
from exam_server.models import Alert, Attempt, ExamSession, Participant
from exam_server.tokens import new_bearer, pin_matches, token_valid

PARTICIPANT = cast(Table, Participant.__table__)
SESSION = cast(Table, ExamSession.__table__)
ATTEMPT = cast(Table, Attempt.__table__)
MAX_PIN_FAILURES = 5
CONNECTION_LIVE = timedelta(seconds=30)
STATUS = {"bad_request": 400, "bad_credentials": 401, "bad_token": 401, "locked": 403,
          "session_not_running": 403, "finished": 403, "already_logged_in": 409}


class LoginRefused(Exception):  # noqa: N818 - a refusal, the protocol's word
    """A refused login; ``code`` is the protocol's error code, ``status`` its HTTP status."""

    def __init__(self, code: str, detail: str = "", session_id: int | None = None) -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.status = STATUS[code]
        self.session_id = session_id  # set when the refusal changed what a proctor sees


@dataclass(frozen=True)
class LoginGranted:
    """A granted login: the bearer (give it to the candidate once) and the attempt id."""

    bearer: str
    attempt_id: int
    revoked_previous: bool
    session_id: int


@dataclass(frozen=True)
class _Candidate:
    participant_id: int
    session_id: int
    subject: str
    session_state: str
    token_secret: bytes | None
    pin_hash: str | None
    locked: bool


def connection_live(attempt: Attempt, now: datetime) -> bool:
    """Whether the attempt has a connection some server process saw recently."""
    return _live(attempt.connected_sid, attempt.connected_at, now)


def _live(sid: str | None, seen: datetime | None, now: datetime) -> bool:
    return sid is not None and seen is not None and now - seen < CONNECTION_LIVE


def _candidate(factory: sessionmaker[Session], number: str) -> _Candidate:
    p, s = PARTICIPANT.c, SESSION.c
    with reading(factory) as db:
        rows = db.connection().execute(
            select(p.id, s.id, p.exam_id, s.state, s.token_secret, p.pin_hash, p.locked)
            .join_from(PARTICIPANT, SESSION, p.session_id == s.id)
            .where(p.number == number)).all()
    if not rows:
        raise LoginRefused("bad_credentials", f"no participant {number}")
    running = [r for r in rows if r[3] == "running"]
    pid, sid, exam_id, state, secret, pin_hash, locked = (running or rows)[0]
    return _Candidate(pid, sid, f"{exam_id}/{number}", state, secret, pin_hash, locked)


def login(factory: sessionmaker[Session], *, participant: str, pin: str, token: str,
          now: datetime, key: bytes) -> LoginGranted:
    """Log a candidate in (see the module docstring for the checks and their order).

    ``key`` is the instance's PIN key (``exam_server.config.pin_key``).

    Raises
    ------
    LoginRefused
        With the protocol's error code.
    """
    c = _candidate(factory, participant)
    if c.session_state != "running":
        raise LoginRefused("session_not_running", c.session_state)
    if c.locked:
        raise LoginRefused("locked")
    if c.token_secret is None or not token_valid(c.token_secret, token, now):
        raise LoginRefused("bad_token")
    if c.pin_hash is None or not pin_matches(key, c.pin_hash, c.subject, pin):
        _count_failure(factory, c)
    with transaction(factory) as db:
        outcome = _admit(db, c, now)
    if isinstance(outcome, str):
        raise LoginRefused(outcome, session_id=c.session_id)
    return outcome


def _count_failure(factory: sessionmaker[Session], c: _Candidate) -> None:
    failures = Participant.pin_failures + 1
    with transaction(factory) as db:
        db.execute(update(Participant).where(Participant.id == c.participant_id)
                   .values(pin_failures=failures,
                           locked=sa.or_(Participant.locked, failures >= MAX_PIN_FAILURES)))
        count, locked = db.execute(select(Participant.pin_failures, Participant.locked)
                                   .where(Participant.id == c.participant_id)).one()
        append_audit(db, actor="candidate", action="login.refused", subject=c.subject,
                     details={"reason": "bad_pin", "failures": count, "locked": locked})
    raise LoginRefused("locked" if locked else "bad_credentials", session_id=c.session_id)


def _admit(db: Session, c: _Candidate, now: datetime) -> LoginGranted | str:
    p, a = PARTICIPANT.c, ATTEMPT.c
    conn = db.connection()
    locked, failures = conn.execute(select(p.locked, p.pin_failures)
                                    .where(p.id == c.participant_id).with_for_update()).one()
    if locked:
        return "locked"
    if failures:
        conn.execute(update(PARTICIPANT).where(p.id == c.participant_id).values(pin_failures=0))
    attempt = conn.execute(select(a.id, a.state, a.connected_sid, a.connected_at,
                                  a.bearer_sha256)
                           .where(a.participant_id == c.participant_id)
                           .with_for_update()).one_or_none()
    if attempt is None:
        attempt_id = conn.execute(insert(ATTEMPT).values(
            participant_id=c.participant_id, session_id=c.session_id, state="ready",
            created_at=now).returning(a.id)).scalar_one()
        state, sid, seen, previous = "ready", None, None, None
    else:
        attempt_id, state, sid, seen, previous = attempt
    if state == "finished":
        return "finished"
    if _live(sid, seen, now):
        append_audit_batch(db, [AuditEntry("candidate", "login.refused", c.subject, {
            "reason": "already_logged_in", "attempt": attempt_id})])
        db.add(Alert(session_id=c.session_id, participant_id=c.participant_id,
                     attempt_id=attempt_id, kind="already_logged_in", at=now,
                     details={"connected_sid": sid}))
        return "already_logged_in"
    revoked = previous is not None
    bearer, digest = new_bearer()
    conn.execute(update(ATTEMPT).where(a.id == attempt_id).values(
        bearer_sha256=digest, bearer_issued_at=now, connected_sid=None, connected_at=None))
    append_audit_batch(db, [AuditEntry("candidate", "login", c.subject, {
        "attempt": attempt_id, "revoked_previous": revoked})])
    return LoginGranted(bearer, attempt_id, revoked, c.session_id)
