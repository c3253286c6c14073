"""``GET /ujian/receipt``: a candidate's receipt that their result is in the public log.

Asked with ``Authorization: Bearer <bearer>`` (the login's bearer, as ``/ujian/media``). The
receipt names the result's leaf and the newest signed tree head that covers it:
``{"leaf_index", "leaf_hash", "tree_size", "timestamp", "sha256_root_hash",
"tree_head_signature"}``. Anyone holding it can later ask the log for the inclusion proof of
``leaf_hash`` (``seleksi log verify URL --receipt FILE``, or ``tools/verify_log.py``) and so
check that the result was neither changed nor dropped.

Answers: ``200`` with the receipt; ``404 not_logged_yet`` until the appender has logged the
result (within about a second of the finish; ask again); ``401 bad_token`` without a bearer
or with an unknown or revoked one.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request
from sqlalchemy.exc import SQLAlchemyError

from exam_server.api import language
from exam_server.attempts import attempt_for_bearer
from exam_server.messages import message
from exam_server.runtime import runtime
from proctor_console.transparency.api import store

bp = Blueprint("ujian_receipt", __name__, url_prefix="/ujian")
NOT_LOGGED_YET = {"id": "Hasil Anda belum tercatat di log hasil; coba lagi sebentar lagi.",
                  "en": "Your result is not in the result log yet; try again in a moment."}


def _reply(body: dict[str, object], status: int) -> tuple[Response, int]:
    response = jsonify(body)
    response.headers["Cache-Control"] = "private, no-store"
    return response, status


@bp.get("/receipt")
def receipt() -> tuple[Response, int]:
    """The bearer's result receipt, once the result is in the log."""
    scheme, _, bearer = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not bearer.strip():
        return _reply({"error": "bad_token", "message": message("bad_token", language())}, 401)
    try:
        ref = attempt_for_bearer(runtime().factory, bearer.strip())
        if ref is None:
            return _reply({"error": "bad_token", "message": message("bad_token", language())},
                          401)
        found = store().receipt(ref.id)
    except SQLAlchemyError:
        return _reply({"error": "storage_unavailable",
                       "message": message("storage_unavailable", language())}, 503)
    if found is None:
        text = NOT_LOGGED_YET.get(language(), NOT_LOGGED_YET["id"])
        return _reply({"error": "not_logged_yet", "message": text}, 404)
    return _reply(found, 200)
