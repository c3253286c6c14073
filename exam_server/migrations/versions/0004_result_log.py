"""The public result log: its entries (``result_log``) and signed tree heads (``log_head``).

Revision ID: 0004_result_log
Revises: 0003_room_control
Create Date: 2026-12-01

Written by hand; types spelled out (see 0001). ``result_log`` holds one leaf per row, indexed
0, 1, 2, … (an RFC 6962 Merkle tree's leaves, in log order); a partial unique index allows at
most one ``result`` entry per attempt. ``log_head`` holds one signed tree head per size the log
has had. The models are ``proctor_console/transparency/models.py``.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_result_log"
down_revision: str | Sequence[str] | None = "0003_room_control"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RESULT_ONLY = "kind = 'result'"


def upgrade() -> None:
    op.create_table(
        "result_log",
        sa.Column("leaf_index", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("leaf_input", sa.LargeBinary(), nullable=False),
        sa.Column("leaf_hash", sa.LargeBinary(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("attempt_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('result', 'correction')", name=op.f("ck_result_log_kind")),
        sa.ForeignKeyConstraint(["attempt_id"], ["attempt.id"],
                                name=op.f("fk_result_log_attempt_id_attempt")),
        sa.PrimaryKeyConstraint("leaf_index", name=op.f("pk_result_log")),
    )
    op.create_index("ix_result_log_leaf_hash", "result_log", ["leaf_hash"])
    op.create_index("ix_result_log_attempt_id", "result_log", ["attempt_id"])
    op.create_index("uq_result_log_attempt_result", "result_log", ["attempt_id"], unique=True,
                    sqlite_where=sa.text(RESULT_ONLY), postgresql_where=sa.text(RESULT_ONLY))
    op.create_table(
        "log_head",
        sa.Column("tree_size", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("timestamp", sa.BigInteger(), nullable=False),
        sa.Column("root_hash", sa.LargeBinary(), nullable=False),
        sa.Column("signature", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("tree_size", name=op.f("pk_log_head")),
    )


def downgrade() -> None:
    op.drop_table("log_head")
    op.drop_index("uq_result_log_attempt_result", table_name="result_log")
    op.drop_index("ix_result_log_attempt_id", table_name="result_log")
    op.drop_index("ix_result_log_leaf_hash", table_name="result_log")
    op.drop_table("result_log")
