"""A reconnect in the middle of a stream of answers on SQLite with ONE server process
(issue 5 §2): the candidate's WebSocket is cut abruptly, then the server is SIGKILLed and
started again; the client reconnects with the same bearer each time and carries on. Every
acked answer is stored with its last acked choice, and a resent seq is applied once."""

from __future__ import annotations

import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from exam_server.models import Answer, AuditLog
from tests.protocol.cluster import StreamingCandidate
from tests.protocol.helpers import Candidate, Prepared, Sealed, Server, prepare

CUT_AT = 20  # seq sent just before the WebSocket is cut (and resent after the reconnect)
KILL_AFTER = 45  # acked seqs before the server is killed
LAST = 80


@pytest.fixture
def lone(sealed: Sealed, sqlite_url: str, tmp_path: Path) -> Iterator[tuple[Prepared, Server]]:
    """An SQLite database with the session running and one ``seleksi serve`` on it."""
    ready = prepare(sealed, tmp_path / "instance", sqlite_url)
    running = Server(ready.instance, ready.url).start()
    yield ready, running
    Candidate.close_all()
    running.stop()
    ready.factory.kw["bind"].dispose()


def plan(seq: int) -> tuple[int, str | None]:
    """The question and choice of answer ``seq``: 25 questions, each answered several
    times with a changing choice, sometimes cleared."""
    return (seq * 7) % 25 + 1, None if seq % 11 == 0 else "ABCDE"[seq % 5]


def wait_for(check: Any, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "not within the time"
        time.sleep(0.02)


def test_a_stream_carries_on_across_a_cut_and_a_killed_server(
        lone: tuple[Prepared, Server]) -> None:
    prepared, server = lone
    number = prepared.numbers[0]
    r = server.login(number, prepared.pins[number], prepared.token())
    assert r.status_code == 200, r.text
    attempt = r.json()["attempt"]
    c = StreamingCandidate(server.base, r.json()["token"])
    assert c.call("start", {})["ok"] is True
    acked: dict[int, int] = {}  # q -> the seq of its last acked answer

    def answer(seq: int) -> None:
        q, choice = plan(seq)
        ack = c.call("answer", {"seq": seq, "q": q, "choice": choice})
        assert ack == {"ok": True, "seq": seq}, ack
        acked[q] = seq

    for seq in range(1, CUT_AT):
        answer(seq)
    # sent, then the network goes: no close frame, no ack
    q, choice = plan(CUT_AT)
    c.sio.emit("answer", {"seq": CUT_AT, "q": q, "choice": choice}, namespace="/exam")
    c.sio.eio.ws.sock.shutdown(socket.SHUT_RDWR)
    wait_for(lambda: c.reconnects == 1 and c.sio.connected)
    answer(CUT_AT)  # the resend of the unacked seq, with the same bearer

    errors: list[BaseException] = []

    def stream() -> None:
        try:
            for seq in range(CUT_AT + 1, LAST + 1):
                answer(seq)
                time.sleep(0.01)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    streaming = threading.Thread(target=stream)
    streaming.start()
    wait_for(lambda: max(acked.values()) >= KILL_AFTER or not streaming.is_alive())
    server.kill()  # mid-stream: whatever was in flight is never acked
    server.start()
    streaming.join(timeout=120)
    assert not streaming.is_alive()
    assert not errors, errors
    assert c.reconnects >= 2
    assert c.retries >= 1  # something sent across the kill was sent again

    with prepared.factory() as db:
        stored = {q: (choice, seq) for q, choice, seq in db.execute(
            select(Answer.q, Answer.choice, Answer.answer_seq)
            .where(Answer.attempt_id == attempt))}
        applied = Counter(d["seq"] for d in db.scalars(
            select(AuditLog.details).where(AuditLog.action == "answer",
                                           AuditLog.subject == f"skd-2024-demo/{number}")))
    assert stored == {q: (plan(seq)[1], seq) for q, seq in acked.items()}
    assert applied == Counter(range(1, LAST + 1))  # every seq applied exactly once
    state = c.call("start", {})  # and the candidate resumes exactly that
    assert state["seq"] == LAST
    assert state["answers"] == {str(q): choice for q, (choice, _) in stored.items()
                                if choice is not None}
