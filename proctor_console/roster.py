"""The live roster of a session: one row per participant, as the proctor sees it.

A row's ``status`` is one of :data:`STATUSES`:

- ``not_arrived``: no login yet; ``locked``: five wrong PINs (a proctor unlocks);
- ``logged_in``: logged in, not started; ``working``: started, a connection is live;
- ``disconnected``: started, no live connection for ``disconnected_s`` seconds (the
  serving process refreshes ``attempt.connected_at`` every 10 s, so a connection not seen
  for :data:`LIVE_WITHIN` is gone);
- ``finished`` (by the candidate or a proctor), ``auto_finished`` (by the clock);
- ``disqualified``: DIS (its result stands, marked, and a correction goes to the public log).

``answered`` counts questions with a choice; ``left_s`` is the time left (frozen while the
room is paused); ``score`` is the live score ``{"sections", "total"}`` (the same numbers as
the official result, from ``scoring``), left out when the committee hides scores from
proctors. ``alerts`` are the newest integrity alerts and refused second logins.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from exam_server.db import reading
from exam_server.models import Alert, Answer, Attempt, ExamSession, Participant

STATUSES = ("not_arrived", "locked", "logged_in", "working", "disconnected", "finished",
            "auto_finished", "disqualified")
LIVE_WITHIN = timedelta(seconds=30)
ALERTS_PER_ROW = 5


def session_head(row: ExamSession) -> dict[str, Any]:
    """The JSON of a session's head (state, pause)."""
    return {"id": row.id, "exam": row.exam_id, "code": row.code, "site": row.site,
            "room": row.room, "state": row.state, "paused": row.paused_at is not None}


def roster_rows(factory: sessionmaker[Session], session_id: int, now: datetime, *,
                scores: bool = True, attempts: Iterable[int] | None = None
                ) -> list[dict[str, Any]]:
    """The roster of a session (or only the rows of ``attempts``), by participant number."""
    wanted = None if attempts is None else sorted(set(attempts))
    with reading(factory) as db:
        paused_at = db.scalar(select(ExamSession.paused_at).where(ExamSession.id == session_id))
        query = (select(Participant, Attempt)
                 .outerjoin(Attempt, Attempt.participant_id == Participant.id)
                 .where(Participant.session_id == session_id)
                 .order_by(Participant.number))
        if wanted is not None:
            query = query.where(Attempt.id.in_(wanted))
        pairs = db.execute(query).all()
        ids = [a.id for _, a in pairs if a is not None]
        answered = dict(db.execute(
            select(Answer.attempt_id, func.count()).where(Answer.attempt_id.in_(ids),
                                                          Answer.choice.is_not(None))
            .group_by(Answer.attempt_id)).all()) if ids else {}
        people = [p.id for p, _ in pairs]
        alerts: dict[int, list[dict[str, Any]]] = {}
        for alert in db.scalars(select(Alert).where(Alert.participant_id.in_(people))
                                .order_by(Alert.id.desc())):
            mine = alerts.setdefault(alert.participant_id, [])
            if len(mine) < ALERTS_PER_ROW:
                mine.append({"kind": alert.kind, "at": alert.at.isoformat()})
        return [_row(p, a, answered, alerts, now, paused_at, scores) for p, a in pairs]


def _row(p: Participant, a: Attempt | None, answered: dict[int, int],
         alerts: dict[int, list[dict[str, Any]]], now: datetime, paused_at: datetime | None,
         scores: bool) -> dict[str, Any]:
    row: dict[str, Any] = {"participant": p.number, "name": p.name, "formation": p.formation,
                           "category": p.category, "extra_minutes": p.extra_minutes,
                           "attempt": None if a is None else a.id,
                           "answered": 0 if a is None else answered.get(a.id, 0),
                           "alerts": alerts.get(p.id, []), "left_s": None,
                           "disconnected_s": None}
    row["status"] = status(p, a, now)
    if a is not None and a.state == "working" and a.deadline_at is not None:
        left = a.deadline_at - (paused_at or now)
        row["left_s"] = max(0, int(left.total_seconds()))
        if row["status"] == "disconnected":
            seen = a.connected_at or a.started_at or now
            row["disconnected_s"] = max(0, int((now - seen).total_seconds()))
    if scores:
        row["score"], row["passed"] = None, None
        if a is not None:
            row["score"] = a.result if a.state == "finished" else a.live_score
            if a.state == "finished" and a.result is not None:
                row["passed"] = a.result.get("passed")
    return row


def status(p: Participant, a: Attempt | None, now: datetime) -> str:
    """One participant's status (see the module docstring)."""
    if p.disqualified_at is not None:
        return "disqualified"
    if a is None:
        return "locked" if p.locked else "not_arrived"
    if a.state == "finished":
        return "auto_finished" if a.finish_reason == "deadline" else "finished"
    if p.locked and a.state == "ready":
        return "locked"
    if a.state == "ready":
        return "logged_in"
    live = (a.connected_sid is not None and a.connected_at is not None
            and now - a.connected_at < LIVE_WITHIN)
    return "working" if live else "disconnected"


def counts(rows: Iterable[dict[str, Any]]) -> dict[str, int]:
    """How many participants are in each status (the counts at the top of the page)."""
    out = dict.fromkeys(STATUSES, 0)
    for row in rows:
        out[row["status"]] += 1
    return out
