"""The ceiling for ``bench/exam_load.py``: a bare Flask-SocketIO gevent server, no database.

``POST /api/exam/login`` returns a fresh token for anything; the ``/exam`` namespace takes
any non-empty ``auth={"token"}``, ``start`` returns a paper-sized payload (110 questions of
five options, about as many bytes as a real SKD paper) and pushes ``time`` as the real
server does, and ``answer`` only acks ``{"ok": true, "seq"}``. Same stack as ``seleksi
serve``: ``async_mode="gevent"``, ``socketio.run``, ``gc.collect(); gc.freeze()`` after
start-up.

Run: ``.venv/bin/python bench/bare_echo_server.py --port 5801``.
"""

from __future__ import annotations

import argparse
import itertools
import secrets
import time
from typing import Any

QUESTIONS = 110
SECTIONS = (("TWK", 30), ("TIU", 35), ("TKP", 45))
WORDS = ("pemerintah", "pelayanan", "masyarakat", "negara", "kebijakan", "integritas",
         "pancasila", "persatuan", "keputusan", "tanggung", "jawab", "kerja", "sama")


def paper_payload(text_words: int = 15, option_words: int = 3) -> dict[str, Any]:
    """A paper of :data:`QUESTIONS` questions with Indonesian-looking filler text.

    The defaults give ~50 KB of JSON, as a real paper of the SKD example does.
    """
    words = itertools.cycle(WORDS)
    questions = []
    sections = [code for code, count in SECTIONS for _ in range(count)]
    for no, section in enumerate(sections, start=1):
        text = " ".join(next(words) for _ in range(text_words))
        options = [{"label": label, "text": " ".join(next(words) for _ in range(option_words))}
                   for label in "ABCDE"]
        questions.append({"no": no, "section": section, "text": text, "options": options})
    return {"questions": questions}


def create_app() -> tuple[Any, Any]:
    """The Flask app and its SocketIO (gevent)."""
    from flask import Flask, jsonify, request
    from flask_socketio import ConnectionRefusedError, Namespace, SocketIO, emit

    app = Flask(__name__)
    socketio = SocketIO(app, async_mode="gevent")
    paper = paper_payload()
    attempts = itertools.count(1)

    @app.post("/api/exam/login")
    def login() -> Any:
        body = request.get_json(silent=True) or {}
        if not all(isinstance(body.get(k), str) for k in ("participant", "pin", "token")):
            return jsonify({"error": "bad_request", "message": "participant, pin, token"}), 400
        return jsonify({"token": secrets.token_urlsafe(32), "attempt": next(attempts)})

    class Exam(Namespace):  # type: ignore[misc]
        def on_connect(self, auth: Any = None) -> None:
            if not isinstance(auth, dict) or not auth.get("token"):
                raise ConnectionRefusedError("bad_token")

        def on_start(self, data: Any = None) -> dict[str, Any]:
            now = int(time.time() * 1000)
            deadline = now + 100 * 60 * 1000
            emit("time", {"deadline": deadline, "server_time": now})
            return {"ok": True, "paper": paper, "answers": {}, "flags": [],
                    "deadline": deadline, "server_time": now}

        def on_answer(self, data: Any = None) -> dict[str, Any]:
            return {"ok": True, "seq": data.get("seq") if isinstance(data, dict) else None}

    socketio.on_namespace(Exam("/exam"))
    return app, socketio


def main() -> None:
    from gevent import monkey

    monkey.patch_all()
    import gc
    import sys

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5801)
    args = parser.parse_args()
    app, socketio = create_app()
    gc.collect()
    gc.freeze()
    print(f"bare echo server on http://{args.host}:{args.port}/", flush=True)
    sys.stdout.flush()
    socketio.run(app, host=args.host, port=args.port, log_output=False)


if __name__ == "__main__":
    main()
