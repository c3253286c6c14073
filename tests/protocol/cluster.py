"""A cluster for the tests: ``seleksi serve --workers N`` on PostgreSQL with Redis, and the
clients that watch it (a proctor's console socket, public scoreboard watchers)."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
import socketio

from tests.conftest import REDIS_URL
from tests.protocol.helpers import SELEKSI, Server, free_port


def free_ports(count: int) -> int:
    """A port P such that P … P+count-1 are free now."""
    for _ in range(50):
        port = free_port()
        if port + count > 65535:
            continue
        try:
            for p in range(port, port + count):
                with socket.socket() as s:
                    s.bind(("127.0.0.1", p))
        except OSError:
            continue
        return port
    raise RuntimeError(f"no {count} consecutive free ports")


@dataclass
class Cluster:
    """``seleksi serve --workers N`` on ``instance`` and ``url`` with the Redis queue."""

    instance: Path
    url: str
    channel: str
    workers: int = 2
    port: int = field(default_factory=lambda: free_ports(2))
    proc: subprocess.Popen[str] | None = None

    def start(self) -> Cluster:
        env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        env.update(SELEKSI_INSTANCE=str(self.instance), DATABASE_URL=self.url,
                   SELEKSI_MESSAGE_QUEUE=REDIS_URL, SELEKSI_MESSAGE_CHANNEL=self.channel)
        self.proc = subprocess.Popen(
            [str(SELEKSI), "serve", "--workers", str(self.workers), "--port", str(self.port)],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            cwd=self.instance.parent, start_new_session=True)
        for node in self.nodes:
            self.wait_for(node.port)
        return self

    def wait_for(self, port: int, seconds: float = 120) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"the cluster exited: {self.output()}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"no worker listened on {port} within {seconds:.0f} s")

    @property
    def nodes(self) -> list[Server]:
        """One :class:`Server` per worker (their ``base`` and ``login``; not started here)."""
        return [Server(self.instance, self.url, port=self.port + i) for i in range(self.workers)]

    def worker_pid(self, index: int) -> int:
        """The pid of the supervisor's child serving ``port + index`` (its command line)."""
        assert self.proc is not None
        wanted = ["--port", str(self.port + index)]
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        for pid in children.read_text().split():
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")
            if any(argv[i:i + 2] == wanted for i in range(len(argv))):
                return int(pid)
        raise AssertionError(f"no worker on port {self.port + index}")

    def output(self) -> str:
        return "" if self.proc is None or self.proc.stdout is None else self.proc.stdout.read()

    def stop(self) -> str:
        """SIGTERM the supervisor (it stops every worker cleanly); its output."""
        if self.proc is None:
            return ""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            out, _ = self.proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            out, _ = self.proc.communicate()
        self.proc = None
        return out


class Watcher:
    """A Socket.IO client on ``/scoreboard`` or ``/proctor`` recording what is pushed."""

    def __init__(self, base: str, namespace: str, event: str,
                 headers: dict[str, str] | None = None) -> None:
        self.namespace = namespace
        self.events: list[Any] = []
        self.sio = socketio.Client(reconnection=False)
        self.sio.on(event, self.events.append, namespace=namespace)
        self.sio.connect(base, namespaces=[namespace], transports=["websocket"],
                         headers=headers or {}, wait_timeout=10)

    def join(self, data: dict[str, Any]) -> Any:
        return self.sio.call("join", data, namespace=self.namespace, timeout=15)

    def rows(self) -> dict[str, dict[str, Any]]:
        """The newest row pushed per participant."""
        latest: dict[str, dict[str, Any]] = {}
        for event in self.events:
            for row in event["rows"]:
                latest[row["participant"]] = row
        return latest

    def close(self) -> None:
        self.sio.disconnect()


def console_cookie(base: str, username: str, password: str) -> str:
    """Log in to the console over HTTP (with its CSRF token); the session cookie header."""
    browser = requests.Session()
    page = browser.get(f"{base}/proctor/login", timeout=10).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token, page
    r = browser.post(f"{base}/proctor/login", timeout=10, allow_redirects=False,
                     data={"username": username, "password": password,
                           "csrf_token": token.group(1)},
                     headers={"Referer": f"{base}/proctor/login"})
    assert r.status_code == 302, r.text
    return "; ".join(f"{k}={v}" for k, v in browser.cookies.items())
