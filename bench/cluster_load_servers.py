"""The cluster of ``bench/cluster_load.py``: ``seleksi serve --workers N``, its database and queue.

Every run gets a copy of the prepared PostgreSQL database (``CREATE DATABASE … TEMPLATE``,
fast, and the same starting state for 1 and 2 workers) and a Redis pub/sub channel of its
own (``SELEKSI_MESSAGE_CHANNEL=bench-<uuid>``). The workers are the supervisor's children
(``/proc/<pid>/task/<pid>/children``); with ``--workers 1`` ``seleksi serve`` serves in its
own process, which is then the one worker. CPU time and memory are summed over the workers.
"""

from __future__ import annotations

import os
import resource
import signal
import socket
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from exam_load_servers import ServerProcess, free_port, start_server, wait_listening
from exam_load_setup import PG_ADMIN_URL

REDIS_URL = "redis://127.0.0.1:6379/0"


@dataclass
class Cluster:
    """A running ``seleksi serve --workers N``: the supervisor, its ports and worker pids."""

    server: ServerProcess
    ports: list[int]
    pids: list[int]
    channel: str

    @property
    def urls(self) -> list[str]:
        """``http://127.0.0.1:PORT`` of each worker, in port order."""
        return [f"http://127.0.0.1:{port}" for port in self.ports]


def raise_open_files() -> int:
    """Raise this process's soft limit on open files to its hard limit (children inherit
    it: the client processes hold thousands of sockets each); the new soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def free_ports(count: int, attempts: int = 50) -> int:
    """The first of ``count`` consecutive TCP ports on 127.0.0.1 that nobody listens on."""
    for _ in range(attempts):
        first = free_port()
        if first + count > 65535:
            continue
        try:
            for port in range(first + 1, first + count):
                with socket.socket() as s:
                    s.bind(("127.0.0.1", port))
        except OSError:
            continue
        return first
    raise RuntimeError(f"no {count} consecutive free ports found")


def worker_pids(server: ServerProcess, workers: int, timeout: float = 30.0) -> list[int]:
    """The pids of the ``workers`` server processes (the supervisor's children, or the
    process itself for one worker)."""
    if workers == 1:
        return [server.pid]
    children = Path(f"/proc/{server.pid}/task/{server.pid}/children")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pids = [int(x) for x in children.read_text().split()]
        if len(pids) == workers:
            return pids
        time.sleep(0.2)
    raise RuntimeError(f"the supervisor has {len(pids)} children, expected {workers}")


def start_cluster(workers: int, env: dict[str, str], cwd: Path, log: Path,
                  timeout: float = 120.0) -> Cluster:
    """``seleksi serve --workers N --port P`` on a fresh Redis channel; wait until every
    worker listens."""
    channel = f"bench-{uuid.uuid4().hex}"
    env = {**env, "SELEKSI_MESSAGE_QUEUE": REDIS_URL, "SELEKSI_MESSAGE_CHANNEL": channel}
    first = free_ports(workers)
    seleksi = str(Path(sys.executable).with_name("seleksi"))
    server = start_server(f"cluster of {workers}",
                          [seleksi, "serve", "--workers", str(workers), "--port", str(first)],
                          env, first, log, cwd, timeout)
    ports = [first + i for i in range(workers)]
    try:
        for port in ports[1:]:
            wait_listening(server, port, timeout)
        pids = worker_pids(server, workers)
    except BaseException:
        kill_cluster(Cluster(server, ports, [], channel))
        raise
    return Cluster(server, ports, pids, channel)


def kill_cluster(cluster: Cluster) -> None:
    """SIGKILL the supervisor (so that it starts no worker again), then each worker: an ack
    means committed, so a kill must lose nothing."""
    process = cluster.server.process
    if process.poll() is None:
        process.kill()
    process.wait(10)
    for pid in cluster.pids:
        if pid == process.pid:
            continue
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            continue  # gone already
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_alive(pid) for pid in cluster.pids
                                              if pid != process.pid):
        time.sleep(0.1)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return state[state.rindex(")") + 2] != "Z"


def forget_channel(channel: str) -> int:
    """Delete any Redis key of ``channel`` (pub/sub leaves none; this makes sure); how many."""
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        keys = list(client.scan_iter(match=f"{channel}*"))
        return int(client.delete(*keys)) if keys else 0
    except redis.RedisError as exc:  # reported, not raised: cleanup must not hide the cause
        print(f"could not clear Redis channel {channel}: {exc}", file=sys.stderr)
        return 0
    finally:
        client.close()


def clone_database(template: str, name: str) -> str:
    """Create database ``name`` as a copy of ``template`` (nobody may be connected to it);
    its URL."""
    import psycopg

    for attempt in range(10):  # autovacuum may be visiting the template for a moment
        try:
            with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
            break
        except psycopg.errors.ObjectInUse:
            if attempt == 9:
                raise
            time.sleep(1.0)
    return f"postgresql://postgres@127.0.0.1:5432/{name}"
