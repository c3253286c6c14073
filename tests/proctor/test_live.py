"""The live roster and the actions through the console's real interfaces (HTTP + Socket.IO):
a candidate answers on /exam, the proctor's /proctor roster moves; the proctor's actions
reach the candidate."""

from __future__ import annotations

from typing import Any

from exam_server.realtime import socketio
from proctor_console.live import RosterPusher
from tests.proctor.conftest import Console, csrf_of


def _received(client: Any, namespace: str) -> list[tuple[str, Any]]:
    return [(e["name"], e["args"][0]) for e in client.get_received(namespace)]


class Proctor:
    """A logged-in console: its HTTP client (with the CSRF token) and its /proctor socket."""

    def __init__(self, console: Console, username: str) -> None:
        self.console = console
        self.http = console.client(username)
        self.token = csrf_of(self.http.get("/proctor/").get_data(as_text=True))
        self.socket = socketio.test_client(console.ip.app, namespace="/proctor",
                                           flask_test_client=self.http)

    def join(self) -> Any:
        return self.socket.emit("join", {"session": self.console.session_id},
                                namespace="/proctor", callback=True)

    def act(self, action: str, **fields: Any) -> Any:
        r = self.http.post(f"/proctor/api/sessions/{self.console.session_id}/{action}",
                           headers={"X-CSRFToken": self.token}, json=fields)
        return r.status_code, r.get_json()

    def pushed_rows(self) -> dict[str, dict[str, Any]]:
        rows: dict[str, dict[str, Any]] = {}
        for name, payload in _received(self.socket, "/proctor"):
            assert name == "roster"
            rows.update({r["participant"]: r for r in payload["rows"]})
        return rows


def _pusher(console: Console) -> RosterPusher:
    pusher: RosterPusher = console.ip.app.extensions["seleksi.roster"]
    return pusher


def test_the_roster_follows_the_candidates_and_the_actions_reach_them(
        console: Console) -> None:
    ip = console.ip
    one, two = ip.prepared.numbers[:2]
    proctor = Proctor(console, "pengawas1")
    snapshot = proctor.join()
    assert snapshot["ok"] is True and snapshot["scores"] is True  # noqa: PT018
    assert snapshot["counts"]["not_arrived"] == len(ip.prepared.numbers)
    assert {r["participant"] for r in snapshot["rows"]} == set(ip.prepared.numbers)

    a = ip.candidate(one)
    a.emit("start", {}, namespace="/exam", callback=True)
    assert a.emit("answer", {"seq": 1, "q": 1, "choice": "A"}, namespace="/exam",
                  callback=True)["ok"] is True
    _pusher(console).flush()
    row = proctor.pushed_rows()[one]
    assert (row["status"], row["answered"]) == ("working", 1)
    assert row["score"]["total"] == sum(row["score"]["sections"].values())
    assert 0 < row["left_s"] <= 100 * 60

    assert proctor.act("pause") == (400, {"ok": False, "error": "bad_request",
                                          "message": "reason: required (text)"})
    status, body = proctor.act("pause", reason="listrik padam")
    assert (status, body["ok"]) == (200, True)
    assert [name for name, _ in _received(a, "/exam")][-1] == "paused"
    _pusher(console).flush()
    assert proctor.socket.get_received("/proctor")[-1]["args"][0]["session"]["paused"] is True
    assert proctor.act("pause", reason="lagi")[0] == 409
    assert proctor.act("resume", reason="menyala")[1]["ok"] is True
    assert [name for name, _ in _received(a, "/exam")] == ["resumed"]

    status, body = proctor.act("extend", reason="pc mati", participant=one, minutes=10)
    assert (status, body["attempts"]) == (200, 1)
    assert [name for name, _ in _received(a, "/exam")] == ["time"]
    assert proctor.act("extend", reason="x", participant="9999", minutes=5)[0] == 404
    assert proctor.act("unlock", reason="lupa pin", participant=two)[1]["ok"] is True
    assert proctor.act("reset_login", reason="pindah komputer", participant=one)[1]["ok"]
    status, body = proctor.act("finish", reason="sakit", participant=one)
    assert (status, body["result"]["total"]) == (200, row["score"]["total"])
    assert proctor.act("finish", reason="lagi", participant=one)[1]["error"] == "finished"
    assert proctor.act("disqualify", reason="joki", participant=two)[1]["error"] == \
        "not_started"
    assert proctor.act("disqualify", reason="joki", participant=one)[1]["ok"] is True
    status, body = proctor.act("close", reason="sesi selesai")
    assert status == 200
    assert body["counts"]["absent"] == len(ip.prepared.numbers) - 1
    _pusher(console).flush()
    rows = proctor.pushed_rows()
    assert rows[one]["status"] == "disqualified"
    assert rows[two]["status"] == "not_arrived"


def test_proctors_see_no_running_scores_when_the_committee_says_so(console: Console) -> None:
    console.ip.app.config["PROCTOR_SEES_SCORES"] = False
    proctor = Proctor(console, "pengawas1")
    html = proctor.http.get(f"/proctor/sessions/{console.session_id}").get_data(as_text=True)
    assert 'data-scores="false"' in html
    roster = proctor.http.get(f"/proctor/api/sessions/{console.session_id}/roster").get_json()
    assert all("score" not in r for r in roster["rows"])
    admin = Proctor(console, "admin")
    roster = admin.http.get(f"/proctor/api/sessions/{console.session_id}/roster").get_json()
    assert all("score" in r for r in roster["rows"])


def test_a_disconnected_candidate_counts_from_the_moment_they_dropped(console: Console) -> None:
    ip = console.ip
    number = ip.prepared.numbers[2]
    proctor = Proctor(console, "pengawas1")
    assert proctor.join()["ok"] is True
    a = ip.candidate(number)
    assert a.emit("start", {}, namespace="/exam", callback=True)["ok"] is True
    ip.clock.advance(600)  # ten minutes of work, then the cable is pulled
    a.disconnect(namespace="/exam")
    ip.clock.advance(7)
    _pusher(console).flush()
    row = {r["participant"]: r for r in proctor.join()["rows"]}[number]
    assert row["status"] == "disconnected"
    assert 7 <= row["disconnected_s"] < 30  # since the drop, not since the start
