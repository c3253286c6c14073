"""Login and connect against a real server process: no bearer at connect, a proctor's reset
of a live login through the console, and every login error in Indonesian and English."""

from __future__ import annotations

from typing import Any

import pytest
import socketio
from sqlalchemy import select

from exam_server.models import Alert, Answer, Attempt, AuditLog
from tests.cli.conftest import make_runner
from tests.protocol.cluster import Watcher
from tests.protocol.console_http import ConsoleHttp, add_proctor, session_id
from tests.protocol.helpers import (
    SESSION,
    Candidate,
    Prepared,
    Server,
    SocketClient,
    logged_in,
    wait_until,
)


def test_exam_connect_without_a_bearer_is_refused(server: Server, prepared: Prepared) -> None:
    live = logged_in(server, prepared, prepared.numbers[0])  # a bearer connects (control)
    for auth in (None, {}, {"token": ""}, {"token": None}, {"token": 12345},
                 {"bearer": live.bearer}, live.bearer):
        client = SocketClient(reconnection=False)
        errors: list[Any] = []
        client.on("connect_error", errors.append, namespace="/exam")
        try:
            with pytest.raises(socketio.exceptions.ConnectionError):
                client.connect(server.base, auth=auth, namespaces=["/exam"],
                               transports=["websocket"], wait_timeout=10)
        finally:
            client.close()
        assert errors == [{"message": "bad_token"}], auth
    # the refusals were the bearer's absence: the same server still serves a real one
    assert live.call("start")["ok"] is True
    live.close()


def test_a_proctor_resets_a_live_login_and_the_second_workstation_takes_over(
        server: Server, prepared: Prepared) -> None:
    number = prepared.numbers[5]
    pin, token = prepared.pins[number], prepared.token()
    sid = session_id(prepared.factory, SESSION)
    console = ConsoleHttp(server.base, add_proctor(prepared.factory, SESSION))
    watcher = Watcher(server.base, "/proctor", "roster", headers={"Cookie": console.cookie})
    try:
        assert watcher.join({"session": sid})["ok"] is True
        first = server.login(number, pin, token).json()
        one = Candidate(server, first["token"])  # workstation 1
        assert one.call("start")["ok"] is True
        assert one.call("answer", {"seq": 1, "q": 1, "choice": "B"}) == {"ok": True, "seq": 1}
        assert one.call("flag", {"seq": 2, "q": 4, "flagged": True}) == {"ok": True, "seq": 2}

        refused = server.login(number, pin, token)  # workstation 2, while 1 is live
        assert (refused.status_code, refused.json()["error"]) == (409, "already_logged_in")

        # shown to the proctor: the console's live feed and its roster both carry the alert
        def alerted() -> dict[str, Any] | None:
            row = watcher.rows().get(number)
            kinds = [a["kind"] for a in row["alerts"]] if row else []
            return row if "already_logged_in" in kinds else None

        pushed = wait_until(alerted)
        assert pushed["status"] == "working"
        row = console.roster(sid)[number]
        assert [a["kind"] for a in row["alerts"]] == ["already_logged_in"]
        assert row["status"] == "working"

        assert console.act(sid, "reset_login", participant=number) == (400, {
            "ok": False, "error": "bad_request", "message": "reason: required (text)"})
        status, body = console.act(sid, "reset_login", participant=number,
                                   reason="pindah komputer")
        assert (status, body["ok"]) == (200, True)
        # workstation 1's live connection holds the revoked bearer: every process drops it
        wait_until(lambda: not one.sio.connected)

        again = server.login(number, pin, token)  # workstation 2 once more
        assert again.status_code == 200, again.text
        assert again.json()["attempt"] == first["attempt"]
        assert again.json()["token"] != first["token"]
        with pytest.raises(socketio.exceptions.ConnectionError):
            Candidate(server, first["token"])  # the old bearer is revoked
        two = Candidate(server, again.json()["token"])
        state = two.call("start")
        assert (state["answers"], state["flags"], state["seq"]) == ({"1": "B"}, [4], 2)
        assert two.call("answer", {"seq": 3, "q": 2, "choice": "C"}) == {"ok": True, "seq": 3}
        two.close()
        one.close()
    finally:
        watcher.close()
        console.close()
    with prepared.factory() as db:
        stored = dict(db.execute(select(Answer.q, Answer.choice)
                                 .where(Answer.attempt_id == first["attempt"])).all())
        assert stored == {1: "B", 2: "C", 4: None}
        assert db.scalars(select(Alert.kind)).all() == ["already_logged_in"]
        reset = db.execute(select(AuditLog.actor, AuditLog.subject, AuditLog.details)
                           .where(AuditLog.action == "participant.reset_login")).one()
        assert tuple(reset) == ("pengawas", f"skd-2024-demo/{number}",
                                {"reason": "pindah komputer"})
        logins = db.scalars(select(AuditLog.details).where(AuditLog.action == "login")).all()
        assert [d["attempt"] for d in logins] == [first["attempt"]] * 2
        attempt = db.get_one(Attempt, first["attempt"])
        assert attempt.state == "working"


STATUS = {"bad_credentials": 401, "bad_token": 401, "session_not_running": 403,
          "already_logged_in": 409, "locked": 403, "finished": 403}
WORDS = {  # a word each message must hold: (Indonesian, English)
    "bad_credentials": ("PIN salah", "Wrong participant number or PIN"),
    "bad_token": ("Token sesi salah", "token"),
    "session_not_running": ("Sesi ujian", "session"),
    "already_logged_in": ("komputer lain", "another workstation"),
    "locked": ("terkunci", "Locked"),
    "finished": ("sudah selesai", "finished"),
}


def _messages(server: Server, args: tuple[str, str, str], code: str) -> tuple[str, str]:
    """The Indonesian and English messages of a refused login, checked for consistency."""
    replies = {language: server.login(*args, language=language)
               for language in (None, "id-ID,id;q=0.9", "fr", "en", "en-US,en;q=0.9")}
    for language, r in replies.items():
        assert (r.status_code, r.json()["error"]) == (STATUS[code], code), (code, language)
        assert set(r.json()) == {"error", "message"}
    indonesian = replies[None].json()["message"]
    english = replies["en"].json()["message"]
    assert replies["id-ID,id;q=0.9"].json()["message"] == indonesian
    assert replies["fr"].json()["message"] == indonesian  # Indonesian by default
    assert replies["en-US,en;q=0.9"].json()["message"] == english
    return indonesian, english


def test_every_login_error_in_indonesian_and_english(server: Server,
                                                     prepared: Prepared) -> None:
    live, finisher, locking, wrong_pin, later = prepared.numbers[:5]
    token = prepared.token()
    done = logged_in(server, prepared, finisher)
    assert done.call("start")["ok"] is True
    assert done.call("finish")["ok"] is True
    done.close()
    sitting = logged_in(server, prepared, live)
    right = prepared.pins[locking]
    wrong = "000000" if right != "000000" else "111111"
    for _ in range(5):
        server.login(locking, wrong, token)
    other = prepared.pins[wrong_pin]
    bad_pin = "000000" if other != "000000" else "111111"

    cases: list[tuple[str, tuple[str, str, str]]] = [
        ("bad_credentials", ("999999999999", "123456", token)),
        ("bad_token", (later, prepared.pins[later], "AAAAAA")),
        ("already_logged_in", (live, prepared.pins[live], token)),
        ("locked", (locking, right, token)),
        ("finished", (finisher, prepared.pins[finisher], token)),
    ]
    seen: dict[str, tuple[str, str]] = {}
    for code, args in cases:
        seen[code] = _messages(server, args, code)
    # a wrong PIN of a real participant: the same code and texts as an unknown number
    # (each counted: two of the five that lock)
    for language, text in ((None, seen["bad_credentials"][0]),
                           ("en", seen["bad_credentials"][1])):
        r = server.login(wrong_pin, bad_pin, token, language=language)
        assert (r.status_code, r.json()) == (401, {"error": "bad_credentials",
                                                   "message": text})
    sitting.close()

    make_runner(prepared.instance, prepared.url)("session", "close", SESSION,
                                                 "--reason", "sesi selesai")
    seen["session_not_running"] = _messages(
        server, (later, prepared.pins[later], token), "session_not_running")

    assert set(seen) == set(STATUS)
    for code, (indonesian, english) in seen.items():
        assert indonesian.strip()
        assert english.strip()
        assert indonesian != english, code
        id_word, en_word = WORDS[code]
        assert id_word in indonesian, (code, indonesian)
        assert en_word.lower() in english.lower(), (code, english)
    assert len({id_ for id_, _ in seen.values()}) == len(seen)  # one text per code
    assert len({en for _, en in seen.values()}) == len(seen)
