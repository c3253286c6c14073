"""The baseline for ``bench/scoreboard_fanout.py``: a bare Flask-SocketIO gevent fan-out server.

No database, no scoring. It plays back the benchmark's plan (``--plan FILE``, written by
``scoreboard_fanout.py``: the session's head, its rows as the real server shows them before
answering, and per participant the row state after each answer). ``POST /api/exam/login``
returns a token bound to the participant; ``/exam`` ``start`` returns a paper-sized payload
(as ``bare_echo_server.py``); ``answer`` acks ``{"ok", "seq"}`` and marks the participant's
row dirty with the state after answer ``seq``. ``/scoreboard`` ``join`` answers the whole
table and joins the session's room; every 0.5 s (a steady beat) the changed rows go to the
room as one ``scores {"session", "rows", "full": false}``, one plain ``emit`` to the room —
the same messages, at the same rate, as the real server's coalescer sends. Same stack as
``seleksi serve``: ``async_mode="gevent"``, ``socketio.run`` (gevent-websocket),
``gc.collect(); gc.freeze()`` after start-up and again every 2 s while connections come and
go by 50 or more (the real server's policy, applied here to every connection).

Run: ``.venv/bin/python bench/scoreboard_bare_server.py --port 5802 --plan plan.json``.
"""

from __future__ import annotations

import argparse
import json
import secrets
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

FLUSH_EVERY = 0.5


def create_app(plan: dict[str, Any]) -> tuple[Any, Any, Any]:
    """The Flask app, its SocketIO (gevent) and the flush loop to spawn."""
    import gevent
    from bare_echo_server import paper_payload
    from flask import Flask, jsonify, request
    from flask_socketio import ConnectionRefusedError, Namespace, SocketIO, join_room

    app = Flask(__name__)
    socketio = SocketIO(app, async_mode="gevent")
    paper = paper_payload()
    info = plan["info"]
    rows = {r["participant"]: r for r in plan["rows"]}
    states = plan["answers"]  # participant -> [[q, choice, sections, total], ...]
    tokens: dict[str, str] = {}
    sids: dict[str, str] = {}
    dirty: dict[str, int] = {}  # participant -> seq of the last acked answer not yet pushed
    session_ref = {str(info["id"]), info["code"]}
    room = f"scoreboard:{info['id']}"

    @app.post("/api/exam/login")
    def login() -> Any:
        body = request.get_json(silent=True) or {}
        participant = body.get("participant")
        if not isinstance(participant, str) or participant not in rows:
            return jsonify({"error": "bad_login"}), 403
        token = secrets.token_urlsafe(32)
        tokens[token] = participant
        return jsonify({"token": token, "attempt": participant})

    class Exam(Namespace):  # type: ignore[misc]
        def on_connect(self, auth: Any = None) -> None:
            token = auth.get("token") if isinstance(auth, dict) else None
            if token not in tokens:
                raise ConnectionRefusedError("bad_token")
            sids[request.sid] = tokens[token]  # type: ignore[attr-defined]

        def on_start(self, data: Any = None) -> dict[str, Any]:
            return {"ok": True, "paper": paper, "answers": {}, "flags": []}

        def on_answer(self, data: Any = None) -> dict[str, Any]:
            participant = sids.get(request.sid)  # type: ignore[attr-defined]
            seq = data.get("seq") if isinstance(data, dict) else None
            if participant is None or not isinstance(seq, int) or not 1 <= seq <= len(
                    states[participant]):
                return {"ok": False, "error": "bad_seq"}
            dirty[participant] = max(seq, dirty.get(participant, 0))
            return {"ok": True, "seq": seq}

    class Scoreboard(Namespace):  # type: ignore[misc]
        def on_join(self, data: Any = None) -> dict[str, Any]:
            ref = data.get("session") if isinstance(data, dict) else None
            if str(ref) not in session_ref:
                return {"ok": False, "error": "not_found"}
            join_room(room)
            return {"ok": True, "session": info, "rows": list(rows.values())}

    def flush() -> None:
        nonlocal dirty
        beat = time.monotonic()
        while True:  # on a steady beat: the time a fan-out takes does not stretch it
            beat = max(beat + FLUSH_EVERY, time.monotonic())
            gevent.sleep(beat - time.monotonic())
            if not dirty:
                continue
            changed, dirty = dirty, {}
            for participant, seq in changed.items():
                _q, _choice, sections, total = states[participant][seq - 1]
                rows[participant] = {**rows[participant], "sections": sections,
                                     "total": total, "status": "ujian"}
            socketio.emit("scores", {"session": info, "full": False,
                                     "rows": [rows[p] for p in sorted(changed)]},
                          to=room, namespace="/scoreboard")

    socketio.on_namespace(Exam("/exam"))
    socketio.on_namespace(Scoreboard("/scoreboard"))
    return app, socketio, flush


def freeze_after_bursts(server: Any, every: float = 2.0, burst: int = 50) -> None:
    """``gc.collect(); gc.freeze()`` every ``every`` s in which the number of Engine.IO
    connections changed by ``burst`` or more (``exam_server.runtime.freeze_after_bursts``)."""
    import gc

    import gevent

    frozen = 0
    while True:
        gevent.sleep(every)
        now = len(server.eio.sockets)
        if abs(now - frozen) >= burst:
            gc.collect()
            gc.freeze()
            frozen = now


def main() -> None:
    from gevent import monkey

    monkey.patch_all()
    import gc

    import gevent

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5802)
    parser.add_argument("--plan", type=Path, required=True)
    args = parser.parse_args()
    app, socketio, flush = create_app(json.loads(args.plan.read_text(encoding="utf-8")))
    gevent.spawn(flush)
    gevent.spawn(freeze_after_bursts, socketio.server)
    gc.collect()
    gc.freeze()
    print(f"bare scoreboard server on http://{args.host}:{args.port}/", flush=True)
    socketio.run(app, host=args.host, port=args.port, log_output=False, backlog=2048)


if __name__ == "__main__":
    main()
