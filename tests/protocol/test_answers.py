"""start, answer, flag, finish against a real server process with real Socket.IO clients."""

from __future__ import annotations

import json
import re
import time

from sqlalchemy import func, select

from exam_server.models import Answer, Attempt, AuditLog
from question_bank.keys import load_public_key
from question_bank.sealing import open_session
from question_bank.sealing_format import parse_release_key
from tests.protocol.helpers import SESSION, Candidate, Prepared, Sealed, Server, logged_in


def _answers(prepared: Prepared, attempt_id: int) -> dict[int, tuple[str | None, int]]:
    with prepared.factory() as db:
        rows = db.execute(select(Answer.q, Answer.choice, Answer.answer_seq)
                          .where(Answer.attempt_id == attempt_id)).all()
    return {q: (c, s) for q, c, s in rows}


def _attempt_id(prepared: Prepared, number: str) -> int:
    from exam_server.models import Participant

    with prepared.factory() as db:
        return db.scalars(select(Attempt.id).join(Participant, Attempt.participant_id
                                                  == Participant.id)
                          .where(Participant.number == number)).one()


def test_start_gives_the_paper_in_the_candidates_order_and_nothing_secret(
        server: Server, prepared: Prepared, sealed: Sealed) -> None:
    number = prepared.numbers[0]
    c = logged_in(server, prepared, number)
    before = time.time() * 1000
    state = c.call("start")
    assert state["ok"] is True
    assert set(state) == {"ok", "paper", "answers", "flags", "seq", "participant", "deadline",
                          "server_time", "paused"}
    assert state["paused"] is False
    assert state["answers"] == {} and state["flags"] == []  # noqa: PT018
    assert state["seq"] == 0
    assert state["participant"] == {"number": number, "name": prepared.names[number],
                                    "large_text": False}
    assert abs(state["server_time"] - before) < 5000
    assert state["deadline"] - state["server_time"] == 100 * 60 * 1000  # SKD 2024: 100 min
    assert ("time", {"deadline": state["deadline"], "server_time": state["server_time"]}) \
        in c.events

    content = open_session(sealed.seal.read_bytes(), load_public_key(sealed.keys / "bank.pub"),
                           SESSION, parse_release_key(sealed.release_key))
    paper = content.papers[number]
    questions = state["paper"]["questions"]
    assert [q["no"] for q in questions] == list(range(1, 111))
    for shown, q in zip(questions, paper.questions, strict=True):
        item = content.items[q.ref].item
        texts = {o.label: o.text for o in item.options}
        assert shown["section"] == q.section
        assert shown["text"] == item.stem
        assert [o["label"] for o in shown["options"]] == [o.label for o in item.options]
        assert [o["text"] for o in shown["options"]] == [texts[x] for x in q.option_order]
    assert any(q.option_order != "ABCDE" for q in paper.questions)  # really shuffled
    raw = json.dumps(state)
    assert "points" not in raw
    assert "@" not in raw
    assert not re.search(r"\b(TWK|TIU|TKP)-\d", raw)  # no item ids

    assert c.call("answer", {"seq": 1, "q": 3, "choice": "B"}) == {"ok": True, "seq": 1}
    assert c.call("flag", {"seq": 2, "q": 7, "flagged": True}) == {"ok": True, "seq": 2}
    again = c.call("start")
    assert again["answers"] == {"3": "B"}
    assert again["flags"] == [7]
    assert again["seq"] == 2  # a resuming workstation continues above it
    assert again["deadline"] == state["deadline"]
    assert again["paper"] == state["paper"]
    c.close()


def test_answer_flag_finish_semantics(server: Server, prepared: Prepared,
                                      sealed: Sealed) -> None:
    number = prepared.numbers[1]
    c = logged_in(server, prepared, number)
    assert c.call("answer", {"seq": 1, "q": 1, "choice": "A"}) == {"ok": False,
                                                                   "error": "not_started"}
    c.call("start")
    attempt = _attempt_id(prepared, number)

    assert c.call("answer", {"seq": 5, "q": 1, "choice": "C"}) == {"ok": True, "seq": 5}
    # duplicate: acked again, changes nothing
    assert c.call("answer", {"seq": 5, "q": 1, "choice": "C"}) == {"ok": True, "seq": 5}
    # reordered: a lower seq arriving later is acked but never overwrites
    assert c.call("answer", {"seq": 3, "q": 1, "choice": "E"}) == {"ok": True, "seq": 3}
    assert _answers(prepared, attempt)[1] == ("C", 5)
    # null clears
    assert c.call("answer", {"seq": 6, "q": 2, "choice": "D"})["ok"] is True
    assert c.call("answer", {"seq": 7, "q": 2, "choice": None})["ok"] is True
    assert _answers(prepared, attempt)[2] == (None, 7)
    # flags have their own field: a flag with a lower seq than the answer still applies
    assert c.call("flag", {"seq": 4, "q": 1, "flagged": True}) == {"ok": True, "seq": 4}
    assert c.call("flag", {"seq": 2, "q": 1, "flagged": False}) == {"ok": True, "seq": 2}
    assert c.call("start")["flags"] == [1]

    errors = [({"seq": 8, "q": 0, "choice": "A"}, "bad_question"),
              ({"seq": 8, "q": 111, "choice": "A"}, "bad_question"),
              ({"seq": 8, "q": "1", "choice": "A"}, "bad_question"),
              ({"seq": 8, "q": 1, "choice": "F"}, "bad_choice"),
              ({"seq": 8, "q": 1, "choice": "a"}, "bad_choice"),
              ({"seq": 8, "q": 1}, "bad_choice"),
              ({"seq": 0, "q": 1, "choice": "A"}, "bad_seq"),
              ({"seq": -2, "q": 1, "choice": "A"}, "bad_seq"),
              ({"seq": 1.5, "q": 1, "choice": "A"}, "bad_seq"),
              ({"seq": True, "q": 1, "choice": "A"}, "bad_seq"),
              ({"q": 1, "choice": "A"}, "bad_seq")]
    for payload, code in errors:
        assert c.call("answer", payload) == {"ok": False, "error": code}, payload
    assert _answers(prepared, attempt)[1] == ("C", 5)  # refusals left the journal as it was

    # a disconnect between send and ack, then the resend after a reconnect
    c.sio.emit("answer", {"seq": 9, "q": 4, "choice": "B"}, namespace="/exam")
    c.close()
    c = Candidate(server, c.bearer)
    assert c.call("answer", {"seq": 9, "q": 4, "choice": "B"}) == {"ok": True, "seq": 9}
    assert _answers(prepared, attempt)[4] == ("B", 9)
    with prepared.factory() as db:
        q4 = db.scalar(select(func.count()).select_from(AuditLog).where(
            AuditLog.action == "answer", AuditLog.details["q"].as_integer() == 4))
    assert q4 == 1  # applied once

    content = open_session(sealed.seal.read_bytes(), load_public_key(sealed.keys / "bank.pub"),
                           SESSION, parse_release_key(sealed.release_key))
    paper = content.papers[number]
    final = {1: "C", 4: "B"}
    expected = {"TWK": 0, "TIU": 0, "TKP": 0}
    for q, label in final.items():
        pq = paper.questions[q - 1]
        item = content.items[pq.ref].item
        original = pq.option_order[[o.label for o in item.options].index(label)]
        expected[pq.section] += item.points[original]

    done = c.call("finish")
    assert done["ok"] is True
    assert done["result"]["sections"] == expected
    assert done["result"]["total"] == sum(expected.values())
    assert done["result"]["passed"] is False
    assert "general rule" in done["result"]["decision"]
    time.sleep(0.2)
    assert ("finished", {"result": done["result"], "reason": "candidate"}) in c.events
    with prepared.factory() as db:
        row = db.get_one(Attempt, attempt)
        assert (row.state, row.finish_reason, row.result) == ("finished", "candidate",
                                                              done["result"])
        assert row.live_score == {"sections": expected, "total": sum(expected.values())}

    assert c.call("answer", {"seq": 99, "q": 5, "choice": "A"}) == {"ok": False,
                                                                    "error": "finished"}
    assert c.call("flag", {"seq": 100, "q": 5, "flagged": True})["error"] == "finished"
    assert c.call("finish")["error"] == "finished"
    assert 5 not in _answers(prepared, attempt)
    relogin = server.login(number, prepared.pins[number], prepared.token())
    assert (relogin.status_code, relogin.json()["error"]) == (403, "finished")
    c.close()


def test_integrity_alerts_are_stored(server: Server, prepared: Prepared) -> None:
    from exam_server.models import Alert

    c = logged_in(server, prepared, prepared.numbers[2])
    for kind in ("blur", "visibility", "fullscreen_exit", "copy", "paste"):
        assert c.call("integrity", {"kind": kind, "at": 1_700_000_000_000}) == {"ok": True}
    assert c.call("integrity", {"kind": "screenshot", "at": 1})["ok"] is False
    with prepared.factory() as db:
        assert db.scalars(select(Alert.kind).order_by(Alert.id)).all() == [
            "blur", "visibility", "fullscreen_exit", "copy", "paste"]
        assert db.scalar(select(func.count()).select_from(AuditLog)
                         .where(AuditLog.action == "integrity")) == 5
    c.close()
