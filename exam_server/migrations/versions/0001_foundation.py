"""Foundation: the question bank, media, exams, sessions, participants, sealed packages, audit.

Revision ID: 0001_foundation
Revises:
Create Date: 2026-11-23

Written by hand (checked against ``alembic.autogenerate.compare_metadata`` by
``tests/exam_server/test_migrations.py``). Types are spelled out here rather than imported
from ``exam_server.models``, so later model changes cannot rewrite history.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001_foundation"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "item",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("section", sa.String(32), nullable=False),
        sa.Column("topic", sa.String(200), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_item")),
    )
    op.create_table(
        "item_version",
        sa.Column("item_id", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("author", sa.String(200), nullable=False),
        sa.Column("reviewed_by", sa.String(200), nullable=True),
        sa.Column("approved_by", sa.String(200), nullable=True),
        sa.Column("imported_by", sa.String(200), nullable=True),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("status_changed_at", _utc(), nullable=False),
        sa.CheckConstraint("status IN ('draft', 'reviewed', 'approved', 'retired')",
                           name=op.f("ck_item_version_status")),
        sa.ForeignKeyConstraint(["item_id"], ["item.id"],
                                name=op.f("fk_item_version_item_id_item")),
        sa.PrimaryKeyConstraint("item_id", "version", name=op.f("pk_item_version")),
    )
    op.create_table(
        "media",
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("mime", sa.String(100), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.PrimaryKeyConstraint("sha256", name=op.f("pk_media")),
    )
    op.create_table(
        "exam",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("scheme", sa.String(64), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("definition_sha256", sa.String(64), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exam")),
    )
    op.create_table(
        "exam_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("exam_id", sa.String(64), nullable=False),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("site", sa.String(200), nullable=False),
        sa.Column("room", sa.String(200), nullable=False),
        sa.Column("starts_at", _utc(), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.CheckConstraint(
            "state IN ('scheduled', 'opened', 'running', 'closed', 'published')",
            name=op.f("ck_exam_session_state")),
        sa.ForeignKeyConstraint(["exam_id"], ["exam.id"],
                                name=op.f("fk_exam_session_exam_id_exam")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exam_session")),
        sa.UniqueConstraint("exam_id", "code", name=op.f("uq_exam_session_exam_id_code")),
    )
    op.create_table(
        "participant",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("exam_id", sa.String(64), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("formation", sa.String(200), nullable=False),
        sa.Column("category", sa.String(64), nullable=False),
        sa.Column("extra_minutes", sa.Integer(), server_default="0", nullable=False),
        sa.Column("large_text", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.ForeignKeyConstraint(["exam_id"], ["exam.id"],
                                name=op.f("fk_participant_exam_id_exam")),
        sa.ForeignKeyConstraint(["session_id"], ["exam_session.id"],
                                name=op.f("fk_participant_session_id_exam_session")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_participant")),
        sa.UniqueConstraint("exam_id", "number", name=op.f("uq_participant_exam_id_number")),
    )
    op.create_index("ix_participant_session_id", "participant", ["session_id"])
    op.create_table(
        "sealed_package",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("exam_id", sa.String(64), nullable=False),
        sa.Column("file_sha256", sa.String(64), nullable=False),
        sa.Column("manifest", sa.JSON(), nullable=False),
        sa.Column("signature", sa.LargeBinary(), nullable=False),
        sa.Column("bank_snapshot_sha256", sa.String(64), nullable=False),
        sa.Column("imported_at", _utc(), nullable=False),
        sa.Column("imported_by", sa.String(200), nullable=False),
        sa.ForeignKeyConstraint(["exam_id"], ["exam.id"],
                                name=op.f("fk_sealed_package_exam_id_exam")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sealed_package")),
        sa.UniqueConstraint("file_sha256", name=op.f("uq_sealed_package_file_sha256")),
    )
    op.create_table(
        "sealed_session",
        sa.Column("sealed_package_id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("nonce", sa.LargeBinary(), nullable=False),
        sa.Column("ciphertext", sa.LargeBinary(), nullable=False),
        sa.Column("ciphertext_sha256", sa.String(64), nullable=False),
        sa.ForeignKeyConstraint(["sealed_package_id"], ["sealed_package.id"],
                                name=op.f("fk_sealed_session_sealed_package_id_sealed_package")),
        sa.ForeignKeyConstraint(["session_id"], ["exam_session.id"],
                                name=op.f("fk_sealed_session_session_id_exam_session")),
        sa.PrimaryKeyConstraint("sealed_package_id", "session_id",
                                name=op.f("pk_sealed_session")),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", _utc(), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
        sqlite_autoincrement=True,
    )


def downgrade() -> None:
    op.drop_table("audit_log")
    op.drop_table("sealed_session")
    op.drop_table("sealed_package")
    op.drop_index("ix_participant_session_id", table_name="participant")
    op.drop_table("participant")
    op.drop_table("exam_session")
    op.drop_table("exam")
    op.drop_table("media")
    op.drop_table("item_version")
    op.drop_table("item")
