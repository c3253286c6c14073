"""The candidate's side of a session: attempts, the answer journal, alerts, server heartbeats.

Created by migration ``0002_sessions`` (schema in ``docs/database.md``). An attempt is made at
a participant's first login and is the unit the clock, the answers and the result belong to.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from exam_server.models import Base, _in, utcnow

ATTEMPT_STATES = ("ready", "working", "finished")
FINISH_REASONS = ("candidate", "deadline", "proctor")


class Attempt(Base):
    """One participant's sitting of their session: login, clock, state and result.

    ``ready`` after login, ``working`` from ``start``, ``finished`` by the candidate, the
    deadline or a proctor. Only the SHA-256 of the bearer token is stored. ``connected_sid``
    and ``connected_at`` (refreshed by the serving process) say whether a connection is live,
    in the database so every server process sees it. ``deadline_at`` is denormalised from
    ``exam_server.clock.deadline`` and recomputed whenever one of its inputs changes.
    """

    __tablename__ = "attempt"
    __table_args__ = (
        sa.CheckConstraint(_in("state", ATTEMPT_STATES), name="state"),
        sa.Index("ix_attempt_session_id", "session_id"),
        sa.Index("ix_attempt_state_deadline", "state", "deadline_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(sa.ForeignKey("participant.id"), unique=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("exam_session.id"))
    state: Mapped[str] = mapped_column(sa.String(16), default="ready")
    bearer_sha256: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    bearer_issued_at: Mapped[datetime | None]
    connected_sid: Mapped[str | None] = mapped_column(sa.String(64))
    connected_at: Mapped[datetime | None]
    started_at: Mapped[datetime | None]
    deadline_at: Mapped[datetime | None]
    extension_seconds: Mapped[int] = mapped_column(default=0, server_default="0")
    paused_seconds: Mapped[int] = mapped_column(default=0, server_default="0")
    downtime_seconds: Mapped[int] = mapped_column(default=0, server_default="0")
    finished_at: Mapped[datetime | None]
    finish_reason: Mapped[str | None] = mapped_column(sa.String(16))
    result: Mapped[dict[str, Any] | None]
    live_score: Mapped[dict[str, Any] | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Answer(Base):
    """The journal's latest state of one question of an attempt.

    ``choice`` is the label the candidate saw (``None``: blank). ``answer_seq`` and
    ``flag_seq`` are the highest client ``seq`` applied to each field: a ``seq`` at or below
    them changes nothing.
    """

    __tablename__ = "answer"

    attempt_id: Mapped[int] = mapped_column(sa.ForeignKey("attempt.id"), primary_key=True)
    q: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    choice: Mapped[str | None] = mapped_column(sa.String(1))
    answer_seq: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default="0")
    flagged: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    flag_seq: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default="0")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Alert(Base):
    """Something the proctor should see: an integrity event or a refused second login."""

    __tablename__ = "alert"
    __table_args__ = (sa.Index("ix_alert_session_id", "session_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("exam_session.id"))
    participant_id: Mapped[int] = mapped_column(sa.ForeignKey("participant.id"))
    attempt_id: Mapped[int | None] = mapped_column(sa.ForeignKey("attempt.id"))
    kind: Mapped[str] = mapped_column(sa.String(32))
    client_at: Mapped[int | None] = mapped_column(sa.BigInteger)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    details: Mapped[dict[str, Any]]
    resolved_at: Mapped[datetime | None]


class ServerHeartbeat(Base):
    """One serving process's heartbeat; the newest beat of a dead run dates an outage."""

    __tablename__ = "server_heartbeat"
    __table_args__ = (sa.Index("ix_server_heartbeat_instance", "instance"),)

    process_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    instance: Mapped[str] = mapped_column(sa.String(200))
    host: Mapped[str] = mapped_column(sa.String(200))
    pid: Mapped[int]
    started_at: Mapped[datetime]
    beat_at: Mapped[datetime]
    stopped_at: Mapped[datetime | None]
