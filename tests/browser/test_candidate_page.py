"""The candidate page ``/ujian`` in Debian's Chromium against a real ``seleksi serve``.

Controls are found by role and accessible name, exactly as issue 5 §5 fixes them (the
accessibility contract). The server's state is read back through the protocol itself: a
python-socketio client calls ``start`` with the page's own bearer.
"""

from __future__ import annotations

import json
import re
import sqlite3
import time
from typing import Any

import pytest

from tests.browser.conftest import ROOT, SESSION, RunningExam
from tests.protocol.helpers import SocketClient

pytestmark = pytest.mark.browser
SHOTS = ROOT / "docs" / "screenshots"
SAVED = "Jawaban tersimpan di server"
PENDING = "Menunggu tersimpan — belum diterima server"


def expect(target: Any) -> Any:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(target)


class Page:
    """A page of the candidate UI that fails the test on script errors or CSP violations."""

    def __init__(self, context: Any, base: str) -> None:
        self.base = base
        self.page = context.new_page()
        self.errors: list[str] = []
        self.page.on("pageerror", lambda exc: self.errors.append(f"page error: {exc}"))
        self.page.on("console", self._console)
        self.page.goto(f"{base}/ujian")
        expect(self.page.locator("html[data-ready=true]")).to_have_count(1)

    def _console(self, msg: Any) -> None:
        if msg.type == "error" and "Content Security Policy" in msg.text:
            self.errors.append(f"CSP: {msg.text}")

    def button(self, name: str) -> Any:
        return self.page.get_by_role("button", name=name, exact=True)

    def option(self, label: str) -> Any:
        return self.page.get_by_role("radio", name=re.compile(rf"^{label}\. "))

    def heading(self, text: str) -> Any:
        return self.page.get_by_role("heading", name=text, exact=True)

    def log_in(self, number: str, pin: str, token: str, *, button: str = "Masuk",
               labels: tuple[str, str, str] = ("Nomor Peserta", "PIN", "Token")) -> None:
        for label, value in zip(labels, (number, pin, token), strict=True):
            self.page.get_by_label(label, exact=True).fill(value)
        self.button(button).click()

    def bearer(self) -> str:
        raw = self.page.evaluate("localStorage.getItem('seleksi.ujian.login')")
        bearer: str = json.loads(raw)["bearer"]
        return bearer

    def screenshot(self, name: str) -> None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        png = self.page.screenshot(path=str(SHOTS / name))
        width, height = int.from_bytes(png[16:20]), int.from_bytes(png[20:24])
        assert (width, height) == (1024, 768), name


def server_state(base: str, bearer: str) -> dict[str, Any]:
    """The server's ``start`` ack for this bearer (a real Socket.IO client on ``/exam``)."""
    client = SocketClient(reconnection=False)
    client.connect(base, auth={"token": bearer}, namespaces=["/exam"],
                   transports=["websocket"], wait_timeout=10)
    try:
        ack: dict[str, Any] = client.call("start", {}, namespace="/exam", timeout=15)
        return ack
    finally:
        client.close()


def test_sit_the_exam_resume_offline_and_finish(running_exam: RunningExam, context: Any) -> None:
    ui = Page(context, running_exam.base)
    page = ui.page
    number, pin = running_exam.participant()
    for label in ("Nomor Peserta", "PIN", "Token"):
        expect(page.get_by_label(label, exact=True)).to_be_visible()
    page.get_by_label("Nomor Peserta", exact=True).fill(number)
    page.get_by_label("PIN", exact=True).fill(pin)
    page.get_by_label("Token", exact=True).fill(running_exam.token())
    ui.screenshot("login.png")
    ui.button("Masuk").click()

    expect(ui.heading("Soal 1 dari 110")).to_be_visible()
    expect(page.locator("#connection")).to_have_text("Tersambung")
    expect(page.get_by_role("timer")).to_have_text(re.compile(r"^1:(39|40):\d\d$"))
    expect(page.get_by_role("radio")).to_have_count(5)

    # Answer by clicking, by letter, by number; move by button, arrow key and navigator.
    ui.option("A").check()
    expect(page.locator("#save-status")).to_have_text(SAVED)
    ui.button("Berikutnya").click()
    expect(ui.heading("Soal 2 dari 110")).to_be_visible()
    page.keyboard.press("c")
    expect(ui.option("C")).to_be_checked()
    page.keyboard.press("ArrowRight")
    expect(ui.heading("Soal 3 dari 110")).to_be_visible()
    page.keyboard.press("2")
    expect(page.get_by_role("radio").nth(1)).to_be_checked()
    second = page.get_by_role("radio").nth(1).get_attribute("value")
    ui.button("Ragu-ragu").click()
    expect(ui.button("Ragu-ragu")).to_have_attribute("aria-pressed", "true")
    page.keyboard.press("ArrowLeft")
    expect(ui.heading("Soal 2 dari 110")).to_be_visible()
    ui.button("Soal 5").click()
    expect(ui.heading("Soal 5 dari 110")).to_be_visible()
    ui.option("E").check()
    expect(page.locator("#save-status")).to_have_text(SAVED)
    expect(ui.button("Sebelumnya")).to_be_enabled()

    # The navigator tells answered, flagged and empty apart (class, mark and description).
    expect(ui.button("Soal 1")).to_have_class(re.compile(r"\banswered\b"))
    expect(ui.button("Soal 3")).to_have_class(re.compile(r"\bflagged\b"))
    expect(ui.button("Soal 3")).to_have_attribute("aria-description", re.compile("ragu-ragu"))
    expect(ui.button("Soal 4")).to_have_class(re.compile(r"\bempty\b"))
    expect(ui.button("Soal 4").locator(".mark")).to_have_text("")
    expect(ui.button("Soal 1").locator(".mark")).to_have_text("✓")
    expect(ui.button("Soal 3").locator(".mark")).to_have_text("?")
    ui.screenshot("question.png")

    bearer = ui.bearer()
    state = server_state(running_exam.base, bearer)
    assert state["answers"] == {"1": "A", "2": "C", "3": second, "5": "E"}
    assert state["flags"] == [3]

    # A reload resumes exactly: same question, answers and flag.
    page.reload()
    expect(ui.heading("Soal 5 dari 110")).to_be_visible()
    expect(ui.option("E")).to_be_checked()
    ui.button("Soal 3").click()
    expect(ui.button("Ragu-ragu")).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_role("radio").nth(1)).to_be_checked()
    ui.button("Soal 1").click()
    expect(ui.option("A")).to_be_checked()

    # Offline: answers wait in localStorage, marked pending; online again: they are synced.
    context.set_offline(True)
    expect(page.locator("#connection")).to_have_attribute("data-state", "offline")
    ui.option("B").check()
    expect(page.locator("#save-status")).to_have_text(PENDING)
    ui.button("Soal 6").click()
    page.keyboard.press("d")
    expect(page.locator("#save-status")).to_have_text(PENDING)
    expect(ui.button("Soal 1")).to_have_class(re.compile(r"\bpending\b"))
    outbox = page.evaluate("Object.entries(localStorage).filter(([k]) => k.includes('attempt'))"
                           ".map(([, v]) => JSON.parse(v).outbox)[0]")
    assert [(op["q"], op["choice"]) for op in outbox] == [(1, "B"), (6, "D")]
    assert outbox[0]["seq"] < outbox[1]["seq"]
    state = server_state(running_exam.base, bearer)
    assert state["answers"]["1"] == "A"
    assert "6" not in state["answers"]

    context.set_offline(False)
    expect(page.locator("#connection")).to_have_text("Tersambung", timeout=15_000)
    expect(page.locator("#save-status")).to_have_text(SAVED)
    expect(ui.button("Soal 1")).not_to_have_class(re.compile(r"\bpending\b"))
    state = server_state(running_exam.base, bearer)
    assert state["answers"] == {"1": "B", "2": "C", "3": second, "5": "E", "6": "D"}

    # Large text is a toggle.
    ui.button("Teks besar").click()
    expect(page.locator("html")).to_have_class(re.compile("large-text"))
    expect(ui.button("Teks besar")).to_have_attribute("aria-pressed", "true")
    ui.screenshot("question-large-text.png")
    ui.button("Teks besar").click()
    expect(page.locator("html")).not_to_have_class(re.compile("large-text"))

    # Finish: the dialog lists unanswered and flagged questions; then the result.
    ui.button("Selesai").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Belum dijawab (105)")
    expect(dialog).to_contain_text("Ragu-ragu (1): soal 3")
    ui.screenshot("finish-dialog.png")
    ui.button("Ya, selesai").click()
    expect(ui.heading("Hasil ujian")).to_be_visible()
    refused = server_state(running_exam.base, bearer)
    assert refused["ok"] is False
    assert refused["error"] == "finished"
    result = refused["result"]
    expect(page.locator("#result-total")).to_have_text(f"{result['total']} dari {result['max']}")
    for section, points in result["sections"].items():
        expect(page.get_by_role("row", name=f"{section} {points}")).to_be_visible()
    # The rules that apply, each minimum checked, in the page's language (the example
    # roster's category is "umum": the general rule alone).
    [rule] = result["rules"]
    lines = [(f"{c['measure']} {c['value']} ≥ {c['minimum']}: terpenuhi" if c["met"] else
              f"{c['measure']} {c['value']} < {c['minimum']}: tidak terpenuhi")
             for c in rule["checks"]]
    detail = page.locator("#result-detail")
    expect(detail.locator("p")).to_have_text(
        "Ketentuan umum: " + ("terpenuhi" if rule["passed"] else "tidak terpenuhi"))
    expect(detail.locator("li")).to_have_text(lines)
    assert [c["measure"] for c in rule["checks"]] == ["TWK", "TIU", "TKP"]
    expect(page.locator("#result-decision")).to_have_text(
        "Memenuhi nilai ambang batas" if result["passed"] else "Tidak memenuhi nilai ambang batas")
    ui.screenshot("result.png")

    # The workstation is free for the next candidate.
    page.reload()
    expect(ui.button("Masuk")).to_be_visible()
    assert ui.errors == []


def test_english_switch_and_login_errors(running_exam: RunningExam, context: Any) -> None:
    ui = Page(context, running_exam.base)
    page = ui.page
    number, pin = running_exam.participant()

    # Indonesian by default, even for an English-speaking browser; errors in Indonesian.
    assert page.locator("html").get_attribute("lang") == "id"
    ui.log_in(number, pin, "XXXXXX")
    expect(page.get_by_role("alert").filter(has_text="Token sesi salah")).to_be_visible()

    page.get_by_role("link", name="English").click()
    expect(ui.button("Log in")).to_be_visible()
    assert page.locator("html").get_attribute("lang") == "en"
    page.reload()
    expect(page.get_by_label("Participant number", exact=True)).to_be_visible()

    labels = ("Participant number", "PIN", "Token")
    ui.log_in(number, "000000" if pin != "000000" else "111111", running_exam.token(),
              button="Log in", labels=labels)
    expect(page.get_by_role("alert")).to_have_text("Wrong participant number or PIN.")
    ui.log_in(number, pin, running_exam.token(), button="Log in", labels=labels)
    expect(ui.heading("Question 1 of 110")).to_be_visible()
    for name in ("Previous", "Unsure", "Next", "Finish", "Question 1", "Question 110"):
        expect(ui.button(name)).to_be_visible()
    expect(page.locator("#connection")).to_have_text("Connected")
    ui.option("D").check()
    expect(page.locator("#save-status")).to_have_text("Answer saved on the server")

    # Back to Indonesian: the page reloads and resumes the attempt.
    page.get_by_role("link", name="Bahasa Indonesia").click()
    expect(ui.heading("Soal 1 dari 110")).to_be_visible()
    expect(ui.option("D")).to_be_checked()
    expect(ui.button("Soal 110")).to_be_visible()
    assert ui.errors == []



def alerts(running_exam: RunningExam, number: str) -> list[str]:
    """The integrity alert kinds the server stored for a participant."""
    db = sqlite3.connect(f"file:{running_exam.database}?mode=ro", uri=True)
    try:
        rows = db.execute("SELECT a.kind FROM alert a JOIN participant p "
                          "ON p.id = a.participant_id WHERE p.number = ? ORDER BY a.id",
                          (number,)).fetchall()
    finally:
        db.close()
    return [kind for (kind,) in rows]


def test_copy_and_paste_reach_the_proctor(running_exam: RunningExam, context: Any) -> None:
    ui = Page(context, running_exam.base)
    number, pin = running_exam.participant()
    ui.log_in(number, pin, running_exam.token())
    expect(ui.heading("Soal 1 dari 110")).to_be_visible()
    expect(ui.page.locator("#connection")).to_have_text("Tersambung")
    ui.page.locator("#question-text").dblclick()
    ui.page.keyboard.press("Control+c")
    ui.page.keyboard.press("Control+v")
    deadline = time.monotonic() + 10
    while alerts(running_exam, number) != ["copy", "paste"] and time.monotonic() < deadline:
        time.sleep(0.1)
    assert alerts(running_exam, number) == ["copy", "paste"]
    # Not blocking: the candidate answers on.
    ui.option("B").check()
    expect(ui.page.locator("#save-status")).to_have_text(SAVED)
    assert ui.errors == []


MARKUP = ("Perhatikan *tabel* berikut, **dengan teliti**:\nbaris dua <b>bukan tag</b>\n\n"
          "| Kota | Jumlah |\n|---|---|\n| Medan | 12 |\n| Palu | 7 |\n\n"
          "![peta](sha256:" + "ab" * 32 + ")")


def test_stem_markup_is_rendered_without_html(running_exam: RunningExam, context: Any) -> None:
    ui = Page(context, running_exam.base)
    html = ui.page.evaluate("""async (text) => {
        const { renderBlocks, renderInline } = await import("/static/ujian/markup.js");
        const image = (sha, alt) => Object.assign(document.createElement("img"),
                                                  { alt, title: sha });
        const box = document.createElement("div");
        box.append(renderBlocks(text, image));
        const inline = document.createElement("span");
        inline.append(renderInline("a *b*\\n\\nc", image));
        return [box.innerHTML, inline.innerHTML];
    }""", MARKUP)
    blocks, inline = html
    assert blocks == (
        "<p>Perhatikan <em>tabel</em> berikut, <strong>dengan teliti</strong>:<br>"
        "baris dua &lt;b&gt;bukan tag&lt;/b&gt;</p>"
        '<table><thead><tr><th scope="col">Kota</th><th scope="col">Jumlah</th></tr></thead>'
        "<tbody><tr><td>Medan</td><td>12</td></tr><tr><td>Palu</td><td>7</td></tr></tbody>"
        f'</table><p><img alt="peta" title="{"ab" * 32}"></p>')
    assert inline == "a <em>b</em><br>c"


def test_another_workstation_resumes_and_its_answers_count(running_exam: RunningExam,
                                                           browser: Any) -> None:
    number, pin = running_exam.participant()
    first = browser.new_context(viewport={"width": 1024, "height": 768})
    ui = Page(first, running_exam.base)
    ui.log_in(number, pin, running_exam.token())
    for label in ("A", "B", "C"):
        ui.option(label).check()
        expect(ui.page.locator("#save-status")).to_have_text(SAVED)
    first.close()  # the workstation dies; its connection goes with it

    second = browser.new_context(viewport={"width": 1024, "height": 768})
    try:
        ui = Page(second, running_exam.base)
        ui.log_in(number, pin, running_exam.token())
        expect(ui.heading("Soal 1 dari 110")).to_be_visible()
        expect(ui.option("C")).to_be_checked()
        ui.option("D").check()
        expect(ui.page.locator("#save-status")).to_have_text(SAVED)
        assert server_state(running_exam.base, ui.bearer())["answers"]["1"] == "D"
    finally:
        second.close()


def test_a_paused_room_stops_the_clock_and_keeps_the_answer(running_exam: RunningExam,
                                                            context: Any) -> None:
    ui = Page(context, running_exam.base)
    number, pin = running_exam.participant()
    ui.log_in(number, pin, running_exam.token())
    expect(ui.heading("Soal 1 dari 110")).to_be_visible()
    ui.option("A").check()
    expect(ui.page.locator("#save-status")).to_have_text(SAVED)
    timer = ui.page.locator("#timer")
    running_exam.run("session", "pause", SESSION, "--reason", "listrik padam")
    try:
        expect(ui.page.locator("#pause-dialog")).to_be_visible(timeout=10_000)
        expect(ui.page.locator("#pause-text")).to_contain_text("dijeda")
        time.sleep(0.6)  # the countdown redraws every 250 ms: let it show the frozen time
        frozen = timer.inner_text()
        time.sleep(2.5)
        assert timer.inner_text() == frozen  # the countdown stands still
        ui.screenshot("ujian-paused.png")
        ui.page.keyboard.press("c")  # the page is locked while paused
        assert server_state(running_exam.base, ui.bearer())["answers"].get("1") == "A"
    finally:
        running_exam.run("session", "resume", SESSION, "--reason", "listrik menyala")
    expect(ui.page.locator("#pause-dialog")).to_be_hidden(timeout=10_000)
    expect(timer).not_to_have_text(frozen, timeout=5_000)  # running again
    ui.option("C").check()
    expect(ui.page.locator("#save-status")).to_have_text(SAVED)
    state = server_state(running_exam.base, ui.bearer())
    assert state["answers"]["1"] == "C"
    assert state["paused"] is False
    assert ui.errors == []


def test_focus_visibility_and_fullscreen_alerts_reach_the_proctor(running_exam: RunningExam,
                                                                  context: Any) -> None:
    ui = Page(context, running_exam.base)
    number, pin = running_exam.participant()
    ui.log_in(number, pin, running_exam.token())
    expect(ui.heading("Soal 1 dari 110")).to_be_visible()
    expect(ui.page.locator("#connection")).to_have_text("Tersambung")
    # Headless Chromium has no other window to switch to: the browser's own events are
    # dispatched as the browser would when the candidate leaves the page.
    ui.page.evaluate("""() => {
        window.dispatchEvent(new Event("blur"));
        Object.defineProperty(document, "visibilityState",
                              { value: "hidden", configurable: true });
        document.dispatchEvent(new Event("visibilitychange"));
        Object.defineProperty(document, "visibilityState",
                              { value: "visible", configurable: true });
        Object.defineProperty(document, "fullscreenElement",
                              { value: document.documentElement, configurable: true });
        document.dispatchEvent(new Event("fullscreenchange"));
        Object.defineProperty(document, "fullscreenElement", { value: null, configurable: true });
        document.dispatchEvent(new Event("fullscreenchange"));
    }""")
    wanted = ["blur", "visibility", "fullscreen_exit"]
    deadline = time.monotonic() + 10
    while alerts(running_exam, number) != wanted and time.monotonic() < deadline:
        time.sleep(0.1)
    assert alerts(running_exam, number) == wanted
    ui.option("D").check()  # not blocking
    expect(ui.page.locator("#save-status")).to_have_text(SAVED)
    assert ui.errors == []
