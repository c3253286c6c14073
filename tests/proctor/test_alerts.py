"""The rapid-answer pattern reaches the proctor as an alert, once per quiet period."""

from __future__ import annotations

from sqlalchemy import select

from exam_server.models import Alert, AuditLog
from exam_server.rapid_answers import AlertQueue, RapidAnswers
from tests.proctor.conftest import Console
from tests.proctor.test_live import Proctor


def test_the_pattern_needs_count_answers_within_the_window() -> None:
    watch = RapidAnswers(count=3, window=10.0, quiet=60.0)
    assert [watch.observe(1, t) for t in (0.0, 11.0, 22.0, 30.0)] == [False] * 4  # spread out
    assert watch.observe(1, 31.0) is True  # 22, 30, 31: three within ten seconds
    assert watch.observe(1, 32.0) is False  # reported: quiet for a minute
    assert watch.observe(2, 32.0) is False  # attempts are counted apart
    assert [watch.observe(1, t) for t in (92.0, 93.0, 94.0)] == [False, False, True]


def test_a_burst_of_answers_is_an_alert_on_the_roster(console: Console) -> None:
    ip = console.ip
    number = ip.prepared.numbers[0]
    a = ip.candidate(number)
    a.emit("start", {}, namespace="/exam", callback=True)
    alerts: AlertQueue = ip.app.extensions["seleksi.alerts"]

    def burst(first_seq: int) -> None:
        for i in range(10):
            ack = a.emit("answer", {"seq": first_seq + i, "q": i + 1, "choice": "C"},
                         namespace="/exam", callback=True)
            assert ack["ok"] is True

    burst(1)
    assert alerts.flush() == 1
    burst(11)  # still within the quiet period: no second alert
    assert alerts.flush() == 0
    ip.clock.advance(301)
    burst(21)
    assert alerts.flush() == 1
    with ip.prepared.factory() as db:
        kinds = db.scalars(select(Alert.kind)).all()
        audit = db.scalars(select(AuditLog.details).where(AuditLog.action == "alert")).all()
    assert kinds == ["rapid_answers", "rapid_answers"]
    assert audit[0]["kind"] == "rapid_answers" and audit[0]["answers"] == 10  # noqa: PT018
    roster = Proctor(console, "pengawas1").http.get(
        f"/proctor/api/sessions/{console.session_id}/roster").get_json()
    row = next(r for r in roster["rows"] if r["participant"] == number)
    assert [x["kind"] for x in row["alerts"]] == ["rapid_answers", "rapid_answers"]
