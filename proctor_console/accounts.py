"""Accounts: add a user, check a password (with lock-out), and who may see which session.

Service functions own their transaction. A password is checked against its argon2id hash
(argon2-cffi); five wrong passwords in a row lock the account for :data:`LOCKOUT`, and the
lock-out itself is audit-logged. A wrong user name and a wrong password look the same from
outside (the same message, and an argon2 verification either way).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from exam_server.audit import append_audit
from exam_server.db import reading, transaction
from exam_server.models import ExamSession
from exam_server.sessions import find_session
from proctor_console.models import ROLES, ProctorAssignment, ProctorUser

MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)
MIN_PASSWORD = 10
_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("not a password of anyone")


class AccountError(ValueError):
    """A refused account action; the message says what and how to fix it."""


@dataclass(frozen=True)
class Proctor:
    """A logged-in user as the console sees it (no password hash)."""

    id: int
    username: str
    full_name: str
    role: str
    site: str | None
    sessions: frozenset[int]

    def may_see(self, session: ExamSession) -> bool:
        """Whether this user may see and act on ``session``."""
        if self.role == "admin":
            return True
        if self.role == "coordinator":
            return session.site == self.site
        return session.id in self.sessions


def add_user(factory: sessionmaker[Session], username: str, password: str, *, role: str,
             full_name: str, actor: str, site: str | None = None,
             sessions: tuple[str, ...] = ()) -> ProctorUser:
    """Create an account; a proctor is assigned to ``sessions`` (codes), a coordinator to a
    ``site``."""
    name = username.strip()
    if not name or len(name) > 64 or not name.replace(".", "").replace("-", "").replace(
            "_", "").isalnum():
        raise AccountError(f"user name {username!r}: use letters, digits, '.', '-' or '_' "
                           "(at most 64)")
    if role not in ROLES:
        raise AccountError(f"--role {role!r}: one of {', '.join(ROLES)}")
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"the password must have at least {MIN_PASSWORD} characters")
    if role == "coordinator" and not site:
        raise AccountError("a coordinator needs --site (the test site they coordinate)")
    if role == "proctor" and not sessions:
        raise AccountError("a proctor needs at least one --session (the rooms they run)")
    with transaction(factory) as db:
        if db.scalar(select(ProctorUser.id).where(ProctorUser.username == name)) is not None:
            raise AccountError(f"user {name!r} exists already")
        rows = [find_session(db, code) for code in sessions]
        user = ProctorUser(username=name, full_name=full_name.strip() or name, role=role,
                           site=site, password_hash=_hasher.hash(password))
        db.add(user)
        db.flush()
        db.add_all(ProctorAssignment(user_id=user.id, session_id=r.id) for r in rows)
        append_audit(db, actor=actor, action="user.add", subject=name,
                     details={"role": role, "site": site, "sessions": list(sessions)})
    return user


def set_password(factory: sessionmaker[Session], username: str, password: str, *,
                 actor: str) -> None:
    """Give an account a new password (and lift any lock-out)."""
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"the password must have at least {MIN_PASSWORD} characters")
    with transaction(factory) as db:
        user = db.scalars(select(ProctorUser).where(ProctorUser.username == username)
                          .with_for_update()).one_or_none()
        if user is None:
            raise AccountError(f"no user {username!r}")
        user.password_hash = _hasher.hash(password)
        user.failed_logins, user.locked_until = 0, None
        append_audit(db, actor=actor, action="user.password", subject=username, details={})


def load_proctor(factory: sessionmaker[Session], user_id: int) -> Proctor | None:
    """The account with its assignments, or None (deleted)."""
    with reading(factory) as db:
        user = db.get(ProctorUser, user_id)
        if user is None:
            return None
        sessions = frozenset(db.scalars(select(ProctorAssignment.session_id)
                                        .where(ProctorAssignment.user_id == user_id)))
        return Proctor(user.id, user.username, user.full_name, user.role, user.site, sessions)


def authenticate(factory: sessionmaker[Session], username: str, password: str,
                 now: datetime) -> Proctor:
    """The account if the password is right.

    Raises
    ------
    AccountError
        ``locked`` in the message while locked out, otherwise one message for a wrong user
        name or password.
    """
    wrong = AccountError("wrong user name or password")
    with transaction(factory) as db:
        user = db.scalars(select(ProctorUser).where(ProctorUser.username == username.strip())
                          .with_for_update()).one_or_none()
        if user is None:
            _verify(_DUMMY_HASH, password)  # the same work as for a real account
            raise wrong
        if user.locked_until is not None and user.locked_until > now:
            raise AccountError(f"account locked after {MAX_FAILURES} wrong passwords until "
                               f"{user.locked_until:%H:%M} UTC; ask the committee admin")
        if not _verify(user.password_hash, password):
            user.failed_logins += 1
            if user.failed_logins >= MAX_FAILURES:
                user.locked_until, user.failed_logins = now + LOCKOUT, 0
                append_audit(db, actor="server", action="user.locked", subject=user.username,
                             details={"until": user.locked_until.isoformat()})
            failed = True
        else:
            user.failed_logins, user.locked_until = 0, None
            append_audit(db, actor=user.username, action="user.login", subject=user.username,
                         details={})
            failed = False
        user_id = user.id
    if failed:
        raise wrong
    proctor = load_proctor(factory, user_id)
    assert proctor is not None  # noqa: S101 - just read
    return proctor


def _verify(hashed: str, password: str) -> bool:
    try:
        return _hasher.verify(hashed, password)
    except (VerificationError, InvalidHashError):
        return False


def visible_sessions(factory: sessionmaker[Session], proctor: Proctor) -> list[ExamSession]:
    """The sessions this user may see, by start time."""
    with reading(factory) as db:
        rows = db.scalars(select(ExamSession).order_by(ExamSession.starts_at,
                                                       ExamSession.code)).all()
        return [r for r in rows if proctor.may_see(r)]
