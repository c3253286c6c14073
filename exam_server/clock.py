"""The server's clock: pure deadline arithmetic, and an injectable source of the time.

Every time a candidate sees is the server's. An attempt's deadline is

.. math:: D = t_\\text{start} + d + e_\\text{participant} + e_\\text{proctor}
          + p_\\text{paused} + c_\\text{downtime}

where :math:`d` is the session's duration (or the scheme's), :math:`e_\\text{participant}`
the participant's accommodation (extra minutes), :math:`e_\\text{proctor}` the extensions a
proctor gave, :math:`p_\\text{paused}` the time the room was paused and
:math:`c_\\text{downtime}` the time the server was down while the attempt was running. It is
stored on the attempt (``deadline_at``) and recomputed whenever an input changes. An answer
is accepted until :math:`D` plus :data:`ANSWER_GRACE` (for answers already in flight).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

ANSWER_GRACE = timedelta(seconds=2)


class Clock(Protocol):
    """Where the server reads the time: wall time (UTC) and a monotonic counter."""

    def now(self) -> datetime: ...

    def monotonic(self) -> float: ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()


class SteadyClock:
    """Wall time that moves only as the monotonic clock moves, from one reading (``anchor``).

    A jump of the machine's clock while the process runs (an NTP step, someone's ``date -s``)
    moves nothing: deadlines, ``time`` pushes and auto-finish keep the pace of real seconds.
    The anchor is the database's time when the process starts
    (:func:`exam_server.db.database_now`), so every process of a cluster keeps the same time
    however wrong its own machine's clock is.
    """

    def __init__(self, anchor: datetime, monotonic: Callable[[], float] = time.monotonic) -> None:
        if anchor.tzinfo is None:
            raise ValueError("anchor must be timezone-aware")
        self._anchor, self._monotonic = anchor, monotonic
        self._base = monotonic()

    def now(self) -> datetime:
        return self._anchor + timedelta(seconds=self._monotonic() - self._base)

    def monotonic(self) -> float:
        return self._monotonic()


def system_now() -> datetime:
    """This machine's clock, UTC; wrong by ``$SELEKSI_SYSTEM_CLOCK_SKEW`` seconds when set
    (a test hook: a server on a machine whose clock is off)."""
    skew = os.environ.get("SELEKSI_SYSTEM_CLOCK_SKEW", "").strip()
    now = datetime.now(UTC)
    if not skew:
        return now
    try:
        return now + timedelta(seconds=float(skew))
    except ValueError:
        raise ValueError(f"SELEKSI_SYSTEM_CLOCK_SKEW={skew!r}: give a number of seconds") from None


@dataclass
class ShiftedClock:
    """The real clock moved by ``offset`` seconds (tests move time without sleeping)."""

    offset: float = 0.0

    def now(self) -> datetime:
        return datetime.now(UTC) + timedelta(seconds=self.offset)

    def monotonic(self) -> float:
        return time.monotonic() + self.offset

    def advance(self, seconds: float) -> None:
        """Move this clock forward (or back, with a negative number)."""
        self.offset += seconds


def clock_from_env(reference: Callable[[], datetime] = system_now) -> Clock:
    """The server's clock: a :class:`SteadyClock` anchored at ``reference()`` (the database's
    time; this machine's by default), or with ``$SELEKSI_CLOCK_OFFSET`` (seconds, a test hook)
    the real clock shifted by that much."""
    offset = os.environ.get("SELEKSI_CLOCK_OFFSET", "").strip()
    if not offset:
        return SteadyClock(reference())
    try:
        return ShiftedClock(float(offset))
    except ValueError:
        raise ValueError(f"SELEKSI_CLOCK_OFFSET={offset!r}: give a number of seconds") from None


def deadline(started_at: datetime, *, duration_minutes: int, extra_minutes: int = 0,
             extension_seconds: int = 0, paused_seconds: int = 0,
             downtime_seconds: int = 0) -> datetime:
    """The deadline of an attempt (see the module docstring for the formula).

    Parameters
    ----------
    started_at
        When the candidate started (timezone-aware).
    duration_minutes
        The session's duration, or the scheme's when the session names none.
    extra_minutes
        The participant's accommodation.
    extension_seconds, paused_seconds, downtime_seconds
        Time a proctor added, time the room was paused, time the server was down.
    """
    if started_at.tzinfo is None:
        raise ValueError("started_at must be timezone-aware")
    for name, value in (("duration_minutes", duration_minutes), ("extra_minutes", extra_minutes),
                        ("paused_seconds", paused_seconds),
                        ("downtime_seconds", downtime_seconds)):
        if value < 0:
            raise ValueError(f"{name} must not be negative, got {value}")
    return started_at + timedelta(minutes=duration_minutes + extra_minutes,
                                  seconds=extension_seconds + paused_seconds + downtime_seconds)


def accepts_answers(now: datetime, deadline_at: datetime,
                    grace: timedelta = ANSWER_GRACE) -> bool:
    """Whether an answer arriving at ``now`` still counts (deadline plus in-flight grace)."""
    return now <= deadline_at + grace


def is_due(now: datetime, deadline_at: datetime, grace: timedelta = ANSWER_GRACE) -> bool:
    """Whether an attempt must be finished by the server now (past deadline and grace)."""
    return now > deadline_at + grace


def downtime(last_beat: datetime, now: datetime) -> timedelta:
    """The outage to give back: from the last heartbeat of the dead run to now (never < 0)."""
    return max(now - last_beat, timedelta(0))


def epoch_ms(at: datetime) -> int:
    """Milliseconds since the Unix epoch, as the protocol sends times."""
    return int(at.timestamp() * 1000)
