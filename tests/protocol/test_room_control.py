"""A proctor's room control with the clock moved by hand: pause, resume, extend, finish, close.

The actions are the service functions the CLI and the proctor console call; what the
candidates are told comes from the process's control watch (``rt.timer.watch``), which the
serving process runs every second and the tests run by hand.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from sqlalchemy import select

from exam_server.attempts import AttemptRefused
from exam_server.models import Attempt, AuditLog, ExamSession, Participant
from exam_server.proctoring import (
    close_session,
    extend_time,
    finish_participant,
    pause_session,
    publish_session,
    resume_session,
)
from exam_server.sessions import SessionStateError, reset_login
from exam_server.timer import Timer
from tests.cli.conftest import make_runner
from tests.protocol.helpers import SESSION, Candidate, Prepared, Server, logged_in
from tests.protocol.in_process import InProcess

WHY = "uji"


def _received(client: Any) -> list[tuple[str, Any]]:
    return [(e["name"], e["args"][0]) for e in client.get_received("/exam")]


def _call(client: Any, event: str, data: Any = None) -> Any:
    return client.emit(event, {} if data is None else data, namespace="/exam", callback=True)


def _watch(ip: InProcess) -> None:
    watch = ip.rt.timer.watch
    assert watch is not None
    watch()


def _attempt(ip: InProcess, number: str) -> Attempt:
    with ip.prepared.factory() as db:
        return db.scalars(select(Attempt).join(Participant)
                          .where(Participant.number == number)).one()


def test_a_pause_stops_every_clock_and_the_resume_gives_the_pause_back(
        in_process: InProcess) -> None:
    ip = in_process
    first, late = ip.prepared.numbers[:2]
    a = ip.candidate(first)
    started = _call(a, "start")
    assert started["paused"] is False
    _watch(ip)  # the first look at the session
    _received(a)
    pause_session(ip.rt.factory, SESSION, actor="pengawas", reason="listrik padam",
                  now=ip.clock.now())
    with pytest.raises(SessionStateError, match="already paused"):
        pause_session(ip.rt.factory, SESSION, actor="pengawas", reason=WHY, now=ip.clock.now())
    _watch(ip)
    pushed = _received(a)
    assert [name for name, _ in pushed] == ["paused"]
    assert pushed[0][1]["deadline"] == started["deadline"]
    paused_at = pushed[0][1]["paused_at"]
    assert _call(a, "answer", {"seq": 1, "q": 1, "choice": "A"}) == {"ok": False,
                                                                     "error": "paused"}
    assert _call(a, "flag", {"seq": 2, "q": 1, "flagged": True})["error"] == "paused"
    again = _call(a, "start")  # a reload during the pause
    assert (again["paused"], again["paused_at"], again["deadline"]) == (
        True, paused_at, started["deadline"])
    assert [name for name, _ in _received(a)] == []  # no `time` while paused
    b = ip.candidate(late)  # logging in works; starting waits for the resume
    assert _call(b, "start") == {"ok": False, "error": "paused"}

    # The pause outlasts the deadline: nobody is finished, no downtime is credited twice.
    ip.clock.advance(120 * 60)
    assert ip.rt.timer.finish_due() == 0
    ip.rt.timer.beat()
    ip.clock.advance(60)
    restarted = Timer(ip.rt.factory, ip.rt.papers, ip.clock, instance="default",
                      emit=lambda *args: None, connections={})
    assert restarted.recover().credited == 0
    restarted.stop()

    seconds = resume_session(ip.rt.factory, SESSION, actor="pengawas", reason="listrik menyala",
                             now=ip.clock.now())
    assert 121 * 60 <= seconds <= 121 * 60 + 1
    attempt = _attempt(ip, first)
    assert attempt.paused_seconds == seconds
    _watch(ip)
    resumed = _received(a)
    assert resumed == [("resumed", {"deadline": started["deadline"] + seconds * 1000,
                                    "server_time": resumed[0][1]["server_time"]})]
    assert _call(a, "answer", {"seq": 1, "q": 1, "choice": "A"}) == {"ok": True, "seq": 1}
    assert _call(b, "start")["ok"] is True
    assert ip.rt.timer.finish_due() == 0
    with pytest.raises(SessionStateError, match="not paused"):
        resume_session(ip.rt.factory, SESSION, actor="pengawas", reason=WHY, now=ip.clock.now())
    with ip.prepared.factory() as db:
        rows = db.execute(select(AuditLog.action, AuditLog.actor, AuditLog.details)
                          .where(AuditLog.action.like("session.%"))).all()
    assert ("session.pause", "pengawas", {"reason": "listrik padam", "working": 1}) in rows
    assert ("session.resume", "pengawas", {"reason": "listrik menyala", "seconds": seconds,
                                           "attempts": 1}) in rows
    a.disconnect(namespace="/exam")
    b.disconnect(namespace="/exam")


def test_extend_one_participant_or_the_whole_room(in_process: InProcess) -> None:
    ip = in_process
    one, two, absent = ip.prepared.numbers[:3]
    a, b = ip.candidate(one), ip.candidate(two)
    da, db_ = _call(a, "start")["deadline"], _call(b, "start")["deadline"]
    _watch(ip)
    _received(a), _received(b)
    assert extend_time(ip.rt.factory, SESSION, 10, participant=one, actor="pengawas",
                       reason="komputer rusak", now=ip.clock.now()) == 1
    _watch(ip)
    assert [(n, p["deadline"]) for n, p in _received(a)] == [("time", da + 600_000)]
    # Everyone in the room is told their deadline again; b's did not move.
    assert [(n, p["deadline"]) for n, p in _received(b)] == [("time", db_)]
    assert extend_time(ip.rt.factory, SESSION, 5, actor="pengawas", reason="gangguan",
                       now=ip.clock.now()) == 2
    _watch(ip)
    assert [(n, p["deadline"]) for n, p in _received(a)] == [("time", da + 900_000)]
    assert [(n, p["deadline"]) for n, p in _received(b)] == [("time", db_ + 300_000)]
    assert _attempt(ip, one).extension_seconds == 900
    with pytest.raises(SessionStateError, match="not logged in"):
        extend_time(ip.rt.factory, SESSION, 5, participant=absent, actor="pengawas",
                    reason=WHY, now=ip.clock.now())
    with pytest.raises(SessionStateError, match="from 1 to 600"):
        extend_time(ip.rt.factory, SESSION, 0, actor="pengawas", reason=WHY,
                    now=ip.clock.now())
    with pytest.raises(SessionStateError, match="reason"):
        extend_time(ip.rt.factory, SESSION, 5, actor="pengawas", reason="  ",
                    now=ip.clock.now())
    a.disconnect(namespace="/exam")
    b.disconnect(namespace="/exam")


def test_finish_one_then_close_and_publish_the_session(in_process: InProcess) -> None:
    ip = in_process
    one, two, three = ip.prepared.numbers[:3]
    a, b, c = ip.candidate(one), ip.candidate(two), ip.candidate(three)
    _call(a, "start"), _call(b, "start")  # c logs in but never starts
    for seq, q in enumerate((1, 2, 3), start=1):
        assert _call(b, "answer", {"seq": seq, "q": q, "choice": "A"})["ok"] is True
    _watch(ip)
    for client in (a, b, c):
        _received(client)

    result = finish_participant(ip.rt.factory, ip.rt.papers, one, actor="pengawas",
                                reason="meninggalkan ruangan", now=ip.clock.now())
    _watch(ip)
    assert _received(a) == [("finished", {"result": result, "reason": "proctor"})]
    assert [name for name, _ in _received(b)] == ["time"]  # the rest of the room: unchanged
    assert _received(c) == []  # not started: nothing to tell
    assert _call(a, "answer", {"seq": 1, "q": 1, "choice": "B"}) == {"ok": False,
                                                                     "error": "finished"}
    with pytest.raises(AttemptRefused) as refused:
        finish_participant(ip.rt.factory, ip.rt.papers, one, actor="pengawas", reason=WHY,
                           now=ip.clock.now())
    assert refused.value.code == "finished"
    with pytest.raises(AttemptRefused) as refused:
        finish_participant(ip.rt.factory, ip.rt.papers, three, actor="pengawas", reason=WHY,
                           now=ip.clock.now())
    assert refused.value.code == "not_started"

    counts = close_session(ip.rt.factory, ip.rt.papers, SESSION, actor="pengawas",
                           reason="waktu sesi habis", now=ip.clock.now())
    assert counts == {"finished": 1, "already": 1, "absent": len(ip.prepared.numbers) - 2}
    _watch(ip)
    pushed = _received(b)
    assert [(n, p["reason"]) for n, p in pushed] == [("finished", "proctor")]
    stored = _attempt(ip, two)
    assert (stored.state, stored.finish_reason, stored.result) == (
        "finished", "proctor", pushed[0][1]["result"])
    assert _call(b, "answer", {"seq": 9, "q": 9, "choice": "A"}) == {"ok": False,
                                                                     "error": "finished"}
    assert _call(b, "start") == {"ok": False, "error": "finished", "result": stored.result}
    with ip.prepared.factory() as db:
        session = db.scalars(select(ExamSession)).one()
        assert (session.state, session.session_key, session.token_secret) == (
            "closed", None, None)
    assert _attempt(ip, three).bearer_sha256 is None  # never started: its login ends,
    assert not c.is_connected(namespace="/exam")  # and its connection with it
    assert ip.login(three, token="ABCDEF").get_json()["error"] == "session_not_running"
    with pytest.raises(SessionStateError, match="closed"):
        pause_session(ip.rt.factory, SESSION, actor="pengawas", reason=WHY, now=ip.clock.now())

    publish_session(ip.rt.factory, SESSION, actor="ketua panitia", reason="hasil final",
                    now=ip.clock.now())
    with pytest.raises(SessionStateError, match="published"):
        publish_session(ip.rt.factory, SESSION, actor="ketua panitia", reason=WHY,
                        now=ip.clock.now())
    with ip.prepared.factory() as db:
        actions = db.scalars(select(AuditLog.action).order_by(AuditLog.id)).all()
    assert actions[-3:] == ["finish", "session.close", "session.publish"]
    assert "attempt.finish_by_proctor" in actions
    for client in (a, b):
        client.disconnect(namespace="/exam")


def _wait_for(candidate: Candidate, name: str, seconds: float = 10.0) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for event, payload in candidate.events:
            if event == name:
                candidate.events.clear()
                return payload
        time.sleep(0.05)
    raise AssertionError(f"no {name!r} push within {seconds} s; got {candidate.events}")


def test_the_commands_reach_candidates_of_a_running_server(prepared: Prepared,
                                                           server: Server) -> None:
    run = make_runner(prepared.instance, prepared.url)
    one, two = prepared.numbers[:2]
    a = logged_in(server, prepared, one)
    deadline = a.call("start")["deadline"]
    b = logged_in(server, prepared, two)
    b.call("start")
    a.events.clear()

    assert "reason" in run("session", "pause", SESSION, ok=False).stderr  # --reason required
    run("session", "pause", SESSION, "--reason", "listrik padam")
    assert _wait_for(a, "paused")["deadline"] == deadline
    assert a.call("answer", {"seq": 1, "q": 1, "choice": "A"})["error"] == "paused"
    time.sleep(1.2)
    out = run("session", "resume", SESSION, "--reason", "listrik menyala").stdout
    seconds = int(out.split(": ")[1].split(" s ")[0])
    assert seconds >= 2
    assert _wait_for(a, "resumed")["deadline"] == deadline + seconds * 1000
    assert a.call("answer", {"seq": 1, "q": 1, "choice": "A"}) == {"ok": True, "seq": 1}

    run("session", "extend", SESSION, "--participant", one, "--minutes", "5", "--reason", "pc")
    assert _wait_for(a, "time")["deadline"] == deadline + seconds * 1000 + 300_000
    refused = run("session", "finish", prepared.numbers[2], "--reason", "x", ok=False).stderr
    assert "has not started" in refused
    finished = run("session", "finish", one, "--reason", "meninggalkan ruangan").stdout
    assert "total" in finished
    assert _wait_for(a, "finished")["reason"] == "proctor"

    closed = run("session", "close", SESSION, "--reason", "sesi selesai").stdout
    assert "1 finished now, 1 had finished" in closed
    pushed = _wait_for(b, "finished")
    assert pushed["reason"] == "proctor"
    assert b.call("answer", {"seq": 1, "q": 2, "choice": "B"}) == {"ok": False,
                                                                  "error": "finished"}
    assert "closed" in run("session", "list").stdout
    assert "closed" in run("session", "token", SESSION, ok=False).stderr
    assert "published" in run("session", "publish", SESSION, "--reason", "final").stdout
    assert "published" in run("session", "list").stdout
    assert "chain intact" in run("audit", "verify").stdout


def test_a_reset_login_drops_the_revoked_connection_even_before_the_first_look(
        in_process: InProcess) -> None:
    """The control watch checks each new connection's bearer at its first look, whatever
    the version says: a reset between the connect and that look must not be missed. The
    connections still holding their attempt's bearer stay, and are not told anything."""
    ip = in_process
    one, two = ip.prepared.numbers[:2]
    a, b = ip.candidate(one), ip.candidate(two)
    for client in (a, b):
        assert _call(client, "start")["ok"] is True
        client.get_received("/exam")
    reset_login(ip.rt.factory, one, actor="pengawas", reason=WHY)  # before any look
    _watch(ip)
    assert not a.is_connected(namespace="/exam")
    assert b.is_connected(namespace="/exam")
    assert _received(b) == []  # the first look at a running room tells nobody anything
    reset_login(ip.rt.factory, two, actor="pengawas", reason=WHY)  # after it: the version
    _watch(ip)
    assert not b.is_connected(namespace="/exam")
    assert _attempt(ip, one).connected_sid is None
