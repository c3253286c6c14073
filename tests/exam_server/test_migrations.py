"""The Alembic migration builds exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from exam_server.db import current_revision, downgrade, make_engine, upgrade
from exam_server.models import Base
from proctor_console.transparency import models as log_models  # noqa: F401  (its tables)
from tests.exam_server.factories import HEAD, TABLES


def _differences(engine: sa.Engine, metadata: sa.MetaData) -> list[Any]:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(context, metadata))


def _tables(engine: sa.Engine) -> set[str]:
    return set(sa.inspect(engine).get_table_names())


def test_upgrade_builds_the_models_schema(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        assert current_revision(engine) is None
        upgrade(engine)
        assert current_revision(engine) == HEAD
        assert _tables(engine) == {*TABLES, "alembic_version"}
        assert _differences(engine, Base.metadata) == []

        # The comparison can see a difference: a model table the database lacks.
        extra = sa.MetaData()
        for table in Base.metadata.tables.values():
            table.to_metadata(extra)
        sa.Table("not_a_model_table", extra, sa.Column("id", sa.Integer, primary_key=True))
        assert [d[0] for d in _differences(engine, extra)] == ["add_table"]
    finally:
        engine.dispose()


def test_upgrade_twice_is_a_no_op(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        upgrade(engine)
        with engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO media (sha256, mime, data, created_at) "
                                 "VALUES (:s, 'image/png', :d, CURRENT_TIMESTAMP)"),
                         {"s": "a" * 64, "d": b"png"})
        upgrade(engine)
        assert current_revision(engine) == HEAD
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT sha256 FROM media")).scalars().all() == ["a" * 64]
    finally:
        engine.dispose()


def test_downgrade_to_base_then_upgrade_again(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        upgrade(engine)
        downgrade(engine, "base")
        assert current_revision(engine) is None
        assert _tables(engine) <= {"alembic_version"}
        upgrade(engine)
        assert current_revision(engine) == HEAD
        assert _differences(engine, Base.metadata) == []
    finally:
        engine.dispose()
