"""The exam server's tables as SQLAlchemy 2.0 typed models (schema: ``docs/database.md``).

Times are stored in UTC and come back timezone-aware on both SQLite and PostgreSQL. The
migration ``migrations/versions/0001_foundation.py`` creates exactly these tables; a test
compares the two. Attempts, answers, alerts and server heartbeats (``0002_sessions``) live in
``models_attempts.py``, imported at the end of this module so one metadata holds every table.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

ITEM_STATUSES = ("draft", "reviewed", "approved", "retired")
SESSION_STATES = ("scheduled", "opened", "running", "closed", "published")

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


class UTCDateTime(sa.TypeDecorator[datetime]):
    """A timezone-aware timestamp stored in UTC; naive values are refused.

    PostgreSQL stores ``timestamp with time zone``; SQLite stores the UTC wall time and the
    value is given its UTC zone back on the way out.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        value = to_utc(value)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else read_utc(value)


def to_utc(value: datetime) -> datetime:
    """``value`` as a ``UTCDateTime`` column stores it: in UTC; a naive value is refused."""
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value.isoformat()} given to a UTC column: "
                         "pass a timezone-aware datetime")
    return value.astimezone(UTC)


def read_utc(value: datetime) -> datetime:
    """A ``UTCDateTime`` column's stored value as read: timezone-aware UTC (SQLite stores the
    UTC wall time without a zone)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Base(DeclarativeBase):
    """Declarative base of every Seleksi table (constraint names from ``NAMING``)."""

    metadata = sa.MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: sa.JSON()}


# --- the question bank -------------------------------------------------------------------


class BankItem(Base):
    """An item of the bank (``TIU-0042``): the part that never changes between versions."""

    __tablename__ = "item"

    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    section: Mapped[str] = mapped_column(sa.String(32))
    topic: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    versions: Mapped[list[BankItemVersion]] = relationship(
        back_populates="item", order_by="BankItemVersion.version")


class BankItemVersion(Base):
    """One version of an item's content; only its status (and who moved it) ever changes."""

    __tablename__ = "item_version"
    __table_args__ = (sa.CheckConstraint(_in("status", ITEM_STATUSES), name="status"),)

    item_id: Mapped[str] = mapped_column(sa.ForeignKey("item.id"), primary_key=True)
    version: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    content: Mapped[dict[str, Any]]
    content_hash: Mapped[str] = mapped_column(sa.String(64))
    status: Mapped[str] = mapped_column(sa.String(16))
    author: Mapped[str] = mapped_column(sa.String(200))
    reviewed_by: Mapped[str | None] = mapped_column(sa.String(200))
    approved_by: Mapped[str | None] = mapped_column(sa.String(200))
    imported_by: Mapped[str | None] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    status_changed_at: Mapped[datetime] = mapped_column(default=utcnow)

    item: Mapped[BankItem] = relationship(back_populates="versions")


class Media(Base):
    """An image referred to from item text as ``sha256:<hex>``, stored by its content hash."""

    __tablename__ = "media"

    sha256: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    mime: Mapped[str] = mapped_column(sa.String(100))
    data: Mapped[bytes] = mapped_column(sa.LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# --- exams, their sessions and participants ----------------------------------------------


class Exam(Base):
    """An exam as loaded from its definition file (scheme, blueprint, sessions)."""

    __tablename__ = "exam"

    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    scheme: Mapped[str] = mapped_column(sa.String(64))
    definition: Mapped[dict[str, Any]]
    definition_sha256: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    sessions: Mapped[list[ExamSession]] = relationship(
        back_populates="exam", order_by="ExamSession.id")


class ExamSession(Base):
    """A sitting (sesi) of an exam at a site and room; ``code`` is its id in the definition."""

    __tablename__ = "exam_session"
    __table_args__ = (
        sa.UniqueConstraint("exam_id", "code"),
        sa.CheckConstraint(_in("state", SESSION_STATES), name="state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    exam_id: Mapped[str] = mapped_column(sa.ForeignKey("exam.id"))
    code: Mapped[str] = mapped_column(sa.String(64))
    site: Mapped[str] = mapped_column(sa.String(200))
    room: Mapped[str] = mapped_column(sa.String(200))
    starts_at: Mapped[datetime]
    duration_minutes: Mapped[int | None]
    state: Mapped[str] = mapped_column(sa.String(16), default="scheduled")
    # Set at open (0002_sessions): the 32-byte session key that decrypts the papers, kept
    # until close, and the random secret the rotating room token is derived from.
    session_key: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    token_secret: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    opened_at: Mapped[datetime | None]
    started_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    # Room control (0003_room_control): set while the whole room is paused; bumped by every
    # proctor action the session's candidates must be told of (every process watches it).
    paused_at: Mapped[datetime | None]
    published_at: Mapped[datetime | None]
    control_version: Mapped[int] = mapped_column(default=0, server_default="0")

    exam: Mapped[Exam] = relationship(back_populates="sessions")


class Participant(Base):
    """A candidate (peserta) registered for an exam and assigned to one of its sessions."""

    __tablename__ = "participant"
    __table_args__ = (sa.UniqueConstraint("exam_id", "number"),
                      sa.Index("ix_participant_session_id", "session_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    exam_id: Mapped[str] = mapped_column(sa.ForeignKey("exam.id"))
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("exam_session.id"))
    number: Mapped[str] = mapped_column(sa.String(64))
    name: Mapped[str] = mapped_column(sa.String(200))
    formation: Mapped[str] = mapped_column(sa.String(200))
    category: Mapped[str] = mapped_column(sa.String(64))
    extra_minutes: Mapped[int] = mapped_column(default=0, server_default="0")
    large_text: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # The admission-card PIN (0002_sessions): argon2id hash only; five wrong PINs lock.
    pin_hash: Mapped[str | None] = mapped_column(sa.String(200))
    pin_failures: Mapped[int] = mapped_column(default=0, server_default="0")
    locked: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # Disqualification, DIS (0006_disqualification): when, by whom and why.
    disqualified_at: Mapped[datetime | None]
    disqualified_by: Mapped[str | None] = mapped_column(sa.String(200))
    disqualified_reason: Mapped[str | None] = mapped_column(sa.String(500))


# --- sealed packages ---------------------------------------------------------------------


class SealedPackage(Base):
    """An imported sealed package: its signed manifest; the papers stay encrypted."""

    __tablename__ = "sealed_package"

    id: Mapped[int] = mapped_column(primary_key=True)
    exam_id: Mapped[str] = mapped_column(sa.ForeignKey("exam.id"))
    file_sha256: Mapped[str] = mapped_column(sa.String(64), unique=True)
    manifest: Mapped[dict[str, Any]]
    signature: Mapped[bytes] = mapped_column(sa.LargeBinary)
    bank_snapshot_sha256: Mapped[str] = mapped_column(sa.String(64))
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)
    imported_by: Mapped[str] = mapped_column(sa.String(200))

    sessions: Mapped[list[SealedSession]] = relationship(back_populates="package")


class SealedSession(Base):
    """One session's papers, AES-256-GCM ciphertext, unreadable until its release key."""

    __tablename__ = "sealed_session"

    sealed_package_id: Mapped[int] = mapped_column(sa.ForeignKey("sealed_package.id"),
                                                   primary_key=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("exam_session.id"), primary_key=True)
    nonce: Mapped[bytes] = mapped_column(sa.LargeBinary)
    ciphertext: Mapped[bytes] = mapped_column(sa.LargeBinary)
    ciphertext_sha256: Mapped[str] = mapped_column(sa.String(64))

    package: Mapped[SealedPackage] = relationship(back_populates="sessions")


# --- the audit log -----------------------------------------------------------------------


class AuditLog(Base):
    """One append-only audit row; ``hash`` covers the row and the previous row's hash."""

    __tablename__ = "audit_log"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(sa.String(200))
    action: Mapped[str] = mapped_column(sa.String(64))
    subject: Mapped[str] = mapped_column(sa.String(200))
    details: Mapped[dict[str, Any]]
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    hash: Mapped[str] = mapped_column(sa.String(64))


from exam_server.models_attempts import (  # noqa: E402  (one metadata for every table)
    Alert,
    Answer,
    Attempt,
    ServerHeartbeat,
)

__all__ = ["Alert", "Answer", "Attempt", "AuditLog", "BankItem", "BankItemVersion", "Base",
           "Exam", "ExamSession", "Media", "Participant", "SealedPackage", "SealedSession",
           "ServerHeartbeat", "UTCDateTime", "utcnow"]
