"""Migration 0002_sessions builds exactly the models' schema and steps back to 0001 cleanly."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from exam_server.db import current_revision, downgrade, make_engine, upgrade
from exam_server.models import Base
from proctor_console.transparency import models as log_models  # noqa: F401  (its tables)
from tests.exam_server.factories import HEAD

NEW_TABLES = {"attempt", "answer", "alert", "server_heartbeat"}


def test_sessions_migration_matches_the_models_and_downgrades(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        upgrade(engine)
        assert current_revision(engine) == HEAD
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
        assert current_revision(engine) == HEAD
    finally:
        engine.dispose()


def test_room_control_migration_adds_and_removes_its_columns_keeping_the_sessions(
        db_url: str) -> None:
    engine = make_engine(db_url)
    columns = {"paused_at", "published_at", "control_version"}
    try:
        upgrade(engine, "0002_sessions")
        with engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO exam (id, name, scheme, definition, "
                                 "definition_sha256, created_at) VALUES ('e', 'E', 'skd-2024', "
                                 "'{}', 'x', CURRENT_TIMESTAMP)"))
            conn.execute(sa.text("INSERT INTO exam_session (exam_id, code, site, room, "
                                 "starts_at, state) VALUES ('e', 'S1', 'JKT', 'R1', "
                                 "CURRENT_TIMESTAMP, 'running')"))
        assert not columns & {c["name"] for c in sa.inspect(engine).get_columns("exam_session")}
        upgrade(engine)
        assert current_revision(engine) == HEAD
        assert columns <= {c["name"] for c in sa.inspect(engine).get_columns("exam_session")}
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT code, state, control_version, paused_at "
                                        "FROM exam_session")).all() == [("S1", "running", 0,
                                                                         None)]
        downgrade(engine, "0002_sessions")
        assert not columns & {c["name"] for c in sa.inspect(engine).get_columns("exam_session")}
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT code FROM exam_session")).scalars().all() == [
                "S1"]
    finally:
        engine.dispose()
