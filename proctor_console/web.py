"""``/proctor``: log-in, the list of one's sessions, and a session's live console page.

Thin views: parse, call a service, render. Every page but the log-in needs a logged-in
account; a session page or action of a session the account may not see is a 404 (it does
not reveal that the session exists).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_login import login_user, logout_user
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.wrappers import Response

from exam_server.db import reading
from exam_server.models import ExamSession
from exam_server.runtime import runtime
from proctor_console.accounts import AccountError, Proctor, authenticate, visible_sessions
from proctor_console.auth import ConsoleUser, current_proctor, login_required
from proctor_console.report import report_pdf, results_csv, results_xlsx, session_report
from proctor_console.roster import counts, roster_rows, session_head

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
bp = Blueprint("proctor", __name__, url_prefix="/proctor", template_folder="templates",
               static_folder="static", static_url_path="/static")


def factory() -> sessionmaker[Session]:
    """The app's database sessions."""
    made: sessionmaker[Session] = current_app.extensions["seleksi.db"]
    return made


def me() -> Proctor:
    """The logged-in proctor (views are ``login_required``)."""
    proctor = current_proctor()
    if proctor is None:
        abort(401)
    return proctor


def visible_session(session_id: int) -> ExamSession:
    """The session, if this proctor may see it; else 404."""
    with reading(factory()) as db:
        row = db.get(ExamSession, session_id)
    if row is None or not me().may_see(row):
        abort(404)
    return row


def scores_visible() -> bool:
    """Whether proctors see running scores (the committee decides: PROCTOR_SEES_SCORES)."""
    return me().role != "proctor" or bool(current_app.config.get("PROCTOR_SEES_SCORES", True))


@bp.route("/login", methods=["GET", "POST"])
def login() -> str | Response | tuple[str, int]:
    """The log-in form; five wrong passwords lock the account."""
    error = None
    if request.method == "POST":
        try:
            proctor = authenticate(factory(), request.form.get("username", ""),
                                   request.form.get("password", ""), runtime().clock.now())
        except AccountError as exc:
            error = str(exc)
        else:
            login_user(ConsoleUser(proctor))
            return redirect(url_for("proctor.index"))
    return render_template("proctor/login.html", error=error), 401 if error else 200


@bp.post("/logout")
@login_required
def logout() -> Response:
    """End the console session."""
    logout_user()
    return redirect(url_for("proctor.login"))


@bp.get("/")
@login_required
def index() -> str:
    """The sessions this account may see."""
    return render_template("proctor/index.html", proctor=me(),
                           sessions=visible_sessions(factory(), me()))


@bp.get("/sessions/<int:session_id>")
@login_required
def session_page(session_id: int) -> str:
    """A session's live console: roster, counts, actions."""
    row = visible_session(session_id)
    return render_template("proctor/session.html", proctor=me(), session=session_head(row),
                           scores=scores_visible())


@bp.get("/api/sessions/<int:session_id>/roster")
@login_required
def roster(session_id: int) -> dict[str, Any]:
    """The roster as JSON (the page gets it over Socket.IO; this is for scripts)."""
    row = visible_session(session_id)
    rows = roster_rows(factory(), session_id, runtime().clock.now(), scores=scores_visible())
    return {"session": session_head(row), "rows": rows, "counts": counts(rows)}


@bp.get("/sessions/<int:session_id>/report")
@login_required
def report_page(session_id: int) -> str:
    """The berita acara as a printable page."""
    visible_session(session_id)
    return render_template("proctor/report.html", proctor=me(),
                           report=session_report(factory(), session_id))


@bp.get("/sessions/<int:session_id>/report.<kind>")
@login_required
def report_file(session_id: int, kind: str) -> Response:
    """The berita acara as ``pdf``, or its results as ``csv`` or ``xlsx``."""
    row = visible_session(session_id)
    report = session_report(factory(), session_id)
    made: tuple[bytes | str, str]
    if kind == "pdf":
        made = report_pdf(report), "application/pdf"
    elif kind == "csv":
        made = results_csv(report), "text/csv"
    elif kind == "xlsx":
        made = results_xlsx(report), XLSX
    else:
        abort(404)
    response = Response(made[0], mimetype=made[1])
    name = f"berita-acara-{row.code}.{kind}" if kind == "pdf" else f"hasil-{row.code}.{kind}"
    response.headers["Content-Disposition"] = f"attachment; filename={name}"
    return response
