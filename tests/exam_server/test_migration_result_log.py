"""Migration 0004_result_log: the result log's tables, their constraints, and a clean downgrade."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.exc import IntegrityError

from exam_server.db import current_revision, downgrade, make_engine, upgrade
from exam_server.models import Base
from proctor_console.transparency import models as log_models  # noqa: F401  (its tables)
from tests.exam_server.factories import HEAD

NEW_TABLES = {"result_log", "log_head"}
SEED = [
    "INSERT INTO exam (id, name, scheme, definition, definition_sha256, created_at) "
    "VALUES ('e', 'E', 'skd-2024', '{}', 'x', CURRENT_TIMESTAMP)",
    "INSERT INTO exam_session (exam_id, code, site, room, starts_at, state) "
    "VALUES ('e', 'S1', 'JKT', 'R1', CURRENT_TIMESTAMP, 'running')",
    "INSERT INTO participant (exam_id, session_id, number, name, formation, category) "
    "VALUES ('e', 1, '001', 'A', 'F', 'umum')",
    "INSERT INTO attempt (participant_id, session_id, state, created_at) "
    "VALUES (1, 1, 'finished', CURRENT_TIMESTAMP)",
]
LEAF = ("INSERT INTO result_log (leaf_index, leaf_input, leaf_hash, kind, attempt_id, created_at)"
        " VALUES (:i, :d, :h, :k, :a, CURRENT_TIMESTAMP)")


def _leaf(conn: sa.Connection, index: int, kind: str, attempt: int | None) -> None:
    conn.execute(sa.text(LEAF), {"i": index, "d": b"{}", "h": bytes(32), "k": kind,
                                 "a": attempt})


def test_result_log_migration_matches_the_models_and_downgrades(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        upgrade(engine, "0003_room_control")
        with engine.begin() as conn:
            for statement in SEED:
                conn.execute(sa.text(statement))
        upgrade(engine)
        assert current_revision(engine) == HEAD
        assert NEW_TABLES <= set(sa.inspect(engine).get_table_names())
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            assert list(compare_metadata(context, Base.metadata)) == []

        with engine.begin() as conn:
            _leaf(conn, 0, "result", 1)
            _leaf(conn, 1, "correction", 1)  # a correction may name the attempt again
            _leaf(conn, 2, "correction", 1)
        for index, kind, attempt in ((3, "result", 1), (1, "result", None), (3, "other", None)):
            with pytest.raises(IntegrityError), engine.begin() as conn:
                _leaf(conn, index, kind, attempt)  # a second result, a used index, a bad kind
        with pytest.raises(IntegrityError), engine.begin() as conn:
            _leaf(conn, 3, "result", 99)  # no such attempt

        downgrade(engine, "0003_room_control")
        assert not NEW_TABLES & set(sa.inspect(engine).get_table_names())
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT state FROM attempt")).scalars().all() == [
                "finished"]
        upgrade(engine)
        assert current_revision(engine) == HEAD
    finally:
        engine.dispose()
