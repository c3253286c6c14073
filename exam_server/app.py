"""The Flask application factory: the one place that wires the packages together."""

from __future__ import annotations

import os
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from exam_server.config import instance_path
from exam_server.realtime import SeleksiFlask, refuse_reserved_events, socketio
from exam_server.runtime import make_runtime


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Create the Seleksi web application.

    Parameters
    ----------
    test_config
        Overrides for the configuration (tests pass ``DATABASE_URL`` here). Also
        ``SELEKSI_CLOCK`` (an object with ``now()`` and ``monotonic()``; default the system
        clock, shifted by ``$SELEKSI_CLOCK_OFFSET`` seconds when set), ``SELEKSI_PUBLIC_KEY``
        (the bank's ``bank.pub``; default ``$SELEKSI_INSTANCE/keys/bank.pub``) and
        ``SELEKSI_INSTANCE_NAME`` (whose heartbeats date an outage; default ``default``) and
        ``SELEKSI_PROXIES`` (how many proxies in front set ``X-Forwarded-*``; default
        ``$SELEKSI_PROXIES`` or 0: trust none).
    """
    import proctor_console
    import proctor_console.auth
    from exam_server import api, candidate_page, home, security_headers
    from exam_server.candidate_ns import ExamNamespace
    from exam_server.db import database_url, make_engine, session_factory, upgrade
    from proctor_console.transparency import services as transparency

    app = SeleksiFlask(__name__, instance_path=str(instance_path()),
                       instance_relative_config=False)
    app.config.from_mapping(DATABASE_URL=None, SECRET_KEY=None)
    if test_config:
        app.config.update(test_config)
    engine = make_engine(app.config["DATABASE_URL"] or database_url())
    upgrade(engine)
    factory = session_factory(engine)
    app.extensions["seleksi.db"] = factory
    app.extensions["seleksi.exam"] = rt = make_runtime(app, factory)
    app.register_blueprint(home.bp)
    app.register_blueprint(api.bp)
    candidate_page.init_app(app)
    socketio.init_app(app)
    refuse_reserved_events(socketio.server)
    candidates = ExamNamespace(rt)
    socketio.on_namespace(candidates)
    app.extensions["seleksi.alerts"] = candidates.alerts
    rt.starters.append(candidates.alerts.run)
    proctor_console.init_app(app)
    proctor_console.auth.csrf.exempt(api.bp)  # candidates log in with bearer tokens, no cookie
    transparency.init_app(app)  # /api/log, /ujian/receipt, the appender of a serving process
    security_headers.init_app(app)  # CSP, X-Frame-Options, … on every response
    proxies = int(app.config.get("SELEKSI_PROXIES") or os.environ.get("SELEKSI_PROXIES") or 0)
    if proxies:  # behind nginx: the client's address, scheme (TLS: Secure cookies) and host
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies,  # type: ignore[method-assign]
                                x_host=proxies)
    return app
