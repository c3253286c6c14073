"""The log's public HTTP API, ``/api/log``, after RFC 6962 §4 in JSON (``docs/transparency.md``).

Byte strings are standard base64 with padding. Every endpoint is a ``GET`` without login:
the log is public, and observers' tools (``tools/verify_log.py``) depend on these exact
shapes. A bad parameter gets ``400`` (an unknown hash ``404``) with
``{"error": code, "message": text}`` naming the parameter; a database failure ``503``;
never a ``500``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request
from sqlalchemy.exc import SQLAlchemyError

from proctor_console.transparency.exceptions import LogIntegrityError, LogQueryError
from proctor_console.transparency.log_store import LogStore
from proctor_console.transparency.merkle import HASH_SIZE
from proctor_console.transparency.records import b64decode, b64encode
from question_bank.errors import BankError

bp = Blueprint("result_log_api", __name__, url_prefix="/api/log")
log = logging.getLogger(__name__)
EXTENSION = "seleksi.transparency"


def store() -> LogStore:
    """The current app's :class:`LogStore`."""
    found: LogStore = current_app.extensions[EXTENSION]
    return found


def _error(code: str, message: str, status: int) -> tuple[Response, int]:
    response = jsonify({"error": code, "message": message})
    response.headers["Cache-Control"] = "no-store"
    return response, status


def _endpoint(view: Callable[[], dict[str, Any]]) -> Callable[[], Any]:
    """JSON reply, open to every origin; expected failures become 400/404/503 JSON."""

    @wraps(view)
    def wrapper() -> Any:
        try:
            body = view()
        except LogQueryError as exc:
            return _error(exc.code, str(exc), exc.status)
        except (SQLAlchemyError, LogIntegrityError, BankError) as exc:
            log.exception("result log API: %s failed", request.path)
            kind = "storage_unavailable" if isinstance(exc, SQLAlchemyError) else \
                "log_unavailable"
            return _error(kind, f"the log cannot answer now ({type(exc).__name__}); try "
                          "again later", 503)
        response = jsonify(body)
        response.headers["Cache-Control"] = "no-cache"
        response.headers["Access-Control-Allow-Origin"] = "*"
        return response

    return wrapper


def _integer(name: str, minimum: int = 0) -> int:
    """A required non-negative integer query parameter."""
    raw = request.args.get(name)
    if raw is None or not raw.strip():
        raise LogQueryError(f"parameter {name!r} is missing: give an integer, e.g. "
                            f"?{name}=0")
    text = raw.strip()
    if not text.isascii() or not text.isdigit() or len(text) > 18:
        raise LogQueryError(f"parameter {name}={raw!r} is not a whole number from {minimum}")
    value = int(text)
    if value < minimum:
        raise LogQueryError(f"parameter {name}={value} is below {minimum}")
    return value


@bp.get("/pubkey")
@_endpoint
def pubkey() -> dict[str, Any]:
    """``{"ed25519": <base64 of the raw 32-byte public key>}``."""
    return store().public_key()


@bp.get("/get-sth")
@_endpoint
def get_sth() -> dict[str, Any]:
    """The newest signed tree head."""
    return store().signed_head()


@bp.get("/get-sth-consistency")
@_endpoint
def get_sth_consistency() -> dict[str, Any]:
    """``{"consistency": [...]}``: PROOF(first, D[second]) of RFC 6962 §2.1.2."""
    first, second = _integer("first"), _integer("second")
    return {"consistency": [b64encode(h) for h in store().consistency(first, second)]}


@bp.get("/get-proof-by-hash")
@_endpoint
def get_proof_by_hash() -> dict[str, Any]:
    """``{"leaf_index", "audit_path": [...]}`` of the leaf with hash ``hash``."""
    raw = request.args.get("hash")
    if raw is None or not raw:
        raise LogQueryError("parameter 'hash' is missing: give the leaf hash in base64 "
                            "(URL-encoded)")
    # A '+' not URL-encoded arrives as a space: base64 has no spaces, so take it back.
    try:
        leaf = b64decode(raw.replace(" ", "+"), "parameter 'hash'", HASH_SIZE)
    except ValueError as exc:
        raise LogQueryError(str(exc)) from None
    size = _integer("tree_size", minimum=1)
    index, path = store().proof_by_hash(leaf, size)
    return {"leaf_index": index, "audit_path": [b64encode(h) for h in path]}


@bp.get("/get-entries")
@_endpoint
def get_entries() -> dict[str, Any]:
    """``{"entries": [{"leaf_input"}, ...]}`` for ``start..end`` (inclusive, at most 1,000)."""
    start, end = _integer("start"), _integer("end")
    return {"entries": [{"leaf_input": b64encode(d)} for d in store().entries(start, end)]}
