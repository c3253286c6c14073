"""``seleksi serve``: a gevent server process (web pages, /api/exam, Socket.IO /exam), or with
``--workers N`` N of them on consecutive ports (:mod:`exam_server.workers`)."""

from __future__ import annotations

import os
import signal
import sys

import click

LISTEN_BACKLOG = 2048  # a room of candidates connecting at once must not overflow it


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="server processes, on ports PORT … PORT+N-1 (behind a load balancer)")
def group(host: str, port: int, workers: int) -> None:
    """Serve the exam server (Ctrl+C or SIGTERM stops it cleanly).

    One gevent process by default; --workers N runs N of them on consecutive ports, sharing
    DATABASE_URL and SELEKSI_MESSAGE_QUEUE (docs/deploy.md).
    """
    if workers > 1:
        sys.exit(serve_workers(host, port, workers))
    serve(host, port)  # on gevent, patched by the console script first (exam_server.launch)


def serve_workers(host: str, port: int, workers: int) -> int:
    """Migrate the database once, say what to watch out for, run the workers."""
    from exam_server.db import database_url, make_engine, upgrade
    from exam_server.workers import message_queue, supervise, warnings_for

    url = database_url()
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    for warning in warnings_for(workers, url, message_queue()):
        click.echo(f"seleksi: warning: {warning}", err=True)
    return supervise(host, port, workers, echo=lambda line: click.echo(line))


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
