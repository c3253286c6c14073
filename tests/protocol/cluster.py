"""A cluster for the tests: ``seleksi serve --workers N`` on PostgreSQL with Redis, and the
clients that watch it (a proctor's console socket, public scoreboard watchers)."""

from __future__ import annotations

import contextlib
import glob
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
import socketio

from tests.conftest import REDIS_URL
from tests.protocol.helpers import SELEKSI, Candidate, Server, SocketClient, free_port


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
    queue: str = REDIS_URL
    port: int = field(default_factory=lambda: free_ports(2))
    proc: subprocess.Popen[str] | None = None

    def start(self) -> Cluster:
        env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        env.update(SELEKSI_INSTANCE=str(self.instance), DATABASE_URL=self.url,
                   SELEKSI_MESSAGE_QUEUE=self.queue, SELEKSI_MESSAGE_CHANNEL=self.channel,
                   SELEKSI_PROXIES="1")  # behind one proxy (nginx), as docs/deploy.md says
        with self.log.open("w") as out:  # a file: a full pipe would block the workers
            self.proc = subprocess.Popen(
                [str(SELEKSI), "serve", "--workers", str(self.workers), "--port",
                 str(self.port)], env=env, stdout=out, stderr=subprocess.STDOUT, text=True,
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

    @property
    def log(self) -> Path:
        """Where the supervisor's and workers' output goes."""
        return self.instance.parent / f"cluster-{self.port}.log"

    def output(self) -> str:
        return self.log.read_text() if self.log.exists() else ""

    def stop(self) -> str:
        """SIGTERM the supervisor (it stops every worker cleanly); its output."""
        if self.proc is None:
            return ""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self.proc = None
        return self.output()


class Watcher:
    """A Socket.IO client on ``/scoreboard`` or ``/proctor`` recording what is pushed."""

    def __init__(self, base: str, namespace: str, event: str,
                 headers: dict[str, str] | None = None) -> None:
        self.namespace = namespace
        self.events: list[Any] = []
        self.sio = SocketClient(reconnection=False)
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
        self.sio.close()


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


NGINX = Path("/usr/sbin/nginx")
NGINX_CONF = Path(__file__).resolve().parents[2] / "deploy" / "nginx-seleksi.conf"


@dataclass
class Nginx:
    """nginx running ``deploy/nginx-seleksi.conf`` (its ports replaced) in front of a cluster."""

    cluster: Cluster
    folder: Path
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[str] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Nginx:
        site = NGINX_CONF.read_text(encoding="utf-8")
        for i, default in enumerate(("127.0.0.1:5000", "127.0.0.1:5001")):
            assert default in site
            site = site.replace(default, f"127.0.0.1:{self.cluster.port + i}")
        assert "listen 80;" in site
        site = site.replace("listen 80;", f"listen 127.0.0.1:{self.port};")
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / "seleksi.conf").write_text(site, encoding="utf-8")
        temp = " ".join(f"{kind}_temp_path {self.folder / kind};"
                        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        user = "user root;" if os.geteuid() == 0 else ""
        (self.folder / "nginx.conf").write_text(
            f"{user} worker_processes 1; pid {self.folder / 'nginx.pid'}; daemon off;\n"
            f"error_log {self.folder / 'error.log'} warn;\n"
            "events { worker_connections 4096; }\n"
            f"http {{ access_log off; {temp} include {self.folder / 'seleksi.conf'}; }}\n",
            encoding="utf-8")
        self.proc = subprocess.Popen([str(NGINX), "-p", str(self.folder), "-c",  # noqa: S603
                                      str(self.folder / "nginx.conf")],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
                                     text=True)  # it logs to error.log in its folder
        self.cluster.wait_for(self.port, 30)
        return self

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
            self.proc = None


class StreamingCandidate:
    """A candidate that answers a stream of questions as the browser does: each answer is
    resent until acked, across disconnects (python-socketio reconnects by itself)."""

    def __init__(self, base: str, bearer: str) -> None:
        self.base, self.bearer = base, bearer
        self.acked: dict[int, str] = {}
        self.finished: list[Any] = []
        self.retries = 0  # sends that got no ack, or storage_unavailable, and were sent again
        self.reconnects = 0
        Candidate.opened.append(self)  # closed by Candidate.close_all() whatever happens
        self.sio = SocketClient(reconnection=True, reconnection_delay=0.2,
                                   reconnection_delay_max=1)
        self.sio.on("finished", self.finished.append, namespace="/exam")
        self.sio.on("connect", self._connected, namespace="/exam")
        self._connects = 0
        self.sio.connect(base, auth={"token": bearer}, namespaces=["/exam"],
                         transports=["websocket"], wait_timeout=10)

    def _connected(self) -> None:
        self._connects += 1
        self.reconnects = self._connects - 1

    def call(self, event: str, data: dict[str, Any], within: float = 60) -> Any:
        """``event`` acked ok, resent after every failure (not connected, no ack in 5 s)."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            try:
                ack = self.sio.call(event, data, namespace="/exam", timeout=5)
            except (socketio.exceptions.TimeoutError, socketio.exceptions.BadNamespaceError,
                    socketio.exceptions.DisconnectedError):
                self.retries += 1
                time.sleep(0.2)
                continue
            if ack.get("ok") is False and ack.get("error") == "storage_unavailable":
                self.retries += 1
                time.sleep(0.2)
                continue
            return ack
        raise AssertionError(f"{event} {data} not acked within {within} s")

    def answer_all(self, answers: list[tuple[int, str]], pause: float = 0.02) -> None:
        """Answer ``(q, choice)`` with seq 1, 2, …; every one acked before the next."""
        for seq, (q, choice) in enumerate(answers, start=1):
            ack = self.call("answer", {"seq": seq, "q": q, "choice": choice})
            assert ack == {"ok": True, "seq": seq}, ack
            self.acked[q] = choice
            time.sleep(pause)

    def close(self) -> None:
        self.sio.close()


@dataclass
class PrivateRedis:
    """A redis-server of this test's own (no persistence) on a free port: restartable."""

    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[str] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> PrivateRedis:
        self.proc = subprocess.Popen(  # noqa: S603
            ["/usr/bin/redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(timeout=10)
            self.proc = None


@dataclass
class PrivatePostgres:
    """A PostgreSQL server of the test's own (``initdb`` in a temporary folder, a free port):
    restartable without touching the machine's shared server, which other tests use."""

    folder: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="seleksi-pg-")))
    port: int = field(default_factory=free_port)

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, tool: str, *args: str) -> None:
        binary = str(PG_BIN / tool)
        argv = [binary, *args]
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            argv = ["runuser", "-u", "postgres", "--", *argv]
        subprocess.run(argv, check=True, capture_output=True, timeout=120)  # noqa: S603

    def start(self) -> PrivatePostgres:
        data = self.folder / "data"
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")
        if not data.exists():
            self._run("initdb", "-D", str(data), "-U", "postgres", "--auth=trust",
                      "--no-sync")
        self._run("pg_ctl", "-D", str(data), "-l", str(self.folder / "log"), "-w", "-o",
                  f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 "
                  "-c fsync=off -c authentication_timeout=5s", "start")
        return self

    def restart(self) -> float:
        """``pg_ctl restart -m fast`` (every connection cut); the seconds it took."""
        began = time.monotonic()
        self._run("pg_ctl", "-D", str(self.folder / "data"), "-l", str(self.folder / "log"),
                  "-w", "-m", "fast", "-o",
                  f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 "
                  "-c fsync=off -c authentication_timeout=5s", "restart")
        return time.monotonic() - began

    def stop(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError, subprocess.TimeoutExpired):
            self._run("pg_ctl", "-D", str(self.folder / "data"), "-m", "immediate", "stop")
        shutil.rmtree(self.folder, ignore_errors=True)


PG_BIN = Path(max(glob.glob("/usr/lib/postgresql/*/bin"), default="/usr/lib/postgresql/bin"))
