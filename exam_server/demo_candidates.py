"""Simulated candidates for ``seleksi demo --simulate N``: real clients at a human pace.

Each one logs in over HTTP with its participant number, PIN and the room's current token,
connects to the Socket.IO namespace ``/exam`` with its bearer, calls ``start`` and then answers
one question every ``pace`` seconds on average (uniformly between half and one and a half
times it), mostly in order, a random option each time, flagging about one answer in eight
("ragu-ragu"); it finishes once every question is answered. They speak exactly the candidate
protocol (``docs/protocol.md``), so the proctor's and the scoreboard's views see them as real
candidates. They run as daemon threads (greenlets under gevent's monkey patching) of the
serving process and stop with it.
"""

from __future__ import annotations

import random
import socket
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlsplit

import requests
import socketio

NAMESPACE = "/exam"
RETRY_SECONDS = 10.0
FINAL = ("finished", "time_over")


def simulate(base_url: str, credentials: Sequence[tuple[str, str]], token: Callable[[], str],
             *, pace: float = 40.0, seed: int = 2024) -> list[threading.Thread]:
    """Start one simulated candidate per ``(participant, pin)``; their (daemon) threads.

    ``token`` gives the room's current session token (it rotates every 15 minutes).
    """
    threads = []
    for n, (participant, pin) in enumerate(credentials):
        candidate = SimulatedCandidate(base_url, participant, pin, token, pace,
                                       random.Random(f"{seed}/{participant}"))  # noqa: S311
        thread = threading.Thread(target=candidate.run, name=f"demo-candidate-{n}", daemon=True)
        thread.start()
        threads.append(thread)
    return threads


class SimulatedCandidate:
    """One candidate: log in, start, answer until every question is answered, finish."""

    def __init__(self, base_url: str, participant: str, pin: str, token: Callable[[], str],
                 pace: float, rng: random.Random) -> None:
        self.base_url, self.participant, self.pin = base_url, participant, pin
        self.token, self.pace, self.rng = token, pace, rng
        self.done = False

    def run(self) -> None:
        """Sit the exam; on a dropped connection log in again and resume (until finished)."""
        self._wait_for_server()
        time.sleep(self.rng.uniform(0, min(self.pace, 5.0)))  # not all at the same instant
        while not self.done:
            try:
                self._sit()
            except Exception:  # noqa: BLE001, S110 - a demo client: retry whatever happened
                pass
            if not self.done:
                time.sleep(RETRY_SECONDS)

    def _wait_for_server(self) -> None:
        where = urlsplit(self.base_url)
        while True:
            try:
                with socket.create_connection((where.hostname, where.port or 80), timeout=1):
                    return
            except OSError:
                time.sleep(0.5)

    def _login(self) -> str | None:
        r = requests.post(f"{self.base_url}/api/exam/login", timeout=15,
                          json={"participant": self.participant, "pin": self.pin,
                                "token": self.token()})
        if r.status_code == 200:
            return str(r.json()["token"])
        if r.json().get("error") in ("finished", "locked", "bad_credentials"):
            self.done = True  # nothing a retry would change
        return None

    def _sit(self) -> None:
        bearer = self._login()
        if bearer is None:
            return
        sio = socketio.Client(reconnection=False)
        try:
            sio.connect(self.base_url, auth={"token": bearer}, namespaces=[NAMESPACE],
                        transports=["websocket"], wait_timeout=15)
            self._answer(sio)
        finally:
            sio.disconnect()

    def _call(self, sio: socketio.Client, event: str, data: dict[str, Any]) -> dict[str, Any]:
        reply: dict[str, Any] = sio.call(event, data, namespace=NAMESPACE, timeout=30)
        if not reply.get("ok") and reply.get("error") in FINAL:
            self.done = True
        return reply

    def _answer(self, sio: socketio.Client) -> None:
        state = self._call(sio, "start", {})
        if not state.get("ok"):
            return
        questions = state["paper"]["questions"]
        answers: dict[str, str] = dict(state["answers"])
        seq = int(state.get("seq", 0))
        while not self.done and sio.connected:
            time.sleep(self.pace * self.rng.uniform(0.5, 1.5))
            empty = [q for q in questions if str(q["no"]) not in answers]
            if not empty:
                self._call(sio, "finish", {})
                self.done = True
                return
            question = empty[0] if self.rng.random() < 0.8 else self.rng.choice(empty)
            choice = self.rng.choice(question["options"])["label"]
            seq += 1
            reply = self._call(sio, "answer", {"seq": seq, "q": question["no"],
                                               "choice": choice})
            if reply.get("ok"):
                answers[str(question["no"])] = choice
            if self.rng.random() < 0.125 and not self.done:
                seq += 1
                self._call(sio, "flag", {"seq": seq, "q": question["no"], "flagged": True})
