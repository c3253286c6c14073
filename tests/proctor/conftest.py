"""The console's tests run on the protocol tests' prepared session (same fixtures)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from flask.testing import FlaskClient

from exam_server.db import transaction
from exam_server.models import ExamSession
from exam_server.sessions import find_session
from proctor_console.accounts import add_user
from tests.protocol.conftest import in_process, prepared, sealed, server  # noqa: F401
from tests.protocol.helpers import SESSION
from tests.protocol.in_process import InProcess

PASSWORD = "rahasia-pengawas-1"  # noqa: S105 - a test account's password


@dataclass
class Console:
    """The app in-process with accounts: an admin, the session's proctor, another proctor."""

    ip: InProcess
    session_id: int
    other_session_id: int

    def client(self, username: str | None = None, password: str = PASSWORD) -> FlaskClient:
        """A browser-like test client, logged in as ``username`` (anonymous if None)."""
        client = self.ip.app.test_client()
        if username is not None:
            page = client.get("/proctor/login")
            response = client.post("/proctor/login", data={
                "username": username, "password": password,
                "csrf_token": csrf_of(page.get_data(as_text=True))})
            assert response.status_code == 302, response.get_data(as_text=True)
        return client


def csrf_of(html: str) -> str:
    """The CSRF token of a console page (its form field)."""
    marker = 'name="csrf_token" value="'
    start = html.index(marker) + len(marker)
    return html[start:html.index('"', start)]


@pytest.fixture
def console(in_process: InProcess) -> Console:  # noqa: F811
    """Accounts on the prepared session: ``admin``, ``pengawas1`` (this room), ``pengawas2``
    (another room of the same exam)."""
    factory = in_process.rt.factory
    with transaction(factory) as db:
        this = find_session(db, SESSION)
        other = ExamSession(exam_id=this.exam_id, code="JKT1-S2", site=this.site, room="R9",
                            starts_at=this.starts_at, state="scheduled")
        db.add(other)
        db.flush()
        ids = this.id, other.id
    add_user(factory, "admin", PASSWORD, role="admin", full_name="Ketua Panitia", actor="uji")
    add_user(factory, "pengawas1", PASSWORD, role="proctor", full_name="Pengawas Satu",
             actor="uji", sessions=(SESSION,))
    add_user(factory, "pengawas2", PASSWORD, role="proctor", full_name="Pengawas Dua",
             actor="uji", sessions=("JKT1-S2",))
    return Console(in_process, *ids)


def json_of(response: Any) -> Any:
    return response.get_json()
