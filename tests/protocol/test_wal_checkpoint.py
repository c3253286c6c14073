"""The serving process moves committed answers from SQLite's log into the database file by
itself, in a thread of its own (``exam_server.wal_checkpoint``), not in an answer's commit."""

from __future__ import annotations

import shutil
import sqlite3
import time
from pathlib import Path

from tests.protocol.helpers import Candidate, Sealed, Server, logged_in, prepare


def in_the_database_file(database: Path, work: Path) -> list[tuple[int, str]]:
    """The answers a copy of the database file alone holds (its log left behind)."""
    copy = work / "copy.db"
    shutil.copyfile(database, copy)
    conn = sqlite3.connect(f"file:{copy}?immutable=1", uri=True)
    try:
        return conn.execute("SELECT q, choice FROM answer ORDER BY q").fetchall()
    except sqlite3.DatabaseError:  # copied in the middle of a checkpoint's write
        return []
    finally:
        conn.close()


def test_answers_reach_the_database_file_within_seconds(sealed: Sealed, tmp_path: Path) -> None:
    database = tmp_path / "seleksi.db"
    ready = prepare(sealed, tmp_path / "instance", f"sqlite:///{database}")
    ready.factory.kw["bind"].dispose()
    server = Server(ready.instance, ready.url).start()
    try:
        number = ready.numbers[0]
        candidate = logged_in(server, ready, number)
        assert candidate.call("start")["ok"] is True
        for seq, (q, choice) in enumerate([(1, "A"), (2, "B"), (3, "C")], start=1):
            assert candidate.call("answer", {"seq": seq, "q": q, "choice": choice}) == \
                {"ok": True, "seq": seq}
        # a few pages of log: SQLite's own checkpoint (past thousands of pages) never comes
        deadline = time.monotonic() + 20
        while (found := in_the_database_file(database, tmp_path)) != [
                (1, "A"), (2, "B"), (3, "C")]:
            assert time.monotonic() < deadline, found
            time.sleep(0.2)
    finally:
        Candidate.close_all()
        server.stop()
