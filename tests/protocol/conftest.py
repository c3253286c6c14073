"""Fixtures: one sealed package per run; per test a prepared database and a server process."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.protocol.helpers import Candidate, Prepared, Sealed, Server, build_sealed, prepare

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
