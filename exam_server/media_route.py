"""``GET /ujian/media/<sha256>``: an image of the candidate's paper, for their bearer only.

Stems and options refer to images as ``![alt](sha256:<hex>)`` (``docs/bank-formats.md``).
The candidate page fetches them with ``Authorization: Bearer <bearer>`` (the login's bearer)
and shows them from a blob URL. The bytes come from the session's decrypted content (the
papers cache), never from the bank: a candidate sees only the images of their own session,
and only while the session is open.

Answers: ``200`` with the image's bytes and MIME type; ``401 bad_token`` without a bearer or
with an unknown or revoked one (or once the session is closed); ``404 not_found`` when the
hash is not an image of that attempt's session.
"""

from __future__ import annotations

import re

from flask import Blueprint, Flask, Response, jsonify, request

from exam_server.api import language
from exam_server.attempts import attempt_for_bearer
from exam_server.messages import message
from exam_server.runtime import runtime
from question_bank.errors import SealError

bp = Blueprint("ujian_media", __name__, url_prefix="/ujian")
_SHA256 = re.compile(r"[0-9a-f]{64}")
NOT_FOUND = {"id": "Gambar tidak ditemukan.", "en": "Image not found."}


def _refuse(code: str, status: int) -> tuple[Response, int]:
    text = NOT_FOUND.get(language(), NOT_FOUND["id"]) if code == "not_found" else \
        message(code, language())
    response = jsonify({"error": code, "message": text})
    response.headers["Cache-Control"] = "no-store"
    return response, status


@bp.get("/media/<string:sha256>")
def media(sha256: str) -> Response | tuple[Response, int]:
    """The image ``sha256`` of the bearer's session."""
    scheme, _, bearer = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not bearer.strip():
        return _refuse("bad_token", 401)
    rt = runtime()
    ref = attempt_for_bearer(rt.factory, bearer.strip())
    if ref is None:
        return _refuse("bad_token", 401)
    try:
        images = rt.papers.get(ref.session_id).content.media
    except SealError:
        return _refuse("bad_token", 401)
    found = images.get(sha256) if _SHA256.fullmatch(sha256) else None
    if found is None:
        return _refuse("not_found", 404)
    mime, data = found
    response = Response(data, mimetype=mime)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def init_app(app: Flask) -> None:
    """Register the route (called from ``candidate_page.init_app``)."""
    app.register_blueprint(bp)
