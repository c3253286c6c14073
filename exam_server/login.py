"""Candidate login: participant number + PIN + the room's token → a bearer for one attempt.

Checks, in order: the participant exists (else ``bad_credentials``), their session is running
(``session_not_running``), they are not locked (``locked``), the token is the room's
(``bad_token``), the PIN matches (``bad_credentials``; the fifth wrong PIN in a row locks and
answers ``locked``), the attempt is not finished (``finished``), and no connection of theirs
is live (``already_logged_in``: refused, audit-logged and raised as an alert for the proctor).
A login while no connection is live issues a new bearer, which revokes the previous one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

import sqlalchemy as sa
from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, sessionmaker

from exam_server import hot_sql
from exam_server.audit import AuditEntry, append_audit, append_audit_batch
from exam_server.db import reading, transaction
from exam_server.models import Alert, Attempt, ExamSession, Participant
from exam_server.tokens import new_bearer, pin_matches, token_valid

PARTICIPANT = cast(Table, Participant.__table__)
SESSION = cast(Table, ExamSession.__table__)
ATTEMPT = cast(Table, Attempt.__table__)
ALERT = cast(Table, Alert.__table__)
MAX_PIN_FAILURES = 5
CONNECTION_LIVE = timedelta(seconds=30)
STATUS = {"bad_request": 400, "bad_credentials": 401, "bad_token": 401, "locked": 403,
          "session_not_running": 403, "finished": 403, "already_logged_in": 409,
          "storage_unavailable": 503}


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
          now: datetime, key: bytes,
          admit: Callable[[Admission], LoginGranted | str] | None = None) -> LoginGranted:
    """Log a candidate in (see the module docstring for the checks and their order).

    ``key`` is the instance's PIN key (``exam_server.config.pin_key``). The checks up to the
    PIN read a snapshot outside any write transaction; the rest (:func:`admit_all`) runs in
    one: its own, or, with ``admit`` (the serving process's ``Journal.admit``), the answer
    journal's group commit, which returns once the batch is committed.

    Raises
    ------
    LoginRefused
        With the protocol's error code (``storage_unavailable`` when the commit failed).
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
    if admit is None:
        with transaction(factory) as db:
            audit: list[AuditEntry] = []
            [outcome] = admit_all(db.connection(), [Admission(c, now)], audit)
            append_audit_batch(db, audit)
    else:
        outcome = admit(Admission(c, now))
        if outcome == "storage_unavailable":
            raise LoginRefused(outcome)
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


@dataclass(frozen=True)
class Admission:
    """A login whose checks up to the PIN passed, to admit in a write transaction."""

    candidate: _Candidate
    now: datetime


@dataclass
class _Held:
    """A participant's attempt as the transaction sees it (updated as admissions apply)."""

    id: int
    state: str
    sid: str | None
    seen: datetime | None
    bearer: str | None


def admit_all(conn: Connection, admissions: Sequence[Admission], audit: list[AuditEntry]
              ) -> list[LoginGranted | str]:
    """Admit logins in order inside the caller's transaction: per admission the granted
    login or the refusal's code (``locked``, ``finished``, ``already_logged_in``).

    Re-checks the lock, resets the PIN failure count, makes the attempt at the first login,
    refuses a finished attempt and a second live login (an audit row and an alert for the
    proctor), else issues a new bearer (revoking the previous one). Appends the audit
    entries to ``audit`` (the caller appends them to the chain, in the same transaction).
    All admissions of a batch are read with two statements and written with a few.
    """
    if not admissions:
        return []
    ids = sorted({adm.candidate.participant_id for adm in admissions})
    locked = {pid: (bool(lk), int(failures))
              for pid, lk, failures in conn.execute(_PARTICIPANTS, {"ids": ids})}
    held = {pid: _Held(aid, state, sid, seen, bearer)
            for aid, pid, state, sid, seen, bearer in conn.execute(_ATTEMPTS, {"ids": ids})}
    new: dict[int, Admission] = {}
    for adm in admissions:
        pid = adm.candidate.participant_id
        if not locked[pid][0] and pid not in held and pid not in new:
            new[pid] = adm
    if new:
        made = conn.execute(_NEW_ATTEMPT, [
            {"participant_id": pid, "session_id": adm.candidate.session_id, "state": "ready",
             "created_at": adm.now} for pid, adm in new.items()])
        for aid, pid in made:
            held[pid] = _Held(aid, "ready", None, None, None)
    resets = [pid for pid in ids if not locked[pid][0] and locked[pid][1]]
    if resets:
        conn.execute(_RESET_FAILURES, [{"pid": pid} for pid in resets])
    bearers: list[tuple[str, datetime, int]] = []
    outcomes: list[LoginGranted | str] = []
    for adm in admissions:
        c = adm.candidate
        if locked[c.participant_id][0]:
            outcomes.append("locked")
            continue
        a = held[c.participant_id]
        if a.state == "finished":
            outcomes.append("finished")
            continue
        if _live(a.sid, a.seen, adm.now):
            audit.append(AuditEntry("candidate", "login.refused", c.subject, {
                "reason": "already_logged_in", "attempt": a.id}))
            conn.execute(insert(ALERT).values(
                session_id=c.session_id, participant_id=c.participant_id, attempt_id=a.id,
                kind="already_logged_in", at=adm.now, details={"connected_sid": a.sid}))
            outcomes.append("already_logged_in")
            continue
        revoked = a.bearer is not None
        bearer, digest = new_bearer()
        bearers.append((digest, adm.now, a.id))
        a.bearer, a.sid, a.seen = digest, None, None
        audit.append(AuditEntry("candidate", "login", c.subject, {
            "attempt": a.id, "revoked_previous": revoked}))
        outcomes.append(LoginGranted(bearer, a.id, revoked, c.session_id))
    hot_sql.set_bearers(conn, bearers)
    return outcomes


_PARTICIPANTS = (select(PARTICIPANT.c.id, PARTICIPANT.c.locked, PARTICIPANT.c.pin_failures)
                 .where(PARTICIPANT.c.id.in_(bindparam("ids", expanding=True)))
                 .order_by(PARTICIPANT.c.id).with_for_update())
_ATTEMPTS = (select(ATTEMPT.c.id, ATTEMPT.c.participant_id, ATTEMPT.c.state,
                    ATTEMPT.c.connected_sid, ATTEMPT.c.connected_at, ATTEMPT.c.bearer_sha256)
             .where(ATTEMPT.c.participant_id.in_(bindparam("ids", expanding=True)))
             .order_by(ATTEMPT.c.id).with_for_update())
_NEW_ATTEMPT = insert(ATTEMPT).returning(ATTEMPT.c.id, ATTEMPT.c.participant_id)
_RESET_FAILURES = (update(PARTICIPANT).where(PARTICIPANT.c.id == bindparam("pid"))
                   .values(pin_failures=0))
