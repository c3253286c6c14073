"""Login over HTTP against a real server process: every error code, locks, live logins."""

from __future__ import annotations

import pytest
import requests
import socketio
from sqlalchemy import select

from exam_server.models import Alert, Attempt, AuditLog
from tests.protocol.helpers import Candidate, Prepared, Server


def test_login_happy_path_and_every_refusal(server: Server, prepared: Prepared) -> None:
    a, b = prepared.numbers[:2]
    token = prepared.token()
    ok = server.login(a, prepared.pins[a], token.lower())  # the token is not case-sensitive
    assert ok.status_code == 200
    body = ok.json()
    assert set(body) == {"token", "attempt"}
    assert len(body["token"]) >= 40
    with prepared.factory() as db:
        attempt = db.get(Attempt, body["attempt"])
        assert attempt is not None
        assert attempt.bearer_sha256 != body["token"]

    wrong_pin = str((int(prepared.pins[b]) + 1) % 1_000_000).zfill(6)
    cases = [
        ((b, wrong_pin, token), 401, "bad_credentials"),
        (("999999999999", "123456", token), 401, "bad_credentials"),
        ((b, prepared.pins[b], "AAAAAA"), 401, "bad_token"),
    ]
    for args, status, code in cases:
        r = server.login(*args)
        assert (r.status_code, r.json()["error"]) == (status, code), args
        assert r.json()["message"]
    english = server.login(b, prepared.pins[b], "AAAAAA", language="en-US,en;q=0.9")
    indonesian = server.login(b, prepared.pins[b], "AAAAAA")
    assert "token" in english.json()["message"].lower()
    assert english.json()["message"] != indonesian.json()["message"]
    assert "Token sesi salah" in indonesian.json()["message"]

    for body_ in ({"participant": b, "pin": 123456, "token": token}, [1, 2], None):
        r = requests.post(f"{server.base}/api/exam/login", json=body_, timeout=10)
        assert r.status_code == 400
        assert r.json()["error"] == "bad_request"
    missing = requests.post(f"{server.base}/api/exam/login", timeout=10,
                            json={"participant": b, "token": token})
    assert "pin" in missing.json()["message"]


def test_five_wrong_pins_lock_until_unlocked(server: Server, prepared: Prepared) -> None:
    from exam_server.sessions import unlock_participant

    number = prepared.numbers[2]
    right = prepared.pins[number]
    wrong = "000000" if right != "000000" else "111111"
    codes = [server.login(number, wrong, prepared.token()).json()["error"] for _ in range(5)]
    assert codes == ["bad_credentials"] * 4 + ["locked"]
    locked = server.login(number, right, prepared.token())
    assert (locked.status_code, locked.json()["error"]) == (403, "locked")
    unlock_participant(prepared.factory, number, actor="pengawas")
    assert server.login(number, right, prepared.token()).status_code == 200


def test_second_live_login_refused_reconnect_accepted_dead_workstation_replaced(
        server: Server, prepared: Prepared) -> None:
    number = prepared.numbers[3]
    first = server.login(number, prepared.pins[number], prepared.token()).json()
    one = Candidate(server, first["token"])
    assert one.call("start")["ok"] is True

    second = server.login(number, prepared.pins[number], prepared.token())
    assert (second.status_code, second.json()["error"]) == (409, "already_logged_in")
    with prepared.factory() as db:
        alerts = db.scalars(select(Alert.kind)).all()
        assert alerts == ["already_logged_in"]
        refused = db.scalars(select(AuditLog.details).where(
            AuditLog.action == "login.refused")).all()
        assert refused[-1]["reason"] == "already_logged_in"

    # a reconnect with the same bearer is not a second login
    one.close()
    again = Candidate(server, first["token"])
    assert again.call("answer", {"seq": 1, "q": 1, "choice": "A"}) == {"ok": True, "seq": 1}
    again.close()  # the workstation dies

    third = server.login(number, prepared.pins[number], prepared.token())
    assert third.status_code == 200
    assert third.json()["attempt"] == first["attempt"]
    with pytest.raises(socketio.exceptions.ConnectionError):
        Candidate(server, first["token"])  # the old bearer is revoked
    with pytest.raises(socketio.exceptions.ConnectionError):
        Candidate(server, "not-a-bearer")
    resumed = Candidate(server, third.json()["token"])
    assert resumed.call("start")["answers"] == {"1": "A"}
    resumed.close()


def test_login_refused_when_session_not_running(server: Server, prepared: Prepared) -> None:
    from sqlalchemy import update

    from exam_server.models import ExamSession

    with prepared.factory.begin() as db:
        db.execute(update(ExamSession).values(state="closed"))
    number = prepared.numbers[4]
    r = server.login(number, prepared.pins[number], prepared.token())
    assert (r.status_code, r.json()["error"]) == (403, "session_not_running")
