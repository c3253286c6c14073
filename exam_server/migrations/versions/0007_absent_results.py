"""Which participant a log entry is about, so an absent participant (TH) gets a result entry.

Revision ID: 0007_absent_results
Revises: 0006_disqualification
Create Date: 2026-11-28

``result_log.participant_id`` names the participant of every entry (filled from the attempt for
entries written before); a participant has at most one ``result`` entry — their finished
result, or ``TH`` when their session closed without them finishing — behind a partial unique
index.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_absent_results"
down_revision: str | Sequence[str] | None = "0006_disqualification"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RESULTS = "kind = 'result'"


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":  # Alembic adds no foreign key there unbatched
        op.execute("ALTER TABLE result_log ADD COLUMN participant_id INTEGER CONSTRAINT "
                   "fk_result_log_participant_id REFERENCES participant (id)")
    else:
        op.add_column("result_log", sa.Column(
            "participant_id", sa.Integer(),
            sa.ForeignKey("participant.id", name="fk_result_log_participant_id"),
            nullable=True))
    op.execute("UPDATE result_log SET participant_id = (SELECT attempt.participant_id FROM "
               "attempt WHERE attempt.id = result_log.attempt_id)")
    op.create_index("uq_result_log_participant_result", "result_log", ["participant_id"],
                    unique=True, sqlite_where=sa.text(RESULTS),
                    postgresql_where=sa.text(RESULTS))


def downgrade() -> None:
    op.drop_index("uq_result_log_participant_result", table_name="result_log")
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint("fk_result_log_participant_id", "result_log", type_="foreignkey")
    op.drop_column("result_log", "participant_id")
