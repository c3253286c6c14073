"""Hypothesis-made payloads against every candidate event and the public HTTP endpoints
(issue 7 §3): wrong types, huge strings, deep nesting, negative and huge numbers, unicode.
Always a clean error (an ack ``{"ok": false, "error": <code>}``, or a 4xx with a JSON
``{"error", "message"}``), never a 500 or a crashed handler; nothing is stored by a refused
payload; the server answers normally afterwards. Also: the per-connection rate limit and the
message size limit.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from exam_server.models import Answer
from exam_server.rate_limit import BURST, RateLimit
from exam_server.realtime import socketio
from tests.protocol.in_process import InProcess

SCALARS = (st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70)
           | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=50)
           | st.sampled_from(["A", "E", "Z", "", "1", "ａ", "\u0000", "💥"])
           | st.just(100_000).map(lambda n: "A" * n))  # not in the repr: 100 kB
JSON = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=5)
                    | st.dictionaries(st.text(max_size=10), inner, max_size=5), max_leaves=25)
FIELDS = st.sampled_from(["seq", "q", "choice", "flagged", "kind", "participant", "attempt"])
NEAR_VALID = st.dictionaries(FIELDS, JSON, max_size=5)  # the right keys, wild values
DEEP = st.integers(min_value=1, max_value=200).map(lambda n: json.loads("[" * n + "]" * n))
PAYLOADS = NEAR_VALID | JSON | DEEP
EVENTS = st.sampled_from(["start", "answer", "flag", "integrity", "no_such_event", "connect"])
FUZZ = settings(max_examples=300, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])


def _namespace() -> Any:
    return socketio.server.namespace_handlers["/exam"]


def _answers(ip: InProcess) -> list[tuple[int, int, str | None, int]]:
    with ip.prepared.factory() as db:
        return [tuple(r) for r in db.execute(  # type: ignore[misc]
            select(Answer.attempt_id, Answer.q, Answer.choice, Answer.answer_seq)
            .order_by(Answer.attempt_id, Answer.q)).all()]


@FUZZ
@given(event=EVENTS, payload=PAYLOADS)
def test_every_event_answers_any_payload_cleanly(in_process: InProcess, event: str,
                                                 payload: Any) -> None:
    ns = _namespace()
    ns.limit = RateLimit(rate=1e9, burst=10**9)  # the fuzzing is not a flood
    client = getattr(in_process, "_fuzzed", None)
    if client is None:
        client = in_process.candidate(in_process.prepared.numbers[0])
        assert client.emit("start", {}, namespace="/exam", callback=True)["ok"] is True
        in_process._fuzzed = client  # type: ignore[attr-defined]  # one connection for all
    before = _answers(in_process)
    ack = client.emit(event, payload, namespace="/exam", callback=True)
    assert client.is_connected("/exam")
    if event in ("no_such_event", "connect"):
        assert ack in (None, [])  # no handler (a client may not fake connect): nothing happens
    else:
        assert isinstance(ack, dict), ack
        assert isinstance(ack.get("ok"), bool), ack
        if not ack["ok"]:
            assert isinstance(ack.get("error"), str) and ack["error"], ack  # noqa: PT018
    if not (ack and ack.get("ok") and event in ("answer", "flag")):
        assert _answers(in_process) == before  # a refused payload stores nothing


def test_the_server_answers_normally_after_the_fuzzing(in_process: InProcess) -> None:
    client = in_process.candidate(in_process.prepared.numbers[1])
    assert client.emit("start", [[[]]], namespace="/exam", callback=True)["ok"] is True
    for bad in ({"seq": "1", "q": 1, "choice": "A"}, {"seq": 2**80, "q": 1, "choice": "A"},
                {"seq": 1, "q": -1, "choice": "A"}, {"seq": 1, "q": 1, "choice": "A" * 10**5},
                {"seq": 1, "q": 1.5, "choice": "A"}, {"seq": True, "q": 1, "choice": "A"}):
        ack = client.emit("answer", bad, namespace="/exam", callback=True)
        assert ack["ok"] is False and ack["error"].startswith("bad_"), (bad, ack)  # noqa: PT018
    assert _answers(in_process) == []
    assert client.emit("answer", {"seq": 1, "q": 1, "choice": "A"}, namespace="/exam",
                       callback=True) == {"ok": True, "seq": 1}


@FUZZ
@given(body=JSON | NEAR_VALID, raw=st.binary(max_size=200), as_json=st.booleans())
def test_login_answers_any_body_with_a_clean_error(in_process: InProcess, body: Any,
                                                   raw: bytes, as_json: bool) -> None:
    client = in_process.app.test_client()
    if as_json:
        r = client.post("/api/exam/login", json=body)
    else:
        r = client.post("/api/exam/login", data=raw, content_type="application/json")
    assert r.status_code in (400, 401, 403, 409, 423), (body, r.status_code)
    error = r.get_json()
    assert set(error) == {"error", "message"} and error["message"], error  # noqa: PT018


@FUZZ
@given(text=st.text(max_size=40) | st.sampled_from(["-1", "1e9", "99999999999999999999",
                                                     "0x10", "１", "%00", "../../etc"]),
       path=st.sampled_from(["/api/log/get-entries?start={t}&end={t}",
                             "/api/log/get-sth-consistency?first={t}&second=2",
                             "/api/log/get-proof-by-hash?hash={t}&tree_size={t}",
                             "/api/scoreboard/{t}", "/api/scoreboard/{t}.csv",
                             "/api/scoreboard/exam/{t}", "/scoreboard/{t}",
                             "/ujian/receipt?x={t}", "/proctor/api/sessions/{t}/roster"]))
def test_public_endpoints_answer_any_parameter_without_a_500(in_process: InProcess, text: str,
                                                             path: str) -> None:
    from urllib.parse import quote

    client = in_process.app.test_client()
    r = client.get(path.format(t=quote(text, safe="")))
    assert r.status_code < 500, (path, text, r.status_code)
    r.close()


def test_a_flood_of_events_is_rate_limited_and_a_huge_message_refused(
        in_process: InProcess) -> None:
    _namespace().limit = RateLimit(monotonic=lambda: 0.0)  # time stands still: no refill
    client = in_process.candidate(in_process.prepared.numbers[2])
    assert client.emit("start", {}, namespace="/exam", callback=True)["ok"] is True
    acks = [client.emit("flag", {"seq": n, "q": 1, "flagged": n % 2 == 0}, namespace="/exam",
                        callback=True) for n in range(1, BURST + 50)]
    assert all(a["ok"] for a in acks[:BURST - 1])  # the burst (start took one token) passes
    assert acks[BURST - 1:] == [{"ok": False, "error": "rate_limited"}] * 50
    with in_process.prepared.factory() as db:
        count = db.scalar(select(func.count()).select_from(Answer))
    assert count == 1  # one question flagged and unflagged; nothing of the refused ones
    assert socketio.server.eio.max_http_buffer_size == 64 * 1024
