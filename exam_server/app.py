"""The Flask application factory: the one place that wires the packages together."""

from __future__ import annotations

from typing import Any

from flask import Flask

from exam_server.config import instance_path
from exam_server.realtime import socketio


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Create the Seleksi web application.

    Parameters
    ----------
    test_config
        Overrides for the configuration (tests pass ``DATABASE_URL`` here).
    """
    from exam_server import home
    from exam_server.db import database_url, make_engine, session_factory, upgrade

    app = Flask(__name__, instance_path=str(instance_path()), instance_relative_config=False)
    app.config.from_mapping(DATABASE_URL=None, SECRET_KEY=None)
    if test_config:
        app.config.update(test_config)
    engine = make_engine(app.config["DATABASE_URL"] or database_url())
    upgrade(engine)
    app.extensions["seleksi.db"] = session_factory(engine)
    app.register_blueprint(home.bp)
    socketio.init_app(app)
    return app
