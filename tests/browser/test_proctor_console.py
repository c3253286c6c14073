"""The proctor console in Debian's Chromium against a real ``seleksi serve``, with a candidate
driven by a real python-socketio client: the roster moves, the room pauses, time is added,
a login is reset."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
import requests

from exam_server.db import make_engine, session_factory
from proctor_console.accounts import add_user
from tests.browser.conftest import SESSION, RunningExam
from tests.browser.test_candidate_page import SHOTS, expect
from tests.protocol.helpers import SocketClient

pytestmark = pytest.mark.browser
PASSWORD = "rahasia-pengawas-1"  # noqa: S105 - a test account's password


class Candidate:
    """A candidate at a workstation: HTTP log-in, then /exam over a websocket."""

    def __init__(self, exam: RunningExam, number: str, pin: str) -> None:
        r = requests.post(f"{exam.base}/api/exam/login", timeout=10, json={
            "participant": number, "pin": pin, "token": exam.token()})
        assert r.status_code == 200, r.text
        self.events: list[tuple[str, Any]] = []
        self.sio = SocketClient(reconnection=False)
        for name in ("time", "paused", "resumed", "finished"):
            self.sio.on(name, self._record(name), namespace="/exam")
        self.sio.connect(exam.base, auth={"token": r.json()["token"]}, namespaces=["/exam"],
                         transports=["websocket"], wait_timeout=10)
        self.state = self.sio.call("start", {}, namespace="/exam", timeout=15)

    def _record(self, name: str) -> Any:
        return lambda data: self.events.append((name, data))

    def answer(self, seq: int, q: int, choice: str) -> Any:
        return self.sio.call("answer", {"seq": seq, "q": q, "choice": choice},
                             namespace="/exam", timeout=15)

    def wait_for(self, name: str, seconds: float = 10) -> Any:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            for event, data in self.events:
                if event == name:
                    self.events.clear()
                    return data
            time.sleep(0.05)
        raise AssertionError(f"no {name} push; got {self.events}")

    def finish(self) -> Any:
        return self.sio.call("finish", {}, namespace="/exam", timeout=15)

    def close(self) -> None:
        self.sio.close()


def _act(page: Any, button: Any, reason: str, minutes: str | None = None) -> None:
    button.click()
    dialog = page.locator("#action-dialog")
    expect(dialog).to_be_visible()
    if minutes is not None:
        page.get_by_label("Menit").fill(minutes)
    page.get_by_label("Alasan").fill(reason)
    page.get_by_role("button", name="Lakukan").click()
    expect(dialog).to_be_hidden()


def open_console(exam: RunningExam, context: Any) -> tuple[Any, list[str]]:
    """Make a proctor account for :data:`SESSION`, log in, and open the session's live page;
    the page, and the list its script errors are collected into."""
    factory = session_factory(make_engine(f"sqlite:///{exam.database}"))
    add_user(factory, "pengawas", PASSWORD, role="proctor", full_name="Bu Pengawas",
             actor="uji", sessions=(SESSION,))
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{exam.base}/proctor/login")
    page.get_by_label("Nama pengguna").fill("pengawas")
    page.get_by_label("Kata sandi").fill(PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    page.get_by_role("link", name=SESSION).click()
    expect(page.locator("#connection")).to_have_text("Tersambung")
    return page, errors


def test_a_proctor_watches_and_runs_the_room(running_exam: RunningExam, context: Any) -> None:
    page, errors = open_console(running_exam, context)

    number, pin = running_exam.participant()
    row = page.locator(f'#roster tbody tr[data-participant="{number}"]')
    expect(row.locator(".status")).to_have_text("belum hadir")
    candidate = Candidate(running_exam, number, pin)
    try:
        expect(row.locator(".status")).to_have_text("mengerjakan")
        assert candidate.answer(1, 1, "A")["ok"] is True
        assert candidate.answer(2, 2, "B")["ok"] is True
        expect(row.locator(".answered")).to_have_text("2")  # pushed within a second
        expect(page.locator('#counts li[data-status="working"]')).to_contain_text("1")

        _act(page, page.get_by_role("button", name="Jeda ruang"), "listrik padam")
        expect(page.locator("#session-paused")).to_be_visible()
        paused = candidate.wait_for("paused")
        assert paused["deadline"] == candidate.state["deadline"]
        shown = row.locator(".left").inner_text()
        time.sleep(2.2)
        assert row.locator(".left").inner_text() == shown  # the clock stands still
        page.screenshot(path=str(SHOTS / "proctor-console-paused.png"))
        _act(page, page.get_by_role("button", name="Lanjutkan ruang"), "listrik menyala")
        expect(page.locator("#session-paused")).to_be_hidden()
        resumed = candidate.wait_for("resumed")
        assert resumed["deadline"] > candidate.state["deadline"]

        _act(page, page.get_by_role("button", name=f"Tambah waktu {number}"), "komputer mati",
             minutes="10")
        assert candidate.wait_for("time")["deadline"] == resumed["deadline"] + 600_000
        _act(page, page.get_by_role("button", name=f"Reset login {number}"), "pindah komputer")
        # The candidate may now log in at another workstation.
        again = requests.post(f"{running_exam.base}/api/exam/login", timeout=10, json={
            "participant": number, "pin": pin, "token": running_exam.token()})
        assert again.status_code == 200, again.text
        expect(page.locator("#action-message")).to_have_text(re.compile("Reset login"))
        page.screenshot(path=str(SHOTS / "proctor-console.png"))
    finally:
        candidate.close()
    assert errors == []
