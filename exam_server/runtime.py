"""The exam server's per-process state: clock, paper cache, journal, timer, live connections.

``create_app`` builds one :class:`ExamRuntime` and keeps it in
``app.extensions["seleksi.exam"]``; the HTTP blueprint and the ``/exam`` namespace use it.
Background work (the timer and its recovery) starts only in a serving process
(:func:`start_background`), never merely by creating the app.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gevent
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from flask import Flask, current_app
from sqlalchemy.orm import Session, sessionmaker

from exam_server import wal_checkpoint
from exam_server.attempts import AttemptRef, room
from exam_server.clock import Clock, clock_from_env
from exam_server.config import keys_path
from exam_server.control_watch import ControlWatch
from exam_server.db import database_now
from exam_server.events import Events
from exam_server.journal import Journal
from exam_server.realtime import socketio
from exam_server.session_papers import PaperCache
from exam_server.timer import Recovery, Timer
from question_bank.keys import load_public_key

NAMESPACE = "/exam"


def emit(event: str, payload: dict[str, Any], to: str) -> None:
    """Send an event on ``/exam`` to a room or a sid (from any greenlet)."""
    socketio.emit(event, payload, to=to, namespace=NAMESPACE)


def drop(sid: str) -> None:
    """Disconnect this process's connection ``sid`` from ``/exam`` (from any greenlet)."""
    socketio.server.disconnect(sid, namespace=NAMESPACE)


@dataclass
class ExamRuntime:
    """Everything the candidate protocol needs in one process."""

    factory: sessionmaker[Session]
    clock: Clock
    papers: PaperCache
    journal: Journal
    timer: Timer
    keys_folder: Path
    connections: dict[str, AttemptRef] = field(default_factory=dict)
    bearers: dict[str, str] = field(default_factory=dict)  # sid: the digest it connected with
    background: list[gevent.Greenlet[Any, Any]] = field(default_factory=list)
    events: Events = field(default_factory=Events)
    # Work a serving process starts besides the timer (the console's pushers, the log).
    starters: list[Callable[[], Any]] = field(default_factory=list)

    def on_finished(self, ref: AttemptRef, result: dict[str, Any], reason: str) -> None:
        """Tell every connection of the attempt that it is finished."""
        emit("finished", {"result": result, "reason": reason}, room(ref.id))
        self.events.publish(ref.session_id, (ref.id,))


def _public_key_loader(path: str | None) -> Any:
    def load() -> Ed25519PublicKey:
        return load_public_key(Path(path) if path else keys_path() / "bank.pub")
    return load


def make_runtime(app: Flask, factory: sessionmaker[Session]) -> ExamRuntime:
    """Build the runtime from the app's config (``SELEKSI_CLOCK``, ``SELEKSI_PUBLIC_KEY``,
    ``SELEKSI_KEYS`` — the keys folder, default ``$SELEKSI_INSTANCE/keys`` —,
    ``SELEKSI_INSTANCE_NAME``)."""
    clock: Clock = (app.config.get("SELEKSI_CLOCK")
                    or clock_from_env(reference=lambda: database_now(factory)))
    papers = PaperCache(factory, _public_key_loader(app.config.get("SELEKSI_PUBLIC_KEY")))
    connections: dict[str, AttemptRef] = {}
    bearers: dict[str, str] = {}
    instance = (app.config.get("SELEKSI_INSTANCE_NAME")
                or os.environ.get("SELEKSI_INSTANCE_NAME") or "default")
    watch = ControlWatch(factory, papers, clock, emit=emit, connections=connections,
                         bearers=bearers, drop=drop)
    timer = Timer(factory, papers, clock, instance=instance, emit=emit, connections=connections,
                  watch=watch.check)
    rt = ExamRuntime(factory=factory, clock=clock, papers=papers,
                     journal=Journal(factory, papers, clock), timer=timer,
                     keys_folder=Path(app.config.get("SELEKSI_KEYS") or keys_path()),
                     connections=connections, bearers=bearers)
    rt.journal.on_finished = rt.on_finished
    timer.published = rt.events.publish
    return rt


def runtime() -> ExamRuntime:
    """The runtime of the current app."""
    rt: ExamRuntime = current_app.extensions["seleksi.exam"]
    return rt


def start_background(app: Flask) -> Recovery:
    """In a serving process: recover from any outage, start the timer, freeze the heap.

    ``gc.freeze()`` after start-up keeps the long-lived objects out of every later full
    collection (ARCHITECTURE.md: full collections over thousands of connections set p99).
    """
    rt: ExamRuntime = app.extensions["seleksi.exam"]
    recovery = rt.timer.recover()
    rt.background.append(gevent.spawn(rt.timer.run))
    rt.background.extend(gevent.spawn(start) for start in rt.starters)
    rt.background.append(gevent.spawn(freeze_after_bursts, rt.connections))
    engine = rt.factory.kw["bind"]
    if engine.dialect.name == "sqlite" and engine.url.database not in (None, "", ":memory:"):
        rt.background.append(gevent.spawn(wal_checkpoint.run, Path(engine.url.database)))
    rt.papers.warm_open_sessions()  # every candidate's paper built before the freeze
    gc.collect()
    gc.freeze()
    return recovery


def freeze_after_bursts(connections: dict[str, AttemptRef], every: float = 2.0,
                        burst: int = 50) -> None:
    """During and after a burst of connections, ``gc.collect(); gc.freeze()`` once more.

    A login burst leaves thousands of long-lived objects (connections, papers, sessions)
    that every later full collection would walk again, pausing the loop for 100 ms or more
    (ARCHITECTURE.md). Every ``every`` seconds in which the number of connections has
    changed by ``burst`` or more since the last freeze, they are frozen too. Freezing while
    the burst goes on (not only once it has settled) keeps each full collection to the
    objects of the last few seconds: measured at 1,000 log-ins, the automatic full
    collections of a burst grew to ~400 ms each when nothing was frozen until it settled.
    """
    frozen = len(connections)
    while True:
        gevent.sleep(every)
        now = len(connections)
        if abs(now - frozen) >= burst:
            gc.collect()
            gc.freeze()
            frozen = now
