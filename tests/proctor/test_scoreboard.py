"""The public scoreboard through its real interfaces: JSON and CSV with ETags, and the
/scoreboard namespace's snapshot and coalesced pushes; the numbers are the scorer's."""

from __future__ import annotations

import csv
import io
from typing import Any

from sqlalchemy import select

from exam_server.models import Attempt, Participant
from exam_server.realtime import socketio
from proctor_console.scoreboard import mask
from proctor_console.scoreboard_web import ScoreboardPusher
from tests.proctor.conftest import Console
from tests.protocol.helpers import SESSION


def _watcher(console: Console) -> Any:
    return socketio.test_client(console.ip.app, namespace="/scoreboard",
                                flask_test_client=console.ip.app.test_client())


def _pusher(console: Console) -> ScoreboardPusher:
    pusher: ScoreboardPusher = console.ip.app.extensions["seleksi.scoreboard"]
    return pusher


def _stored(console: Console, number: str) -> Attempt:
    with console.ip.prepared.factory() as db:
        return db.scalars(select(Attempt).join(Participant)
                          .where(Participant.number == number)).one()


def test_json_and_csv_with_etags_and_masked_names(console: Console) -> None:
    client = console.ip.app.test_client()
    r = client.get(f"/api/scoreboard/{SESSION}")
    assert r.status_code == 200
    table = r.get_json()
    assert [s["code"] for s in table["session"]["sections"]] == ["TWK", "TIU", "TKP"]
    assert table["session"]["max"] == 550
    assert table["session"]["rules"][0]["minima"] == {"TWK": 65, "TIU": 80, "TKP": 166}
    names = console.ip.prepared.names
    assert {r["participant"]: r["name"] for r in table["rows"]} == {
        n: mask(name) for n, name in names.items()}
    assert {r["status"] for r in table["rows"]} == {"belum"}
    tag = r.headers["ETag"]
    assert client.get(f"/api/scoreboard/{SESSION}",
                      headers={"If-None-Match": tag}).status_code == 304
    by_id = client.get(f"/api/scoreboard/{console.session_id}")
    assert by_id.get_json() == table
    text = client.get(f"/api/scoreboard/{SESSION}.csv")
    assert text.mimetype == "text/csv"
    lines = list(csv.reader(io.StringIO(text.get_data(as_text=True))))
    assert lines[0] == ["participant", "name", "formation", "session", "TWK", "TIU", "TKP",
                        "total", "status"]
    assert len(lines) == len(names) + 1
    assert text.headers["ETag"] != tag
    for bad in ("NOPE", "999999", "JKT1-S1.json"):
        assert client.get(f"/api/scoreboard/{bad}").status_code == 404
    console.ip.app.config["SCOREBOARD_MASK_NAMES"] = False
    unmasked = client.get(f"/api/scoreboard/{SESSION}").get_json()
    assert {r["name"] for r in unmasked["rows"]} == set(names.values())
    changed = client.get(f"/api/scoreboard/{SESSION}", headers={"If-None-Match": tag})
    assert changed.status_code == 200  # the content changed: a new ETag


def test_pushes_are_coalesced_and_carry_the_scorers_numbers(console: Console) -> None:
    ip = console.ip
    one, two = ip.prepared.numbers[:2]
    watcher = _watcher(console)
    snapshot = watcher.emit("join", {"session": SESSION}, namespace="/scoreboard",
                            callback=True)
    assert snapshot["ok"] is True and len(snapshot["rows"]) == len(ip.prepared.numbers)  # noqa: PT018
    a, b = ip.candidate(one), ip.candidate(two)
    for client in (a, b):
        client.emit("start", {}, namespace="/exam", callback=True)
    for seq in range(1, 21):  # forty answers ...
        for client in (a, b):
            ack = client.emit("answer", {"seq": seq, "q": seq, "choice": "ABCDE"[seq % 5]},
                              namespace="/exam", callback=True)
            assert ack["ok"] is True
    assert _pusher(console).flush() == 1  # ... one push for the session
    pushes = [e["args"][0] for e in watcher.get_received("/scoreboard")]
    assert len(pushes) == 1 and pushes[0]["full"] is False  # noqa: PT018
    rows = {r["participant"]: r for r in pushes[0]["rows"]}
    assert set(rows) == {one, two}
    for number in (one, two):
        live = _stored(console, number).live_score
        assert live is not None
        assert (rows[number]["total"], rows[number]["sections"]) == (live["total"],
                                                                     live["sections"])
        assert rows[number]["status"] == "ujian"
    result = a.emit("finish", {}, namespace="/exam", callback=True)["result"]
    _pusher(console).flush()
    [push] = [e["args"][0] for e in watcher.get_received("/scoreboard")]
    [row] = push["rows"]
    assert (row["participant"], row["total"], row["sections"]) == (
        one, result["total"], result["sections"])
    assert row["status"] == ("P" if result["passed"] else "TL")
    assert _pusher(console).flush() == 0  # nothing new: nothing sent
    for bad in (None, {}, {"session": True}, {"session": "NOPE"}, {"session": ["x"]}):
        assert watcher.emit("join", bad, namespace="/scoreboard", callback=True)["ok"] is False
    watcher.disconnect(namespace="/scoreboard")


def test_the_pages_render_with_their_languages(console: Console) -> None:
    client = console.ip.app.test_client()
    listing = client.get("/scoreboard").get_data(as_text=True)
    assert SESSION in listing and "Papan skor" in listing  # noqa: PT018
    page = client.get(f"/scoreboard/{console.session_id}?big=1&lang=en")
    html = page.get_data(as_text=True)
    assert 'class="big"' in html and 'lang="en"' in html and "Scoreboard" in html  # noqa: PT018
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert "<script>" not in html
    assert client.get("/scoreboard/NOPE").status_code == 404


def test_an_exams_table_gathers_its_sessions(console: Console) -> None:
    ip = console.ip
    client = ip.app.test_client()
    exam = "skd-2024-demo"
    table = client.get(f"/api/scoreboard/exam/{exam}").get_json()
    assert [s["code"] for s in table["exam"]["sessions"]] == [SESSION, "JKT1-S2"]
    assert {r["session"] for r in table["rows"]} == {SESSION}  # JKT1-S2 has nobody yet
    assert len(table["rows"]) == len(ip.prepared.numbers)
    text = client.get(f"/api/scoreboard/exam/{exam}.csv").get_data(as_text=True)
    assert text.splitlines()[0] == ("participant,name,formation,session,TWK,TIU,TKP,total,"
                                    "status")
    assert client.get("/api/scoreboard/exam/nope").status_code == 404
    assert client.get(f"/scoreboard/exam/{exam}?lang=en").status_code == 200
    assert client.get("/scoreboard/exam/nope").status_code == 404

    watcher = _watcher(console)
    joined = watcher.emit("join", {"exam": exam}, namespace="/scoreboard", callback=True)
    assert joined["ok"] is True and joined["exam"]["exam"] == exam  # noqa: PT018
    for bad in ({"exam": ""}, {"exam": 5}, {"exam": "nope"}):
        assert watcher.emit("join", bad, namespace="/scoreboard", callback=True)["ok"] is False
    number = ip.prepared.numbers[0]
    a = ip.candidate(number)
    a.emit("start", {}, namespace="/exam", callback=True)
    a.emit("answer", {"seq": 1, "q": 1, "choice": "B"}, namespace="/exam", callback=True)
    _pusher(console).flush()
    pushes = [e["args"][0] for e in watcher.get_received("/scoreboard")]
    assert [p.get("exam") for p in pushes] == [exam]
    assert [(r["participant"], r["session"], r["status"]) for r in pushes[0]["rows"]] == [
        (number, SESSION, "ujian")]
    watcher.disconnect(namespace="/scoreboard")
