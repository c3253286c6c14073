"""The result log in the running system: what ``create_app`` wires in.

:func:`init_app` registers the public API (``/api/log``, :mod:`.api`) and the candidate's
receipt (``/ujian/receipt``, :mod:`.receipt`), keeps the process's :class:`~.log_store.LogStore`
in ``app.extensions["seleksi.transparency"]``, and gives the exam runtime a starter (run only
by a serving process, through ``exam_server.runtime.start_background``) that sweeps finished
attempts into the log once a second (:class:`~.appender.Appender`). The exam server itself
never calls the log.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from flask import Flask

from exam_server.db import is_postgresql
from proctor_console.transparency import api, receipt
from proctor_console.transparency.appender import Appended, Appender, append_pending
from proctor_console.transparency.log_store import LogStore

if TYPE_CHECKING:
    from exam_server.runtime import ExamRuntime

__all__ = ["Appended", "Appender", "LogStore", "append_pending", "init_app"]

APPENDER = "seleksi.log_appender"


def _in_thread(work: Callable[[], Appended]) -> Appended:
    """Run ``work`` in a thread of gevent's pool, waiting cooperatively.

    An SQLite transaction never yields to gevent: waiting for the write lock (up to the busy
    timeout) and the commit's fsync would hold the whole event loop. The thread runs only
    database work and signing.
    """
    import gevent

    result: Appended = gevent.get_hub().threadpool.apply(work)
    return result


def init_app(app: Flask) -> None:
    """Register the log's API and the receipt route; arrange the appender for serving."""
    rt: ExamRuntime = app.extensions["seleksi.exam"]
    store = LogStore(rt.factory, rt.keys_folder, rt.clock.now)
    app.extensions[api.EXTENSION] = store
    app.register_blueprint(api.bp)
    app.register_blueprint(receipt.bp)
    sqlite = not is_postgresql(rt.factory.kw["bind"])
    appender = Appender(rt.factory, store.signing_key, rt.clock.now,
                        offload=_in_thread if sqlite else None)
    app.extensions[APPENDER] = appender
    rt.starters.append(appender.run)
