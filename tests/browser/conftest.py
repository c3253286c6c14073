"""A running exam for the browser tests, built for real, and Debian's Chromium.

The session is built once per run through the ``seleksi`` commands in subprocesses (keys,
a 600-item sample bank, the example exam, papers for a roster, import, open with the
release key, PINs, start) and served by ``seleksi serve`` on a free port; :func:`serve_exam`
takes the roster's size (``running_exam`` has 10, the large-room console test 400). Each
test gets a fresh browser context (its own localStorage and cookies) at 1024×768 and its
own participant.
"""

from __future__ import annotations

import csv
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.cli.conftest import EXAMPLE, SELEKSI, make_runner, write_roster

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
ROOT = Path(__file__).resolve().parents[2]
VENDOR = ROOT / "exam_server" / "static" / "vendor" / "socket.io.min.js"
SESSION = "JKT1-S1"
EXAM = "skd-2024-demo"
PARTICIPANTS = 10
VIEWPORT = {"width": 1024, "height": 768}


@dataclass
class RunningExam:
    """A served exam: its URL, the admission cards, and a way to run ``seleksi``."""

    base: str
    instance: Path
    cards: dict[str, str]
    run: Any
    unused: list[str] = field(default_factory=list)

    def token(self) -> str:
        """The room's current session token, as ``seleksi session token`` prints it."""
        out: str = self.run("session", "token", SESSION).stdout.strip()
        return out

    def participant(self) -> tuple[str, str]:
        """A participant no test has used yet, with their PIN."""
        number = self.unused.pop(0)
        return number, self.cards[number]

    @property
    def database(self) -> Path:
        return self.instance / "seleksi.db"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _serve(instance: Path, port: int) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["SELEKSI_INSTANCE"] = str(instance)
    log = instance.parent / f"serve-{port}.log"
    with log.open("w") as out:  # a file: a pipe nobody reads would block the server once full
        proc = subprocess.Popen([str(SELEKSI), "serve", "--port", str(port)], env=env,
                                cwd=instance.parent, stdout=out,
                                stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 120  # a busy machine starts slowly
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"seleksi serve exited:\n{log.read_text()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("seleksi serve did not listen within 120 s")


@contextmanager
def serve_exam(work: Path, participants: int, roster: Path | None = None
               ) -> Iterator[RunningExam]:
    """Build a running session of :data:`EXAM` for ``participants`` candidates in ``work``
    (or for the roster file ``roster``) through the ``seleksi`` commands, and serve it until
    the block ends."""
    if not VENDOR.exists():
        pytest.fail(f"{VENDOR} is missing: run scripts/setup.sh (it copies socket.io-client "
                    "from the npm registry into exam_server/static/vendor)")
    instance = work / "instance"
    run = make_runner(instance, None)
    run("keys", "init")
    run("bank", "sample", "--items", "600", "--out", work / "bank.json")
    run("bank", "import", work / "bank.json")
    run("exam", "load", EXAMPLE)
    if roster is None:
        roster = write_roster(work / "participants.csv", participants, SESSION)
    seal = work / "exam.seal"
    run("papers", "build", "--exam", EXAM, "--participants", roster, "--seed", "uji",
        "--out", seal)
    run("papers", "import", seal)
    key = run("papers", "release-key", seal, "--session", SESSION).stdout.strip()
    run("session", "open", SESSION, "--key", key)
    run("session", "pins", SESSION, "--out", work / "pins.csv")
    run("session", "start", SESSION)
    with open(work / "pins.csv", encoding="utf-8", newline="") as f:
        cards = {row["participant"]: row["pin"] for row in csv.DictReader(f)}
    port = _free_port()
    proc = _serve(instance, port)
    try:
        yield RunningExam(f"http://127.0.0.1:{port}", instance, cards, run, sorted(cards))
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()


@pytest.fixture(scope="session")
def running_exam(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningExam]:
    """A running session of :data:`EXAM` with :data:`PARTICIPANTS` candidates, served."""
    with serve_exam(tmp_path_factory.mktemp("browser"), PARTICIPANTS) as exam:
        yield exam


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless, driven by Playwright's sync API."""
    if not CHROMIUM.exists():
        pytest.fail("no /usr/bin/chromium: run `bash scripts/setup.sh --browser` (browser tests "
                    "are never skipped)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS,
                                     headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    """A fresh browser context (empty localStorage, no cookies) at 1024×768."""
    ctx = browser.new_context(viewport=VIEWPORT, locale="en-US")
    ctx.set_default_timeout(10_000)
    yield ctx
    ctx.close()
