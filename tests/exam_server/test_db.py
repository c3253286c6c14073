"""Database set-up: URLs, SQLite's pragmas and write lock, transactions, constraints, UTC times."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, StatementError

from exam_server.db import (
    current_revision,
    database_url,
    make_engine,
    normalise_url,
    reading,
    transaction,
    upgrade,
)
from exam_server.models import BankItem, BankItemVersion, Exam, ExamSession
from tests.exam_server.factories import HEAD, migrated


def test_default_url_is_sqlite_in_the_instance_folder(instance: Path) -> None:
    url = database_url()
    assert url == f"sqlite:///{instance.resolve() / 'seleksi.db'}"
    assert instance.is_dir()


@pytest.mark.parametrize(("given", "expected"), [
    ("postgresql://u@h:5432/db", "postgresql+psycopg://u@h:5432/db"),
    ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
    ("postgresql+psycopg2://u@h/db", "postgresql+psycopg://u@h/db"),
    ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
    ("sqlite:////tmp/x.db", "sqlite:////tmp/x.db"),
])
def test_database_url_from_environment(instance: Path, monkeypatch: pytest.MonkeyPatch,
                                       given: str, expected: str) -> None:
    monkeypatch.setenv("DATABASE_URL", given)
    assert database_url() == expected
    assert normalise_url(given) == expected


def test_sqlite_connections_get_the_pragmas(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    with engine.connect() as conn:
        got = {p: conn.exec_driver_sql(f"PRAGMA {p}").scalar_one()
               for p in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")}
    engine.dispose()
    assert got == {"journal_mode": "wal", "synchronous": 2, "foreign_keys": 1,
                   "busy_timeout": 5000}


def test_sqlite_takes_the_write_lock_at_begin(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (x INTEGER)")
    with engine.connect() as first:
        first.begin()
        first.exec_driver_sql("SELECT count(*) FROM t").all()  # a read only, no write yet
        with engine.connect() as second:
            raw = second.connection.driver_connection
            assert raw is not None
            raw.execute("PRAGMA busy_timeout = 50")  # beside SQLAlchemy: no BEGIN
            with pytest.raises(sa.exc.OperationalError, match="locked"):
                second.begin()
        first.rollback()
    engine.dispose()


def test_concurrent_read_modify_write_loses_no_update(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE counter (n INTEGER)")
        conn.exec_driver_sql("INSERT INTO counter VALUES (0)")
    errors: list[BaseException] = []

    def bump() -> None:
        try:
            for _ in range(10):
                with engine.begin() as conn:
                    n = conn.exec_driver_sql("SELECT n FROM counter").scalar_one()
                    time.sleep(0.001)
                    conn.execute(sa.text("UPDATE counter SET n = :n"), {"n": n + 1})
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=bump) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with engine.connect() as conn:
        total = conn.exec_driver_sql("SELECT n FROM counter").scalar_one()
    engine.dispose()
    assert errors == []
    assert total == 60


def test_reading_does_not_block_a_writer_and_keeps_its_snapshot(sqlite_url: str) -> None:
    with migrated(sqlite_url) as (_engine, factory):
        with reading(factory) as reader:
            before = reader.scalars(sa.select(BankItem)).all()
            with transaction(factory) as writer:  # would wait 5 s on a write lock
                writer.add(BankItem(id="TIU-0001", section="TIU", topic="Analogi"))
            assert reader.scalars(sa.select(BankItem)).all() == before == []
        with reading(factory) as reader:
            assert [i.id for i in reader.scalars(sa.select(BankItem))] == ["TIU-0001"]


def test_upgrade_from_a_url_string(sqlite_url: str) -> None:
    assert current_revision(sqlite_url) is None
    upgrade(sqlite_url)
    assert current_revision(sqlite_url) == HEAD


def test_transaction_rolls_back_on_error(db_url: str) -> None:
    with migrated(db_url) as (_engine, factory):
        def failing_work() -> None:
            with transaction(factory) as session:
                session.add(BankItem(id="TIU-0001", section="TIU", topic="Analogi"))
                session.flush()
                raise RuntimeError("boom")

        with pytest.raises(RuntimeError, match="boom"):
            failing_work()
        with reading(factory) as session:
            assert session.scalars(sa.select(BankItem)).all() == []


def _version(**overrides: object) -> BankItemVersion:
    fields: dict[str, object] = {"item_id": "TIU-0001", "version": 1, "content": {},
                                 "content_hash": "0" * 64, "status": "draft", "author": "a"}
    fields.update(overrides)
    return BankItemVersion(**fields)


def test_foreign_keys_are_enforced(db_url: str) -> None:
    with migrated(db_url) as (_engine, factory), pytest.raises(IntegrityError):
        with transaction(factory) as session:
            session.add(_version(item_id="TIU-9999"))


def test_status_check_constraint(db_url: str) -> None:
    with migrated(db_url) as (_engine, factory):
        with transaction(factory) as session:
            session.add(BankItem(id="TIU-0001", section="TIU", topic="Analogi"))
        with pytest.raises(IntegrityError), transaction(factory) as session:
            session.add(_version(status="published"))


def test_session_state_check_and_unique_code(db_url: str) -> None:
    with migrated(db_url) as (_engine, factory):
        start = datetime(2026, 11, 24, 8, tzinfo=timezone(timedelta(hours=7)))
        with transaction(factory) as session:
            session.add(Exam(id="skd", name="SKD", scheme="skd-2024", definition={"a": 1},
                             definition_sha256="0" * 64))
            session.add(ExamSession(exam_id="skd", code="S1", site="Jakarta", room="1",
                                    starts_at=start))
        with pytest.raises(IntegrityError), transaction(factory) as session:
            session.add(ExamSession(exam_id="skd", code="S2", site="Jakarta", room="1",
                                    starts_at=start, state="paused"))
        with pytest.raises(IntegrityError), transaction(factory) as session:
            session.add(ExamSession(exam_id="skd", code="S1", site="Bandung", room="2",
                                    starts_at=start))
        with reading(factory) as session:
            stored = session.scalars(sa.select(ExamSession)).one()
        assert stored.state == "scheduled"
        assert stored.starts_at.tzinfo is not None
        assert stored.starts_at.utcoffset() == timedelta(0)
        assert stored.starts_at == start  # the same instant, given back in UTC
        assert stored.starts_at.hour == 1


def test_naive_datetimes_are_refused(sqlite_url: str) -> None:
    with migrated(sqlite_url) as (_engine, factory), pytest.raises(StatementError, match="naive"):
        with transaction(factory) as session:
            session.add(BankItem(id="TIU-0001", section="TIU", topic="Analogi",
                                 created_at=datetime(2026, 1, 1)))


def test_created_at_defaults_to_now_in_utc(db_url: str) -> None:
    with migrated(db_url) as (_engine, factory):
        before = datetime.now(UTC)
        with transaction(factory) as session:
            session.add(BankItem(id="TIU-0001", section="TIU", topic="Analogi"))
        with reading(factory) as session:
            item = session.get(BankItem, "TIU-0001")
            assert item is not None
            assert before - timedelta(seconds=5) < item.created_at <= datetime.now(UTC)


@pytest.mark.pg
def test_the_postgresql_pool_is_sized_by_the_environment(pg_url: str,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SELEKSI_DB_POOL_SIZE", "7")
    monkeypatch.setenv("SELEKSI_DB_MAX_OVERFLOW", "0")
    engine = make_engine(pg_url)
    try:
        held = [engine.connect() for _ in range(7)]
        assert (engine.pool.size(), engine.pool.checkedout()) == (7, 7)
        eighth: list[sa.Connection] = []
        waiter = threading.Thread(target=lambda: eighth.append(engine.connect()))
        waiter.start()
        waiter.join(timeout=1.0)
        assert waiter.is_alive()  # no overflow: the eighth waits for one to come back
        assert not eighth
        held.pop().close()
        waiter.join(timeout=10)
        assert len(eighth) == 1
        assert engine.pool.checkedout() == 7
        for conn in held + eighth:
            conn.close()
    finally:
        engine.dispose()


@pytest.mark.parametrize(("variable", "value"), [
    ("SELEKSI_DB_POOL_SIZE", "abc"), ("SELEKSI_DB_POOL_SIZE", "0"),
    ("SELEKSI_DB_MAX_OVERFLOW", "-1"), ("SELEKSI_DB_MAX_OVERFLOW", "2.5")])
def test_a_bad_pool_size_is_refused_naming_the_variable(
        instance: Path, variable: str, value: str) -> None:
    env = {**os.environ, "SELEKSI_INSTANCE": str(instance), variable: value,
           "DATABASE_URL": "postgresql+psycopg://postgres@127.0.0.1:5432/test"}
    done = subprocess.run([str(Path(sys.executable).with_name("seleksi")), "session", "list"],
                          env=env, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 1
    assert done.stderr.strip() == (f"seleksi: error: {variable}={value!r}: give a whole number "
                                   f"from {0 if 'OVERFLOW' in variable else 1} to 1000")
