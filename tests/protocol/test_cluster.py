"""Two server processes on one PostgreSQL with Redis carrying the pushes (issue 7 §1).

``seleksi serve --workers 2`` serves ports P and P+1. A candidate who moves from one process to
the other resumes exactly; a proctor connected to process A sees answers given on process B;
public scoreboard watchers on either process see every score; attempts past their deadline
are finished once, whichever process's timer gets there first. Marked ``pg`` and ``redis``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest
import requests
from sqlalchemy import select, update

from exam_server.db import make_engine
from exam_server.models import (
    Answer,
    Attempt,
    AuditLog,
    ExamSession,
    Participant,
    ServerHeartbeat,
    utcnow,
)
from proctor_console.accounts import add_user
from tests.conftest import REDIS_URL
from tests.protocol.cluster import Cluster, Watcher, console_cookie, free_ports
from tests.protocol.helpers import (
    SELEKSI,
    SESSION,
    Candidate,
    Prepared,
    logged_in,
    wait_until,
)

pytestmark = [pytest.mark.pg, pytest.mark.redis]
PASSWORD = "rahasia-pengawas-1"  # noqa: S105 - a test account's password


def test_two_processes_one_room(cluster: Cluster, cluster_db: Prepared) -> None:
    a, b = cluster.nodes
    one, two = cluster_db.numbers[:2]
    add_user(cluster_db.factory, "pengawas", PASSWORD, role="proctor", full_name="Bu Pengawas",
             actor="uji", sessions=(SESSION,))
    with cluster_db.factory() as db:
        session_id = db.scalars(select(ExamSession.id)).one()
    proctor = Watcher(a.base, "/proctor", "roster",
                      headers={"Cookie": console_cookie(a.base, "pengawas", PASSWORD)})
    assert proctor.join({"session": session_id})["ok"] is True
    boards = [Watcher(node.base, "/scoreboard", "scores") for node in (a, b)]
    for board in boards:
        assert board.join({"session": SESSION})["ok"] is True

    # one sits on A, then moves to B with the same bearer and resumes exactly
    first = logged_in(a, cluster_db, one)
    started = first.call("start")
    for q, choice in ((1, "A"), (2, "B"), (3, "C")):
        assert first.call("answer", {"seq": q, "q": q, "choice": choice})["ok"] is True
    assert first.call("flag", {"seq": 4, "q": 2, "flagged": True})["ok"] is True
    first.close()
    moved = Candidate(b, first.bearer)
    resumed = moved.call("start")
    assert resumed["answers"] == {"1": "A", "2": "B", "3": "C"}
    assert resumed["flags"] == [2]
    assert resumed["deadline"] == started["deadline"]
    assert moved.call("answer", {"seq": 5, "q": 4, "choice": "D"}) == {"ok": True, "seq": 5}
    assert moved.call("answer", {"seq": 2, "q": 4, "choice": "E"}) == {"ok": True, "seq": 2}

    # two sits on B; the proctor on A sees both move, by push
    second = logged_in(b, cluster_db, two)
    assert second.call("start")["ok"] is True
    for q in range(1, 7):
        assert second.call("answer", {"seq": q, "q": q, "choice": "E"})["ok"] is True
    rows = wait_until(lambda: (r := proctor.rows()).get(two, {}).get("answered") == 6
                      and r.get(one, {}).get("answered") == 4 and r)
    assert rows[two]["status"] == "working"

    # every watcher, on either process, ends with every score the database holds
    with cluster_db.factory() as db:
        live = dict(db.execute(select(Participant.number, Attempt.live_score)
                               .join(Attempt, Attempt.participant_id == Participant.id)).all())
    expected = {n: live[n]["total"] for n in (one, two)}
    for board in boards:
        wait_until(lambda board=board: {n: board.rows().get(n, {}).get("total")
                                        for n in (one, two)} == expected)
    result = moved.call("finish")["result"]
    for board in boards:
        wait_until(lambda board=board: board.rows().get(one, {}).get("total") == result["total"]
                   and board.rows()[one]["status"] in ("P", "TL"))
    for watcher in (proctor, *boards):
        watcher.close()


def test_a_deadline_finishes_each_attempt_once_across_processes(
        cluster: Cluster, cluster_db: Prepared) -> None:
    nodes = cluster.nodes
    candidates = []
    for i, number in enumerate(cluster_db.numbers[:6]):
        c = logged_in(nodes[i % 2], cluster_db, number)
        assert c.call("start")["ok"] is True
        assert c.call("answer", {"seq": 1, "q": 1, "choice": "A"})["ok"] is True
        candidates.append(c)
    with cluster_db.factory.begin() as db:  # every deadline passes at once, for both timers
        db.execute(update(Attempt).values(deadline_at=utcnow()))
    for c in candidates:
        pushed = wait_until(lambda c=c: [d for e, d in c.events if e == "finished"], 15)
        assert len(pushed) == 1 and pushed[0]["reason"] == "deadline"  # noqa: PT018
    time.sleep(2.5)  # a second finish would come within the next ticks
    with cluster_db.factory() as db:
        finishes = Counter(d["attempt"] for d in db.scalars(
            select(AuditLog.details).where(AuditLog.action == "finish")))
        states = set(db.scalars(select(Attempt.state)).all())
    assert len(finishes) == 6
    assert set(finishes.values()) == {1}, finishes
    assert states == {"finished"}
    assert all(len([e for e, _ in c.events if e == "finished"]) == 1 for c in candidates)


def test_the_workers_stop_cleanly_and_a_dead_one_is_started_again(
        cluster: Cluster, cluster_db: Prepared) -> None:
    victim = cluster.worker_pid(1)
    os.kill(victim, signal.SIGKILL)
    time.sleep(0.5)
    cluster.wait_for(cluster.port + 1, 60)
    assert cluster.worker_pid(1) != victim
    c = logged_in(cluster.nodes[1], cluster_db, cluster_db.numbers[0])
    assert c.call("start")["ok"] is True
    c.close()
    out = cluster.stop()
    assert f"worker on port {cluster.port + 1} exited with status -9" in out
    assert "all workers stopped" in out
    assert "MonkeyPatchWarning" not in out  # each worker (the restarted one too) patched first
    with cluster_db.factory() as db:
        beats = db.scalars(select(ServerHeartbeat)).all()
    assert len(beats) == 3  # two at start, one after the restart
    # the stopped workers marked theirs: only the killed one's is left open
    assert [b.pid for b in beats if b.stopped_at is None] == [victim]


def test_the_demo_runs_on_several_workers(pg_url: str, redis_prefix: str,
                                          tmp_path: Path) -> None:
    port = free_ports(2)
    env = {**os.environ, "SELEKSI_INSTANCE": str(tmp_path / "instance"), "DATABASE_URL": pg_url,
           "SELEKSI_MESSAGE_QUEUE": REDIS_URL, "SELEKSI_MESSAGE_CHANNEL": f"{redis_prefix}sio"}
    log = tmp_path / "demo.log"
    with log.open("w") as out:
        proc = subprocess.Popen([str(SELEKSI), "demo", "--workers", "2", "--port", str(port),
                                 "--participants", "2", "--simulate", "2",
                                 "--simulate-pace", "0.3"], env=env, stdout=out,
                                stderr=subprocess.STDOUT, text=True, cwd=tmp_path)
    try:
        for p in (port, port + 1):
            wait_until(lambda p=p: _serves(f"http://127.0.0.1:{p}/ujian"), 120)
        engine = make_engine(pg_url)
        with engine.connect() as conn:
            # both simulated candidates (one per worker) answer
            wait_until(lambda: len(conn.execute(
                select(Answer.attempt_id).distinct()).all()) == 2, 60)
        engine.dispose()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    text = log.read_text()
    assert f"2 workers on ports {port}–{port + 1}" in text
    assert "all workers stopped" in text and text.count("stopped cleanly") == 2  # noqa: PT018


def _serves(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.RequestException:
        return False
