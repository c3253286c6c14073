"""Headers on every response, and what a candidate can never read (issue 7 §3).

Every GET route of the application answers with the strict Content-Security-Policy,
``X-Frame-Options: DENY``, ``X-Content-Type-Options`` and ``Referrer-Policy``, whatever its
status. A candidate's bearer reaches only their own attempt: naming another participant or
attempt in a payload changes nothing, no payload ever carries an item id, points or the key,
and a session not yet released gives no paper to anyone.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from exam_server.models import Answer, Attempt, ExamSession, Participant
from exam_server.security_headers import CONTENT_SECURITY_POLICY
from tests.protocol.in_process import InProcess

SAMPLES = {"filename": "console.js", "ref": "JKT1-S1", "exam_id": "skd-2024-demo",
           "session_id": 1, "exam": "skd-2024-demo", "action": "pause", "fmt": "csv"}


def test_every_get_route_sends_the_security_headers(in_process: InProcess) -> None:
    app = in_process.app
    client = app.test_client()
    seen = 0
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or ()):
            continue
        values = {arg: SAMPLES.get(arg, 1) for arg in rule.arguments}
        if rule.endpoint == "static":
            values["filename"] = "ujian/main.js"
        with app.test_request_context():
            url = app.url_for(rule.endpoint, **values)
        r = client.get(url)
        assert r.headers.get("Content-Security-Policy") == CONTENT_SECURITY_POLICY, url
        assert r.headers.get("X-Frame-Options") == "DENY", url
        assert r.headers.get("X-Content-Type-Options") == "nosniff", url
        assert r.headers.get("Referrer-Policy") == "no-referrer", url
        assert r.status_code < 500, (url, r.status_code)
        r.close()
        seen += 1
    assert seen >= 20  # the pages, the APIs, the static files
    for part in ("script-src 'self'", "style-src 'self'", "frame-ancestors 'none'"):
        assert part in CONTENT_SECURITY_POLICY
    assert "unsafe-inline" not in CONTENT_SECURITY_POLICY


def _walk(value: Any) -> list[str]:
    """Every key and string anywhere in a JSON value."""
    if isinstance(value, dict):
        return list(value) + [s for v in value.values() for s in _walk(v)]
    if isinstance(value, list):
        return [s for v in value for s in _walk(v)]
    return [value] if isinstance(value, str) else []


def test_a_candidate_reaches_only_their_own_attempt(in_process: InProcess) -> None:
    one, two = in_process.prepared.numbers[:2]
    a = in_process.candidate(one)
    b = in_process.candidate(two)
    paper_b = b.emit("start", {}, namespace="/exam", callback=True)
    with in_process.prepared.factory() as db:
        ids = dict(db.execute(select(Participant.number, Attempt.id)
                              .join(Attempt, Attempt.participant_id == Participant.id)).all())
    # naming the other participant or attempt anywhere is ignored: A gets A's paper
    tricks = {"participant": two, "attempt": ids[two], "attempt_id": ids[two], "token": "x"}
    paper_a = a.emit("start", tricks, namespace="/exam", callback=True)
    assert paper_a["ok"] is True
    assert paper_a["paper"] != paper_b["paper"]
    assert paper_a["paper"] == a.emit("start", {}, namespace="/exam", callback=True)["paper"]
    ack = a.emit("answer", {"seq": 1, "q": 1, "choice": "A", **tricks}, namespace="/exam",
                 callback=True)
    assert ack == {"ok": True, "seq": 1}
    with in_process.prepared.factory() as db:
        stored = db.execute(select(Answer.attempt_id, Answer.q, Answer.choice)).all()
    assert [tuple(r) for r in stored] == [(ids[one], 1, "A")]
    # nothing a candidate receives names an item, its points or the key
    result = a.emit("finish", {}, namespace="/exam", callback=True)
    texts = _walk([paper_a, ack, result, a.get_received("/exam")])
    for forbidden in ("points", "ref", "key", "item", "item_id", "option_order"):
        assert forbidden not in texts, forbidden
    assert not any("@" in t and t.split("@")[-1].isdigit() for t in texts)  # TIU-0042@3
    receipt_a = in_process.app.test_client().get(
        "/ujian/receipt", headers={"Authorization": "Bearer nope"})
    assert receipt_a.status_code == 401


def test_no_paper_before_the_session_is_released(in_process: InProcess) -> None:
    with in_process.prepared.factory.begin() as db:  # as if the release key was not entered
        db.execute(update(ExamSession).values(state="scheduled", session_key=None))
    in_process.rt.papers._sessions.clear()  # noqa: SLF001 - a fresh process, as it were
    number = in_process.prepared.numbers[0]
    r = in_process.login(number)
    assert (r.status_code, r.get_json()["error"]) == (403, "session_not_running")
