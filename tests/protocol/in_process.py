"""The app in-process with a clock moved by hand; ``socketio.test_client`` as the browser."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Flask
from sqlalchemy import select

from exam_server.clock import ShiftedClock
from exam_server.models import ExamSession
from exam_server.realtime import socketio
from exam_server.runtime import ExamRuntime
from exam_server.tokens import current_token
from tests.protocol.helpers import SESSION, Prepared


@dataclass
class InProcess:
    app: Flask
    clock: ShiftedClock
    prepared: Prepared

    @property
    def rt(self) -> ExamRuntime:
        runtime: ExamRuntime = self.app.extensions["seleksi.exam"]
        return runtime

    def token(self) -> str:
        with self.prepared.factory() as db:
            secret = db.scalars(select(ExamSession.token_secret)
                                .where(ExamSession.code == SESSION)).one()
        assert secret is not None
        return current_token(secret, self.clock.now())

    def login(self, number: str, token: str | None = None) -> Any:
        return self.app.test_client().post("/api/exam/login", json={
            "participant": number, "pin": self.prepared.pins[number],
            "token": token or self.token()})

    def candidate(self, number: str) -> Any:
        r = self.login(number)
        assert r.status_code == 200, r.get_json()
        return socketio.test_client(self.app, namespace="/exam",
                                    auth={"token": r.get_json()["token"]},
                                    flask_test_client=self.app.test_client())


def events(client: Any, name: str) -> list[Any]:
    """The payloads of the ``name`` pushes a test client received since the last call."""
    return [e["args"][0] for e in client.get_received("/exam") if e["name"] == name]
