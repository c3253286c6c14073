"""Disqualification (DIS) of a participant, and which correction a log entry is.

Revision ID: 0006_disqualification
Revises: 0005_proctor_accounts
Create Date: 2026-11-28

``participant.disqualified_at`` / ``_by`` / ``_reason`` record a proctor's or the committee's
DIS; ``result_log.correction`` names what a ``correction`` entry corrects (``DIS``), with at
most one entry per attempt and correction (a partial unique index).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_disqualification"
down_revision: str | Sequence[str] | None = "0005_proctor_accounts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CORRECTIONS = "kind = 'correction'"


def upgrade() -> None:
    op.add_column("participant", sa.Column("disqualified_at", sa.DateTime(timezone=True),
                                           nullable=True))
    op.add_column("participant", sa.Column("disqualified_by", sa.String(200), nullable=True))
    op.add_column("participant", sa.Column("disqualified_reason", sa.String(500),
                                           nullable=True))
    op.add_column("result_log", sa.Column("correction", sa.String(32), nullable=True))
    op.create_index("uq_result_log_attempt_correction", "result_log",
                    ["attempt_id", "correction"], unique=True,
                    sqlite_where=sa.text(CORRECTIONS), postgresql_where=sa.text(CORRECTIONS))


def downgrade() -> None:
    # Plain ALTER TABLE ... DROP COLUMN (SQLite >= 3.35): a batch copy of ``participant``
    # would drop a table that ``attempt`` rows refer to.
    op.drop_index("uq_result_log_attempt_correction", table_name="result_log")
    op.drop_column("result_log", "correction")
    for name in ("disqualified_at", "disqualified_by", "disqualified_reason"):
        op.drop_column("participant", name)
