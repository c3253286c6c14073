"""Fixtures: one sealed package per run; per test a prepared database and a server process."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from exam_server.app import create_app
from exam_server.clock import ShiftedClock
from tests.protocol.cluster import Cluster
from tests.protocol.helpers import Candidate, Prepared, Sealed, Server, build_sealed, prepare
from tests.protocol.in_process import InProcess

PARTICIPANTS = 8


@pytest.fixture(scope="session")
def sealed(tmp_path_factory: pytest.TempPathFactory) -> Sealed:
    """A sealed SKD package for :data:`PARTICIPANTS` participants (built once)."""
    return build_sealed(tmp_path_factory.mktemp("sealed"), PARTICIPANTS)


@pytest.fixture
def prepared(sealed: Sealed, db_url: str, tmp_path: Path) -> Iterator[Prepared]:
    """A database (SQLite, and PostgreSQL under the pg marker) with the session running."""
    ready = prepare(sealed, tmp_path / "instance", db_url)
    yield ready
    ready.factory.kw["bind"].dispose()


@pytest.fixture
def server(prepared: Prepared) -> Iterator[Server]:
    """A ``seleksi serve`` process on the prepared database."""
    running = Server(prepared.instance, prepared.url).start()
    yield running
    Candidate.close_all()
    running.stop()


@pytest.fixture
def in_process(prepared: Prepared, sealed: Sealed) -> Iterator[InProcess]:
    """The app in this process on the prepared database, with a clock moved by hand."""
    clock = ShiftedClock()
    app = create_app({"DATABASE_URL": prepared.url, "SELEKSI_CLOCK": clock,
                      "SELEKSI_PUBLIC_KEY": str(sealed.keys / "bank.pub"),
                      "SELEKSI_KEYS": str(prepared.instance / "keys")})
    yield InProcess(app, clock, prepared)
    app.extensions["seleksi.db"].kw["bind"].dispose()


@pytest.fixture
def cluster_db(sealed: Sealed, pg_url: str, tmp_path: Path) -> Iterator[Prepared]:
    """A PostgreSQL database with the session running, for a cluster."""
    ready = prepare(sealed, tmp_path / "instance", pg_url)
    yield ready
    ready.factory.kw["bind"].dispose()


@pytest.fixture
def cluster(cluster_db: Prepared, redis_prefix: str) -> Iterator[Cluster]:
    """``seleksi serve --workers 2`` on it, Redis carrying the pushes (its own channel)."""
    running = Cluster(cluster_db.instance, cluster_db.url, channel=f"{redis_prefix}socketio")
    running.start()
    yield running
    Candidate.close_all()
    running.stop()
