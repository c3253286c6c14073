"""Seleksi proctor console and public scoreboard (``/proctor``, ``/scoreboard``).

It imports ``exam_server`` and ``scoring`` and is wired in by ``exam_server.create_app()``
only (:func:`init_app`).
"""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask


def init_app(app: Flask) -> None:
    """Accounts and log-in, the console pages and actions, the live roster, the public
    scoreboard."""
    from exam_server.realtime import socketio
    from exam_server.runtime import ExamRuntime
    from proctor_console import actions, auth, scoreboard_web, web
    from proctor_console.live import ProctorNamespace, RosterPusher
    from proctor_console.scoreboard_web import ScoreboardNamespace, ScoreboardPusher

    rt: ExamRuntime = app.extensions["seleksi.exam"]
    auth.init_app(app, Path(rt.keys_folder))
    app.register_blueprint(web.bp)
    app.register_blueprint(actions.bp)
    pusher = RosterPusher(rt, everywhere=bool(os.environ.get("SELEKSI_MESSAGE_QUEUE")))
    app.extensions["seleksi.roster"] = pusher
    rt.starters.append(pusher.run)
    socketio.on_namespace(ProctorNamespace(rt, pusher, bool(
        app.config.get("PROCTOR_SEES_SCORES", True))))
    app.register_blueprint(scoreboard_web.bp)
    board = ScoreboardPusher(rt, everywhere=pusher.everywhere,
                             masked=bool(app.config.get("SCOREBOARD_MASK_NAMES", True)))
    app.extensions["seleksi.scoreboard"] = board
    rt.starters.append(board.run)
    socketio.on_namespace(ScoreboardNamespace(rt, board))
