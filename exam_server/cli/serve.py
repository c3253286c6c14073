"""``seleksi serve``: one gevent server process (web pages, /api/exam, Socket.IO /exam)."""

from __future__ import annotations

import os
import signal
import sys

import click


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
def group(host: str, port: int) -> None:
    """Serve the exam server in one gevent process (Ctrl+C or SIGTERM stops it cleanly)."""
    from gevent import monkey

    monkey.patch_all()
    serve(host, port)


def serve(host: str, port: int) -> None:
    """Create the app, recover from any outage, start the timer and serve until stopped.

    A clean stop (SIGINT, SIGTERM) marks this process's heartbeat stopped, so the next
    start does not read the pause as an outage to give back.
    """
    import gevent

    from exam_server.app import create_app
    from exam_server.realtime import socketio
    from exam_server.runtime import start_background

    app = create_app()
    recovery = start_background(app)
    timer = app.extensions["seleksi.exam"].timer
    if recovery.downtime_seconds:
        click.echo(f"outage of {recovery.downtime_seconds} s since the last heartbeat: given "
                   f"back to {recovery.credited} working attempt(s); {recovery.finished} "
                   f"already past their deadline finished")

    def stop() -> None:
        timer.stop()
        click.echo("stopped cleanly")
        sys.stdout.flush()
        os._exit(0)

    gevent.signal_handler(signal.SIGTERM, stop)
    click.echo(f"serving on http://{host}:{port}/ (candidate API /api/exam, Socket.IO /exam)")
    sys.stdout.flush()
    try:
        socketio.run(app, host=host, port=port, log_output=False)
    except KeyboardInterrupt:
        timer.stop()

