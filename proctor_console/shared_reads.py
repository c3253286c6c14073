"""One read serves every watcher who joined before it started ("single flight").

A burst of thousands of scoreboard watchers joining at once must not mean thousands of table
reads (each holding a database connection: the pool has 15) nor a table read before a
watcher joined its room (a change pushed in between would be missed). So a watcher joins the
room first and then asks for a read that *starts after* it joined: if a read is running, it
waits for it to end and for the next one, which one of the waiting watchers starts and all
of them share. Reads of one key run one at a time; each serves every joiner that came while
the one before it ran.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from gevent.event import Event

T = TypeVar("T")


class _Flight(Generic[T]):
    def __init__(self) -> None:
        self.started = 0  # reads begun
        self.finished = 0  # the number of the newest read that ended with a result
        self.result: T | None = None
        self.running = False
        self.ended = Event()


class SharedReads(Generic[T]):
    """Single-flight reads by key (see the module docstring)."""

    def __init__(self) -> None:
        self._flights: dict[Hashable, _Flight[T]] = {}

    def read_after_now(self, key: Hashable, read: Callable[[], T]) -> T:
        """The result of a ``read()`` that started after this call; shared with every caller
        waiting for the same one. An error of the read is raised to the caller that ran it;
        the others try again."""
        flight = self._flights.setdefault(key, _Flight())
        wanted = flight.started + 1
        while flight.finished < wanted:
            if flight.running:
                ended = flight.ended
                ended.wait()
                continue
            flight.running = True
            flight.started += 1
            number = flight.started
            try:
                flight.result = read()
                flight.finished = number
            finally:
                flight.running = False
                ended, flight.ended = flight.ended, Event()
                ended.set()
        result = flight.result
        assert result is not None  # noqa: S101 - set with finished
        return result
