"""The session report (berita acara): attendance, incidents, actions, times, results.

:func:`session_report` gathers it from the database (the audit log for actions and
incidents, attempts for the results); the console renders it as a printable page, a PDF
(:func:`report_pdf`, fpdf2 with matplotlib's bundled DejaVu Sans, so every character of a
name prints), and the results as CSV or XLSX (:func:`result_table`).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from exam_server.db import reading
from exam_server.models import Alert, Attempt, AuditLog, ExamSession, Participant
from proctor_console.models import ProctorAssignment, ProctorUser
from proctor_console.scoreboard import session_info, status

# Audit actions that are a person's decision about the room or a participant.
ACTIONS = ("session.open", "session.start", "session.pause", "session.resume",
           "session.close", "session.publish", "session.pins", "attempt.extend",
           "attempt.finish_by_proctor", "participant.unlock", "participant.reset_login",
           "participant.disqualify")
INCIDENTS = ("server.downtime", "login.refused")


@dataclass
class SessionReport:
    """Everything the berita acara shows."""

    session: dict[str, Any]
    times: dict[str, datetime | None]
    proctors: list[str]
    attendance: dict[str, int]
    actions: list[dict[str, Any]] = field(default_factory=list)
    incidents: list[dict[str, Any]] = field(default_factory=list)
    results: list[dict[str, Any]] = field(default_factory=list)


def session_report(factory: sessionmaker[Session], session_id: int) -> SessionReport:
    """The report of one session, as it stands now."""
    with reading(factory) as db:
        row = db.get_one(ExamSession, session_id)
        info = session_info(db, row)
        codes = [s["code"] for s in info["sections"]]
        pairs = db.execute(select(Participant, Attempt)
                           .outerjoin(Attempt, Attempt.participant_id == Participant.id)
                           .where(Participant.session_id == session_id)
                           .order_by(Participant.number)).all()
        subjects = [f"{row.exam_id}/{row.code}"] + [f"{p.exam_id}/{p.number}" for p, _ in pairs]
        audit = db.scalars(select(AuditLog).where(
            AuditLog.subject.in_(subjects),
            or_(AuditLog.action.in_(ACTIONS), AuditLog.action.in_(INCIDENTS)))
            .order_by(AuditLog.id)).all()
        alerts = db.execute(select(Alert, Participant.number)
                            .join(Participant, Alert.participant_id == Participant.id)
                            .where(Alert.session_id == session_id).order_by(Alert.id)).all()
        proctors = db.scalars(select(ProctorUser.full_name).join(
            ProctorAssignment, ProctorAssignment.user_id == ProctorUser.id)
            .where(ProctorAssignment.session_id == session_id)
            .order_by(ProctorUser.full_name)).all()
        report = SessionReport(
            session=info,
            times={"scheduled": row.starts_at, "opened": row.opened_at,
                   "started": row.started_at, "closed": row.closed_at,
                   "published": row.published_at},
            proctors=list(proctors),
            attendance={"registered": len(pairs),
                        "present": sum(1 for _, a in pairs
                                       if a is not None and a.started_at is not None),
                        "absent": sum(1 for _, a in pairs
                                      if a is None or a.started_at is None)})
        for entry in audit:
            item = {"at": entry.at, "actor": entry.actor, "action": entry.action,
                    "subject": entry.subject.split("/", 1)[-1],
                    "reason": str(entry.details.get("reason", "")),
                    "details": {k: v for k, v in entry.details.items() if k != "reason"}}
            (report.actions if entry.action in ACTIONS else report.incidents).append(item)
        report.incidents += [{"at": alert.at, "actor": "candidate", "action": alert.kind,
                              "subject": number, "reason": "", "details": {}}
                             for alert, number in alerts]
        report.incidents.sort(key=lambda i: i["at"])
        for p, a in pairs:
            result = a.result if a is not None and a.state == "finished" else None
            sections = (result or {}).get("sections", {})
            report.results.append({
                "participant": p.number, "name": p.name, "formation": p.formation,
                "category": p.category, "sections": {c: sections.get(c) for c in codes},
                "total": None if result is None else result.get("total"),
                "code": status(p, a, "closed" if row.state in ("closed", "published")
                               else row.state),
                "finish_reason": None if a is None else a.finish_reason,
                "finished_at": None if a is None else a.finished_at})
    return report


def result_table(report: SessionReport) -> tuple[list[str], list[list[Any]]]:
    """The results as a header and rows (the CSV and XLSX exports)."""
    codes = [s["code"] for s in report.session["sections"]]
    header = ["participant", "name", "formation", "category", *codes, "total", "code",
              "finish_reason", "finished_at"]
    rows = [[r["participant"], r["name"], r["formation"], r["category"],
             *(r["sections"][c] for c in codes), r["total"], r["code"], r["finish_reason"],
             r["finished_at"].isoformat() if r["finished_at"] else None]
            for r in report.results]
    return header, rows


def results_csv(report: SessionReport) -> str:
    """The results as CSV text (formula-like cells are prefixed with ``'``)."""
    header, rows = result_table(report)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows([[_safe("" if v is None else v) for v in row] for row in rows])
    return out.getvalue()


def results_xlsx(report: SessionReport) -> bytes:
    """The results as an XLSX workbook (one sheet)."""
    from openpyxl import Workbook

    header, rows = result_table(report)
    book = Workbook()
    sheet = book.active
    assert sheet is not None  # noqa: S101 - a new workbook has one sheet
    sheet.title = report.session["code"][:31]
    sheet.append(header)
    for row in rows:
        sheet.append([_safe(v) if isinstance(v, str) else v for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _safe(value: Any) -> Any:
    """Text a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def _font(name: str = "DejaVuSans.ttf") -> Path:
    import matplotlib

    return Path(matplotlib.get_data_path()) / "fonts" / "ttf" / name


def report_pdf(report: SessionReport) -> bytes:
    """The berita acara as a PDF (A4)."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.add_font("DejaVu", "", str(_font()))
    pdf.add_font("DejaVu", "B", str(_font("DejaVuSans-Bold.ttf")))
    pdf.set_auto_page_break(auto=True, margin=12)
    pdf.add_page()
    pdf.set_font("DejaVu", size=14)
    s = report.session
    pdf.cell(0, 8, f"Berita acara sesi {s['code']}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", size=9)
    lines = [f"Ujian {s['exam']} ({s['scheme']}) · {s['site']} / {s['room']}",
             "Waktu: " + ", ".join(f"{k} {v:%Y-%m-%d %H:%M} UTC" for k, v in
                                   report.times.items() if v is not None),
             f"Pengawas: {', '.join(report.proctors) or '-'}",
             "Kehadiran: terdaftar {registered}, hadir {present}, tidak hadir {absent}"
             .format(**report.attendance)]
    for text in lines:
        pdf.multi_cell(0, 5, text, new_x="LMARGIN", new_y="NEXT")
    for title, items in (("Tindakan", report.actions), ("Kejadian", report.incidents)):
        pdf.ln(2)
        pdf.set_font("DejaVu", size=11)
        pdf.cell(0, 6, title, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("DejaVu", size=8)
        for item in items or [{"at": None}]:
            entry = ("-" if item["at"] is None else
                     f"{item['at']:%H:%M:%S} {item['action']} {item['subject']} "
                     f"({item['actor']})" + (f": {item['reason']}" if item["reason"] else ""))
            pdf.multi_cell(0, 4, entry, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font("DejaVu", size=11)
    pdf.cell(0, 6, "Hasil", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", size=7)
    header, rows = result_table(report)
    keep = [i for i, h in enumerate(header) if h not in ("category", "finished_at")]
    with pdf.table(text_align="LEFT", first_row_as_headings=True) as table:
        for values in [header, *rows]:
            cells = table.row()
            for k in keep:
                cells.cell("" if values[k] is None else str(values[k]))
    return bytes(pdf.output())
