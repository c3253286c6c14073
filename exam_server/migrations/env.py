"""Alembic environment of the exam server, configured from code (no alembic.ini).

``exam_server.db.upgrade`` passes an open connection in ``config.attributes["connection"]``;
without one (the ``alembic`` command line with ``-x url=...``) an engine is made from
``exam_server.db.database_url()``.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from exam_server.db import database_url, make_engine
from exam_server.models import Base

config = context.config
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata,
                      render_as_batch=connection.dialect.name == "sqlite", compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run the migrations on the given connection, or on this instance's database."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = context.get_x_argument(as_dictionary=True).get("url") or database_url()
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            _run(conn)
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("Seleksi migrations run online only: use exam_server.db.upgrade()")
run_migrations_online()
