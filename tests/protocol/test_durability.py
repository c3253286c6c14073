"""Durability and the server's clock across a real process: SIGKILL, restart, downtime, deadline."""

from __future__ import annotations

import random
import threading
import time
from datetime import timedelta

from sqlalchemy import select, update

from exam_server.models import Answer, Attempt, AuditLog, Participant, utcnow
from tests.protocol.helpers import Candidate, Prepared, Server, logged_in

CLIENTS = 5


def _stream(c: Candidate, acked: dict[int, tuple[str | None, int]], stop: threading.Event,
            seed: int) -> None:
    rng = random.Random(seed)
    seq = 0
    while not stop.is_set():
        seq += 1
        q, choice = rng.randint(1, 110), rng.choice(["A", "B", "C", "D", "E", None])
        try:
            ack = c.call("answer", {"seq": seq, "q": q, "choice": choice})
        except Exception:  # the server died under us: stop sending
            return
        assert ack == {"ok": True, "seq": seq}
        acked[q] = (choice, seq)


def test_sigkill_mid_stream_loses_no_acked_answer(server: Server, prepared: Prepared) -> None:
    clients = [logged_in(server, prepared, n) for n in prepared.numbers[:CLIENTS]]
    for c in clients:
        assert c.call("start")["ok"] is True
    acked: list[dict[int, tuple[str | None, int]]] = [{} for _ in clients]
    stop = threading.Event()
    threads = [threading.Thread(target=_stream, args=(c, a, stop, i))
               for i, (c, a) in enumerate(zip(clients, acked, strict=True))]
    for t in threads:
        t.start()
    flowing = time.monotonic() + 30  # a loaded machine acks slowly: wait for the stream
    while sum(len(a) for a in acked) <= 60 and time.monotonic() < flowing:
        time.sleep(0.05)
    server.kill()  # SIGKILL in the middle of the stream
    stop.set()
    for t in threads:
        t.join(timeout=20)
    assert sum(len(a) for a in acked) > 50  # the stream was really flowing

    server.start()
    stored: list[dict[int, tuple[str | None, int]]] = []
    with prepared.factory() as db:
        ids = dict(db.execute(select(Participant.number, Attempt.id)
                              .join(Attempt, Attempt.participant_id == Participant.id)).all())
        for number, mine in zip(prepared.numbers, acked, strict=False):
            rows = {q: (c, s) for q, c, s in db.execute(
                select(Answer.q, Answer.choice, Answer.answer_seq)
                .where(Answer.attempt_id == ids[number]))}
            stored.append(rows)
            for q, (choice, seq) in mine.items():
                stored_choice, stored_seq = rows[q]
                assert stored_seq >= seq
                if stored_seq == seq:
                    assert stored_choice == choice
    # and the candidates resume where they were: every acked answer, or a later one that was
    # committed just before the kill but not acked yet
    again = Candidate(server, clients[0].bearer)
    state = again.call("start")
    assert {int(q): c for q, c in state["answers"].items()} == {
        q: c for q, (c, _) in stored[0].items() if c is not None}
    assert all(stored[0][q][1] >= seq for q, (_, seq) in acked[0].items())
    again.close()


def test_restart_after_downtime_gives_the_time_back(server: Server, prepared: Prepared) -> None:
    running, late = prepared.numbers[:2]
    c = logged_in(server, prepared, running)
    before = c.call("start")
    other = logged_in(server, prepared, late)
    other.call("start")
    other.close()
    c.close()
    time.sleep(0.5)
    server.kill()  # a power cut: no clean stop
    with prepared.factory.begin() as db:  # this one's deadline passed before the outage
        late_id = db.scalars(select(Attempt.id).join(Participant).where(
            Participant.number == late)).one()
        db.execute(update(Attempt).where(Attempt.id == late_id)
                   .values(deadline_at=utcnow() - timedelta(seconds=30)))

    server.start(SELEKSI_CLOCK_OFFSET="600")  # the server comes back ten minutes later
    c = Candidate(server, c.bearer)
    after = c.call("start")
    credited = (after["deadline"] - before["deadline"]) / 1000
    assert 600 <= credited <= 610
    assert after["server_time"] - before["server_time"] >= 600_000
    with prepared.factory() as db:
        finished = db.get_one(Attempt, late_id)
        assert (finished.state, finished.finish_reason) == ("finished", "deadline")
        outage = db.scalars(select(AuditLog.details)
                            .where(AuditLog.action == "server.downtime")).one()
        assert outage["credited"] == 1
        assert outage["finishing"] == 1
    c.close()


def test_deadline_finishes_attempts_without_a_browser(server: Server,
                                                      prepared: Prepared) -> None:
    watching, gone = prepared.numbers[:2]
    c = logged_in(server, prepared, watching)
    c.call("start")
    c.call("answer", {"seq": 1, "q": 1, "choice": "A"})
    away = logged_in(server, prepared, gone)
    away.call("start")
    away.close()  # no browser at all any more
    with prepared.factory.begin() as db:
        db.execute(update(Attempt).where(Attempt.state == "working")
                   .values(deadline_at=utcnow() - timedelta(seconds=2)))
    limit = time.monotonic() + 10
    while time.monotonic() < limit and not any(e == "finished" for e, _ in c.events):
        time.sleep(0.1)
    pushed = [d for e, d in c.events if e == "finished"]
    assert len(pushed) == 1
    assert pushed[0]["reason"] == "deadline"
    assert set(pushed[0]["result"]) >= {"sections", "total", "passed"}
    states: list[tuple[str, str | None]] = []
    while time.monotonic() < limit:
        with prepared.factory() as db:
            states = sorted(tuple(r) for r in db.execute(  # type: ignore[misc]
                select(Attempt.state, Attempt.finish_reason)).all())
        if states == [("finished", "deadline")] * 2:
            break
        time.sleep(0.1)
    assert states == [("finished", "deadline")] * 2
    with prepared.factory() as db:
        finishes = db.scalars(select(AuditLog.subject).where(AuditLog.action == "finish")).all()
        assert len(finishes) == 2  # each exactly once
    assert c.call("answer", {"seq": 2, "q": 1, "choice": "B"})["error"] == "finished"
    c.close()
