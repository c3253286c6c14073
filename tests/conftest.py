"""Shared fixtures: an instance folder per test, SQLite and PostgreSQL database URLs.

PostgreSQL tests (marker ``pg``) each get a database of their own, created on the server
named by ``SELEKSI_TEST_PG_URL`` (default ``postgresql://postgres@127.0.0.1:5432/test``) and
dropped afterwards. Redis tests (marker ``redis``) get a unique key prefix.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

PG_URL = os.environ.get("SELEKSI_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("SELEKSI_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _sqlalchemy_pg(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


@pytest.fixture
def instance(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh ``SELEKSI_INSTANCE`` folder; ``DATABASE_URL`` unset (SQLite inside it)."""
    folder = tmp_path / "instance"
    monkeypatch.setenv("SELEKSI_INSTANCE", str(folder))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    return folder


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """The URL of an SQLite database file in the test's temporary folder."""
    return f"sqlite:///{tmp_path / 'seleksi.db'}"


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A SQLAlchemy URL of a PostgreSQL database made for this test and dropped after it."""
    import psycopg

    name = f"seleksi_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_URL.rsplit("/", 1)[0]
    try:
        yield _sqlalchemy_pg(f"{base}/{name}")
    finally:
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", pytest.param("pg", marks=pytest.mark.pg)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each test using it runs twice: on SQLite and on a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'seleksi.db'}"
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """A unique Redis key prefix; every key under it is deleted after the test."""
    import redis

    prefix = f"seleksi-test-{uuid.uuid4().hex[:12]}:"
    yield prefix
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"{prefix}*"):
        client.delete(key)
    client.close()
