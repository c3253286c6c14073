"""The public scoreboard: pages, a JSON/CSV API with ETags, and the ``/scoreboard`` namespace.

No log-in. ``/scoreboard`` lists the sessions; ``/scoreboard/<session>`` is a session's live
table and chart (``/scoreboard/exam/<exam>``: every session of an exam in one table, and
``join {"exam": id}`` on the namespace); ``?big=1``: the large-screen mode for the screens
outside the room; ``?lang=en``: English. ``GET /api/scoreboard/<session>`` and ``.csv`` give
the same rows with a strong ETag (``If-None-Match`` → 304). The namespace ``/scoreboard`` answers
``join {"session": id}`` with the whole table and then sends ``scores {"session", "rows",
"full"}`` with the changed rows, at most every half second per session, however many answers
arrive (:class:`ScoreboardPusher`). ``<session>`` is the session's number id or its code.
"""

from __future__ import annotations

import csv
import io
from typing import Any, cast

import gevent
from flask import Blueprint, Response, abort, current_app, jsonify, render_template, request
from flask_socketio import Namespace, join_room, leave_room
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from exam_server.db import reading
from exam_server.models import ExamSession
from exam_server.realtime import JsonOnly, socketio
from exam_server.runtime import ExamRuntime, freeze_after_bursts
from proctor_console.live import Coalescer
from proctor_console.scoreboard import etag, exam_rows, find_session_id, scoreboard_rows
from proctor_console.shared_reads import SharedReads

bp = Blueprint("scoreboard", __name__, template_folder="templates", static_folder="static",
               static_url_path="/scoreboard/static")
NAMESPACE = "/scoreboard"
LANGUAGES = ("id", "en")
TEXTS = {
    "id": {"title": "Papan skor", "sessions": "Sesi", "participant": "Nomor peserta",
           "name": "Nama", "formation": "Formasi", "status": "Status", "total": "Total",
           "distribution": "Sebaran nilai", "threshold": "ambang batas", "live": "Langsung",
           "offline": "Terputus — menyambung lagi…", "other": "English",
           "belum": "belum mulai", "ujian": "sedang ujian", "P": "P (memenuhi)",
           "TL": "TL (tidak memenuhi)", "TH": "TH (tidak hadir)", "DIS": "DIS (diskualifikasi)",
           "count": "peserta",
           "finished": "selesai", "working": "sedang ujian"},
    "en": {"title": "Scoreboard", "sessions": "Sessions", "participant": "Participant no.",
           "name": "Name", "formation": "Formation", "status": "Status", "total": "Total",
           "distribution": "Score distribution", "threshold": "threshold", "live": "Live",
           "offline": "Disconnected — reconnecting…", "other": "Bahasa Indonesia",
           "belum": "not started", "ujian": "sitting", "P": "P (passed)",
           "TL": "TL (below threshold)", "TH": "TH (absent)", "DIS": "DIS (disqualified)",
           "count": "participants",
           "finished": "finished", "working": "sitting"},
}


def _factory() -> sessionmaker[Session]:
    made: sessionmaker[Session] = current_app.extensions["seleksi.db"]
    return made


def _masked() -> bool:
    return bool(current_app.config.get("SCOREBOARD_MASK_NAMES", True))


def _language() -> str:
    asked = request.args.get("lang")
    return asked if asked in LANGUAGES else "id"


def _session_or_404(ref: str) -> int:
    session_id = find_session_id(_factory(), ref)
    if session_id is None:
        abort(404)
    return session_id


@bp.get("/scoreboard")
def sessions() -> Response:
    """Every session, with a link to its scoreboard."""
    with reading(_factory()) as db:
        rows = db.scalars(select(ExamSession).order_by(ExamSession.starts_at,
                                                       ExamSession.code)).all()
        listing = [{"id": r.id, "code": r.code, "exam": r.exam_id, "site": r.site,
                    "room": r.room, "state": r.state} for r in rows]
    lang = _language()
    return Response(render_template("scoreboard/index.html", sessions=listing, lang=lang,
                                    t=TEXTS[lang]))


@bp.get("/scoreboard/<ref>")
def page(ref: str) -> Response:
    """A session's live scoreboard (``?big=1`` large screen, ``?lang=en``)."""
    session_id = _session_or_404(ref)
    lang = _language()
    return Response(render_template(
        "scoreboard/session.html", session_id=session_id, ref=ref, lang=lang, t=TEXTS[lang],
        big=request.args.get("big") == "1"))


@bp.get("/scoreboard/exam/<exam_id>")
def exam_page(exam_id: str) -> Response:
    """Every session of an exam in one live table (``?big=1``, ``?lang=en``)."""
    _exam_table(exam_id)  # 404 for an unknown exam
    lang = _language()
    return Response(render_template(
        "scoreboard/session.html", session_id="", exam_id=exam_id, ref=exam_id, lang=lang,
        t=TEXTS[lang], big=request.args.get("big") == "1"))


@bp.get("/api/scoreboard/exam/<ref>")
def exam_api(ref: str) -> Response:
    """The exam's table as JSON (or CSV for ``<exam>.csv``), with a strong ETag."""
    as_csv = ref.endswith(".csv")
    table = _exam_table(ref.removesuffix(".csv") if as_csv else ref)
    return _tagged(table, as_csv, f"scoreboard-{table['exam']['exam']}.csv")


def _exam_table(exam_id: str) -> dict[str, Any]:
    try:
        info, rows = exam_rows(_factory(), exam_id, masked=_masked())
    except LookupError:
        abort(404)
    return {"exam": info, "rows": rows}


def _table(session_id: int) -> dict[str, Any]:
    info, rows = scoreboard_rows(_factory(), session_id, masked=_masked())
    return {"session": info, "rows": rows}


@bp.get("/api/scoreboard/<ref>")
def api(ref: str) -> Response:
    """The table as JSON, or as CSV when ``ref`` ends in ``.csv``; with a strong ETag."""
    as_csv = ref.endswith(".csv")
    session_id = _session_or_404(ref.removesuffix(".csv") if as_csv else ref)
    table = _table(session_id)
    return _tagged(table, as_csv, f"scoreboard-{table['session']['code']}.csv")


def _tagged(table: dict[str, Any], as_csv: bool, filename: str) -> Response:
    """The table as JSON or CSV with its strong ETag (304 when the client has it)."""
    tag = etag(table) + ("-csv" if as_csv else "")
    if request.if_none_match.contains(tag):
        response = Response(status=304)
    elif as_csv:
        response = Response(_csv(table), mimetype="text/csv")
        response.headers["Content-Disposition"] = f"inline; filename={filename}"
    else:
        response = jsonify(table)
    response.set_etag(tag)
    response.headers["Cache-Control"] = "no-cache"
    return response


def _csv(table: dict[str, Any]) -> str:
    head = table.get("session") or table["exam"]
    codes = [s["code"] for s in head["sections"]]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["participant", "name", "formation", "session", *codes, "total",
                     "status"])
    for r in table["rows"]:
        writer.writerow([r["participant"], r["name"], r["formation"], r["session"],
                         *("" if r["sections"][c] is None else r["sections"][c] for c in codes),
                         "" if r["total"] is None else r["total"], r["status"]])
    return out.getvalue()


def room(session_id: int) -> str:
    """The Socket.IO room of a session's public watchers."""
    return f"scoreboard:{session_id}"


def exam_room(exam_id: str) -> str:
    """The Socket.IO room of an exam's public watchers (every session's rows)."""
    return f"scoreboard:exam:{exam_id}"


class ScoreboardPusher(Coalescer):
    """``scores`` pushes: the changed rows of a session, at most every half second."""

    def __init__(self, rt: ExamRuntime, *, everywhere: bool, masked: bool) -> None:
        super().__init__(rt, everywhere=everywhere)
        self.masked = masked
        self.reads: SharedReads[JsonOnly] = SharedReads()

    def table(self, session_id: int) -> dict[str, Any]:
        """The ``join`` ack of a session, for a watcher who has joined its room: the whole
        table from a read that began after the join, shared by every watcher waiting for it
        (:mod:`proctor_console.shared_reads`). A burst of thousands of watchers costs a few
        table reads and JSON encodings (a :class:`JsonOnly`), one at a time, and misses no
        change: anything committed after the read is pushed to the room, in which the watcher
        already is, on this process or (with a message queue) any other."""
        def read() -> JsonOnly:
            info, rows = scoreboard_rows(self.rt.factory, session_id, masked=self.masked)
            return JsonOnly(ok=True, session=info, rows=rows)

        return self.reads.read_after_now(("session", session_id), read)

    def exam_table(self, exam_id: str) -> dict[str, Any]:
        """The ``join`` ack of an exam's table, shared the same way (``LookupError``:
        no such exam)."""
        def read() -> JsonOnly:
            info, rows = exam_rows(self.rt.factory, exam_id, masked=self.masked)
            return JsonOnly(ok=True, exam=info, rows=rows)

        return self.reads.read_after_now(("exam", exam_id), read)

    def run(self) -> None:
        """Flush forever; meanwhile freeze the heap after bursts of watchers, as after
        bursts of candidates (``exam_server.runtime.freeze_after_bursts``, which counts the
        ``/exam`` connections only): measured, 5,000 joining watchers left ~500,000 objects
        that every full collection walked again, every 1-3 s while they came, each longer
        than the last (up to ~400 ms; with this, under ~100 ms)."""
        gevent.spawn(freeze_after_bursts, cast(dict[str, Any], self.watchers))
        super().run()

    def push(self, session_id: int, attempts: set[int] | None) -> bool:
        try:
            info, rows = scoreboard_rows(self.rt.factory, session_id, masked=self.masked,
                                         attempts=attempts)
        except LookupError:
            return False
        socketio.emit("scores", {"session": info, "rows": rows, "full": attempts is None},
                      to=room(session_id), namespace=NAMESPACE)
        # The exam's table gets the same rows (each names its session); a session-wide
        # change refreshes the whole exam table.
        socketio.emit("scores", {"exam": info["exam"], "rows": rows, "full": False},
                      to=exam_room(info["exam"]), namespace=NAMESPACE)
        return True


class ScoreboardNamespace(Namespace):  # type: ignore[misc]
    """``/scoreboard``: anyone may join a session's table (module docstring)."""

    def __init__(self, rt: ExamRuntime, pusher: ScoreboardPusher) -> None:
        super().__init__(NAMESPACE)
        self.rt, self.pusher = rt, pusher

    def _sid(self) -> str:
        sid: str = request.sid  # type: ignore[attr-defined]
        return sid

    def on_disconnect(self, reason: Any = None) -> None:
        self.pusher.watchers.pop(self._sid(), None)

    def on_join(self, data: Any = None) -> dict[str, Any]:
        exam = data.get("exam") if isinstance(data, dict) else None
        if exam is not None:
            return self._join_exam(exam)
        ref = data.get("session") if isinstance(data, dict) else None
        if isinstance(ref, bool) or not isinstance(ref, int | str):
            return {"ok": False, "error": "bad_request"}
        session_id = find_session_id(self.rt.factory, str(ref)[:64])
        if session_id is None:
            return {"ok": False, "error": "not_found"}
        join_room(room(session_id))  # first: a change after the table's read is pushed here
        self.pusher.watchers.setdefault(self._sid(), set()).add(session_id)
        return self.pusher.table(session_id)

    def _join_exam(self, exam: Any) -> dict[str, Any]:
        if not isinstance(exam, str) or not exam or len(exam) > 64:
            return {"ok": False, "error": "bad_request"}
        join_room(exam_room(exam))  # first, as for a session
        try:
            table = self.pusher.exam_table(exam)
        except LookupError:
            leave_room(exam_room(exam))
            return {"ok": False, "error": "not_found"}
        watched = self.pusher.watchers.setdefault(self._sid(), set())
        watched.update(s["id"] for s in table["exam"]["sessions"])
        return table

    def on_leave(self, data: Any = None) -> dict[str, Any]:
        ref = data.get("session") if isinstance(data, dict) else None
        if isinstance(ref, int) and not isinstance(ref, bool):
            leave_room(room(ref))
            self.pusher.watchers.get(self._sid(), set()).discard(ref)
        return {"ok": True}
