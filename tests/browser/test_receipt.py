"""The result page shows the receipt of the public result log, with a QR code of it."""

from __future__ import annotations

import re
from typing import Any

import pytest
import requests

from tests.browser.conftest import RunningExam
from tests.browser.test_candidate_page import Page, expect

pytestmark = pytest.mark.browser


def test_the_result_page_shows_the_receipt_and_its_qr_code(running_exam: RunningExam,
                                                           context: Any) -> None:
    ui = Page(context, running_exam.base)
    page = ui.page
    number, pin = running_exam.participant()
    ui.log_in(number, pin, running_exam.token())
    expect(ui.heading("Soal 1 dari 110")).to_be_visible()
    bearer = ui.bearer()
    ui.button("Selesai").click()
    ui.button("Ya, selesai").click()
    expect(ui.heading("Hasil ujian")).to_be_visible()

    expect(ui.heading("Tanda terima")).to_be_visible()
    status = page.locator("#receipt-status")
    expect(status).to_have_text(re.compile(r"sebagai entri nomor \d+\.$"), timeout=15_000)
    receipt = requests.get(f"{running_exam.base}/ujian/receipt", timeout=10,
                           headers={"Authorization": f"Bearer {bearer}"}).json()
    expect(page.locator("#receipt-leaf-hash")).to_have_text(receipt["leaf_hash"])
    expect(page.locator("#receipt-tree-size")).to_have_text(re.compile(r"^\d+$"))
    expect(page.locator("#receipt-signature")).to_have_text(re.compile(r"^[A-Za-z0-9+/]{86}==$"))
    qr = page.get_by_role("img", name="Kode QR tanda terima")
    expect(qr).to_be_visible()
    assert (qr.get_attribute("src") or "").startswith("data:image/gif;base64,")
    width = qr.evaluate("img => img.complete ? img.naturalWidth : 0")
    assert width >= 21 * 3  # at least the smallest QR symbol (21 modules) at 3 px a module
    qr.scroll_into_view_if_needed()
    ui.screenshot("result-receipt.png")
    assert ui.errors == []
