"""Sessions run: session key and token secret, PINs, attempts, answers, alerts, heartbeats.

Revision ID: 0002_sessions
Revises: 0001_foundation
Create Date: 2026-11-24

Written by hand; types spelled out (see 0001). Columns added to existing tables are nullable
or have a server default, so ``ALTER TABLE ... ADD COLUMN`` works on SQLite as is.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_sessions"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


SESSION_COLUMNS = ("session_key", "token_secret", "opened_at", "started_at", "closed_at")
PARTICIPANT_COLUMNS = ("pin_hash", "pin_failures", "locked")


def upgrade() -> None:
    op.add_column("exam_session", sa.Column("session_key", sa.LargeBinary(), nullable=True))
    op.add_column("exam_session", sa.Column("token_secret", sa.LargeBinary(), nullable=True))
    for name in ("opened_at", "started_at", "closed_at"):
        op.add_column("exam_session", sa.Column(name, _utc(), nullable=True))
    op.add_column("participant", sa.Column("pin_hash", sa.String(200), nullable=True))
    op.add_column("participant", sa.Column("pin_failures", sa.Integer(), server_default="0",
                                           nullable=False))
    op.add_column("participant", sa.Column("locked", sa.Boolean(), server_default=sa.false(),
                                           nullable=False))
    op.create_table(
        "attempt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("bearer_sha256", sa.String(64), nullable=True),
        sa.Column("bearer_issued_at", _utc(), nullable=True),
        sa.Column("connected_sid", sa.String(64), nullable=True),
        sa.Column("connected_at", _utc(), nullable=True),
        sa.Column("started_at", _utc(), nullable=True),
        sa.Column("deadline_at", _utc(), nullable=True),
        sa.Column("extension_seconds", sa.Integer(), server_default="0", nullable=False),
        sa.Column("paused_seconds", sa.Integer(), server_default="0", nullable=False),
        sa.Column("downtime_seconds", sa.Integer(), server_default="0", nullable=False),
        sa.Column("finished_at", _utc(), nullable=True),
        sa.Column("finish_reason", sa.String(16), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("live_score", sa.JSON(), nullable=True),
        sa.Column("created_at", _utc(), nullable=False),
        sa.CheckConstraint("state IN ('ready', 'working', 'finished')",
                           name=op.f("ck_attempt_state")),
        sa.ForeignKeyConstraint(["participant_id"], ["participant.id"],
                                name=op.f("fk_attempt_participant_id_participant")),
        sa.ForeignKeyConstraint(["session_id"], ["exam_session.id"],
                                name=op.f("fk_attempt_session_id_exam_session")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attempt")),
        sa.UniqueConstraint("participant_id", name=op.f("uq_attempt_participant_id")),
        sa.UniqueConstraint("bearer_sha256", name=op.f("uq_attempt_bearer_sha256")),
    )
    op.create_index("ix_attempt_session_id", "attempt", ["session_id"])
    op.create_index("ix_attempt_state_deadline", "attempt", ["state", "deadline_at"])
    op.create_table(
        "answer",
        sa.Column("attempt_id", sa.Integer(), nullable=False),
        sa.Column("q", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("choice", sa.String(1), nullable=True),
        sa.Column("answer_seq", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("flagged", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("flag_seq", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("updated_at", _utc(), nullable=False),
        sa.ForeignKeyConstraint(["attempt_id"], ["attempt.id"],
                                name=op.f("fk_answer_attempt_id_attempt")),
        sa.PrimaryKeyConstraint("attempt_id", "q", name=op.f("pk_answer")),
    )
    op.create_table(
        "alert",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("attempt_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("client_at", sa.BigInteger(), nullable=True),
        sa.Column("at", _utc(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("resolved_at", _utc(), nullable=True),
        sa.ForeignKeyConstraint(["session_id"], ["exam_session.id"],
                                name=op.f("fk_alert_session_id_exam_session")),
        sa.ForeignKeyConstraint(["participant_id"], ["participant.id"],
                                name=op.f("fk_alert_participant_id_participant")),
        sa.ForeignKeyConstraint(["attempt_id"], ["attempt.id"],
                                name=op.f("fk_alert_attempt_id_attempt")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert")),
    )
    op.create_index("ix_alert_session_id", "alert", ["session_id"])
    op.create_table(
        "server_heartbeat",
        sa.Column("process_id", sa.String(64), nullable=False),
        sa.Column("instance", sa.String(200), nullable=False),
        sa.Column("host", sa.String(200), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("started_at", _utc(), nullable=False),
        sa.Column("beat_at", _utc(), nullable=False),
        sa.Column("stopped_at", _utc(), nullable=True),
        sa.PrimaryKeyConstraint("process_id", name=op.f("pk_server_heartbeat")),
    )
    op.create_index("ix_server_heartbeat_instance", "server_heartbeat", ["instance"])


def downgrade() -> None:
    op.drop_index("ix_server_heartbeat_instance", table_name="server_heartbeat")
    op.drop_table("server_heartbeat")
    op.drop_index("ix_alert_session_id", table_name="alert")
    op.drop_table("alert")
    op.drop_table("answer")
    op.drop_index("ix_attempt_state_deadline", table_name="attempt")
    op.drop_index("ix_attempt_session_id", table_name="attempt")
    op.drop_table("attempt")
    with op.batch_alter_table("participant") as batch:
        for name in PARTICIPANT_COLUMNS:
            batch.drop_column(name)
    with op.batch_alter_table("exam_session") as batch:
        for name in SESSION_COLUMNS:
            batch.drop_column(name)
