"""Proctor console: accounts with roles, and proctors' session assignments.

Revision ID: 0005_proctor_accounts
Revises: 0004_result_log
Create Date: 2026-11-28

Written by hand; types spelled out (see 0001).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_proctor_accounts"
down_revision: str | Sequence[str] | None = "0004_result_log"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "proctor_user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("full_name", sa.String(200), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("site", sa.String(200), nullable=True),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("failed_logins", sa.Integer(), server_default="0", nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("role IN ('proctor', 'coordinator', 'admin')",
                           name=op.f("ck_proctor_user_role")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_proctor_user")),
        sa.UniqueConstraint("username", name=op.f("uq_proctor_user_username")),
    )
    op.create_table(
        "proctor_assignment",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["proctor_user.id"],
                                name=op.f("fk_proctor_assignment_user_id_proctor_user")),
        sa.ForeignKeyConstraint(["session_id"], ["exam_session.id"],
                                name=op.f("fk_proctor_assignment_session_id_exam_session")),
        sa.PrimaryKeyConstraint("user_id", "session_id", name=op.f("pk_proctor_assignment")),
    )


def downgrade() -> None:
    op.drop_table("proctor_assignment")
    op.drop_table("proctor_user")
