"""Publishing the ranking (P/L) in the public log once the exam is over (issue 6 §3).

Five candidates answer the best option of nearly every question on a real ``seleksi serve``,
one answers nothing, two stay away. After the session closes, ``seleksi log rank`` appends a
``P/L`` entry for the top 3 × quota and a ``P`` entry for the other passers, with their ranks,
exactly as ``seleksi score`` decides on the exported session; ranking again appends nothing;
ranking before every session is closed is refused. SQLite and (marker ``pg``) PostgreSQL.
"""

from __future__ import annotations

import csv
from pathlib import Path

from sqlalchemy import select

from exam_server.models import AuditLog, ExamSession
from exam_server.session_papers import open_content
from proctor_console.transparency.models import ResultLogEntry
from proctor_console.transparency.records import parse_leaf_input
from question_bank.keys import load_public_key
from tests.cli.conftest import make_runner
from tests.protocol.helpers import EXAM, SESSION, Prepared, Sealed, Server, logged_in
from tests.protocol.test_result_log import logged, verify


def best_answers(prepared: Prepared, number: str) -> list[str]:
    """Per question of ``number``'s paper, the shown label worth the most points."""
    with prepared.factory() as db:
        key = db.scalars(select(ExamSession.session_key)).one()
    assert key is not None
    content = open_content(prepared.factory, EXAM, SESSION, key,
                           load_public_key(prepared.instance / "keys" / "bank.pub"))
    best = []
    for q in content.papers[number].questions:
        item = content.items[q.ref].item
        shown = [o.label for o in item.options]
        points = [item.points.get(q.option_order[k], 0) for k in range(len(shown))]
        best.append(shown[points.index(max(points))])
    return best


def sit(server: Server, prepared: Prepared, number: str, choices: list[str | None]) -> None:
    """Log in, answer question i with ``choices[i - 1]`` (None: leave it), finish."""
    c = logged_in(server, prepared, number)
    assert c.call("start")["ok"] is True
    for q, choice in enumerate(choices, start=1):
        if choice is not None:
            assert c.call("answer", {"seq": q, "q": q, "choice": choice})["ok"] is True
    assert c.call("finish")["ok"] is True
    c.close()


def test_the_ranking_is_logged_as_P_L_and_P_once_every_session_is_over(
        server: Server, prepared: Prepared, sealed: Sealed, tmp_path: Path) -> None:
    run = make_runner(prepared.instance, prepared.url)
    numbers = prepared.numbers
    for i, number in enumerate(numbers[:5]):  # the last i questions (TKP) left blank
        best: list[str | None] = list(best_answers(prepared, number))
        sit(server, prepared, number, best[:len(best) - i] + [None] * i)
    sit(server, prepared, numbers[5], [])
    assert len(logged(prepared, 6)) == 6
    formations = tmp_path / "formations.csv"
    formations.write_text("formation,quota\nAnalis Kebijakan,1\n", encoding="utf-8")
    rank = ("log", "rank", "--exam", EXAM, "--formations", formations, "--reason",
            "pengumuman hasil SKD")
    assert "are not closed" in run(*rank, ok=False).stderr

    run("session", "close", SESSION, "--reason", "sesi selesai")
    assert len(logged(prepared, 8)) == 8  # two TH
    out = run(*rank).stdout
    assert "8 participants ranked (P/L 3, P 2, TL 1, TH 2, DIS 0); 5 entries appended" in out

    export = tmp_path / "export"
    run("session", "export", SESSION, "--out", export, "--key", sealed.release_key)
    run("score", "--scheme", "skd-2024", "--key", export / "key.csv", "--responses",
        export / "responses.csv", "--candidates", export / "candidates.csv", "--formations",
        formations, "--out", tmp_path / "results.csv")
    with (tmp_path / "results.csv").open(encoding="utf-8") as f:
        reference = {r["participant"]: r for r in csv.DictReader(f)}
    with prepared.factory() as db:
        rows = db.scalars(select(ResultLogEntry).order_by(ResultLogEntry.leaf_index)).all()
        audit = db.scalars(select(AuditLog).where(AuditLog.action == "ranked")).one()
    latest = {}
    for row in rows:
        record = parse_leaf_input(row.leaf_input)
        latest[record["participant"]] = (row.leaf_index, record)
    for number in numbers:
        leaf, record = latest[number]
        assert record["code"] == reference[number]["code"], number
        if record["code"] in ("P/L", "P"):
            assert leaf >= 8
            assert record["rank"] == int(reference[number]["rank"])
            assert (record["kind"], record["correction"]) == ("correction", "rank")
            assert record["total"] == int(reference[number]["total"])
    assert [latest[n][1]["code"] for n in numbers] == ["P/L"] * 3 + ["P"] * 2 + ["TL"] + \
        ["TH"] * 2
    assert [latest[n][1]["rank"] for n in numbers[:5]] == [1, 2, 3, 4, 5]
    assert audit.details["appended"] == 5

    again = run(*rank).stdout
    assert "0 entries appended; the log now has 13 entries" in again
    checked = verify(server.base, tmp_path / "heads.json")
    assert checked.returncode == 0, checked.stderr
    assert "OK: 13 entries" in checked.stdout
