"""The server's own clock work: heartbeat, downtime credit, auto-finish, ``time`` pushes.

One :class:`Timer` per serving process. At start-up :meth:`Timer.recover` looks at the
heartbeats of this instance's earlier processes: when every one of them is stale (older than
:data:`STALE`, so none is serving) and one did not stop cleanly, the instance was down from
its newest beat until now. That downtime is given to every working attempt whose deadline
had not passed at that beat; the others are finished from the journal at once. Then
:meth:`Timer.run` ticks every second: finishes due attempts (deadline + grace passed), each
exactly once (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, the write lock on SQLite, and a
conditional update everywhere), beats every :data:`HEARTBEAT_EVERY`, refreshes each live
connection of this process every :data:`CONNECTIONS_EVERY` and pushes ``time`` to it every
:data:`TIME_PUSH_EVERY` (each counted from when it was first seen: :class:`Turns`), and
(``watch``) tells them of proctor actions (:mod:`exam_server.control_watch`). Nothing of a
paused room is finished or credited downtime: its resume gives the whole pause back.
"""

from __future__ import annotations

import logging
import math
import os
import socket
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import gevent
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from exam_server.attempts import AttemptRef, finish_in, ref_for_attempt, refresh_connections
from exam_server.audit import append_audit
from exam_server.clock import ANSWER_GRACE, Clock, downtime, epoch_ms
from exam_server.db import reading, serialise, transaction
from exam_server.models import Attempt, ExamSession, ServerHeartbeat
from exam_server.session_papers import PaperCache

log = logging.getLogger(__name__)
TICK = 1.0
HEARTBEAT_EVERY = 5.0
CONNECTIONS_EVERY = 10.0
TIME_PUSH_EVERY = 30.0
STALE = timedelta(seconds=15)
FINISH_BATCH = 200

Emit = Callable[[str, dict[str, Any], str], None]


@dataclass(frozen=True)
class Recovery:
    """What :meth:`Timer.recover` found and did."""

    downtime_seconds: int
    credited: int
    finished: int


class Turns:
    """Whose turn it is, per tick, for work done every so many seconds per connection.

    :meth:`see` (once a tick) notes the tick each live connection was first seen at and
    forgets the gone ones; :meth:`due` gives the connections a whole number of periods past
    that tick. A room's connections arrive over seconds, so their periodic work (the
    connection heartbeat, the ``time`` push) is spread over the ticks as they arrived,
    instead of falling on every connection in one tick.
    """

    def __init__(self) -> None:
        self.tick = 0
        self._first: dict[str, int] = {}  # sid -> the tick that first saw it

    def see(self, live: Mapping[str, object]) -> None:
        """Start a tick with ``live`` the connections now (sid keys)."""
        self.tick += 1
        for gone in [sid for sid in self._first if sid not in live]:
            del self._first[gone]
        for sid in live:
            self._first.setdefault(sid, self.tick)

    def due(self, every: float) -> list[str]:
        """The connections whose turn it is at this tick, for work every ``every`` seconds."""
        period = max(1, round(every / TICK))
        return [sid for sid, first in self._first.items()
                if self.tick > first and (self.tick - first) % period == 0]


class Timer:
    """Heartbeat, recovery and auto-finish for one process (see the module docstring).

    ``emit(event, payload, to)`` sends to a room or sid on ``/exam``; ``connections`` is
    this process's live connections (sid to attempt).
    """

    def __init__(self, factory: sessionmaker[Session], papers: PaperCache, clock: Clock, *,
                 instance: str, emit: Emit, connections: Mapping[str, AttemptRef],
                 watch: Callable[[], object] | None = None) -> None:
        self.factory, self.papers, self.clock = factory, papers, clock
        self.instance, self.emit, self.connections = instance, emit, connections
        self.watch = watch
        # Told of every attempt the clock finished (``exam_server.events``), when set.
        self.published: Callable[[int, tuple[int, ...]], None] | None = None
        self.process_id = uuid.uuid4().hex
        self._next: dict[str, float] = {}
        self.turns = Turns()

    def recover(self) -> Recovery:
        """Register this process's heartbeat and give back any outage (module docstring)."""
        now = self.clock.now()
        late: list[int] = []
        with transaction(self.factory) as db:
            serialise(db, "seleksi.heartbeat")
            rows = db.scalars(select(ServerHeartbeat).where(
                ServerHeartbeat.instance == self.instance,
                ServerHeartbeat.stopped_at.is_(None))).all()
            live = [r for r in rows if now - r.beat_at < STALE]
            dead = [r for r in rows if now - r.beat_at >= STALE]
            last = max((r.beat_at for r in dead), default=None)
            seconds = 0
            if last is not None and not live:
                seconds = math.ceil(downtime(last, now).total_seconds())
            for r in dead:
                r.stopped_at = now
            db.add(ServerHeartbeat(process_id=self.process_id, instance=self.instance,
                                   host=socket.gethostname(), pid=os.getpid(), started_at=now,
                                   beat_at=now))
            credited = 0
            if seconds and last is not None:
                # A paused room's clocks stand still: its resume gives the whole pause back.
                for a in db.scalars(select(Attempt).join(ExamSession)
                                    .where(Attempt.state == "working",
                                           ExamSession.paused_at.is_(None))
                                    .order_by(Attempt.id).with_for_update(of=Attempt)):
                    assert a.deadline_at is not None  # noqa: S101 - set when working
                    if a.deadline_at + ANSWER_GRACE <= last:
                        late.append(a.id)
                        continue
                    a.downtime_seconds += seconds
                    a.deadline_at += timedelta(seconds=seconds)
                    credited += 1
                append_audit(db, actor="server", action="server.downtime",
                             subject=self.instance,
                             details={"seconds": seconds, "last_heartbeat": epoch_ms(last),
                                      "credited": credited, "finishing": len(late)})
        finished = sum(1 for i in late if self._finish(i, now) is not None)
        return Recovery(seconds, credited, finished)

    def beat(self) -> None:
        """Record that this process is alive now."""
        with transaction(self.factory) as db:
            db.execute(update(ServerHeartbeat)
                       .where(ServerHeartbeat.process_id == self.process_id)
                       .values(beat_at=self.clock.now()))

    def stop(self) -> None:
        """A clean stop: this process's heartbeat will not be read as an outage."""
        with transaction(self.factory) as db:
            db.execute(update(ServerHeartbeat)
                       .where(ServerHeartbeat.process_id == self.process_id)
                       .values(stopped_at=self.clock.now()))

    def finish_due(self) -> int:
        """Finish every attempt past its deadline and grace; how many this call finished."""
        now = self.clock.now()
        cutoff = now - ANSWER_GRACE
        with reading(self.factory) as db:
            due = db.scalars(select(Attempt.id).join(ExamSession)
                             .where(Attempt.state == "working", Attempt.deadline_at < cutoff,
                                    ExamSession.paused_at.is_(None))
                             .order_by(Attempt.deadline_at).limit(FINISH_BATCH)).all()
        return sum(1 for attempt_id in due if self._finish(attempt_id, now) is not None)

    def _finish(self, attempt_id: int, now: datetime) -> dict[str, Any] | None:
        with reading(self.factory) as db:
            ref = ref_for_attempt(db, attempt_id)
        opened = self.papers.get(ref.session_id)
        with transaction(self.factory) as db:
            locked = db.scalars(select(Attempt.id).join(ExamSession)
                                .where(Attempt.id == attempt_id, Attempt.state == "working",
                                       ExamSession.paused_at.is_(None))
                                .with_for_update(skip_locked=True, of=Attempt)).one_or_none()
            result = None if locked is None else finish_in(db, opened, ref, "deadline", now)
        if result is not None:
            self.emit("finished", {"result": result, "reason": "deadline"},
                      f"attempt:{attempt_id}")
            if self.published is not None:
                self.published(ref.session_id, (attempt_id,))
        return result

    def push_times(self) -> None:
        """Send ``time`` to the live connections whose turn it is (:class:`Turns`): each one
        every :data:`TIME_PUSH_EVERY` seconds from when the timer first saw it. 1,000 pushes
        sent at once held every answer of that moment behind them (~300 ms, the largest ack
        delays of ``bench/exam_load.py`` at N = 1,000); spread so, they go out with the
        connections' own arrival."""
        by_attempt: dict[int, list[str]] = {}
        for sid in self.turns.due(TIME_PUSH_EVERY):
            ref = self.connections.get(sid)
            if ref is not None:
                by_attempt.setdefault(ref.id, []).append(sid)
        if not by_attempt:
            return
        with reading(self.factory) as db:
            deadlines = dict(db.execute(select(Attempt.id, Attempt.deadline_at)
                                        .join(ExamSession).where(
                Attempt.id.in_(list(by_attempt)), Attempt.state == "working",
                ExamSession.paused_at.is_(None))).all())
        server_time = epoch_ms(self.clock.now())
        for attempt_id, deadline_at in deadlines.items():
            if deadline_at is None:
                continue
            for sid in by_attempt[attempt_id]:
                self.emit("time", {"deadline": epoch_ms(deadline_at),
                                   "server_time": server_time}, sid)

    def _every(self, name: str, seconds: float) -> bool:
        now = self.clock.monotonic()
        if now >= self._next.get(name, 0.0):
            self._next[name] = now + seconds
            return True
        return False

    def tick(self) -> None:
        """One second's work (each part guarded, so one failure does not stop the rest)."""
        self.turns.see(self.connections)
        jobs: list[tuple[str, float, Callable[[], object]]] = [
            ("finish", TICK, self.finish_due),
            ("heartbeat", HEARTBEAT_EVERY, self.beat),
            ("connections", TICK, lambda: refresh_connections(
                self.factory, self.turns.due(CONNECTIONS_EVERY), self.clock.now())),
            ("time", TICK, self.push_times),
        ]
        if self.watch is not None:
            jobs.append(("control", TICK, self.watch))
        for name, every, job in jobs:
            if self._every(name, every):
                try:
                    job()
                except Exception:
                    log.exception("timer: %s failed", name)

    def run(self) -> None:
        """Tick forever (a background greenlet)."""
        while True:
            self.tick()
            gevent.sleep(TICK)
