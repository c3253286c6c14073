"""A session's life: scheduled → opened → running → closed → published; PINs and the token.

Opening checks the release key by decrypting the session's papers from the stored package,
then keeps the session key and a fresh token secret in the ``exam_session`` row (see
:mod:`exam_server.session_papers`). Every change is audit-logged.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from exam_server.audit import append_audit
from exam_server.config import pin_key
from exam_server.db import reading, transaction
from exam_server.models import Attempt, ExamSession, Participant
from exam_server.session_papers import open_content
from exam_server.tokens import current_token, hash_pin, new_pin, new_token_secret
from question_bank.sealing_format import parse_release_key


class SessionStateError(ValueError):
    """A session (or participant) is not in the state the action needs; the message says
    which state it is in and what to do."""


@dataclass(frozen=True)
class SessionSummary:
    """One line of ``seleksi session list``."""

    exam_id: str
    code: str
    site: str
    room: str
    starts_at: datetime
    state: str
    participants: int
    working: int
    finished: int


@dataclass(frozen=True)
class PinCard:
    """What goes on one admission card."""

    participant: str
    name: str
    pin: str
    session: str


def find_session(db: Session, code: str, exam_id: str | None = None) -> ExamSession:
    """The session with this code (``JKT1-S1``); ``exam_id`` when codes repeat across exams."""
    query = select(ExamSession).where(ExamSession.code == code)
    if exam_id is not None:
        query = query.where(ExamSession.exam_id == exam_id)
    rows = db.scalars(query).all()
    if not rows:
        known = db.scalars(select(ExamSession.code).order_by(ExamSession.code)).all()
        where = f" of exam {exam_id}" if exam_id else ""
        raise SessionStateError(f"no session {code!r}{where} (sessions: "
                                f"{', '.join(known) or 'none'})")
    if len(rows) > 1:
        raise SessionStateError(f"session {code!r} exists in exams "
                                f"{', '.join(r.exam_id for r in rows)}: add --exam EXAM")
    return rows[0]


def find_participant(db: Session, number: str, exam_id: str | None = None) -> Participant:
    """The participant with this number; ``exam_id`` when numbers repeat across exams."""
    query = select(Participant).where(Participant.number == number)
    if exam_id is not None:
        query = query.where(Participant.exam_id == exam_id)
    rows = db.scalars(query).all()
    if len(rows) != 1:
        raise SessionStateError(f"participant {number!r}: "
                                f"{'not found' if not rows else 'in several exams, add --exam'}")
    return rows[0]


def _why(details: dict[str, object], reason: str | None) -> dict[str, object]:
    """Audit details with the proctor's reason, when one was given."""
    return {**details, "reason": reason.strip()} if reason and reason.strip() else details


def _need_state(row: ExamSession, *states: str, action: str) -> None:
    if row.state not in states:
        raise SessionStateError(f"session {row.code} is {row.state}; {action} needs it "
                                f"{' or '.join(states)}")


def list_sessions(factory: sessionmaker[Session]) -> list[SessionSummary]:
    """Every session with its state and how many participants are working and finished."""
    with reading(factory) as db:
        people = dict(db.execute(select(Participant.session_id, func.count())
                                 .group_by(Participant.session_id)).all())
        states = db.execute(select(Attempt.session_id, Attempt.state, func.count())
                            .group_by(Attempt.session_id, Attempt.state)).all()
        by_state = {(s, st): n for s, st, n in states}
        rows = db.scalars(select(ExamSession)
                          .order_by(ExamSession.starts_at, ExamSession.code)).all()
        return [SessionSummary(r.exam_id, r.code, r.site, r.room, r.starts_at, r.state,
                               people.get(r.id, 0), by_state.get((r.id, "working"), 0),
                               by_state.get((r.id, "finished"), 0)) for r in rows]


def open_exam_session(factory: sessionmaker[Session], code: str, release_key: str,
                      public_key: Ed25519PublicKey, *, actor: str, now: datetime,
                      exam_id: str | None = None, reason: str | None = None) -> ExamSession:
    """Open a scheduled session with its release key.

    The key is checked by decrypting the session's papers from the stored package (a wrong
    key raises ``SealError`` and changes nothing). The session key and a new token secret are
    then stored in the session's row.
    """
    key = parse_release_key(release_key)
    with reading(factory) as db:
        row = find_session(db, code, exam_id)
        _need_state(row, "scheduled", action="opening")
        exam, session_id = row.exam_id, row.id
    content = open_content(factory, exam, code, key, public_key)
    with transaction(factory) as db:
        row = db.get_one(ExamSession, session_id)
        _need_state(row, "scheduled", action="opening")
        row.state, row.session_key, row.opened_at = "opened", key, now
        row.token_secret = new_token_secret()
        append_audit(db, actor=actor, action="session.open", subject=f"{exam}/{code}",
                     details=_why({"papers": len(content.papers), "items": len(content.items)},
                                  reason))
    return row


def start_exam_session(factory: sessionmaker[Session], code: str, *, actor: str,
                       now: datetime, exam_id: str | None = None,
                       reason: str | None = None) -> ExamSession:
    """Let candidates in: an opened session becomes running."""
    with transaction(factory) as db:
        row = find_session(db, code, exam_id)
        _need_state(row, "opened", action="starting")
        row.state, row.started_at = "running", now
        append_audit(db, actor=actor, action="session.start", subject=f"{row.exam_id}/{code}",
                     details=_why({}, reason))
    return row


def session_token(factory: sessionmaker[Session], code: str, now: datetime,
                  exam_id: str | None = None) -> str:
    """The token to show in the room now (the session must be opened or running)."""
    with reading(factory) as db:
        row = find_session(db, code, exam_id)
        _need_state(row, "opened", "running", action="a token")
        assert row.token_secret is not None  # noqa: S101 - set at open
        return current_token(row.token_secret, now)


def issue_pins(factory: sessionmaker[Session], code: str, *, actor: str,
               exam_id: str | None = None, key: bytes | None = None) -> list[PinCard]:
    """New PINs for every participant of the session; only their verifiers are kept.

    Issuing again replaces every PIN and clears locks. Refused once the session is closed.
    """
    with reading(factory) as db:
        row = find_session(db, code, exam_id)
        _need_state(row, "scheduled", "opened", "running", action="issuing PINs")
        people = db.scalars(select(Participant).where(Participant.session_id == row.id)
                            .order_by(Participant.number)).all()
        session_id, exam = row.id, row.exam_id
        cards = [PinCard(p.number, p.name, new_pin(), code) for p in people]
    key = key or pin_key()
    hashes = {c.participant: hash_pin(key, f"{exam}/{c.participant}", c.pin) for c in cards}
    with transaction(factory) as db:
        for p in db.scalars(select(Participant).where(Participant.session_id == session_id)):
            if p.number in hashes:
                p.pin_hash, p.pin_failures, p.locked = hashes[p.number], 0, False
        append_audit(db, actor=actor, action="session.pins", subject=f"{exam}/{code}",
                     details={"participants": len(cards)})
    return cards


def unlock_participant(factory: sessionmaker[Session], number: str, *, actor: str,
                       exam_id: str | None = None, reason: str | None = None) -> Participant:
    """A proctor's reset after five wrong PINs: unlocked, failure count back to zero."""
    with transaction(factory) as db:
        p = find_participant(db, number, exam_id)
        was = p.locked
        p.locked, p.pin_failures = False, 0
        append_audit(db, actor=actor, action="participant.unlock",
                     subject=f"{p.exam_id}/{p.number}",
                     details=_why({"was_locked": was}, reason))
    return p


def reset_login(factory: sessionmaker[Session], number: str, *, actor: str,
                exam_id: str | None = None, reason: str | None = None) -> None:
    """A proctor's reset of a live login: the bearer is revoked, the connection forgotten,
    so the candidate can log in again at another workstation."""
    with transaction(factory) as db:
        p = find_participant(db, number, exam_id)
        # every serving process looks at the version and drops the revoked bearer's
        # connection (the session row before the attempt's, as closing the session locks them)
        db.execute(update(ExamSession).where(ExamSession.id.in_(
            select(Attempt.session_id).where(Attempt.participant_id == p.id)))
            .values(control_version=ExamSession.control_version + 1))
        db.execute(update(Attempt).where(Attempt.participant_id == p.id)
                   .values(bearer_sha256=None, connected_sid=None, connected_at=None))
        append_audit(db, actor=actor, action="participant.reset_login",
                     subject=f"{p.exam_id}/{p.number}", details=_why({}, reason))
