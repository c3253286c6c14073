"""The public scoreboard's data: one row per participant of a session, as the public sees it.

A row: participant number, name (masked unless the committee publishes names:
``SCOREBOARD_MASK_NAMES``), formation, the section scores and total (the live score while the
candidate works, the official result once finished: both from ``scoring``, so they never
differ), and a status: ``belum`` (not started), ``ujian`` (working), or the code once
finished: ``P`` (threshold met), ``TL`` (below), after the session closed ``TH`` for those
absent; ``DIS`` for a disqualified participant. The scheme's section maxima and pass rules
come with the session, for the chart.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from exam_server.db import reading
from exam_server.models import Attempt, Exam, ExamSession, Participant
from scoring.services import load_scheme

COLUMNS = ("participant", "name", "formation", "status", "total")


def mask(name: str) -> str:
    """``Budi Santoso`` → ``B*** S******`` (first letter of each word kept)."""
    return " ".join(w[:1] + "*" * (len(w) - 1) for w in name.split())


def status(person: Participant, attempt: Attempt | None, session_state: str) -> str:
    """The public status code of one participant (module docstring)."""
    if person.disqualified_at is not None:
        return "DIS"
    if attempt is None or attempt.state == "ready":
        return "TH" if session_state in ("closed", "published") else "belum"
    if attempt.state == "working":
        return "ujian"
    passed = (attempt.result or {}).get("passed")
    return "P" if passed else "TL"


def session_info(db: Session, row: ExamSession) -> dict[str, Any]:
    """The session's head with its scheme's sections and pass rules (for the chart)."""
    scheme = load_scheme(db.get_one(Exam, row.exam_id).scheme)
    return {"id": row.id, "exam": row.exam_id, "code": row.code, "site": row.site,
            "room": row.room, "state": row.state, "scheme": scheme.id,
            "sections": [{"code": s.code, "max": s.max_score} for s in scheme.sections],
            "max": scheme.max_score,
            "rules": [{"rule": r.name, "categories": None if r.categories is None
                       else list(r.categories), "minima": dict(r.minima)}
                      for r in scheme.pass_rules]}


def scoreboard_rows(factory: sessionmaker[Session], session_id: int, *, masked: bool,
                    attempts: Iterable[int] | None = None) -> tuple[dict[str, Any],
                                                                   list[dict[str, Any]]]:
    """The session's info and its rows (only those of ``attempts`` when given)."""
    with reading(factory) as db:
        row = db.get(ExamSession, session_id)
        if row is None:
            raise LookupError(f"no session {session_id}")
        info = session_info(db, row)
        query = (select(Participant, Attempt)
                 .outerjoin(Attempt, Attempt.participant_id == Participant.id)
                 .where(Participant.session_id == session_id).order_by(Participant.number))
        if attempts is not None:
            query = query.where(Attempt.id.in_(sorted(set(attempts))))
        codes = [s["code"] for s in info["sections"]]
        states = {row.id: (row.code, row.state)}
        return info, [_row(p, a, codes, states, masked) for p, a in db.execute(query).all()]


def exam_rows(factory: sessionmaker[Session], exam_id: str, *,
              masked: bool) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Every session of an exam in one table: the exam's info (scheme, sessions) and rows."""
    with reading(factory) as db:
        exam = db.get(Exam, exam_id) if exam_id.isprintable() else None
        if exam is None:
            raise LookupError(f"no exam {exam_id!r}")
        sessions = db.scalars(select(ExamSession).where(ExamSession.exam_id == exam_id)
                              .order_by(ExamSession.starts_at, ExamSession.code)).all()
        scheme = load_scheme(exam.scheme)
        info = {"exam": exam.id, "name": exam.name, "scheme": scheme.id,
                "sections": [{"code": s.code, "max": s.max_score} for s in scheme.sections],
                "max": scheme.max_score,
                "rules": [{"rule": r.name, "categories": None if r.categories is None
                           else list(r.categories), "minima": dict(r.minima)}
                          for r in scheme.pass_rules],
                "sessions": [{"id": s.id, "code": s.code, "site": s.site, "room": s.room,
                              "state": s.state} for s in sessions]}
        states = {s.id: (s.code, s.state) for s in sessions}
        pairs = db.execute(select(Participant, Attempt)
                           .outerjoin(Attempt, Attempt.participant_id == Participant.id)
                           .where(Participant.exam_id == exam_id)
                           .order_by(Participant.number)).all()
        codes = list(scheme.section_codes)
        return info, [_row(p, a, codes, states, masked) for p, a in pairs]


def _row(p: Participant, a: Attempt | None, codes: list[str],
         sessions: dict[int, tuple[str, str]], masked: bool) -> dict[str, Any]:
    score = None if a is None else (a.result if a.state == "finished" else a.live_score)
    sections = (score or {}).get("sections", {})
    code, state = sessions[p.session_id]
    return {"participant": p.number, "name": mask(p.name) if masked else p.name,
            "formation": p.formation, "session": code,
            "sections": {c: sections.get(c) for c in codes},
            "total": None if score is None else score.get("total"),
            "status": status(p, a, state)}


def etag(payload: Any) -> str:
    """A strong ETag of a JSON payload (its canonical form's SHA-256)."""
    data = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(data.encode("utf-8")).hexdigest()[:32]


def find_session_id(factory: sessionmaker[Session], ref: str) -> int | None:
    """A session by its number id or its code (``JKT1-S1``); None when unknown or when the
    code repeats across exams."""
    if not ref.isprintable():  # PostgreSQL refuses NUL in text: no session has one
        return None
    with reading(factory) as db:
        if ref.isascii() and ref.isdigit():  # not "²" (a digit int() refuses)
            if len(ref) > 18:  # beyond any id (a 64-bit integer): none
                return None
            return db.scalar(select(ExamSession.id).where(ExamSession.id == int(ref)))
        ids = db.scalars(select(ExamSession.id).where(ExamSession.code == ref)).all()
        return ids[0] if len(ids) == 1 else None
