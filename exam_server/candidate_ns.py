"""The candidate's Socket.IO namespace ``/exam`` (protocol: ``docs/protocol.md``).

Thin handlers: check the payload, call a service, shape the ack. A connection must present
``auth={"token": <bearer>}``; a bad, missing or revoked bearer is refused at connect. Each
connection joins its attempt's room, so pushes (``time``, ``finished``) reach every
connection of the attempt in any process. Every committed change is published
(``rt.events``) for the proctor's roster and the scoreboard.
"""

from __future__ import annotations

from typing import Any

from flask import request
from flask_socketio import ConnectionRefusedError, Namespace, emit, join_room
from sqlalchemy.exc import SQLAlchemyError

from exam_server.attempts import (
    AttemptRef,
    AttemptRefused,
    Begin,
    finished_result,
    mark_disconnected,
    opened_for_start,
    room,
    start_ack,
)
from exam_server.integrity import INTEGRITY_KINDS, record_integrity
from exam_server.journal import ConnectOp, JournalOp, Kind
from exam_server.rapid_answers import AlertQueue, RapidAnswers
from exam_server.rate_limit import RateLimit
from exam_server.runtime import NAMESPACE, ExamRuntime
from exam_server.tokens import bearer_digest
from question_bank.errors import SealError

Ack = dict[str, Any]
JOURNALLED: tuple[Kind, ...] = ("answer", "flag")
"""The events :meth:`ExamNamespace.trigger_event` hands straight to the journal."""


MAX_SEQ = 2**53 - 1
"""The largest ``seq``: JavaScript's largest safe integer (the journal's columns hold 64 bits;
a browser counts from 1 and never gets near it). A larger one is ``bad_seq``, refused before
the journal, so it can never fail a group commit for everyone in it."""


def _positive_int(value: Any, most: int = MAX_SEQ) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= most


def check_answer(data: Any, labels: tuple[str, ...]) -> str | None:
    """The error code for an ``answer`` payload, or None when it is well-formed.

    ``labels[no - 1]`` are the labels question ``no`` offers (e.g. ``"ABCDE"``).
    """
    if not isinstance(data, dict):
        return "bad_request"
    if not _positive_int(data.get("seq")):
        return "bad_seq"
    q = data.get("q")
    if not isinstance(q, int) or not _positive_int(q) or q > len(labels):
        return "bad_question"
    choice = data.get("choice", "missing")
    if choice is not None and not (isinstance(choice, str) and len(choice) == 1
                                   and choice in labels[q - 1]):
        return "bad_choice"
    return None


def check_flag(data: Any, questions: int) -> str | None:
    """The error code for a ``flag`` payload, or None when it is well-formed."""
    if not isinstance(data, dict):
        return "bad_request"
    if not _positive_int(data.get("seq")):
        return "bad_seq"
    q = data.get("q")
    if not isinstance(q, int) or not _positive_int(q) or q > questions:
        return "bad_question"
    if not isinstance(data.get("flagged"), bool):
        return "bad_flag"
    return None


class ExamNamespace(Namespace):  # type: ignore[misc]
    """``/exam``: connect, start, answer, flag, finish, integrity."""

    def __init__(self, rt: ExamRuntime) -> None:
        super().__init__(NAMESPACE)
        self.rt = rt
        self.rapid = RapidAnswers()
        self.alerts = AlertQueue(rt.factory, rt.events)
        self.limit = RateLimit()

    def trigger_event(self, event: str, *args: Any) -> Any:
        """Every event but connect/disconnect first passes the connection's rate limit
        (``args[0]`` is the connection's sid).

        ``answer`` and ``flag`` (nearly every event of an exam) are handled here, without
        the Flask request context Flask-SocketIO pushes around every other handler: they
        need only the sid, and building, pushing and popping that context (with the
        session cookie opened again each time) was ~9 % of the server's CPU at 1,000
        answers a second (py-spy, ``bench/exam_load.py``)."""
        if event not in ("connect", "disconnect") and args and not self.limit.allow(args[0]):
            return {"ok": False, "error": "rate_limited"}
        if event in JOURNALLED and args:
            return self._journal(args[0], args[1] if len(args) > 1 else None, event)
        return super().trigger_event(event, *args)

    def _sid(self) -> str:
        sid: str = request.sid  # type: ignore[attr-defined]
        return sid

    def _ref(self, sid: str) -> AttemptRef | None:
        """The attempt connection ``sid`` is bound to, or None."""
        return self.rt.connections.get(sid)

    def on_connect(self, auth: Any = None) -> bool | None:
        token = auth.get("token") if isinstance(auth, dict) else None
        if not isinstance(token, str) or not token:
            raise ConnectionRefusedError("bad_token")
        sid = self._sid()
        # the bearer's attempt found and the connection recorded in the journal's group commit
        digest = bearer_digest(token)
        ack = self.rt.journal.submit(ConnectOp(digest, sid))
        if not ack.get("ok"):
            raise ConnectionRefusedError(ack["error"])  # bad_token, storage_unavailable
        ref: AttemptRef = ack["ref"]
        if self.socketio.server.get_environ(sid, namespace=NAMESPACE) is None:
            # the client left while the journal recorded it: python-socketio calls no
            # disconnect handler for a connection still connecting, so do its work here (a
            # connection kept would keep the attempt "live" and refuse its next log-in)
            mark_disconnected(self.rt.factory, ref.id, sid, self.rt.clock.now())
            return False
        join_room(room(ref.id))
        self.rt.connections[sid] = ref
        self.rt.bearers[sid] = digest  # a proctor's reset revokes it: see ControlWatch
        self.rt.events.publish(ref.session_id, (ref.id,))
        return None

    def on_disconnect(self, reason: Any = None) -> None:
        sid = self._sid()
        self.limit.forget(sid)
        self.rt.bearers.pop(sid, None)
        ref = self.rt.connections.pop(sid, None)
        if ref is not None:
            mark_disconnected(self.rt.factory, ref.id, sid, self.rt.clock.now())
            self.rt.events.publish(ref.session_id, (ref.id,))

    def on_start(self, data: Any = None) -> Ack:
        ref = self._ref(self._sid())
        if ref is None:
            return {"ok": False, "error": "bad_token"}
        now = self.rt.clock.now()
        try:
            opened = opened_for_start(self.rt.factory, self.rt.papers, ref)
        except AttemptRefused as exc:
            return {"ok": False, "error": exc.code, "result": exc.result}  # with the result
        except (SQLAlchemyError, SealError):
            return {"ok": False, "error": "storage_unavailable"}
        # started (or read) in the journal's group commit; acked once committed
        ack = self.rt.journal.submit(JournalOp(
            "start", ref, begin=Begin(ref, opened.duration_minutes, now)))
        if not ack.get("ok"):
            return ack
        state = start_ack(opened, ref, ack["started"], now)
        if not state["paused"]:
            emit("time", {"deadline": state["deadline"], "server_time": state["server_time"]})
        self.rt.events.publish(ref.session_id, (ref.id,))
        return state

    def _labels(self, ref: AttemptRef) -> tuple[str, ...] | None:
        try:
            return self.rt.papers.get(ref.session_id).option_labels(ref.participant)
        except (SealError, KeyError, SQLAlchemyError):
            return None

    def _journal(self, sid: str, data: Any, kind: Kind) -> Ack:
        """An ``answer`` or ``flag``: validated against the candidate's paper, journalled."""
        ref = self._ref(sid)
        if ref is None:
            return {"ok": False, "error": "bad_token"}
        labels = self._labels(ref)
        if labels is None:  # the papers are gone when the session was closed
            finished = finished_result(self.rt.factory, ref.id) is not None
            return {"ok": False, "error": "finished" if finished else "storage_unavailable"}
        if kind == "answer":
            error, field = check_answer(data, labels), "choice"
        else:
            error, field = check_flag(data, len(labels)), "flagged"
        if error is not None:
            return {"ok": False, "error": error}
        ack = self.rt.journal.submit(JournalOp(kind, ref, data["q"], data[field], data["seq"]))
        if ack.get("ok"):
            self.rt.events.publish(ref.session_id, (ref.id,))
            if kind == "answer" and self.rapid.observe(ref.id, self.rt.clock.monotonic()):
                self.alerts.put(ref, "rapid_answers", self.rt.clock.now(),
                                {"answers": self.rapid.count, "seconds": self.rapid.window})
        return ack

    def on_finish(self, data: Any = None) -> Ack:
        ref = self._ref(self._sid())
        if ref is None:
            return {"ok": False, "error": "bad_token"}
        return self.rt.journal.submit(JournalOp("finish", ref))

    def on_integrity(self, data: Any = None) -> Ack:
        ref = self._ref(self._sid())
        if ref is None:
            return {"ok": False, "error": "bad_token"}
        if not isinstance(data, dict) or data.get("kind") not in INTEGRITY_KINDS:
            return {"ok": False, "error": "bad_request"}
        at = data.get("at")
        if at is not None and (isinstance(at, bool) or not isinstance(at, int)):
            return {"ok": False, "error": "bad_request"}
        try:
            record_integrity(self.rt.factory, ref, data["kind"], at, self.rt.clock.now())
        except SQLAlchemyError:
            return {"ok": False, "error": "storage_unavailable"}
        self.rt.events.publish(ref.session_id, (ref.id,))
        return {"ok": True}
