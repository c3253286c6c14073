"""The rapid-answer pattern: answers coming faster than anyone can read the questions.

An SKD candidate has about 55 seconds per question. :class:`RapidAnswers` watches each
attempt's acked answers in this process and reports an attempt once it has answered
:attr:`count` questions within :attr:`window` seconds (a remote-access "jockey" filling in
a prepared key, or a script), then stays quiet about it for :attr:`quiet` seconds. The alert
is for the proctor (logged, never blocking): :class:`AlertQueue` writes the alerts of a
second in one transaction, so a burst costs one commit, not one per candidate.
"""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import gevent

from exam_server.attempts import AttemptRef
from exam_server.audit import AuditEntry, append_audit_batch
from exam_server.db import transaction
from exam_server.events import Events
from exam_server.models import Alert

log = logging.getLogger(__name__)


@dataclass
class RapidAnswers:
    """Per process: which attempts answer faster than a person reads (module docstring)."""

    count: int = 10
    window: float = 15.0
    quiet: float = 300.0
    _times: dict[int, deque[float]] = field(default_factory=dict)
    _reported: dict[int, float] = field(default_factory=dict)

    def observe(self, attempt_id: int, at: float) -> bool:
        """Note an acked answer at monotonic time ``at``; True when the attempt is to be
        reported now."""
        times = self._times.setdefault(attempt_id, deque(maxlen=self.count))
        times.append(at)
        if len(times) < self.count or at - times[0] > self.window:
            return False
        if at - self._reported.get(attempt_id, -self.quiet - 1) <= self.quiet:
            return False
        self._reported[attempt_id] = at
        return True


@dataclass
class PendingAlert:
    """An alert waiting for the next flush."""

    ref: AttemptRef
    kind: str
    at: datetime
    details: dict[str, Any]


class AlertQueue:
    """Alerts raised by the server itself, written once a second in one transaction."""

    def __init__(self, factory: Any, events: Events, every: float = 1.0) -> None:
        self.factory, self.events, self.every = factory, events, every
        self.pending: list[PendingAlert] = []

    def put(self, ref: AttemptRef, kind: str, at: datetime, details: dict[str, Any]) -> None:
        """Queue an alert (written by the next :meth:`flush`)."""
        self.pending.append(PendingAlert(ref, kind, at, details))

    def flush(self) -> int:
        """Write the queued alerts and their audit rows; how many were written."""
        batch, self.pending = self.pending, []
        if not batch:
            return 0
        try:
            self._write(batch)
        except Exception:
            self.pending[:0] = batch  # kept for the next flush
            raise
        for a in batch:
            self.events.publish(a.ref.session_id, (a.ref.id,))
        return len(batch)

    def _write(self, batch: list[PendingAlert]) -> None:
        with transaction(self.factory) as db:
            db.add_all(Alert(session_id=a.ref.session_id, participant_id=a.ref.participant_id,
                             attempt_id=a.ref.id, kind=a.kind, at=a.at, details=a.details)
                       for a in batch)
            append_audit_batch(db, [AuditEntry("server", "alert", a.ref.subject,
                                               {"kind": a.kind, "attempt": a.ref.id,
                                                **a.details}) for a in batch])

    def run(self) -> None:
        """Flush every :attr:`every` seconds (a background greenlet of the serving process)."""
        while True:
            gevent.sleep(self.every)
            try:
                self.flush()
            except Exception:
                log.exception("alerts: flush failed (kept for the next try)")
