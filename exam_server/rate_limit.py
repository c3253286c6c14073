"""A token bucket per connection: how many Socket.IO events a candidate's connection may send.

Each connection may send ``burst`` events at once and ``rate`` a second after that. A real
candidate sends a few an hour, and after a reconnect the page resends its unacked answers in
one burst (at most one per question): :data:`BURST` covers a whole paper's worth. A refused
event is acked ``{"ok": false, "error": "rate_limited"}``, which the page resends later, like
any refusal that is not final (``docs/protocol.md``).
"""

from __future__ import annotations

import time
from collections.abc import Callable

RATE = 20.0
"""Events a second a connection may keep sending."""
BURST = 200
"""Events a connection may send at once (more than a paper's questions)."""


class RateLimit:
    """Token buckets by key (a connection's sid)."""

    def __init__(self, rate: float = RATE, burst: int = BURST,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be > 0 and burst >= 1")
        self.rate, self.burst, self.monotonic = rate, burst, monotonic
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, when)

    def allow(self, key: str) -> bool:
        """Take a token from ``key``'s bucket; False when it is empty."""
        now = self.monotonic()
        tokens, then = self._buckets.get(key, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - then) * self.rate)
        if tokens < 1.0:
            self._buckets[key] = (tokens, now)
            return False
        self._buckets[key] = (tokens - 1.0, now)
        return True

    def forget(self, key: str) -> None:
        """Drop ``key``'s bucket (its connection is gone)."""
        self._buckets.pop(key, None)
