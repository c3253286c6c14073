"""The exam server's small in-process publish call (ARCHITECTURE.md).

After a change commits, the exam server says which attempts of which session changed:
``events.publish(session_id, attempt_ids)``. Subscribers (the proctor console's roster and
the public scoreboard, wired by ``create_app``) mark them dirty and push coalesced updates
over Socket.IO, which in a multi-process deployment rides the message queue to every
process's watchers. One :class:`Events` per app (``ExamRuntime.events``). Publishing never
fails the caller: a subscriber's error is logged.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

log = logging.getLogger(__name__)
Subscriber = Callable[[int, frozenset[int]], None]


class Events:
    """Subscribers of one app."""

    def __init__(self) -> None:
        self._subscribers: list[Subscriber] = []

    def subscribe(self, subscriber: Subscriber) -> None:
        """Call ``subscriber(session_id, attempt_ids)`` after every published change."""
        self._subscribers.append(subscriber)

    def publish(self, session_id: int, attempt_ids: Iterable[int] = ()) -> None:
        """Tell the subscribers that these attempts of the session changed (committed).

        An empty ``attempt_ids`` means the session itself changed (state, pause) or a
        participant without an attempt did (a lock).
        """
        ids = frozenset(attempt_ids)
        for subscriber in list(self._subscribers):
            try:
                subscriber(session_id, ids)
            except Exception:
                log.exception("events: a subscriber failed for session %s", session_id)
