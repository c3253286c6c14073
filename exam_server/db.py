"""The exam server's database: where it is, how to connect, how to migrate, how to transact.

SQLite (the embedded default, a file in the instance folder) runs in WAL mode with
``synchronous=FULL`` and takes the write lock at ``BEGIN`` (``BEGIN IMMEDIATE``), so concurrent
writers queue on ``busy_timeout`` instead of failing half-way. PostgreSQL is used when
``DATABASE_URL`` names it, always through psycopg 3. See ``docs/database.md``.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 5000
SQLITE_SAFETY_CHECKPOINT_PAGES = 20_000
"""Each SQLite connection's ``wal_autocheckpoint`` (pages of 4 KiB: ~80 MiB of log): the
serving process checkpoints in a thread of its own (:mod:`exam_server.wal_checkpoint`), so a
connection checkpoints by itself only if that thread falls far behind."""


def database_url() -> str:
    """The database URL of this instance.

    ``$DATABASE_URL`` when set (``postgresql://`` and ``postgres://`` become
    ``postgresql+psycopg://``), else ``sqlite:///<instance>/seleksi.db`` where the instance
    folder is ``$SELEKSI_INSTANCE`` or ``./instance`` (created if missing).
    """
    url = os.environ.get("DATABASE_URL", "").strip()
    if url:
        return normalise_url(url)
    folder = Path(os.environ.get("SELEKSI_INSTANCE", "instance")).resolve()
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)  # the bank in the clear lives here
    return f"sqlite:///{folder / 'seleksi.db'}"


def normalise_url(url: str) -> str:
    """Point plain PostgreSQL URLs at the psycopg 3 driver (never psycopg2)."""
    for prefix in ("postgresql://", "postgres://", "postgresql+psycopg2://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


PG_CONNECT_TIMEOUT_S = 5
"""How long a new PostgreSQL connection may take: a server that is going down or unreachable
then fails an answer's commit within seconds (``storage_unavailable``, resent by the client)
instead of holding the journal for as long as the network keeps a dead connection open."""


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite connections get Seleksi's pragmas and ``BEGIN IMMEDIATE``;
    PostgreSQL connections are checked before use and time out (:data:`PG_CONNECT_TIMEOUT_S`)."""
    url = normalise_url(url)
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True, **pool_settings(os.environ),
                             connect_args={"connect_timeout": PG_CONNECT_TIMEOUT_S})
    engine = create_engine(url)
    event.listen(engine, "connect", _sqlite_on_connect)
    event.listen(engine, "begin", _sqlite_on_begin)
    return engine


POOL_VARIABLES = {"SELEKSI_DB_POOL_SIZE": "pool_size", "SELEKSI_DB_MAX_OVERFLOW": "max_overflow"}
"""Environment variables sizing a PostgreSQL engine's connection pool (per process; default
SQLAlchemy's 5 and 10): the pool must hold the journal's commit beside the reads of the
console's and the scoreboard's pushes (``docs/deploy.md``)."""


def pool_settings(environ: Mapping[str, str]) -> dict[str, int]:
    """``create_engine`` arguments from the :data:`POOL_VARIABLES` set in ``environ``; a
    value that is not a whole number in range is refused naming the variable."""
    settings = {}
    for variable, argument in POOL_VARIABLES.items():
        raw = environ.get(variable, "").strip()
        if not raw:
            continue
        least = 1 if argument == "pool_size" else 0
        if not raw.isdigit() or not least <= int(raw) <= 1000:
            raise ValueError(f"{variable}={raw!r}: give a whole number from {least} to 1000")
        settings[argument] = int(raw)
    return settings


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # Take transaction control away from the sqlite3 module (SQLAlchemy's documented
    # recipe): it would otherwise BEGIN lazily (DEFERRED) and only before DML statements.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute(f"PRAGMA wal_autocheckpoint = {SQLITE_SAFETY_CHECKPOINT_PAGES}")
    finally:
        cursor.close()


def _sqlite_on_begin(conn: Connection) -> None:
    # The write lock at BEGIN: a second writer waits (busy_timeout) here, before it has read
    # anything, instead of failing with SQLITE_BUSY when it first tries to write. Read-only
    # work (``reading``) asks for DEFERRED: a WAL snapshot that takes no write lock.
    mode = conn.get_execution_options().get("sqlite_begin", "IMMEDIATE")
    if mode not in ("IMMEDIATE", "DEFERRED"):
        raise ValueError(f"sqlite_begin must be IMMEDIATE or DEFERRED, not {mode!r}")
    conn.exec_driver_sql(f"BEGIN {mode}")


def database_now(factory: sessionmaker[Session]) -> datetime:
    """The time by the database server's clock (PostgreSQL's ``clock_timestamp()``), which
    every process of a cluster shares; on SQLite (one machine) this machine's clock
    (:func:`exam_server.clock.system_now`)."""
    from exam_server.clock import system_now

    with factory() as db:
        if not is_postgresql(db):
            return system_now()
        at: datetime = db.execute(text("SELECT clock_timestamp()")).scalar_one()
    return at.astimezone(UTC)


def is_postgresql(bind: Engine | Connection | Session) -> bool:
    """Whether ``bind`` talks to PostgreSQL (else SQLite)."""
    engine = bind.get_bind() if isinstance(bind, Session) else bind
    return engine.dialect.name == "postgresql"


def lock_key(name: str) -> int:
    """A stable signed 64-bit advisory-lock key for ``name`` (first 8 bytes of its SHA-256)."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


def serialise(session: Session | Connection, name: str) -> None:
    """Serialise this transaction with every other one that calls ``serialise`` with ``name``.

    On PostgreSQL this takes ``pg_advisory_xact_lock`` (released at commit or rollback). On
    SQLite every transaction already holds the database's write lock from ``BEGIN IMMEDIATE``.
    """
    if is_postgresql(session):
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock_key(name)})


TRANSIENT_SQLSTATES = frozenset({"40P01", "40001"})
"""PostgreSQL's ``deadlock_detected`` and ``serialization_failure``: the server aborted the
transaction to break a cycle of waits; the same transaction run again will normally pass."""


def is_transient(exc: BaseException) -> bool:
    """Whether ``exc`` (an SQLAlchemy error, or the driver's own) is a deadlock or
    serialisation failure that a retry of the whole transaction may clear
    (:data:`TRANSIENT_SQLSTATES`)."""
    return getattr(getattr(exc, "orig", exc), "sqlstate", None) in TRANSIENT_SQLSTATES


def upgrade(engine_or_url: Engine | str, revision: str = "head") -> None:
    """Bring the database to ``revision``, by default the latest migration (``alembic
    upgrade head``); idempotent."""
    _run_alembic(engine_or_url, "upgrade", revision)


def downgrade(engine_or_url: Engine | str, revision: str = "base") -> None:
    """Step the database back to ``revision`` (``base`` drops every table Seleksi made)."""
    _run_alembic(engine_or_url, "downgrade", revision)


def current_revision(engine_or_url: Engine | str) -> str | None:
    """The Alembic revision the database is at, or None when it was never migrated."""
    from alembic.runtime.migration import MigrationContext

    engine, owned = _engine_of(engine_or_url)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        if owned:
            engine.dispose()


def _engine_of(engine_or_url: Engine | str) -> tuple[Engine, bool]:
    if isinstance(engine_or_url, str):
        return make_engine(engine_or_url), True
    return engine_or_url, False


def _run_alembic(engine_or_url: Engine | str, command_name: str, revision: str) -> None:
    from alembic import command
    from alembic.config import Config

    engine, owned = _engine_of(engine_or_url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    try:
        with engine.begin() as conn:
            # Two processes starting at once must not both run the migration.
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                             {"key": lock_key("seleksi.migrate")})
            config.attributes["connection"] = conn
            getattr(command, command_name)(config, revision)
    finally:
        if owned:
            engine.dispose()


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions bound to ``engine``; objects stay readable after commit."""
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session inside ``session.begin()``: commits on success, rolls back on any error."""
    with factory() as session, session.begin():
        yield session


@contextmanager
def reading(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session for reads only, rolled back at the end.

    On SQLite its transaction is ``BEGIN DEFERRED``: a consistent WAL snapshot that does not
    take the write lock, so readers neither wait for writers nor hold them up.
    """
    with factory() as session:
        session.connection(execution_options={"sqlite_begin": "DEFERRED"})
        yield session


def bound_engine(factory: sessionmaker[Session]) -> Engine:
    """The engine the sessions of ``factory`` are bound to."""
    engine = factory.kw.get("bind")
    if not isinstance(engine, Engine):
        raise TypeError("the session factory is not bound to an engine")
    return engine


def factory_of(factory_or_engine: sessionmaker[Session] | Engine) -> sessionmaker[Session]:
    """Accept either a session factory or an engine where a service needs a factory."""
    if isinstance(factory_or_engine, Engine):
        return session_factory(factory_or_engine)
    return factory_or_engine
