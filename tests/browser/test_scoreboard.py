"""The public scoreboard in Debian's Chromium against a real ``seleksi serve``: a candidate's
answer shows within a second; the large-screen mode renders with its chart."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest

from tests.browser.conftest import SESSION, RunningExam
from tests.browser.test_candidate_page import SHOTS, expect
from tests.browser.test_proctor_console import Candidate

pytestmark = pytest.mark.browser


def test_the_scoreboard_moves_with_each_answer(running_exam: RunningExam, context: Any) -> None:
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{running_exam.base}/scoreboard/{SESSION}")
    expect(page.locator("#connection")).to_have_text("Langsung")
    number, pin = running_exam.participant()
    candidate = Candidate(running_exam, number, pin)
    try:
        row = page.locator(f'#board tbody tr[data-participant="{number}"]')
        expect(row.locator(".status")).to_have_text("sedang ujian")
        paper = candidate.state["paper"]["questions"]
        # The first TKP question: every option scores, so the total must move.
        q = next(x["no"] for x in paper if x["section"] == "TKP")
        sent = time.monotonic()
        assert candidate.answer(1, q, "A")["ok"] is True
        # TKP options score 1 to 5: the total cell must show that number.
        expect(row.locator(".total")).to_have_text(re.compile(r"^[1-5]$"), timeout=3000)
        shown_after = time.monotonic() - sent
        assert shown_after < 3  # coalesced every 0.5 s; well within a second when quiet
        expect(page.locator("#charts canvas")).to_have_count(4)
        page.screenshot(path=str(SHOTS / "scoreboard.png"))

        big = context.new_page()
        big.on("pageerror", lambda exc: errors.append(str(exc)))
        big.goto(f"{running_exam.base}/scoreboard/{SESSION}?big=1&lang=en")
        expect(big.locator("#connection")).to_have_text("Live")
        expect(big.locator(f'#board tbody tr[data-participant="{number}"] .status')
               ).to_have_text("sitting")
        assert big.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(0, 0, 0)"
        big.screenshot(path=str(SHOTS / "scoreboard-big.png"))
        exam = context.new_page()
        exam.on("pageerror", lambda exc: errors.append(str(exc)))
        exam.goto(f"{running_exam.base}/scoreboard/exam/skd-2024-demo")
        mine = exam.locator(f'#board tbody tr[data-participant="{number}"]')
        expect(mine.locator("td").nth(3)).to_have_text(SESSION)  # the session column
        expect(mine.locator(".total")).to_have_text(re.compile(r"^[1-5]$"))
    finally:
        candidate.close()
    assert errors == []
