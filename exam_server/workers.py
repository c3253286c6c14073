"""Several server processes on consecutive ports, for a load balancer in front of them.

``seleksi serve --workers N --port P`` (and ``seleksi demo --workers N``) runs
:func:`supervise`: it migrates the database once, then starts N ``seleksi serve`` processes
on ports P, P+1, …, P+N-1, each a full server (its own gevent loop, timer, appender), all on
the same database (``DATABASE_URL``) and, with ``SELEKSI_MESSAGE_QUEUE=redis://…``, the same
Socket.IO message queue, so a push made on one process reaches the connections of every
other. A worker that dies is started again after a second; SIGINT or SIGTERM stops them all
(each stops cleanly: its heartbeat is marked stopped, so the restart is not read as an
outage). Timers and auto-finish need no coordination here: each attempt is finished once
(``FOR UPDATE SKIP LOCKED``; see :mod:`exam_server.timer`), whichever process gets to it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable

WORKER_COMMAND = "from exam_server.launch import run; run()"  # gevent patched first
RESTART_AFTER = 1.0


def warnings_for(workers: int, database_url: str, message_queue: str | None) -> list[str]:
    """What an operator should know before running ``workers`` processes like this."""
    out = []
    if workers > 1 and not message_queue:
        out.append("SELEKSI_MESSAGE_QUEUE is not set: a push made on one worker (a proctor's "
                   "pause, a score on the scoreboard) does not reach connections on the others "
                   "until they read the database; set it to redis://HOST:6379/0")
    if workers > 1 and database_url.startswith("sqlite"):
        out.append("several workers on SQLite take turns at its single write lock; a "
                   "cluster belongs on PostgreSQL (DATABASE_URL=postgresql+psycopg://…)")
    return out


def worker_argv(host: str, port: int) -> list[str]:
    """The command line of one worker: ``seleksi serve --host HOST --port PORT``."""
    return [sys.executable, "-c", WORKER_COMMAND, "serve", "--host", host, "--port", str(port)]


def supervise(host: str, port: int, workers: int,
              echo: Callable[[str], None] = print) -> int:
    """Run ``workers`` servers on ``port`` … ``port + workers - 1`` until SIGINT/SIGTERM.

    Returns 0 after a clean stop. The caller has migrated the database already.
    """
    stopping = False

    def stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    ports = [port + i for i in range(workers)]
    procs = {p: subprocess.Popen(worker_argv(host, p)) for p in ports}  # noqa: S603
    echo(f"{workers} workers on ports {ports[0]}–{ports[-1]} (pids "
         f"{', '.join(str(proc.pid) for proc in procs.values())})")
    died: dict[int, float] = {}
    try:
        while not stopping:
            for p, proc in procs.items():
                if proc.poll() is None:
                    continue
                if p not in died:
                    echo(f"worker on port {p} exited with status {proc.returncode}; "
                         f"starting it again in {RESTART_AFTER:g} s")
                    died[p] = time.monotonic()
                elif time.monotonic() - died[p] >= RESTART_AFTER:
                    procs[p] = subprocess.Popen(worker_argv(host, p))  # noqa: S603
                    del died[p]
                    echo(f"worker on port {p} started again (pid {procs[p].pid})")
            time.sleep(0.2)
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        limit = time.monotonic() + 15
        for proc in procs.values():
            try:
                proc.wait(timeout=max(0.1, limit - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    echo("all workers stopped")
    return 0


def message_queue() -> str | None:
    """``$SELEKSI_MESSAGE_QUEUE`` (empty counts as unset)."""
    return os.environ.get("SELEKSI_MESSAGE_QUEUE") or None
