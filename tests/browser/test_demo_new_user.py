"""Issue 5's "tried as a new user would": the demo's printed URL, a printed credential, the exam.

``seleksi demo`` is started as the README's first command starts it (no ``SELEKSI_INSTANCE``:
its instance is ``./instance``); everything the candidate needs is read from what it prints and
from the credentials file it names, then the exam is sat in Chromium by role and accessible
name, and the result the page shows is the one the server stored.
"""

from __future__ import annotations

import csv
import json
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.test_candidate_page import SAVED, Page, expect
from tests.cli.conftest import Demo, running_demo

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """The demo as the README starts it (on a free port instead of 5000)."""
    with running_demo(tmp_path_factory.mktemp("new-user")) as running:
        yield running


def test_a_new_user_sits_the_demo_exam_in_the_browser(demo: Demo, context: Any) -> None:
    url = demo.printed("Candidate page:")
    assert url == f"{demo.base}/ujian"
    token = demo.printed("session token")
    cards_file = Path(demo.printed("credentials"))
    assert cards_file == demo.instance / "credentials.csv"
    with cards_file.open(encoding="utf-8", newline="") as f:
        card = next(csv.DictReader(f))

    ui = Page(context, url.removesuffix("/ujian"))
    page = ui.page
    assert page.url == url
    ui.log_in(card["participant"], card["pin"], token)
    expect(ui.heading("Soal 1 dari 110")).to_be_visible()
    chosen: dict[int, str] = {}
    for no, label in ((1, "A"), (2, "C"), (3, "E")):
        ui.button(f"Soal {no}").click()
        expect(ui.heading(f"Soal {no} dari 110")).to_be_visible()
        ui.option(label).check()
        expect(page.locator("#save-status")).to_have_text(SAVED)
        chosen[no] = label
    ui.button("Selesai").click()
    expect(page.get_by_role("dialog")).to_contain_text("Belum dijawab (107)")
    ui.button("Ya, selesai").click()
    expect(ui.heading("Hasil ujian")).to_be_visible()

    with sqlite3.connect(demo.instance / "seleksi.db") as conn:
        state, result_json = conn.execute(
            "SELECT t.state, t.result FROM attempt t JOIN participant p "
            "ON p.id = t.participant_id WHERE p.number = ?", (card["participant"],)).fetchone()
        stored = dict(conn.execute(
            "SELECT a.q, a.choice FROM answer a JOIN attempt t ON t.id = a.attempt_id "
            "JOIN participant p ON p.id = t.participant_id WHERE p.number = ? "
            "AND a.choice IS NOT NULL", (card["participant"],)).fetchall())
    assert state == "finished"
    assert stored == chosen
    result = json.loads(result_json) if isinstance(result_json, str) else result_json
    expect(page.locator("#result-total")).to_have_text(
        re.compile(rf"^{result['total']} dari {result['max']}$"))
    for section, points in result["sections"].items():
        expect(page.get_by_role("row", name=f"{section} {points}")).to_be_visible()
    assert ui.errors == []
