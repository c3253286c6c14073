"""Room control: a session can be paused, and proctor actions bump a version processes watch.

Revision ID: 0003_room_control
Revises: 0002_sessions
Create Date: 2026-11-28

``exam_session.paused_at`` is set while the whole room is paused (a power cut);
``exam_session.control_version`` is bumped by every proctor action that changes what the
session's candidates must be told (pause, resume, extend, finish, close), so that every
server process notices it and pushes to its own connections; ``published_at`` dates the
step from closed to published.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_room_control"
down_revision: str | Sequence[str] | None = "0002_sessions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ("paused_at", "published_at", "control_version")


def upgrade() -> None:
    op.add_column("exam_session", sa.Column("paused_at", sa.DateTime(timezone=True),
                                            nullable=True))
    op.add_column("exam_session", sa.Column("published_at", sa.DateTime(timezone=True),
                                            nullable=True))
    op.add_column("exam_session", sa.Column("control_version", sa.Integer(),
                                            server_default="0", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("exam_session") as batch:
        for name in COLUMNS:
            batch.drop_column(name)
