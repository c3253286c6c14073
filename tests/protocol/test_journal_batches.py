"""The answer journal's batches in-process: the seq rule, the audit rows, the live score.

Batches are handed to the journal's writer directly (``Journal._process``), so one batch can
hold several operations of one question, flags and clears, in any order, as group commit
produces them under load.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from exam_server.app import create_app
from exam_server.attempts import AttemptRef, ref_for_attempt, start_attempt
from exam_server.audit import verify_audit_chain
from exam_server.journal import JournalOp
from exam_server.models import Answer, Attempt, AuditLog
from exam_server.results import attempt_result, attempt_score, score_payload
from exam_server.runtime import ExamRuntime
from tests.protocol.helpers import Prepared, Sealed

LABELS = ["A", "B", "C", "D", "E", None]


@pytest.fixture
def app(prepared: Prepared, sealed: Sealed) -> Iterator[Flask]:
    app = create_app({"DATABASE_URL": prepared.url,
                      "SELEKSI_PUBLIC_KEY": str(sealed.keys / "bank.pub"),
                      "SELEKSI_KEYS": str(prepared.instance / "keys")})
    yield app
    app.extensions["seleksi.db"].kw["bind"].dispose()


def _started(app: Flask, prepared: Prepared, number: str) -> tuple[ExamRuntime, AttemptRef]:
    r = app.test_client().post("/api/exam/login", json={
        "participant": number, "pin": prepared.pins[number], "token": prepared.token()})
    assert r.status_code == 200, r.get_json()
    rt: ExamRuntime = app.extensions["seleksi.exam"]
    with rt.factory() as db:
        ref = ref_for_attempt(db, r.get_json()["attempt"])
    assert start_attempt(rt.factory, rt.papers, ref, rt.clock.now())["ok"] is True
    return rt, ref


def _stored(rt: ExamRuntime, attempt: int) -> dict[int, tuple[str | None, int, bool, int]]:
    with rt.factory() as db:
        return {q: (c, s, f, fs) for q, c, s, f, fs in db.execute(
            select(Answer.q, Answer.choice, Answer.answer_seq, Answer.flagged, Answer.flag_seq)
            .where(Answer.attempt_id == attempt))}


def _run(rt: ExamRuntime, ops: list[JournalOp]) -> list[dict[str, Any]]:
    rt.journal._process(ops)
    return [op.done.get(timeout=5) for op in ops]


def test_batches_apply_the_seq_rule_audit_each_change_and_keep_the_live_score_exact(
        app: Flask, prepared: Prepared) -> None:
    rng = random.Random(5)
    rt, a = _started(app, prepared, prepared.numbers[0])
    _, b = _started(app, prepared, prepared.numbers[1])
    opened = rt.papers.get(a.session_id)
    model: dict[int, dict[int, list[Any]]] = {a.id: {}, b.id: {}}  # q -> [choice, seq, flag, fseq]
    seqs = {a.id: 0, b.id: 0}
    audited = 0
    for _ in range(40):
        ops = []
        for _ in range(rng.randint(1, 12)):
            ref = rng.choice([a, b])
            seqs[ref.id] += 1
            # a stale resend now and then: a seq below the newest one
            seq = seqs[ref.id] if rng.random() > 0.2 else rng.randint(1, seqs[ref.id])
            q = rng.randint(1, 6)  # few questions: several operations of one in a batch
            if rng.random() < 0.25:
                ops.append(JournalOp("flag", ref, q, rng.random() < 0.5, seq))
            else:
                ops.append(JournalOp("answer", ref, q, rng.choice(LABELS), seq))
        assert _run(rt, ops) == [{"ok": True, "seq": op.seq} for op in ops]
        for op in ops:  # the rule, applied in batch order
            row = model[op.ref.id].setdefault(op.q, [None, 0, False, 0])
            if op.kind == "answer" and op.seq > row[1]:
                row[0], row[1] = op.value, op.seq
                audited += 1
            elif op.kind == "flag" and op.seq > row[3]:
                row[2], row[3] = op.value, op.seq
                audited += 1
        for ref in (a, b):
            stored = _stored(rt, ref.id)
            assert stored == {q: tuple(r) for q, r in model[ref.id].items()}
            with rt.factory() as db:
                live = db.get_one(Attempt, ref.id).live_score
            full = attempt_score(opened.key, opened.paper(ref.participant), opened.content.items,
                                 {q: r[0] for q, r in stored.items()})
            if any(r[1] for r in stored.values()):  # answered at least once
                assert live == score_payload(opened.scheme, full)
    with rt.factory() as db:
        rows = db.scalars(select(AuditLog).where(AuditLog.action.in_(["answer", "flag"]))).all()
    assert len(rows) == audited
    assert verify_audit_chain(rt.factory).ok

    finished = _run(rt, [JournalOp("finish", a)])[0]
    stored = _stored(rt, a.id)
    score = attempt_score(opened.key, opened.paper(a.participant), opened.content.items,
                          {q: r[0] for q, r in stored.items()})
    assert finished == {"ok": True, "result": attempt_result(opened.scheme, score, a.category)}
    with rt.factory() as db:
        before_finish = db.get_one(Attempt, b.id).live_score
    assert before_finish["total"] == sum(before_finish["sections"].values())


def test_live_score_is_the_final_score_over_a_whole_paper(app: Flask, prepared: Prepared
                                                         ) -> None:
    rng = random.Random(11)
    rt, a = _started(app, prepared, prepared.numbers[2])
    opened = rt.papers.get(a.session_id)
    questions = len(opened.option_labels(a.participant))
    seq = 0
    for _ in range(30):
        ops = []
        for _ in range(rng.randint(1, 20)):
            seq += 1
            q = rng.randint(1, questions)
            ops.append(JournalOp("answer", a, q, rng.choice(opened.option_labels(
                a.participant)[q - 1] + "-"), seq))
        for op in ops:
            op.value = None if op.value == "-" else op.value
        _run(rt, ops)
    with rt.factory() as db:
        live = db.get_one(Attempt, a.id).live_score
    result = _run(rt, [JournalOp("finish", a)])[0]["result"]
    assert live == {"sections": result["sections"], "total": result["total"]}
    assert result["total"] > 0
