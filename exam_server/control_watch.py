"""Tell this process's candidates what a proctor changed, wherever the change was made.

Proctor actions (:mod:`exam_server.proctoring`) change the database and bump the session's
``control_version``. A :class:`ControlWatch` per serving process reads, once a second, the
version of every session it has live connections in (a handful of rows). When a version
moved since it last looked, it reads those sessions' attempts of its own connections and
pushes each connection its state on ``/exam``:

- ``finished {"result", "reason"}`` for an attempt now finished,
- ``paused {"paused_at", "deadline", "server_time"}`` while the room is paused,
- ``resumed {"deadline", "server_time"}`` when the room was paused at the last look and no
  longer is,
- ``time {"deadline", "server_time"}`` otherwise (an extension moved the deadline).

A connection whose bearer is no longer its attempt's (a proctor reset the login, so that
the candidate can log in at another workstation, or closed the session before its candidate
started) is disconnected: a bearer that can no longer connect must not keep a live connection
either. Each connection's bearer is checked at the first look after it connected (whatever
the version says: a reset may have come between its connect and that look) and again
whenever its session's version moves.

When a session is closed, its papers leave this process's memory. A session seen for the
first time is only remembered, unless it is paused then (the pause may have come between a
``start`` and this first look): its connections are then told ``paused`` (again).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from exam_server.attempts import AttemptRef
from exam_server.clock import Clock, epoch_ms
from exam_server.db import reading
from exam_server.models import Attempt, ExamSession
from exam_server.session_papers import PaperCache
from exam_server.timer import Emit

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SeenControl:
    """What this process last saw of a session."""

    version: int
    paused: bool


class ControlWatch:
    """Per process: push proctor changes to local connections (module docstring)."""

    def __init__(self, factory: sessionmaker[Session], papers: PaperCache, clock: Clock, *,
                 emit: Emit, connections: Mapping[str, AttemptRef],
                 bearers: Mapping[str, str], drop: Callable[[str], None]) -> None:
        self.factory, self.papers, self.clock = factory, papers, clock
        self.emit, self.connections = emit, connections
        self.bearers, self.drop = bearers, drop
        self.seen: dict[int, SeenControl] = {}
        self.checked: set[str] = set()  # connections whose bearer was checked once

    def check(self) -> int:
        """Look once; how many pushes were sent."""
        live = dict(self.connections)
        by_session: dict[int, dict[int, list[str]]] = {}
        for sid, ref in live.items():
            by_session.setdefault(ref.session_id, {}).setdefault(ref.id, []).append(sid)
        if not by_session:
            return 0
        self.checked &= live.keys()
        fresh = [sid for sid in live if sid not in self.checked]  # bearers not yet checked
        with reading(self.factory) as db:
            rows = db.execute(select(ExamSession.id, ExamSession.control_version,
                                     ExamSession.paused_at, ExamSession.state)
                              .where(ExamSession.id.in_(list(by_session)))).all()
            changed = []
            for session_id, version, paused_at, state in rows:
                before = self.seen.get(session_id)
                self.seen[session_id] = SeenControl(version, paused_at is not None)
                if before is None and paused_at is None:
                    continue  # first look at a running room: each `start` told its state
                if before is None or before.version != version:
                    changed.append((session_id, paused_at, state,
                                    before is not None and before.paused))
            ids = {i for session_id, *_ in changed for i in by_session[session_id]}
            ids.update(live[sid].id for sid in fresh)
            attempts: dict[int, tuple[Any, ...]] = {}
            bearer_of: dict[int, str | None] = {}
            if ids:
                for i, *state_row, bearer in db.execute(
                        select(Attempt.id, Attempt.state, Attempt.deadline_at, Attempt.result,
                               Attempt.finish_reason, Attempt.bearer_sha256)
                        .where(Attempt.id.in_(sorted(ids)))):
                    attempts[i] = (i, *state_row)
                    bearer_of[i] = bearer
        suspects = fresh + [sid for session_id, *_ in changed
                            for sids in by_session[session_id].values() for sid in sids]
        dropped = {sid for sid in suspects
                   if live[sid].id in bearer_of and self._dropped(sid, bearer_of[live[sid].id])}
        self.checked.update(sid for sid in fresh if sid not in dropped)
        sent = 0
        now = self.clock.now()
        for session_id, paused_at, state, was_paused in changed:
            for attempt_id, sids in by_session[session_id].items():
                row = attempts.get(attempt_id)
                if row is None:
                    continue
                event = _push(row, paused_at, was_paused, now)
                if event is not None:
                    for sid in sids:
                        if sid not in dropped:
                            self.emit(event[0], event[1], sid)
                            sent += 1
            if state in ("closed", "published"):
                self.papers.forget(session_id)
        return sent

    def _dropped(self, sid: str, bearer: str | None) -> bool:
        """Disconnect ``sid`` if the bearer it connected with is no longer its attempt's."""
        known = self.bearers.get(sid)
        if known is None or known == bearer:
            return False
        try:
            self.drop(sid)
        except Exception:  # its disconnect handler's write failed: the rest must still run
            log.exception("control watch: disconnecting %s (revoked bearer) failed", sid)
        return True


def _push(row: tuple[Any, ...], paused_at: datetime | None, was_paused: bool,
          now: datetime) -> tuple[str, dict[str, Any]] | None:
    """The event that tells one attempt its state, or None (not started yet)."""
    _, state, deadline_at, result, reason = row
    if state == "finished":
        return "finished", {"result": result, "reason": reason}
    if state != "working" or deadline_at is None:
        return None
    times = {"deadline": epoch_ms(deadline_at), "server_time": epoch_ms(now)}
    if paused_at is not None:
        return "paused", {"paused_at": epoch_ms(paused_at), **times}
    return ("resumed" if was_paused else "time"), times
