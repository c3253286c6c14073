"""Log-in for the console: Flask-Login sessions, CSRF on every form and JSON POST, cookies.

The session cookie is ``HttpOnly``, ``SameSite=Strict`` and ``Secure`` whenever the request
came over TLS. The signing key is ``keys/web.key`` (made on first use, 0600), so sessions
survive a restart and every process of a site accepts them. Flask-WTF's ``CSRFProtect``
checks a token on every POST except the candidate API (bearer tokens, no cookies).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar, cast

from flask import Flask, Request, current_app, request
from flask.sessions import SecureCookieSessionInterface
from flask_login import LoginManager, UserMixin, current_user
from flask_login import login_required as _login_required
from flask_wtf.csrf import CSRFProtect
from itsdangerous import URLSafeTimedSerializer

from proctor_console.accounts import Proctor, load_proctor
from question_bank.keys import ensure_secret

csrf = CSRFProtect()
login_manager = LoginManager()
login_manager.login_view = "proctor.login"
login_manager.login_message = "Silakan masuk."


class ConsoleUser(UserMixin):  # type: ignore[misc]
    """The Flask-Login face of a :class:`Proctor`."""

    def __init__(self, proctor: Proctor) -> None:
        self.proctor = proctor

    def get_id(self) -> str:
        return str(self.proctor.id)


class TlsAwareSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, ``Secure`` when the request came over TLS.

    The signing serializer is built once per key, not on every request: Flask-SocketIO
    opens the session for every Socket.IO event, and building the serializer was ~5 % of
    the server's CPU on the answer path (``bench/exam_load.py``).
    """

    _signer: tuple[tuple[Any, ...], URLSafeTimedSerializer | None] | None = None

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        keys = (app.secret_key, *(app.config["SECRET_KEY_FALLBACKS"] or ()))
        if self._signer is None or self._signer[0] != keys:
            self._signer = (keys, super().get_signing_serializer(app))
        return self._signer[1]

    def get_cookie_secure(self, app: Flask) -> bool:
        secure = bool(app.config["SESSION_COOKIE_SECURE"])
        req: Request | None = request if request else None
        return secure or (req is not None and req.is_secure)


View = TypeVar("View", bound=Callable[..., Any])


def login_required(view: View) -> View:
    """Flask-Login's ``login_required``, typed."""
    return cast(View, _login_required(view))


def _load(user_id: str) -> ConsoleUser | None:
    if not user_id.isdigit():
        return None
    proctor = load_proctor(current_app.extensions["seleksi.db"], int(user_id))
    return None if proctor is None else ConsoleUser(proctor)


login_manager.user_loader(_load)


def current_proctor() -> Proctor | None:
    """The logged-in proctor of this request or Socket.IO event, if any."""
    user: Any = current_user
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    proctor: Proctor = user.proctor
    return proctor


def init_app(app: Flask, keys_folder: Path) -> None:
    """Secret key, cookie settings, CSRF and the login manager for ``app``."""
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = ensure_secret(keys_folder / "web.key")
    app.config.setdefault("SESSION_COOKIE_HTTPONLY", True)
    app.config["SESSION_COOKIE_SAMESITE"] = "Strict"
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)  # valid for the cookie's life
    app.session_interface = TlsAwareSessions()
    csrf.init_app(app)
    login_manager.init_app(app)
