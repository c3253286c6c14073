"""The proctor console with a room of 400 (issue 6 §1) in Debian's Chromium at 1024×768.

A session of 400 participants is built and served for this module alone. A proctor opens the
page; four candidates are driven by real python-socketio clients (one logs in only, two work,
one finishes) and the counts and their rows follow by push, without taking the proctor's
focus. Then the table is searched, filtered by status and sorted by its columns, each result
read back from its cells; a connection drops and its row counts the seconds.
The page's render times are measured and printed (``-s`` shows them), never asserted.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.browser.conftest import RunningExam, serve_exam
from tests.browser.test_candidate_page import SHOTS, expect
from tests.browser.test_proctor_console import Candidate, open_console

pytestmark = pytest.mark.browser
ROOM = 400
ALL = [f"2411{n:09d}" for n in range(1, ROOM + 1)]
FINISHER, WORKER, SLOW, ARRIVED = ALL[6], ALL[122], ALL[349], ALL[398]  # 7, 123, 350, 399
COUNTED = {"not_arrived": "belum hadir", "locked": "terkunci", "logged_in": "sudah masuk",
           "working": "mengerjakan", "disconnected": "terputus", "finished": "selesai",
           "auto_finished": "selesai otomatis", "disqualified": "DIS"}  # the counts, in order

# One redraw, timed in the page: type into the search box (an ``input`` event, as typing
# does) or click a sort button, then wait for the next frame and force layout, so the time
# covers the script and the layout of the table.
TIMED = """async ({ search, sort }) => {
  const t0 = performance.now();
  if (sort) document.querySelector(`#roster thead button[data-sort="${sort}"]`).click();
  else {
    const box = document.getElementById("search");
    box.value = search;
    box.dispatchEvent(new Event("input", { bubbles: true }));
  }
  await new Promise((done) => requestAnimationFrame(() => done()));
  void document.getElementById("roster").offsetHeight;
  return performance.now() - t0;
}"""


@pytest.fixture(scope="module")
def large_room(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningExam]:
    """A running session of :data:`ROOM` participants, served for this module."""
    with serve_exam(tmp_path_factory.mktemp("large-room"), ROOM) as exam:
        yield exam


def _cells(page: Any, column: int) -> list[str]:
    """The text of one column (0: the number) of the rows shown, top to bottom."""
    texts: list[str] = page.evaluate(
        "(i) => [...document.querySelectorAll('#roster tbody tr')]"
        ".map((tr) => tr.cells[i].textContent)", column)
    return texts


def _shown(page: Any, count: int) -> list[str]:
    """The participant numbers shown, once there are ``count`` rows."""
    expect(page.locator("#roster tbody tr")).to_have_count(count)
    return _cells(page, 0)


def _drawn(page: Any) -> list[str]:
    """The participant numbers shown once the page has drawn the frame after an input (the
    console draws on the next animation frame; this frame callback runs after its own)."""
    page.evaluate("new Promise((done) => requestAnimationFrame(() => done()))")
    return _cells(page, 0)


def _search(page: Any, text: str) -> list[str]:
    page.get_by_label("Cari").fill(text)
    return _drawn(page)


def _filter(page: Any, status: str) -> list[str]:
    page.locator("#status-filter").select_option(status)
    return _drawn(page)


def _sort(page: Any, column: str, direction: str) -> list[str]:
    """Click a column's sort button; the numbers shown once its header says ``direction``."""
    page.locator(f'#roster thead button[data-sort="{column}"]').click()
    expect(page.locator(f'#roster thead th:has(button[data-sort="{column}"])')).to_have_attribute(
        "aria-sort", direction)
    return _drawn(page)


def _scores(page: Any) -> list[int]:
    """The score column of the rows shown (-1 for none)."""
    return [int(text) if text else -1 for text in _cells(page, 5)]


def _status(page: Any, number: str) -> Any:
    return page.locator(f'#roster tbody tr[data-participant="{number}"] .status')


def _expected_counts(**by_status: int) -> list[str]:
    """The counts at the top: everyone, then each status (``by_status``, others 0)."""
    return [f"peserta {ROOM}"] + [f"{text} {by_status.get(status, 0)}"
                                  for status, text in COUNTED.items()]


def _render_times(page: Any) -> list[float]:
    """Durations of the console's own renders (its ``roster-render`` performance measures)."""
    times: list[float] = page.evaluate(
        "performance.getEntriesByName('roster-render').map((e) => e.duration)")
    return times


def test_a_room_of_400_on_a_laptop_screen(large_room: RunningExam, context: Any) -> None:
    page, errors = open_console(large_room, context)
    assert _shown(page, ROOM) == ALL
    counts = page.locator("#counts li")
    expect(counts).to_have_text(_expected_counts(not_arrived=ROOM))
    expect(page.locator("#roster thead th:has(button[data-sort=participant])")).to_have_attribute(
        "aria-sort", "ascending")

    # Candidates arrive: one only logs in, two start and answer, one answers and finishes.
    arrived = requests.post(f"{large_room.base}/api/exam/login", timeout=10, json={
        "participant": ARRIVED, "pin": large_room.cards[ARRIVED], "token": large_room.token()})
    assert arrived.status_code == 200, arrived.text
    candidates: list[Candidate] = []
    try:
        for number in (FINISHER, WORKER, SLOW):
            candidates.append(Candidate(large_room, number, large_room.cards[number]))
        finisher, worker, slow = candidates
        for seq, (q, choice) in enumerate([(1, "A"), (2, "B"), (3, "C")], start=1):
            assert finisher.answer(seq, q, choice)["ok"] is True
        assert worker.answer(1, 1, "D")["ok"] is True
        assert worker.answer(2, 5, "E")["ok"] is True
        assert slow.answer(1, 2, "A")["ok"] is True
        expect(_status(page, WORKER)).to_have_text("mengerjakan")
        expect(page.locator(f'tr[data-participant="{WORKER}"] .answered')).to_have_text("2")
        expect(page.locator(f'tr[data-participant="{SLOW}"] .answered')).to_have_text("1")
        expect(_status(page, ARRIVED)).to_have_text("sudah masuk")
        expect(counts).to_have_text(_expected_counts(not_arrived=ROOM - 4, logged_in=1,
                                                     working=3))

        # A push redraws the rows it carries without taking the proctor's focus away.
        extend = page.get_by_role("button", name=f"Tambah waktu {WORKER}")
        extend.focus()
        result = finisher.finish()
        assert result["ok"] is True, result
        total = result["result"]["total"]
        expect(_status(page, FINISHER)).to_have_text("selesai")
        expect(page.locator(f'tr[data-participant="{FINISHER}"] .score')).to_have_text(str(total))
        expect(counts).to_have_text(_expected_counts(not_arrived=ROOM - 4, logged_in=1,
                                                     working=2, finished=1))
        expect(extend).to_be_focused()
        assert _shown(page, ROOM) == ALL
        pushes = _render_times(page)

        # Search by number (whole or a part), then by part of a name (any case).
        assert _search(page, WORKER) == [WORKER]
        assert _search(page, "  350 ") == [SLOW]
        assert _search(page, "peserta 12") == [ALL[11]] + ALL[119:129]  # 12, 120..129
        assert _cells(page, 1) == ["Peserta 12"] + [f"Peserta {n}" for n in range(120, 130)]
        assert _search(page, "PESERTA 39") == [ALL[38]] + ALL[389:399]
        assert _search(page, "tidak ada") == []
        assert _search(page, "") == ALL

        # Filter by status, alone and with a search.
        assert _filter(page, "finished") == [FINISHER]
        assert _filter(page, "working") == [WORKER, SLOW]
        assert _filter(page, "logged_in") == [ARRIVED]
        absent = [n for n in ALL if n not in (FINISHER, WORKER, SLOW, ARRIVED)]
        assert _filter(page, "not_arrived") == absent
        assert _search(page, "peserta 35") == [ALL[34]] + ALL[350:359]  # 350 is working
        assert _filter(page, "") == [ALL[34]] + ALL[349:359]
        assert _search(page, "") == ALL

        # Sort: a second click on the same column reverses it; ties stay in number order.
        assert _sort(page, "participant", "descending") == ALL[::-1]
        assert _sort(page, "participant", "ascending") == ALL
        assert _sort(page, "name", "ascending") == ALL  # "Peserta 2" before "Peserta 10"
        assert _sort(page, "name", "descending") == ALL[::-1]
        started = [FINISHER, WORKER, SLOW]
        assert _sort(page, "answered", "ascending") == [
            n for n in ALL if n not in started] + [SLOW, WORKER, FINISHER]
        assert _sort(page, "answered", "descending") == started + [
            n for n in ALL if n not in started]
        assert _sort(page, "status", "ascending") == absent + [ARRIVED, WORKER, SLOW, FINISHER]
        assert _sort(page, "status", "descending") == [FINISHER, WORKER, SLOW, ARRIVED] + absent
        # By score: the three who started have one (the finisher's is its result), the rest none.
        by_score = _sort(page, "total", "ascending")
        score = dict(zip(by_score, _scores(page), strict=True))
        assert score[FINISHER] == total
        assert {n for n in ALL if score[n] >= 0} == set(started)
        assert by_score == sorted(ALL, key=lambda n: (score[n], n))
        assert _sort(page, "total", "descending") == sorted(ALL, key=lambda n: (-score[n], n))

        assert _sort(page, "participant", "ascending") == ALL

        # A connection drops: the row says so, and counts the seconds up in the page.
        slow.close()
        expect(_status(page, SLOW)).to_have_text(re.compile(r"^terputus \d+ dtk$"))
        expect(counts).to_have_text(_expected_counts(not_arrived=ROOM - 4, logged_in=1,
                                                     working=1, disconnected=1, finished=1))
        assert _filter(page, "disconnected") == [SLOW]
        before = _status(page, SLOW).inner_text()
        expect(_status(page, SLOW)).not_to_have_text(before)
        assert int(_status(page, SLOW).inner_text().split()[1]) > int(before.split()[1])
        assert _filter(page, "") == ALL

        # What it costs (printed, never asserted: the machines are noisy).
        timings = {name: page.evaluate(TIMED, action) for name, action in [
            ("search to 1 row", {"search": WORKER}), ("back to 400", {"search": ""}),
            ("search to 11 rows", {"search": "peserta 12"}), ("back to 400 again", {"search": ""}),
            ("sort 400 descending", {"sort": "participant"}),
            ("sort 400 ascending", {"sort": "participant"})]}
        assert _shown(page, ROOM) == ALL
        print(f"\nconsole, {ROOM} rows, ms with layout: "
              + ", ".join(f"{name} {ms:.1f}" for name, ms in timings.items())
              + f"\nscript only: first draw (join) {pushes[0]:.1f}, each push after it "
              + ", ".join(f"{ms:.1f}" for ms in pushes[1:]))

        _sort(page, "status", "ascending")
        _sort(page, "status", "descending")  # the finished, working and logged-in rows on top
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "proctor-console-400.png"))
        expect(page.locator("#connection")).to_have_text("Tersambung")
    finally:
        for candidate in candidates:
            if candidate.sio.connected:
                candidate.close()
    assert errors == []
