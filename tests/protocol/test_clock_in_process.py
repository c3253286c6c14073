"""The clock with time moved by hand: the app in-process, socketio.test_client as the browser.

Token rotation and grace, accommodation in the deadline, the 2-second grace, auto-finish,
and the downtime credit at start-up, all without sleeping.
"""

from __future__ import annotations

from sqlalchemy import select, update

from exam_server.models import Attempt, AuditLog, Participant
from exam_server.timer import Timer
from exam_server.tokens import TOKEN_WINDOW, token_window
from tests.protocol.in_process import InProcess, events


def test_token_rotates_every_15_minutes_with_2_minutes_grace(in_process: InProcess) -> None:
    a, b, c = in_process.prepared.numbers[:3]
    old = in_process.token()
    now = in_process.clock.now()
    to_next = (token_window(now) + 1) * TOKEN_WINDOW.total_seconds() - now.timestamp()
    in_process.clock.advance(to_next + 60)  # one minute into the next window
    new = in_process.token()
    assert new != old
    assert in_process.login(a, old).status_code == 200  # within the grace
    in_process.clock.advance(120)  # three minutes in: the old token is gone
    refused = in_process.login(b, old)
    assert (refused.status_code, refused.get_json()["error"]) == (401, "bad_token")
    assert in_process.login(c, new).status_code == 200


def test_deadline_accommodation_grace_and_auto_finish(in_process: InProcess) -> None:
    number = in_process.prepared.numbers[0]
    with in_process.prepared.factory.begin() as db:
        db.execute(update(Participant).where(Participant.number == number)
                   .values(extra_minutes=15))
    client = in_process.candidate(number)
    state = client.emit("start", {}, namespace="/exam", callback=True)
    assert state["deadline"] - state["server_time"] == (100 + 15) * 60 * 1000
    assert events(client, "time") == [{"deadline": state["deadline"],
                                        "server_time": state["server_time"]}]

    in_process.clock.advance((state["deadline"] - state["server_time"]) / 1000 + 1)
    ack = client.emit("answer", {"seq": 1, "q": 1, "choice": "A"}, namespace="/exam",
                      callback=True)
    assert ack == {"ok": True, "seq": 1}  # in flight: within the 2-second grace
    assert in_process.rt.timer.finish_due() == 0
    in_process.clock.advance(2)
    late = client.emit("answer", {"seq": 2, "q": 1, "choice": "B"}, namespace="/exam",
                       callback=True)
    assert late == {"ok": False, "error": "time_over"}
    with in_process.prepared.factory() as db:
        refused = db.scalars(select(AuditLog.details)
                             .where(AuditLog.action == "answer.refused")).one()
        assert refused == {"q": 1, "value": "B", "seq": 2, "reason": "time_over"}

    assert in_process.rt.timer.finish_due() == 1
    assert in_process.rt.timer.finish_due() == 0  # exactly once
    pushed = events(client, "finished")
    assert len(pushed) == 1
    assert pushed[0]["reason"] == "deadline"
    with in_process.prepared.factory() as db:
        attempt = db.scalars(select(Attempt)).one()
        assert (attempt.state, attempt.finish_reason) == ("finished", "deadline")
    client.disconnect(namespace="/exam")


def test_downtime_is_credited_once_and_a_clean_stop_credits_nothing(
        in_process: InProcess) -> None:
    rt = in_process.rt
    assert rt.timer.recover().downtime_seconds == 0  # the first run: nothing to give back
    running, late = in_process.prepared.numbers[:2]
    first = in_process.candidate(running)
    before = first.emit("start", {}, namespace="/exam", callback=True)
    second = in_process.candidate(late)
    second.emit("start", {}, namespace="/exam", callback=True)
    with in_process.prepared.factory.begin() as db:
        late_id = db.scalars(select(Attempt.id).join(Participant)
                             .where(Participant.number == late)).one()
        deadline = db.get_one(Attempt, late_id).started_at
        db.execute(update(Attempt).where(Attempt.id == late_id).values(deadline_at=deadline))
    in_process.clock.advance(5)
    rt.timer.beat()  # the last heartbeat before the power cut

    in_process.clock.advance(20 * 60)
    restarted = Timer(rt.factory, rt.papers, in_process.clock, instance="default",
                      emit=lambda *a: None, connections={})
    recovery = restarted.recover()
    assert 20 * 60 <= recovery.downtime_seconds <= 20 * 60 + 1  # rounded up to whole seconds
    assert (recovery.credited, recovery.finished) == (1, 1)
    after = first.emit("start", {}, namespace="/exam", callback=True)
    assert after["deadline"] - before["deadline"] == recovery.downtime_seconds * 1000

    again = Timer(rt.factory, rt.papers, in_process.clock, instance="default",
                  emit=lambda *a: None, connections={})
    assert again.recover().downtime_seconds == 0  # the restarted one is alive: no outage
    restarted.stop()
    again.stop()
    in_process.clock.advance(10 * 60)
    third = Timer(rt.factory, rt.papers, in_process.clock, instance="default",
                  emit=lambda *a: None, connections={})
    assert third.recover().downtime_seconds == 0  # stopped cleanly: not an outage
    with in_process.prepared.factory() as db:
        assert db.get_one(Attempt, late_id).finish_reason == "deadline"


def test_time_is_pushed_to_each_connection_every_30_s_from_when_it_was_first_seen(
        in_process: InProcess) -> None:
    """``time`` every 30 ticks per connection, counted from the tick that first saw it: the
    pushes of connections that came at different moments go out at different ticks."""
    a_number, b_number = in_process.prepared.numbers[:2]
    timer = in_process.rt.timer

    def tick() -> None:  # one second of the timer
        in_process.clock.advance(1)
        timer.tick()

    a = in_process.candidate(a_number)
    a_state = a.emit("start", {}, namespace="/exam", callback=True)
    a.get_received("/exam")  # the start's own push
    tick()  # first sees a
    b = in_process.candidate(b_number)
    b_state = b.emit("start", {}, namespace="/exam", callback=True)
    b.get_received("/exam")
    for _ in range(29):  # b first seen at the next tick; nobody's turn yet
        tick()
    assert events(a, "time") == [] and events(b, "time") == []  # noqa: PT018
    tick()  # 30 s after a was first seen
    [pushed] = events(a, "time")
    assert pushed["deadline"] == a_state["deadline"]
    assert abs(pushed["server_time"] - in_process.clock.now().timestamp() * 1000) < 5000
    assert events(b, "time") == []
    tick()  # 30 s after b
    assert [p["deadline"] for p in events(b, "time")] == [b_state["deadline"]]
    assert events(a, "time") == []
    a.disconnect(namespace="/exam")
    for _ in range(30):  # a's turn comes round again: it is gone, nothing is sent to it
        tick()
    assert [p["deadline"] for p in events(b, "time")] == [b_state["deadline"]]


def test_each_live_connection_is_refreshed_every_10_s_from_when_it_was_first_seen(
        in_process: InProcess) -> None:
    number = in_process.prepared.numbers[0]
    timer = in_process.rt.timer
    client = in_process.candidate(number)
    client.emit("start", {}, namespace="/exam", callback=True)

    def connected_at() -> float:
        with in_process.prepared.factory() as db:
            at = db.scalars(select(Attempt.connected_at).join(Participant)
                            .where(Participant.number == number)).one()
        return at.timestamp()

    at_connect = connected_at()
    for _ in range(10):  # first seen at the first tick; its turn 10 ticks later
        in_process.clock.advance(1)
        timer.tick()
    assert connected_at() == at_connect
    in_process.clock.advance(1)
    timer.tick()
    assert abs(connected_at() - in_process.clock.now().timestamp()) < 1
