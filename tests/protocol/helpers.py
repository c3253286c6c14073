"""A real exam for protocol tests: a sealed package, a prepared database, a server process.

The package is built once per test run through the real ``seleksi`` commands; each test gets
a fresh database with the package imported, the session opened and running and PINs issued,
and (for the protocol tests) a ``seleksi serve`` process of its own.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
import socketio
import websocket
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from exam_server.config import pin_key
from exam_server.db import make_engine, session_factory, upgrade
from exam_server.models import ExamSession
from exam_server.packages import import_package
from exam_server.sessions import issue_pins, open_exam_session, start_exam_session
from exam_server.tokens import current_token
from question_bank.keys import load_public_key
from tests.cli.conftest import EXAMPLE, make_runner, write_roster

SELEKSI = Path(sys.executable).with_name("seleksi")
SESSION = "JKT1-S1"
EXAM = "skd-2024-demo"


@dataclass(frozen=True)
class Sealed:
    """A sealed package of :data:`EXAM` with its keys folder and release key."""

    seal: Path
    keys: Path
    release_key: str
    participants: int


def build_sealed(work: Path, participants: int) -> Sealed:
    """Keys, a 600-item sample bank, the example exam, and a sealed package (real CLI)."""
    run = make_runner(work / "instance", None)
    run("keys", "init")
    run("bank", "sample", "--items", "600", "--out", work / "bank.json")
    run("bank", "import", work / "bank.json")
    run("exam", "load", EXAMPLE)
    roster = write_roster(work / "participants.csv", participants, SESSION)
    seal = work / "exam.seal"
    run("papers", "build", "--exam", EXAM, "--participants", roster, "--seed", "uji",
        "--out", seal)
    key = run("papers", "release-key", seal, "--session", SESSION).stdout.strip()
    return Sealed(seal, work / "instance" / "keys", key, participants)


@dataclass
class Prepared:
    """A database with the session running: its URL, factory and the PIN of everyone."""

    url: str
    instance: Path
    factory: sessionmaker[Session]
    pins: dict[str, str]
    names: dict[str, str]

    @property
    def numbers(self) -> list[str]:
        return sorted(self.pins)

    def token(self, offset: float = 0.0) -> str:
        """The room's token now (plus ``offset`` seconds)."""
        from datetime import UTC, datetime, timedelta

        with self.factory() as db:
            secret = db.scalars(select(ExamSession.token_secret)).one()
        assert secret is not None
        return current_token(secret, datetime.now(UTC) + timedelta(seconds=offset))


def prepare(sealed: Sealed, instance: Path, url: str, *, now: Any = None) -> Prepared:
    """A fresh database at ``url``: package imported, session opened and running, PINs."""
    from datetime import UTC, datetime

    instance.mkdir(parents=True, exist_ok=True)
    if not (instance / "keys").exists():
        shutil.copytree(sealed.keys, instance / "keys")
    engine = make_engine(url)
    upgrade(engine)
    factory = session_factory(engine)
    public_key = load_public_key(sealed.keys / "bank.pub")
    import_package(factory, sealed.seal.read_bytes(), public_key, actor="uji",
                   source=sealed.seal.name)
    moment = now or datetime.now(UTC)
    open_exam_session(factory, SESSION, sealed.release_key, public_key, actor="uji", now=moment)
    start_exam_session(factory, SESSION, actor="uji", now=moment)
    cards = issue_pins(factory, SESSION, actor="uji", key=pin_key(instance / "keys"))
    return Prepared(url, instance, factory, {c.participant: c.pin for c in cards},
                    {c.participant: c.name for c in cards})


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Server:
    """A ``seleksi serve`` process on a free port."""

    instance: Path
    url: str
    extra_env: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[str] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        """Where the process's output goes."""
        return self.instance.parent / f"serve-{self.port}.log"

    def start(self, **env: str) -> Server:
        environment = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        environment.update(SELEKSI_INSTANCE=str(self.instance), DATABASE_URL=self.url,
                           **self.extra_env, **env)
        # Output to a file, never a pipe nobody reads while it runs: once the pipe's 64 KiB
        # filled (a fault test's logged tracebacks), the server blocked in its next write.
        with self.log.open("w") as out:
            self.proc = subprocess.Popen([str(SELEKSI), "serve", "--port", str(self.port)],
                                         env=environment, stdout=out,
                                         stderr=subprocess.STDOUT, text=True,
                                         cwd=self.instance.parent)
        deadline = time.monotonic() + 120  # a busy machine starts slowly
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"seleksi serve exited: {self.log.read_text()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("seleksi serve did not listen within 120 s")

    def kill(self, sig: int = signal.SIGKILL) -> str:
        """Send ``sig`` and wait for the process; its output."""
        assert self.proc is not None
        self.proc.send_signal(sig)
        self.proc.wait(timeout=20)
        self.proc = None
        return self.log.read_text()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.kill(signal.SIGKILL)

    def login(self, participant: str, pin: str, token: str,
              language: str | None = None) -> requests.Response:
        headers = {"Accept-Language": language} if language else {}
        return requests.post(f"{self.base}/api/exam/login", timeout=10, headers=headers,
                             json={"participant": participant, "pin": pin, "token": token})


class Candidate:
    """A real python-socketio client on ``/exam``, recording pushed events."""

    opened: list[Any] = []  # every client a test made: Candidate, StreamingCandidate

    def __init__(self, server: Server, bearer: str, *, connect: bool = True) -> None:
        Candidate.opened.append(self)
        self.server, self.bearer = server, bearer
        self.events: list[tuple[str, Any]] = []
        self.sio = SocketClient(reconnection=False)
        for name in ("time", "finished", "paused", "resumed"):
            self.sio.on(name, self._recorder(name), namespace="/exam")
        if connect:
            self.connect()

    def _recorder(self, name: str) -> Any:
        def record(data: Any) -> None:
            self.events.append((name, data))
        return record

    def connect(self) -> None:
        self.sio.connect(self.server.base, auth={"token": self.bearer}, namespaces=["/exam"],
                         transports=["websocket"], wait_timeout=10)

    def call(self, event: str, data: Any = None) -> Any:
        return self.sio.call(event, {} if data is None else data, namespace="/exam",
                             timeout=15)

    def close(self) -> None:
        self.sio.close()

    @classmethod
    def close_all(cls) -> None:
        """Close every client a test made (a killed server leaves them half-open)."""
        while cls.opened:
            cls.opened.pop().close()


class SocketClient(socketio.Client):
    """python-socketio's client, closing every WebSocket it opened when it is closed.

    python-engineio leaves the WebSocket of a connection that ended in an error (a reset, a
    killed server, a failed handshake) unclosed, and a reconnection replaces it; collected
    open, its socket raises a ResourceWarning that pytest pins on whatever test then runs.
    Each WebSocket is made through websocket-client's ``class_`` option and kept here.
    """

    def __init__(self, **kwargs: Any) -> None:
        self.websockets: list[websocket.WebSocket] = []
        super().__init__(websocket_extra_options={"class_": self._websocket}, **kwargs)

    def _websocket(self, **options: Any) -> websocket.WebSocket:
        ws = websocket.WebSocket(**options)
        self.websockets.append(ws)
        return ws

    def close(self) -> None:
        """Disconnect, stop reconnecting and close every socket. ``shutdown``, not
        ``disconnect``: a client in the middle of reconnecting is not connected, so
        ``disconnect`` left it retrying for ever, drawing its back-off jitter from the global
        ``random`` (which then broke a later hypothesis test: "the global random state
        changed during generation")."""
        try:
            self.shutdown()
        finally:
            for ws in self.websockets:
                ws.close()
            if self.eio.http is not None:
                self.eio.http.close()


def logged_in(server: Server, prepared: Prepared, number: str) -> Candidate:
    """Log ``number`` in and connect a candidate client."""
    r = server.login(number, prepared.pins[number], prepared.token())
    assert r.status_code == 200, r.text
    return Candidate(server, r.json()["token"])


def wait_until(check: Any, seconds: float = 10.0) -> Any:
    """``check()`` once it is truthy (polled every 0.1 s), else fail."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"not within {seconds} s: {check()!r}")
