"""What breaks at real sites, on a cluster of two workers (issue 7 §2).

- PostgreSQL (a server of the test's own: the machine's shared one is never restarted)
  restarted in the middle of four candidates' answer streams: answers during the
  outage are refused (``storage_unavailable``) or left unacked, never acked and lost; the
  clients resend them and afterwards every acked answer is stored.
- Redis (a server of the test's own) killed and started again: answers are acked all along
  (no durable data depends on it) and the live pushes between the processes resume.
- A process on a machine whose clock is an hour off keeps the database's time: the same
  deadlines, the room's token, no outage read into it, nothing finished early (the clock is
  anchored at the database's time and then moves by the monotonic clock:
  ``exam_server.clock.SteadyClock``).

- SQLite on a full disk: the answer that cannot be stored is refused
  (``storage_unavailable``), never acked; with space again the same answer is taken, and after
  a SIGKILL every acked answer is on disk.

The first three are marked ``pg`` (the first two also ``redis``).
"""

from __future__ import annotations

import os
import re
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from sqlalchemy import select

from exam_server.models import Answer, Attempt, Participant
from proctor_console.accounts import add_user
from tests.protocol.cluster import (
    Cluster,
    PrivatePostgres,
    PrivateRedis,
    StreamingCandidate,
    Watcher,
    console_cookie,
)
from tests.protocol.helpers import (
    Candidate,
    Prepared,
    Sealed,
    Server,
    logged_in,
    prepare,
    wait_until,
)

PASSWORD = "rahasia-pengawas-1"  # noqa: S105 - a test account's password


def stream_all(cluster: Cluster, db: Prepared, numbers: list[str], answers: int,
               during: object) -> dict[str, StreamingCandidate]:
    """``numbers`` stream ``answers`` answers each (over both workers) while ``during()``
    runs, one second into the stream."""
    candidates = {}
    for i, number in enumerate(numbers):
        node = cluster.nodes[i % 2]
        r = requests.post(f"{node.base}/api/exam/login", timeout=10, json={
            "participant": number, "pin": db.pins[number], "token": db.token()})
        assert r.status_code == 200, r.text
        candidates[number] = StreamingCandidate(node.base, r.json()["token"])
        assert candidates[number].call("start", {})["ok"] is True
    errors: list[BaseException] = []

    def stream(i: int, number: str) -> None:
        try:
            candidates[number].answer_all(
                [(q, "ABCDE"[(q + i) % 5]) for q in range(1, answers + 1)], pause=0.05)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=stream, args=(i, n)) for i, n in enumerate(numbers)]
    for t in threads:
        t.start()
    time.sleep(1.0)
    during()  # type: ignore[operator]
    for t in threads:
        t.join(timeout=180)
    assert not errors, errors
    return candidates


def stored_answers(db: Prepared) -> dict[tuple[str, int], str | None]:
    db.factory.kw["bind"].dispose()  # its pooled connections died with the restart
    with db.factory() as session:
        return {(n, q): c for n, q, c in session.execute(
            select(Participant.number, Answer.q, Answer.choice)
            .join(Attempt, Attempt.participant_id == Participant.id)
            .join(Answer, Answer.attempt_id == Attempt.id)).all()}


@pytest.fixture
def own_postgres() -> Iterator[PrivatePostgres]:
    server = PrivatePostgres().start()
    yield server
    server.stop()


@pytest.mark.pg
@pytest.mark.redis
def test_a_postgresql_restart_loses_no_acked_answer(sealed: Sealed, own_postgres: PrivatePostgres,
                                                    redis_prefix: str, tmp_path: Path) -> None:
    db = prepare(sealed, tmp_path / "instance", own_postgres.url)
    cluster = Cluster(db.instance, db.url, channel=f"{redis_prefix}sio").start()
    try:
        took: list[float] = []
        numbers = db.numbers[:4]
        candidates = stream_all(cluster, db, numbers, 60,
                                lambda: took.append(own_postgres.restart()))
        assert took and took[0] > 0  # noqa: PT018
        assert sum(c.retries for c in candidates.values()) > 0, "the outage hit no answer"
        stored = stored_answers(db)
        for number, c in candidates.items():
            assert len(c.acked) == 60
            assert {q: stored.get((number, q)) for q in c.acked} == c.acked, number
        # the workers serve on after the outage: a new candidate logs in and answers on each
        for node, number in zip(cluster.nodes, db.numbers[4:6], strict=True):
            late = logged_in(node, db, number)
            assert late.call("start")["ok"] is True
            assert late.call("answer", {"seq": 1, "q": 1, "choice": "A"}) == \
                {"ok": True, "seq": 1}
        for c in candidates.values():
            c.close()
        # each worker's journal logs the outage's first refused batch with its traceback,
        # later ones in a line each, and says when it commits again
        log = cluster.log.read_text(encoding="utf-8").splitlines()
        first = [x for x in log
                 if re.fullmatch(r"answer journal: commit of \d+ operations failed", x)]
        assert len(first) <= len(cluster.nodes), first
        assert sum(x.startswith("answer journal: committing again after ") for x in log) == \
            len(first)
    finally:
        Candidate.close_all()
        cluster.stop()
        db.factory.kw["bind"].dispose()


@pytest.fixture
def own_redis() -> Iterator[PrivateRedis]:
    server = PrivateRedis().start()
    yield server
    server.kill()


@pytest.fixture
def cluster_on_own_redis(cluster_db: Prepared, own_redis: PrivateRedis,
                         redis_prefix: str) -> Iterator[Cluster]:
    running = Cluster(cluster_db.instance, cluster_db.url, channel=f"{redis_prefix}sio",
                      queue=own_redis.url)
    running.start()
    yield running
    Candidate.close_all()
    running.stop()


@pytest.mark.pg
@pytest.mark.redis
def test_a_redis_restart_loses_nothing_and_pushes_resume(
        cluster_on_own_redis: Cluster, cluster_db: Prepared, own_redis: PrivateRedis) -> None:
    a, b = cluster_on_own_redis.nodes
    add_user(cluster_db.factory, "pengawas", PASSWORD, role="proctor", full_name="Bu Pengawas",
             actor="uji", sessions=("JKT1-S1",))
    with cluster_db.factory() as db:
        session_id = db.scalars(select(Attempt.session_id).limit(1)).first()
    proctor = Watcher(a.base, "/proctor", "roster",
                      headers={"Cookie": console_cookie(a.base, "pengawas", PASSWORD)})
    joined = proctor.join({"session": session_id or 1})
    assert joined["ok"] is True
    number = cluster_db.numbers[0]
    candidate = logged_in(b, cluster_db, number)
    assert candidate.call("start")["ok"] is True
    seq = 0

    def answer(q: int) -> None:
        nonlocal seq
        seq += 1
        assert candidate.call("answer", {"seq": seq, "q": q, "choice": "B"}) == \
            {"ok": True, "seq": seq}

    answer(1)
    wait_until(lambda: proctor.rows().get(number, {}).get("answered") == 1)

    own_redis.kill()
    for q in range(2, 6):  # acked with Redis down: nothing durable depends on it
        answer(q)
    assert stored_answers(cluster_db)[(number, 5)] == "B"
    own_redis.start()
    # pushes resume once the workers' Redis listeners reconnect (they retry with backoff)
    deadline = time.monotonic() + 40
    q = 6
    while time.monotonic() < deadline and proctor.rows()[number]["answered"] < q - 1:
        answer(q)
        q += 1
        time.sleep(1.0)
    assert proctor.rows()[number]["answered"] == q - 1, (proctor.rows()[number], q)
    proctor.close()


@pytest.mark.pg
def test_a_server_whose_machine_clock_is_an_hour_off_keeps_database_time(
        cluster_db: Prepared) -> None:
    right = Server(cluster_db.instance, cluster_db.url).start()
    wrong = Server(cluster_db.instance, cluster_db.url,
                   extra_env={"SELEKSI_SYSTEM_CLOCK_SKEW": "3600"}).start()
    try:
        number = cluster_db.numbers[0]
        first = logged_in(right, cluster_db, number)
        started = first.call("start")
        assert first.call("answer", {"seq": 1, "q": 1, "choice": "A"})["ok"] is True
        first.close()
        moved = Candidate(wrong, first.bearer)
        resumed = moved.call("start")
        # the same deadline, and the same time (the database's) on both processes
        assert resumed["deadline"] == started["deadline"]
        assert abs(resumed["server_time"] - time.time() * 1000) < 5_000
        assert moved.call("answer", {"seq": 2, "q": 2, "choice": "B"}) == {"ok": True, "seq": 2}
        # its room token is the room's (the token rotates with the time), and nothing of the
        # running attempt was read as an outage of an hour or finished early by its timer
        other = logged_in(wrong, cluster_db, cluster_db.numbers[1])
        assert other.call("start")["deadline"] > started["deadline"]
        time.sleep(2.5)
        with cluster_db.factory() as db:
            states = dict(db.execute(select(Participant.number, Attempt.state)
                                     .join(Attempt, Attempt.participant_id == Participant.id))
                          .all())
            downtime = db.scalars(select(Attempt.downtime_seconds)).all()
        assert states == {number: "working", cluster_db.numbers[1]: "working"}
        assert set(downtime) == {0}
    finally:
        Candidate.close_all()
        wrong.stop()
        right.stop()


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 64 MiB tmpfs mounted for this test (root only: CI and these machines run as root)."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small file system needs root")
    folder = tmp_path / "disk"
    folder.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(folder)], check=True)
    yield folder
    subprocess.run(["umount", "-l", str(folder)], check=False)


def test_a_full_disk_refuses_answers_clearly_and_acks_none_it_did_not_store(
        sealed: Sealed, small_disk: Path) -> None:
    url = f"sqlite:///{small_disk / 'seleksi.db'}"
    db = prepare(sealed, small_disk / "instance", url)
    server = Server(db.instance, url).start()
    filler = small_disk / "filler"
    try:
        c = logged_in(server, db, db.numbers[0])
        assert c.call("start")["ok"] is True
        acked: dict[int, str] = {}
        seq = 0

        def answer(q: int, choice: str) -> dict[str, object]:
            nonlocal seq
            seq += 1
            ack: dict[str, object] = c.call("answer", {"seq": seq, "q": q, "choice": choice})
            if ack.get("ok"):
                acked[q] = choice
            return ack

        assert answer(1, "A")["ok"] is True
        with filler.open("wb") as f:  # fill the disk to the last block
            try:
                while True:
                    f.write(b"\0" * (1 << 20))
                    f.flush()
            except OSError:
                pass
        refused = None
        for n in range(2000):  # the WAL reuses its blocks until it must grow
            ack = answer(1 + n % 110, "ABCDE"[n % 5])
            if not ack.get("ok"):
                refused = ack
                break
        assert refused == {"ok": False, "error": "storage_unavailable"}, refused
        filler.unlink()  # space again: the same answer is taken now
        retry = c.call("answer", {"seq": seq, "q": 1 + n % 110, "choice": "ABCDE"[n % 5]})
        assert retry == {"ok": True, "seq": seq}
        acked[1 + n % 110] = "ABCDE"[n % 5]
        c.close()
        server.kill()  # SIGKILL: what was acked must be on disk
        with db.factory() as session:
            stored = dict(session.execute(select(Answer.q, Answer.choice)).all())
        assert {q: stored.get(q) for q in acked} == acked
    finally:
        Candidate.close_all()
        server.stop()
        db.factory.kw["bind"].dispose()
