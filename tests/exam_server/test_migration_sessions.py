"""Migration 0002_sessions builds exactly the models' schema and steps back to 0001 cleanly."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from exam_server.db import current_revision, downgrade, make_engine, upgrade
from exam_server.models import Base

NEW_TABLES = {"attempt", "answer", "alert", "server_heartbeat"}


def test_sessions_migration_matches_the_models_and_downgrades(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        upgrade(engine)
        assert current_revision(engine) == "0002_sessions"
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            assert list(compare_metadata(context, Base.metadata)) == []
        assert NEW_TABLES <= set(sa.inspect(engine).get_table_names())
        downgrade(engine, "0001_foundation")
        inspector = sa.inspect(engine)
        assert not NEW_TABLES & set(inspector.get_table_names())
        assert "session_key" not in {c["name"] for c in inspector.get_columns("exam_session")}
        assert "pin_hash" not in {c["name"] for c in inspector.get_columns("participant")}
        upgrade(engine)
        assert current_revision(engine) == "0002_sessions"
    finally:
        engine.dispose()
