"""``seleksi serve``: one gevent server process (web pages, /api/exam, Socket.IO /exam)."""

from __future__ import annotations

import os
import signal
import sys

import click

LISTEN_BACKLOG = 2048  # a room of candidates connecting at once must not overflow it


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
    if os.environ.get("SELEKSI_PROFILE"):
        gevent.spawn(_profile, os.environ["SELEKSI_PROFILE"])
    click.echo(f"serving on http://{host}:{port}/ (candidate API /api/exam, Socket.IO /exam)")
    sys.stdout.flush()
    try:
        socketio.run(app, host=host, port=port, log_output=False, backlog=LISTEN_BACKLOG)
    except KeyboardInterrupt:
        timer.stop()



def _profile(prefix: str, every: float = 5.0) -> None:
    """A development aid: cProfile the process, dumping ``PREFIX.NNN.prof`` every ``every`` s.

    Each dump holds the ``every`` seconds before it (the profiler is cleared after each), so
    the login burst and the answering phase land in different files. Set
    ``SELEKSI_PROFILE=/tmp/serve`` to use it; read with ``python -m pstats``.
    """
    import cProfile
    import time

    import gevent

    profiler = cProfile.Profile()
    profiler.enable()
    for n in range(10_000):
        gevent.sleep(every)
        profiler.disable()
        profiler.dump_stats(f"{prefix}.{n:03d}.prof")
        with open(f"{prefix}.{n:03d}.time", "w") as out:
            out.write(f"{time.time():.3f}\n")
        profiler.clear()
        profiler.enable()
