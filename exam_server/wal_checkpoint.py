"""SQLite's WAL checkpoints in a thread of their own, off the serving process's event loop.

SQLite moves its write-ahead log back into the database file (a *checkpoint*) by itself, in
the commit that takes the log past ``wal_autocheckpoint`` pages (1,000 by default). In the
serving process that commit is the answer journal's, and the copy with its ``fsync`` then
holds the one event loop every acked answer waits on, every ~0.5 s at 1,000 answers a
second (``bench/exam_load.py``; ``docs/performance.md``). So the serving process
checkpoints from a native thread every :data:`EVERY` seconds (``PASSIVE``: it neither waits
for nor blocks a writer, and the ``sqlite3`` module releases the GIL while SQLite works), and
connections checkpoint by themselves only past :data:`SAFETY_PAGES`, should that thread ever
fall behind. Durability does not depend on it: a commit is on disk in the log once acked.
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import gevent

from exam_server.db import SQLITE_SAFETY_CHECKPOINT_PAGES as SAFETY_PAGES

log = logging.getLogger(__name__)
EVERY = 1.0
__all__ = ["EVERY", "SAFETY_PAGES", "checkpoint", "run"]


def checkpoint(database: Path) -> tuple[int, int, int]:
    """One ``PASSIVE`` checkpoint of ``database`` on a connection of its own:
    ``(busy, pages in the log, pages checkpointed)`` as SQLite reports them."""
    conn = sqlite3.connect(database, timeout=5, isolation_level=None)
    try:
        busy, pages, done = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        return int(busy), int(pages), int(done)
    finally:
        conn.close()


def run(database: Path, every: float = EVERY) -> None:
    """Checkpoint ``database`` every ``every`` seconds in the hub's thread pool, for ever
    (a background greenlet of the serving process); a failure is logged and retried."""
    pool = gevent.get_hub().threadpool
    while True:
        gevent.sleep(every)
        try:
            pool.apply(checkpoint, (database,))
        except Exception:
            log.exception("WAL checkpoint of %s failed (retried in %.0f s)", database, every)
