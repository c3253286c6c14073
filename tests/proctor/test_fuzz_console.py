"""Hypothesis-made payloads against the console's actions and the /proctor and /scoreboard
events, as a logged-in proctor of the session (issue 7 §3): always a clean 4xx JSON error or
an ack with an error code, never a 500 or a crashed handler; the server answers normally after.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from exam_server.realtime import socketio
from proctor_console.actions import ACTIONS
from tests.proctor.conftest import Console
from tests.proctor.test_live import Proctor
from tests.protocol.test_fuzz import FUZZ, JSON

FIELDS = st.sampled_from(["reason", "participant", "minutes", "key", "session", "exam"])
BODIES = st.dictionaries(FIELDS, JSON, max_size=4) | JSON


@FUZZ
@given(action=st.sampled_from([*ACTIONS, "nope"]), body=BODIES)
def test_every_action_answers_any_body_cleanly(console: Console, action: str,
                                               body: Any) -> None:
    proctor = getattr(console, "_fuzzing", None) or Proctor(console, "pengawas1")
    console._fuzzing = proctor  # type: ignore[attr-defined]  # one login for all examples
    if action == "close":
        body = {**body, "reason": ""} if isinstance(body, dict) else body  # keep the room open
    status, reply = proctor.act(action, **body) if isinstance(body, dict) else \
        _raw(proctor, action, body)
    assert status < 500, (action, body, status)
    if status >= 400:
        assert set(reply) >= {"ok", "error", "message"} and reply["ok"] is False, reply  # noqa: PT018


def _raw(proctor: Proctor, action: str, body: Any) -> tuple[int, Any]:
    r = proctor.http.post(f"/proctor/api/sessions/{proctor.console.session_id}/{action}",
                          headers={"X-CSRFToken": proctor.token}, json=body)
    return r.status_code, r.get_json()


@FUZZ
@given(namespace=st.sampled_from(["/proctor", "/scoreboard"]),
       event=st.sampled_from(["join", "leave", "nope", "disconnect"]), payload=JSON)
def test_the_live_namespaces_answer_any_payload_cleanly(console: Console, namespace: str,
                                                        event: str, payload: Any) -> None:
    clients = getattr(console, "_sockets", None)
    if clients is None:
        proctor = Proctor(console, "pengawas1")
        clients = {"/proctor": proctor.socket,
                   "/scoreboard": socketio.test_client(console.ip.app, namespace="/scoreboard")}
        console._sockets = clients  # type: ignore[attr-defined]
    client = clients[namespace]
    ack = client.emit(event, payload, namespace=namespace, callback=True)
    assert client.is_connected(namespace)
    if event in ("join", "leave"):
        assert isinstance(ack, dict) and isinstance(ack.get("ok"), bool), ack  # noqa: PT018
    else:
        assert ack in (None, [])


def test_the_console_answers_normally_after_the_fuzzing(console: Console) -> None:
    proctor = Proctor(console, "pengawas1")
    assert proctor.join()["ok"] is True
    assert proctor.act("pause", reason="listrik padam")[1]["ok"] is True
    assert proctor.act("resume", reason="menyala")[1]["ok"] is True


@FUZZ
@given(form=st.dictionaries(st.sampled_from(["username", "password", "csrf_token", "next"]),
                            st.text(max_size=300), max_size=4),
       lang=st.text(max_size=20))
def test_the_login_form_and_the_pages_answer_anything_without_a_500(
        console: Console, form: dict[str, str], lang: str) -> None:
    client = console.ip.app.test_client()
    r = client.post("/proctor/login", data=form)
    assert r.status_code in (200, 302, 400), (form, r.status_code)  # the form again, or CSRF
    for url in ("/ujian", "/scoreboard", "/scoreboard/JKT1-S1", "/proctor/login"):
        page = client.get(url, query_string={"lang": lang, "big": lang})
        assert page.status_code in (200, 303, 404), (url, lang, page.status_code)
