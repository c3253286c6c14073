"""The candidate's HTTP API, ``/api/exam`` (protocol: ``docs/protocol.md``).

``POST /api/exam/login`` → ``200 {"token", "attempt"}``, or ``400/401/403/409/503`` with
``{"error": code, "message": text}`` in Indonesian, or English when ``Accept-Language``
prefers it.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, Response, jsonify, request
from sqlalchemy.exc import SQLAlchemyError

from exam_server.config import pin_key
from exam_server.login import LoginRefused, login
from exam_server.messages import LANGUAGES, message
from exam_server.runtime import runtime

bp = Blueprint("exam_api", __name__, url_prefix="/api/exam")
log = logging.getLogger(__name__)
FIELDS = ("participant", "pin", "token")
MAX_FIELD = 200


def language() -> str:
    """``en`` when the request's Accept-Language prefers English, else ``id``."""
    return request.accept_languages.best_match(LANGUAGES, default="id") or "id"


def refusal(code: str, status: int, detail: str = "") -> tuple[Response, int]:
    """The error envelope ``{"error", "message"}`` with its status."""
    return jsonify({"error": code, "message": message(code, language(), detail)}), status


def _fields(body: Any) -> dict[str, str] | str:
    if not isinstance(body, dict):
        return "the body must be a JSON object {participant, pin, token}"
    values = {}
    for name in FIELDS:
        value = body.get(name)
        if not isinstance(value, str) or not value.strip():
            return f"{name} must be a non-empty string"
        if len(value) > MAX_FIELD or not value.isprintable():
            # no control character (PostgreSQL refuses NUL) or megabyte ever reaches the
            # login batch, where one bad row would fail everybody's log-in in it
            return f"{name} must be printable text of at most {MAX_FIELD} characters"
        values[name] = value.strip()
    return values


@bp.post("/login")
def login_view() -> tuple[Response, int]:
    """Log a candidate in with participant number, PIN and the room's token."""
    fields = _fields(request.get_json(silent=True))
    if isinstance(fields, str):
        return refusal("bad_request", 400, fields)
    rt = runtime()
    try:
        granted = login(rt.factory, participant=fields["participant"], pin=fields["pin"],
                        token=fields["token"], now=rt.clock.now(),
                        key=pin_key(rt.keys_folder), admit=rt.journal.admit)
    except LoginRefused as exc:
        if exc.session_id is not None:  # a PIN failure, a lock, a refused second login
            rt.events.publish(exc.session_id)
        return refusal(exc.code, exc.status)
    except SQLAlchemyError:
        log.exception("login: database error")
        return refusal("storage_unavailable", 503)
    rt.events.publish(granted.session_id, (granted.attempt_id,))
    return jsonify({"token": granted.bearer, "attempt": granted.attempt_id}), 200
