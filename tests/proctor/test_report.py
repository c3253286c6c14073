"""The session report (berita acara) as a page, a PDF, and results in CSV and XLSX."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from tests.proctor.conftest import Console
from tests.proctor.test_live import Proctor


def test_the_report_lists_attendance_actions_incidents_and_results(console: Console) -> None:
    ip = console.ip
    one, two = ip.prepared.numbers[:2]
    a = ip.candidate(one)
    a.emit("start", {}, namespace="/exam", callback=True)
    a.emit("answer", {"seq": 1, "q": 1, "choice": "A"}, namespace="/exam",
           callback=True)
    a.emit("integrity", {"kind": "blur", "at": 1}, namespace="/exam", callback=True)
    proctor = Proctor(console, "pengawas1")
    assert proctor.act("pause", reason="listrik padam")[0] == 200
    assert proctor.act("resume", reason="listrik menyala")[0] == 200
    result = proctor.act("finish", reason="sakit", participant=one)[1]["result"]

    base = f"/proctor/sessions/{console.session_id}"
    html = proctor.http.get(f"{base}/report").get_data(as_text=True)
    assert "Berita acara sesi JKT1-S1" in html
    assert "Pengawas Satu" in html
    assert f"Terdaftar {len(ip.prepared.numbers)}, hadir 1, tidak hadir " \
           f"{len(ip.prepared.numbers) - 1}" in html
    for reason in ("listrik padam", "listrik menyala", "sakit"):
        assert reason in html
    assert "blur" in html

    pdf = proctor.http.get(f"{base}/report.pdf")
    assert pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF-") and len(pdf.data) > 2000  # noqa: PT018
    rows = list(csv.DictReader(io.StringIO(proctor.http.get(f"{base}/report.csv")
                                           .get_data(as_text=True))))
    by_number = {r["participant"]: r for r in rows}
    assert by_number[one]["total"] == str(result["total"])
    assert by_number[one]["code"] == ("P" if result["passed"] else "TL")
    assert by_number[one]["finish_reason"] == "proctor"
    assert by_number[two]["code"] == "belum" and by_number[two]["total"] == ""  # noqa: PT018
    book = load_workbook(io.BytesIO(proctor.http.get(f"{base}/report.xlsx").data))
    sheet = book.active
    assert sheet is not None
    values = list(sheet.values)
    assert values[0][:3] == ("participant", "name", "formation")
    assert len(values) == len(ip.prepared.numbers) + 1
    assert proctor.http.get(f"{base}/report.doc").status_code == 404
    other = console.client("pengawas2")
    for kind in ("", ".pdf", ".csv", ".xlsx"):
        assert other.get(f"{base}/report{kind}").status_code == 404
