"""Every console endpoint and Socket.IO event as anonymous, as a candidate, and as a proctor
of another session: all refused, and nothing changes."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from exam_server.models import AuditLog, ExamSession
from exam_server.realtime import socketio
from proctor_console.actions import ACTIONS
from tests.proctor.conftest import Console, csrf_of


def _pages(sid: int) -> list[str]:
    return ["/proctor/", f"/proctor/sessions/{sid}", f"/proctor/api/sessions/{sid}/roster",
            *(f"/proctor/sessions/{sid}/report{kind}" for kind in ("", ".pdf", ".csv", ".xlsx"))]


def _audit_rows(console: Console) -> int:
    with console.ip.prepared.factory() as db:
        return len(db.scalars(select(AuditLog.id)).all())


def _candidate_bearer(console: Console) -> str:
    number = console.ip.prepared.numbers[0]
    r = console.ip.login(number)
    assert r.status_code == 200
    bearer: str = r.get_json()["token"]
    return bearer


@pytest.mark.parametrize("who", ["anonymous", "candidate"])
def test_without_an_account_every_page_and_action_is_refused(console: Console,
                                                             who: str) -> None:
    client = console.ip.app.test_client()
    headers = {}
    if who == "candidate":
        headers = {"Authorization": f"Bearer {_candidate_bearer(console)}"}
    before = _audit_rows(console)
    for path in _pages(console.session_id):
        r = client.get(path, headers=headers)
        assert r.status_code == 302, path  # to the log-in page
        assert r.headers["Location"].startswith("/proctor/login")
    token = csrf_of(client.get("/proctor/login").get_data(as_text=True))
    for action in ACTIONS:
        r = client.post(f"/proctor/api/sessions/{console.session_id}/{action}",
                        headers={**headers, "X-CSRFToken": token},
                        json={"reason": "coba", "participant": console.ip.prepared.numbers[0],
                              "minutes": 5, "key": "x"})
        assert r.status_code in (302, 401), action
    assert _audit_rows(console) == before


def test_a_proctor_of_another_session_sees_and_does_nothing_here(console: Console) -> None:
    client = console.client("pengawas2")
    assert "JKT1-S1" not in client.get("/proctor/").get_data(as_text=True)
    assert "JKT1-S2" in client.get("/proctor/").get_data(as_text=True)
    for path in _pages(console.session_id)[1:]:
        assert client.get(path).status_code == 404, path
    token = csrf_of(client.get("/proctor/").get_data(as_text=True))
    before = _audit_rows(console)
    for action in ACTIONS:
        r = client.post(f"/proctor/api/sessions/{console.session_id}/{action}",
                        headers={"X-CSRFToken": token},
                        json={"reason": "coba", "participant": console.ip.prepared.numbers[0],
                              "minutes": 5, "key": "x"})
        assert r.status_code == 404, action
    assert _audit_rows(console) == before
    with console.ip.prepared.factory() as db:
        assert db.get_one(ExamSession, console.session_id).paused_at is None
    # Their own session's page works.
    assert client.get(f"/proctor/sessions/{console.other_session_id}").status_code == 200


def _socket(console: Console, flask_client: Any, auth: Any = None) -> Any:
    return socketio.test_client(console.ip.app, namespace="/proctor", auth=auth,
                                flask_test_client=flask_client)


def test_the_live_roster_refuses_anonymous_candidates_and_other_proctors(
        console: Console) -> None:
    anonymous = _socket(console, console.ip.app.test_client())
    assert not anonymous.is_connected("/proctor")
    candidate = _socket(console, console.ip.app.test_client(),
                        auth={"token": _candidate_bearer(console)})
    assert not candidate.is_connected("/proctor")
    other = _socket(console, console.client("pengawas2"))
    assert other.is_connected("/proctor")
    ack = other.emit("join", {"session": console.session_id}, namespace="/proctor",
                     callback=True)
    assert ack == {"ok": False, "error": "not_found"}
    for bad in (None, {}, {"session": "1"}, {"session": True}, {"session": 10**9}):
        assert other.emit("join", bad, namespace="/proctor", callback=True)["ok"] is False
    other.disconnect(namespace="/proctor")
