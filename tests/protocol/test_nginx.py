"""The documented nginx configuration in front of two workers, and a worker killed mid-stream
(issue 7 §1 and §2).

``deploy/nginx-seleksi.conf`` (its ports replaced) runs in front of ``seleksi serve --workers
2`` on PostgreSQL with Redis. Six candidates log in and stream answers through it; one worker
is SIGKILLed in the middle. Its candidates reconnect through nginx to the other worker and
resend what was not acked; every acked answer is stored with its last acked choice; three
finish themselves and three are finished by the deadline, each exactly once. Marked ``pg``
and ``redis``.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from sqlalchemy import select, update

from exam_server.models import Answer, Attempt, AuditLog, Participant, utcnow
from tests.protocol.cluster import Cluster, Nginx, StreamingCandidate
from tests.protocol.helpers import Prepared, wait_until

pytestmark = [pytest.mark.pg, pytest.mark.redis]
ANSWERS = 40


@pytest.fixture
def nginx(cluster: Cluster, tmp_path: Path) -> Iterator[Nginx]:
    running = Nginx(cluster, tmp_path / "nginx").start()
    yield running
    running.stop()


def test_a_killed_worker_behind_nginx_loses_no_acked_answer(
        nginx: Nginx, cluster: Cluster, cluster_db: Prepared) -> None:
    numbers = cluster_db.numbers[:6]
    candidates = {}
    for number in numbers:
        r = requests.post(f"{nginx.base}/api/exam/login", timeout=10, json={
            "participant": number, "pin": cluster_db.pins[number],
            "token": cluster_db.token()})
        assert r.status_code == 200, r.text
        candidates[number] = StreamingCandidate(nginx.base, r.json()["token"])
        assert candidates[number].call("start", {})["ok"] is True
    plans = {n: [(q, "ABCDE"[(q + i) % 5]) for q in range(1, ANSWERS + 1)]
             for i, n in enumerate(numbers)}
    plans = {n: plan + [(q, "E") for q, _ in plan[:5]] for n, plan in plans.items()}  # changes
    errors: list[BaseException] = []

    def stream(number: str) -> None:
        try:
            candidates[number].answer_all(plans[number], pause=0.05)
        except BaseException as exc:  # noqa: BLE001 - reported by the test below
            errors.append(exc)

    threads = [threading.Thread(target=stream, args=(n,)) for n in numbers]
    for t in threads:
        t.start()
    time.sleep(1.0)  # in the middle of the stream
    os.kill(cluster.worker_pid(1), signal.SIGKILL)
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    moved = [n for n in numbers if candidates[n].reconnects > 0]
    assert moved, "nginx put nobody on the killed worker"
    assert len(moved) < len(numbers), "nginx put everybody on the killed worker"

    with cluster_db.factory() as db:
        stored = {(n, q): c for n, q, c in db.execute(
            select(Participant.number, Answer.q, Answer.choice)
            .join(Attempt, Attempt.participant_id == Participant.id)
            .join(Answer, Answer.attempt_id == Attempt.id)).all()}
    for number in numbers:
        acked = candidates[number].acked
        assert len(acked) == ANSWERS
        assert {q: stored[(number, q)] for q in acked} == acked, number

    for number in numbers[:3]:
        assert candidates[number].call("finish", {})["ok"] is True
    with cluster_db.factory.begin() as db:
        late = db.scalars(select(Attempt.id).join(Participant)
                          .where(Participant.number.in_(numbers[3:]))).all()
        db.execute(update(Attempt).where(Attempt.id.in_(late)).values(deadline_at=utcnow()))
    for number in numbers[3:]:
        c = candidates[number]
        wait_until(lambda c=c: c.finished, 20)
    time.sleep(2.5)  # a second finish would come within the next ticks
    assert [len(candidates[n].finished) for n in numbers[3:]] == [1, 1, 1]
    assert all(candidates[n].finished[0]["reason"] == "deadline" for n in numbers[3:])
    with cluster_db.factory() as db:
        finishes = Counter(d["attempt"] for d in db.scalars(
            select(AuditLog.details).where(AuditLog.action == "finish")))
    assert len(finishes) == 6
    assert set(finishes.values()) == {1}
    cluster.wait_for(cluster.port + 1, 60)  # the supervisor started the killed one again
    for c in candidates.values():
        c.close()


def test_behind_nginx_cookies_are_secure_when_the_proxy_says_tls(
        nginx: Nginx, cluster: Cluster) -> None:
    # The login page sets the session cookie (it holds the form's CSRF token).
    plain = requests.get(f"{nginx.base}/proctor/login", timeout=10)  # nginx says http
    assert plain.status_code == 200
    assert "HttpOnly" in plain.headers["Set-Cookie"]
    assert "Secure" not in plain.headers["Set-Cookie"]
    tls = requests.get(f"{cluster.nodes[0].base}/proctor/login", timeout=10,
                       headers={"X-Forwarded-Proto": "https"})  # as nginx sends after TLS
    assert "Secure" in tls.headers["Set-Cookie"]
