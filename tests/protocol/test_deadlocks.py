"""Deadlocks on PostgreSQL: attempts are locked in one order, and a batch the server aborted
to break a cycle is applied again instead of refused.

Found by ``bench/exam_load.py --db pg`` (1,000 candidates): the connection heartbeat updated
every connected attempt in the table's physical order while an answer batch locked them in id
order; PostgreSQL broke the cycle by aborting the batch, and 37-82 answers a run were refused
``storage_unavailable``. Both tests build the cycle on purpose, with a transaction of the
test's own, and would fail without the fix they name.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, select, text, update

from exam_server.attempts import refresh_connections
from exam_server.audit import AUDIT_LOCK
from exam_server.db import lock_key, make_engine
from exam_server.models import Answer, Attempt, Participant
from tests.protocol.helpers import Candidate, Prepared, Server, logged_in, wait_until

pytestmark = pytest.mark.pg


def waiting_for_a_lock(engine: Engine) -> bool:
    """Whether a session of this database waits for a lock now (a fresh snapshot)."""
    with engine.connect() as conn:
        return bool(conn.execute(text(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
            "AND datname = current_database() AND pid <> pg_backend_pid()")).scalar_one())


@pytest.fixture
def engine(cluster_db: Prepared) -> Iterator[Engine]:
    made = make_engine(cluster_db.url)
    yield made
    made.dispose()


def test_the_heartbeat_locks_attempts_in_id_order(cluster_db: Prepared, engine: Engine) -> None:
    server = Server(cluster_db.instance, cluster_db.url).start()
    try:  # every participant logs in: their attempts exist
        for number in cluster_db.numbers:
            assert server.login(number, cluster_db.pins[number],
                                cluster_db.token()).status_code == 200
    finally:
        server.stop()
    with engine.begin() as conn:  # newest row versions last: the table's order is by id, down
        ids = sorted(conn.scalars(select(Attempt.id)).all())
        for i in reversed(ids):
            conn.execute(update(Attempt).where(Attempt.id == i).values(connected_sid=f"s{i}"))
    with engine.connect() as conn:
        physical = conn.scalars(select(Attempt.id).where(Attempt.connected_sid.is_not(None))
                                .order_by(text("ctid"))).all()
    assert physical == list(reversed(ids)), "the set-up did not reverse the table's order"
    now = datetime.now(UTC).replace(microsecond=0)
    errors: list[BaseException] = []

    def heartbeat() -> None:
        try:
            refresh_connections(cluster_db.factory, [f"s{i}" for i in ids], now)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    with engine.connect() as other:  # as an answer batch does: the lowest id first
        other.execute(select(Attempt.id).where(Attempt.id == ids[0]).with_for_update())
        beat = threading.Thread(target=heartbeat)
        beat.start()
        wait_until(lambda: waiting_for_a_lock(engine), 20)  # the heartbeat waits for ids[0]
        # then the highest: a heartbeat that locked in the table's order (highest first)
        # would hold it now, a cycle PostgreSQL breaks by aborting one of the two
        other.execute(select(Attempt.id).where(Attempt.id == ids[-1]).with_for_update())
        other.commit()
    beat.join(timeout=30)
    assert not errors, errors
    with engine.connect() as conn:
        seen = conn.scalars(select(Attempt.connected_at)).all()
    assert len(ids) == len(cluster_db.numbers)
    assert {at.replace(tzinfo=UTC) if at.tzinfo is None else at for at in seen} == {now}


def test_an_answer_batch_aborted_by_a_deadlock_is_applied_again(cluster_db: Prepared,
                                                               engine: Engine) -> None:
    database = engine.url.database
    with engine.connect() as conn:  # the server's check for deadlocks comes after ours
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(
            text(f'ALTER DATABASE "{database}" SET deadlock_timeout = \'3s\''))
    server = Server(cluster_db.instance, cluster_db.url).start()
    try:
        number = cluster_db.numbers[0]
        candidate = logged_in(server, cluster_db, number)
        assert candidate.call("start")["ok"] is True
        with engine.connect() as conn:
            attempt_id = conn.scalar(select(Attempt.id).join(Participant)
                                     .where(Participant.number == number))
        acks: list[Any] = []
        with engine.connect() as other:
            other.execute(text("SET deadlock_timeout = '60s'"))  # never the victim itself
            other.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                          {"key": lock_key(AUDIT_LOCK)})
            answering = threading.Thread(target=lambda: acks.append(candidate.call(
                "answer", {"seq": 1, "q": 1, "choice": "C"})))
            answering.start()
            # the batch holds the attempt and waits for the audit chain, which we hold
            wait_until(lambda: waiting_for_a_lock(engine), 20)
            # now we wait for the attempt: a cycle; the batch's check finds it, aborts it
            other.execute(select(Attempt.id).where(Attempt.id == attempt_id)
                          .with_for_update())
            other.commit()
        answering.join(timeout=30)
        assert acks == [{"ok": True, "seq": 1}]
        with engine.connect() as conn:
            assert conn.scalar(select(Answer.choice).where(Answer.attempt_id == attempt_id,
                                                           Answer.q == 1)) == "C"
    finally:
        Candidate.close_all()
        out = server.kill()
    assert "aborted by the database" in out and "deadlock detected" in out  # noqa: PT018
