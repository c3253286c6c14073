"""Details of the candidate page ``/ujian`` (issue 5 §5) in Debian's Chromium.

The countdown against a workstation whose clock is wrong, the layout at 1024×768, the
`Sebelumnya` button, every answer key, large text for a participant whose roster asks for it,
and a reload while answers still wait in localStorage. The exam is built by
``conftest.serve_exam`` with a roster whose first participant has the ``large_text``
accommodation.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.browser.conftest import SESSION, VIEWPORT, RunningExam, serve_exam
from tests.browser.test_candidate_page import PENDING, SAVED, Page, expect, server_state

pytestmark = pytest.mark.browser
LARGE = "2411000000001"  # the roster gives this participant large text
WIDTH, HEIGHT = VIEWPORT["width"], VIEWPORT["height"]


@pytest.fixture(scope="module")
def exam(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningExam]:
    """A running session whose roster has one large-text participant and ten others."""
    work = tmp_path_factory.mktemp("details")
    roster = work / "roster.csv"
    rows = ["participant,name,formation,category,session,extra_minutes,large_text",
            f"{LARGE},Siti Aminah,Analis Kebijakan,umum,{SESSION},,ya"]
    rows += [f"2411{n:09d},Peserta {n},Analis Kebijakan,umum,{SESSION},,tidak"
             for n in range(2, 12)]
    roster.write_text("\n".join(rows) + "\n", encoding="utf-8")
    with serve_exam(work, len(rows) - 1, roster) as running:
        running.unused.remove(LARGE)  # kept for the large-text test
        yield running


def logged_in(context: Any, exam: RunningExam, number: str | None = None) -> Page:
    """A page logged in as ``number`` (else an unused participant), on question 1, online."""
    ui = Page(context, exam.base)
    if number is None:
        number, pin = exam.participant()
    else:
        pin = exam.cards[number]
    ui.log_in(number, pin, exam.token())
    expect(ui.heading("Soal 1 dari 110")).to_be_visible()
    expect(ui.page.locator("#connection")).to_have_text("Tersambung")
    return ui


def seconds(clock_text: str) -> int:
    parts = [int(p) for p in clock_text.split(":")]
    return sum(p * 60 ** i for i, p in enumerate(reversed(parts)))


def outbox(page: Any) -> list[tuple[str, int, Any, int]]:
    """The attempt's unacked operations in this page's localStorage: (kind, q, value, seq)."""
    boxes = page.evaluate("Object.entries(localStorage)"
                          ".filter(([k]) => k.startsWith('seleksi.ujian.attempt.'))"
                          ".map(([, v]) => JSON.parse(v).outbox)")
    [box] = boxes
    return ops(box)


def ops(box: list[dict[str, Any]]) -> list[tuple[str, int, Any, int]]:
    return [(op["kind"], op["q"], op.get("choice", op.get("flagged")), op["seq"]) for op in box]


# --- the countdown is the server's ------------------------------------------------------

@pytest.mark.parametrize("skew_minutes", [10, -10])
def test_the_countdown_is_the_servers_not_the_workstations_clock(
        exam: RunningExam, context: Any, skew_minutes: int) -> None:
    context.clock.install(time=datetime.now(UTC) + timedelta(minutes=skew_minutes))
    ui = Page(context, exam.base)
    skew_ms = ui.page.evaluate("Date.now()") - time.time() * 1000
    assert abs(skew_ms - skew_minutes * 60_000) < 30_000  # the workstation's clock is wrong
    number, pin = exam.participant()
    ui.log_in(number, pin, exam.token())
    expect(ui.heading("Soal 1 dari 110")).to_be_visible()
    timer = ui.page.get_by_role("timer")
    # 100 minutes, not 90 or 110 as the workstation's own clock would make it.
    expect(timer).to_have_text(re.compile(r"^1:(39|40):\d\d$"))
    state = server_state(exam.base, ui.bearer())
    shown = seconds(timer.inner_text())
    assert abs(shown - (state["deadline"] - state["server_time"]) / 1000) <= 5
    expect(timer).not_to_have_text(timer.inner_text(), timeout=5_000)  # and it runs
    assert ui.errors == []


# --- 1024×768 -------------------------------------------------------------------------------

PLACE = """e => {
    const r = e.getBoundingClientRect();
    const hit = document.elementFromPoint((r.left + r.right) / 2, (r.top + r.bottom) / 2);
    return {left: r.left, top: r.top, right: r.right, bottom: r.bottom,
            hit: hit !== null && e.contains(hit)};
}"""

# Every question from 1 to 110 in turn (the page renders synchronously), then back to 1:
# anything wider than its box, or reaching past the right edge of the screen?
WIDE_ON_EVERY_QUESTION = """(width) => {
    const wide = [];
    const boxes = "html, body, header, main, #exam-view, article, aside, nav, dialog[open]";
    const first = document.querySelector("#navigator button");
    first.click();
    for (let i = 0; i < 110; i++) {
        for (const e of document.querySelectorAll(boxes)) {
            if (e.scrollWidth > e.clientWidth + 1 || e.getBoundingClientRect().right > width)
                wide.push(`${document.getElementById("question-title").textContent}: `
                          + `${e.tagName.toLowerCase()}#${e.id} ${e.scrollWidth}/${e.clientWidth}`);
        }
        document.getElementById("next").click();
    }
    first.click();
    return wide;
}"""


def on_screen(locator: Any, *, fully: bool = True) -> None:
    """Within the 1024 px width, not covered; ``fully``: within 768 px height too."""
    box = locator.evaluate(PLACE)
    assert box["left"] >= 0, box
    assert box["right"] <= WIDTH, box
    if fully:
        assert box["top"] >= 0, box
        assert box["bottom"] <= HEIGHT, box
        assert box["hit"], box


def no_horizontal_scroll(page: Any) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH
    assert page.evaluate("window.scrollX") == 0


def test_the_question_screen_and_the_finish_dialog_fit_1024_by_768(
        exam: RunningExam, context: Any) -> None:
    ui = logged_in(context, exam)
    page = ui.page
    assert page.viewport_size == VIEWPORT
    assert page.evaluate(WIDE_ON_EVERY_QUESTION, WIDTH) == []
    ui.button("Soal 2").click()
    expect(ui.heading("Soal 2 dari 110")).to_be_visible()
    no_horizontal_scroll(page)
    # What a candidate needs, visible without scrolling: question, options, moves, clock.
    controls = [ui.heading("Soal 2 dari 110"), page.get_by_role("timer"),
                page.locator("#connection"), ui.button("Sebelumnya"),
                ui.button("Ragu-ragu"), ui.button("Berikutnya"), ui.button("Selesai"),
                ui.button("Soal 1"), ui.button("Soal 110")]
    options = page.locator("label.option")
    expect(options).to_have_count(5)
    for control in [*controls, *options.all()]:
        on_screen(control)
    on_screen(page.get_by_role("navigation"))

    ui.button("Selesai").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Belum dijawab (110)")
    no_horizontal_scroll(page)
    for control in (dialog, ui.button("Ya, selesai"), ui.button("Kembali ke soal")):
        on_screen(control)
    ui.button("Kembali ke soal").click()
    expect(dialog).to_be_hidden()

    # Large text: nothing wider than the screen; the clock and the moves stay on it.
    ui.button("Teks besar").click()
    expect(page.locator("html")).to_have_class(re.compile(r"\blarge-text\b"))
    assert page.evaluate(WIDE_ON_EVERY_QUESTION, WIDTH) == []
    ui.button("Soal 2").click()
    expect(ui.heading("Soal 2 dari 110")).to_be_visible()
    no_horizontal_scroll(page)
    for control in controls:
        on_screen(control, fully=False)
    for control in (page.get_by_role("timer"), ui.heading("Soal 2 dari 110")):
        on_screen(control)
    ui.button("Selesai").click()
    no_horizontal_scroll(page)
    for control in (dialog, ui.button("Ya, selesai"), ui.button("Kembali ke soal")):
        on_screen(control)
    assert ui.errors == []


# --- moving and the keyboard -------------------------------------------------------------

def test_sebelumnya_goes_back_one_question(exam: RunningExam, context: Any) -> None:
    ui = logged_in(context, exam)
    page = ui.page
    expect(ui.button("Sebelumnya")).to_be_disabled()
    ui.option("B").check()
    ui.button("Berikutnya").click()
    ui.option("D").check()
    ui.button("Berikutnya").click()
    expect(ui.heading("Soal 3 dari 110")).to_be_visible()
    ui.button("Sebelumnya").click()
    expect(ui.heading("Soal 2 dari 110")).to_be_visible()
    expect(ui.option("D")).to_be_checked()
    expect(ui.button("Soal 2")).to_have_attribute("aria-current", "step")
    ui.button("Sebelumnya").click()
    expect(ui.heading("Soal 1 dari 110")).to_be_visible()
    expect(ui.option("B")).to_be_checked()
    expect(ui.button("Sebelumnya")).to_be_disabled()
    ui.button("Soal 110").click()
    expect(ui.button("Berikutnya")).to_be_disabled()
    ui.button("Sebelumnya").click()
    expect(ui.heading("Soal 109 dari 110")).to_be_visible()
    expect(page.locator("#save-status")).to_have_text("Belum dijawab")
    for no in (1, 2):
        expect(ui.button(f"Soal {no}")).not_to_have_class(re.compile(r"\bpending\b"))
    assert server_state(exam.base, ui.bearer())["answers"] == {"1": "B", "2": "D"}
    assert ui.errors == []


def test_every_answer_key_and_the_arrows(exam: RunningExam, context: Any) -> None:
    ui = logged_in(context, exam)
    page = ui.page
    radios = page.get_by_role("radio")
    expect(radios).to_have_count(5)
    labels = [radios.nth(i).get_attribute("value") for i in range(5)]
    # Each letter in both cases (by label), each digit (by position).
    presses = [(k, k.upper()) for k in "acebd"] + [(f"Shift+{k}", k) for k in "BDACE"]
    presses += [(str(i + 1), label) for i, label in enumerate(labels)]
    last = ""
    for key, label in presses:
        if page.locator(f"input[name=choice][value={label}]").is_checked():
            other = next(x for x in labels if x != label)  # make the key change something
            ui.option(other).check()
            expect(ui.option(other)).to_be_checked()
        page.keyboard.press(key)
        expect(ui.option(label)).to_be_checked()
        expect(page.locator("input[name=choice]:checked")).to_have_count(1)
        last = label
    expect(page.locator("#save-status")).to_have_text(SAVED)
    assert server_state(exam.base, ui.bearer())["answers"] == {"1": last}

    # The arrows move, also while a radio has the focus (the page takes left/right).
    ui.option(last).focus()
    page.keyboard.press("ArrowRight")
    expect(ui.heading("Soal 2 dari 110")).to_be_visible()
    page.keyboard.press("ArrowRight")
    expect(ui.heading("Soal 3 dari 110")).to_be_visible()
    page.keyboard.press("ArrowLeft")
    expect(ui.heading("Soal 2 dari 110")).to_be_visible()
    page.keyboard.press("e")
    expect(ui.option("E")).to_be_checked()
    expect(page.locator("#save-status")).to_have_text(SAVED)
    page.keyboard.press("ArrowLeft")
    expect(ui.heading("Soal 1 dari 110")).to_be_visible()
    page.keyboard.press("ArrowLeft")  # nothing before question 1
    expect(ui.heading("Soal 1 dari 110")).to_be_visible()
    expect(ui.option(last)).to_be_checked()
    assert server_state(exam.base, ui.bearer())["answers"] == {"1": last, "2": "E"}
    assert ui.errors == []


# --- large text from the roster ------------------------------------------------------------

def test_a_large_text_participant_gets_large_text_at_login(exam: RunningExam, context: Any,
                                                           browser: Any) -> None:
    ui = Page(context, exam.base)
    html = ui.page.locator("html")
    expect(html).not_to_have_class(re.compile(r"\blarge-text\b"))  # a fresh workstation
    ui.log_in(LARGE, exam.cards[LARGE], exam.token())
    expect(ui.heading("Soal 1 dari 110")).to_be_visible()
    expect(html).to_have_class(re.compile(r"\blarge-text\b"))
    expect(ui.button("Teks besar")).to_have_attribute("aria-pressed", "true")
    assert ui.page.evaluate("getComputedStyle(document.documentElement).fontSize") == "22px"
    no_horizontal_scroll(ui.page)
    ui.page.reload()  # the server says so again at every start
    expect(ui.heading("Soal 1 dari 110")).to_be_visible()
    expect(html).to_have_class(re.compile(r"\blarge-text\b"))
    assert ui.errors == []

    other = browser.new_context(viewport=VIEWPORT, locale="en-US")
    try:
        plain = logged_in(other, exam)  # a participant without the accommodation
        expect(plain.page.locator("html")).not_to_have_class(re.compile(r"\blarge-text\b"))
        expect(plain.button("Teks besar")).to_have_attribute("aria-pressed", "false")
    finally:
        other.close()


# --- a reload while answers are pending -----------------------------------------------------

# Run before the page's own scripts at every load: what localStorage holds at that moment.
SNAPSHOT = """try {
    window.outboxAtLoad = Object.entries(localStorage)
        .filter(([k]) => k.startsWith("seleksi.ujian.attempt."))
        .map(([, v]) => JSON.parse(v).outbox);
} catch (e) { window.outboxAtLoad = null; }"""


def test_answers_pending_at_a_reload_survive_and_reach_the_server(
        exam: RunningExam, context: Any) -> None:
    from playwright.sync_api import Error as PlaywrightError

    context.add_init_script(SNAPSHOT)
    ui = logged_in(context, exam)
    page = ui.page
    ui.option("A").check()
    expect(page.locator("#save-status")).to_have_text(SAVED)
    bearer = ui.bearer()

    context.set_offline(True)
    expect(page.locator("#connection")).to_have_attribute("data-state", "offline")
    ui.option("B").check()
    ui.button("Soal 2").click()
    page.keyboard.press("c")
    ui.button("Ragu-ragu").click()
    expect(page.locator("#save-status")).to_have_text(PENDING)
    pending = outbox(page)
    assert [op[:3] for op in pending] == [("answer", 1, "B"), ("answer", 2, "C"),
                                          ("flag", 2, True)]

    # F5 while offline: the browser's error page; the exam page and its memory are gone.
    with pytest.raises(PlaywrightError, match="ERR_INTERNET_DISCONNECTED"):
        page.reload()
    state = server_state(exam.base, bearer)
    assert (state["answers"], state["flags"]) == ({"1": "A"}, [])  # nothing was sent

    # Online again, F5 again: the page starts from what waited in localStorage, sends it.
    context.set_offline(False)
    page.goto(f"{exam.base}/ujian")
    expect(page.locator("html[data-ready=true]")).to_have_count(1)
    [at_load] = page.evaluate("window.outboxAtLoad")
    assert ops(at_load) == pending
    expect(page.locator("#connection")).to_have_text("Tersambung", timeout=15_000)
    expect(ui.heading("Soal 2 dari 110")).to_be_visible()
    expect(ui.option("C")).to_be_checked()
    expect(ui.button("Ragu-ragu")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#save-status")).to_have_text(SAVED)
    expect(ui.button("Soal 1")).not_to_have_class(re.compile(r"\bpending\b"))
    expect(ui.button("Soal 1")).to_have_class(re.compile(r"\banswered\b"))
    assert outbox(page) == []  # nothing of question 1 or 2 is pending any more
    state = server_state(exam.base, bearer)
    assert (state["answers"], state["flags"]) == ({"1": "B", "2": "C"}, [2])
    assert ui.errors == []
