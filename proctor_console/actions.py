"""A proctor's actions over HTTP: ``POST /proctor/api/sessions/<id>/<action>`` with JSON.

Every action needs a ``reason`` (audit log, session report) and is done as the logged-in
account. Actions on a participant name them by number and must be of that session. The reply
is ``{"ok": true, ...}`` or ``{"ok": false, "error": code, "message": text}`` with 400 (bad
input), 404 (no such session or participant for this account) or 409 (the state forbids it).
After an action the session's rosters and its candidates are told at once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, current_app, jsonify, request
from sqlalchemy import select
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from exam_server.attempts import AttemptRefused
from exam_server.db import reading
from exam_server.models import ExamSession, Participant
from exam_server.proctoring import (
    close_session,
    disqualify,
    extend_time,
    finish_participant,
    pause_session,
    resume_session,
)
from exam_server.runtime import ExamRuntime, runtime
from exam_server.sessions import (
    SessionStateError,
    open_exam_session,
    reset_login,
    start_exam_session,
    unlock_participant,
)
from proctor_console.auth import login_required
from proctor_console.web import factory, me, visible_session
from question_bank.errors import SealError

bp = Blueprint("proctor_actions", __name__, url_prefix="/proctor/api/sessions")


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException) -> tuple[Response, int]:
    """Every refusal of this JSON API is JSON (an unknown participant or session: 404)."""
    code = exc.code or 500
    name = (exc.name or "error").lower().replace(" ", "_")
    return _refusal(code, name, exc.description or name)
Action = Callable[[ExamSession, dict[str, Any], str, str], dict[str, Any]]


class BadInput(ValueError):
    """A field of the request is missing or wrong (the message names it)."""


def _text(data: dict[str, Any], name: str) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value.strip():
        raise BadInput(f"{name}: required (text)")
    return value.strip()


def _participant(row: ExamSession, data: dict[str, Any]) -> str:
    number = _text(data, "participant")
    with reading(factory()) as db:
        found = db.scalar(select(Participant.id).where(Participant.number == number,
                                                       Participant.session_id == row.id))
    if found is None:
        abort(404)
    return number


def _rt() -> ExamRuntime:
    return runtime()


def _open(row: ExamSession, data: dict[str, Any], actor: str, why: str) -> dict[str, Any]:
    rt = _rt()
    open_exam_session(rt.factory, row.code, _text(data, "key"), rt.papers.public_key,
                      actor=actor, now=rt.clock.now(), exam_id=row.exam_id, reason=why)
    return {}


def _start(row: ExamSession, data: dict[str, Any], actor: str, why: str) -> dict[str, Any]:
    start_exam_session(factory(), row.code, actor=actor, now=_rt().clock.now(),
                       exam_id=row.exam_id, reason=why)
    return {}


def _pause(row: ExamSession, data: dict[str, Any], actor: str, why: str) -> dict[str, Any]:
    pause_session(factory(), row.code, actor=actor, reason=why, now=_rt().clock.now(),
                  exam_id=row.exam_id)
    return {}


def _resume(row: ExamSession, data: dict[str, Any], actor: str, why: str) -> dict[str, Any]:
    seconds = resume_session(factory(), row.code, actor=actor, reason=why,
                             now=_rt().clock.now(), exam_id=row.exam_id)
    return {"seconds": seconds}


def _extend(row: ExamSession, data: dict[str, Any], actor: str, why: str) -> dict[str, Any]:
    minutes = data.get("minutes")
    if isinstance(minutes, bool) or not isinstance(minutes, int):
        raise BadInput("minutes: required (a whole number of minutes)")
    who = _participant(row, data) if data.get("participant") else None
    n = extend_time(factory(), row.code, minutes, actor=actor, reason=why,
                    now=_rt().clock.now(), participant=who, exam_id=row.exam_id)
    return {"attempts": n}


def _reset_login(row: ExamSession, data: dict[str, Any], actor: str,
                 why: str) -> dict[str, Any]:
    reset_login(factory(), _participant(row, data), actor=actor, exam_id=row.exam_id,
                reason=why)
    return {}


def _unlock(row: ExamSession, data: dict[str, Any], actor: str, why: str) -> dict[str, Any]:
    unlock_participant(factory(), _participant(row, data), actor=actor, exam_id=row.exam_id,
                       reason=why)
    return {}


def _finish(row: ExamSession, data: dict[str, Any], actor: str, why: str) -> dict[str, Any]:
    rt = _rt()
    result = finish_participant(rt.factory, rt.papers, _participant(row, data), actor=actor,
                                reason=why, now=rt.clock.now(), exam_id=row.exam_id)
    return {"result": result}


def _disqualify(row: ExamSession, data: dict[str, Any], actor: str,
                why: str) -> dict[str, Any]:
    rt = _rt()
    result = disqualify(rt.factory, rt.papers, _participant(row, data), actor=actor,
                        reason=why, now=rt.clock.now(), exam_id=row.exam_id)
    return {"result": result}


def _close(row: ExamSession, data: dict[str, Any], actor: str, why: str) -> dict[str, Any]:
    rt = _rt()
    return {"counts": close_session(rt.factory, rt.papers, row.code, actor=actor, reason=why,
                                    now=rt.clock.now(), exam_id=row.exam_id)}


ACTIONS: dict[str, Action] = {
    "open": _open, "start": _start, "pause": _pause, "resume": _resume, "extend": _extend,
    "reset_login": _reset_login, "unlock": _unlock, "finish": _finish,
    "disqualify": _disqualify, "close": _close,
}


def _refusal(status: int, code: str, message: str) -> tuple[Response, int]:
    return jsonify({"ok": False, "error": code, "message": message}), status


@bp.post("/<int:session_id>/<action>")
@login_required
def act(session_id: int, action: str) -> Response | tuple[Response, int]:
    """Do ``action`` on the session (module docstring)."""
    row = visible_session(session_id)
    handler = ACTIONS.get(action)
    if handler is None:
        return _refusal(404, "unknown_action", f"{action!r}: one of {', '.join(ACTIONS)}")
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return _refusal(400, "bad_request", "send a JSON object with at least a reason")
    try:
        why = _text(data, "reason")
        done = handler(row, data, me().username, why)
    except BadInput as exc:
        return _refusal(400, "bad_request", str(exc))
    except SealError as exc:
        return _refusal(400, "bad_key", str(exc))
    except AttemptRefused as exc:
        return _refusal(409, exc.code, f"the participant's attempt is {exc.code}")
    except SessionStateError as exc:
        return _refusal(409, "bad_state", str(exc))
    except ValueError as exc:
        return _refusal(400, "bad_request", str(exc))
    rt = _rt()
    rt.events.publish(session_id)
    if rt.timer.watch is not None:
        try:  # tell this process's candidates now; other processes within a second
            rt.timer.watch()
        except Exception:
            current_app.logger.exception("control watch after %s failed", action)
    return jsonify({"ok": True, "action": action, **done})
