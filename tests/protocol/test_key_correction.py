"""A wrong answer key found after the exam, corrected in the open (issue 6 §3).

Candidates finish on a real ``seleksi serve``; ``seleksi log correct`` voids one item and
re-keys another. Every candidate whose result changes gets a ``correction`` entry in the
public log naming the entry it corrects; the new scores are exactly what ``seleksi rescore``
computes from the exported session with the same corrections; the scoreboard shows them; the
log still verifies; applying the corrections again appends nothing; bad corrections change
nothing. SQLite and (marker ``pg``) PostgreSQL.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import requests
from sqlalchemy import select

from exam_server.models import Attempt, AuditLog, Participant
from proctor_console.transparency.models import ResultLogEntry
from proctor_console.transparency.records import parse_leaf_input
from tests.cli.conftest import make_runner
from tests.protocol.helpers import EXAM, SESSION, Prepared, Server, logged_in
from tests.protocol.test_result_log import finish, logged, verify

SECTIONS = ("TWK", "TIU", "TKP")


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _wrong_answers(export: Path, number: str) -> list[tuple[str, str]]:
    """``(item ref, chosen label)`` of ``number``'s TWK/TIU answers that scored 0."""
    key = {row["item_id"]: row for row in _csv(export / "key.csv")}
    return [(r["item_id"], r["choice"]) for r in _csv(export / "responses.csv")
            if r["participant"] == number and r["choice"]
            and key[r["item_id"]]["section"] in ("TWK", "TIU")
            and key[r["item_id"]][r["choice"]] == "0"]


def _entries(prepared: Prepared) -> list[tuple[ResultLogEntry, dict[str, Any]]]:
    with prepared.factory() as db:
        rows = db.scalars(select(ResultLogEntry).order_by(ResultLogEntry.leaf_index)).all()
    return [(r, parse_leaf_input(r.leaf_input)) for r in rows]


def test_a_voided_item_and_a_re_key_are_logged_as_corrections(
        server: Server, prepared: Prepared, tmp_path: Path) -> None:
    run = make_runner(prepared.instance, prepared.url)
    numbers = prepared.numbers[:3]
    for number, answers in zip(numbers, (40, 25, 0), strict=True):
        finish(server, prepared, number, answers)
    assert len(logged(prepared, 3)) == 3
    results = {r["participant"]: (leaf.leaf_index, r) for leaf, r in _entries(prepared)}

    export = tmp_path / "export"
    run("session", "export", SESSION, "--out", export)
    wrong = _wrong_answers(export, numbers[0])
    assert len(wrong) >= 2, wrong  # 40 answers of ABCDE in turn: some are wrong
    (voided, _), (rekeyed, label) = wrong[:2]
    fixes = tmp_path / "corrections.csv"
    fixes.write_text("item_id,action,A,B,C,D,E\n" f"{voided},void,,,,,\n" + f"{rekeyed},rekey,"
                     + ",".join("5" if x == label else "0" for x in "ABCDE") + "\n",
                     encoding="utf-8")

    # the reference: the exported session re-scored by `seleksi rescore` with the same file
    inputs = [f"--{name}={export / f'{name}.csv'}" for name in
              ("key", "responses", "candidates", "formations")]
    run("rescore", "--scheme", "skd-2024", *inputs, "--corrections", fixes,
        "--out", tmp_path / "rescored.csv", "--diff", tmp_path / "reference-diff.csv")
    rescored = {r["participant"]: r for r in _csv(tmp_path / "rescored.csv")}
    expected = {n for n in numbers
                if int(rescored[n]["total"]) != results[n][1]["total"]}
    assert numbers[0] in expected

    state = tmp_path / "heads.json"
    assert verify(server.base, state).returncode == 0  # the head before the corrections
    out = run("log", "correct", "--exam", EXAM, "--corrections", fixes, "--reason",
              "kunci soal salah", "--diff", tmp_path / "diff.csv", "--as", "panitia").stdout
    assert f"{len(expected)} changed; the log now has {3 + len(expected)} entries" in out

    entries = _entries(prepared)
    corrections = [(leaf, r) for leaf, r in entries if r["kind"] == "correction"]
    assert {r["participant"] for _, r in corrections} == expected
    for leaf, record in corrections:
        number = record["participant"]
        row = rescored[number]
        assert record["sections"] == {s: int(row[s]) for s in SECTIONS}
        assert record["total"] == int(row["total"])
        assert record["code"] == ("P" if row["code"] in ("P/L", "P") else "TL")
        assert record["corrects"] == results[number][0]  # names the result it corrects
        assert (record["reason"], record["correction"]) == ("kunci soal salah", "key")
        assert leaf.attempt_id is not None
    diff = _csv(tmp_path / "diff.csv")
    assert {d["participant"]: int(d["new_total"]) for d in diff} == {
        n: int(rescored[n]["total"]) for n in expected}
    assert all(int(d["old_total"]) == results[d["participant"]][1]["total"] for d in diff)

    # the stored results and the public scoreboard show the corrected numbers
    with prepared.factory() as db:
        query = (select(Participant.number, Attempt.result)
                 .join(Attempt, Attempt.participant_id == Participant.id)
                 .where(Participant.number.in_(numbers)))
        stored: dict[str, Any] = dict(db.execute(query).all())
        audit = db.scalars(select(AuditLog).where(AuditLog.action == "key_corrected")).one()
    board = {r["participant"]: r for r in requests.get(
        f"{server.base}/api/scoreboard/{SESSION}", timeout=10).json()["rows"]}
    for number in numbers:
        assert stored[number]["total"] == int(rescored[number]["total"])
        assert board[number]["total"] == int(rescored[number]["total"])
    assert audit.actor == "panitia" and audit.details["changed"] == len(expected)  # noqa: PT018

    # the log verifies, consistent with the head seen before the corrections
    checked = verify(server.base, state)
    assert checked.returncode == 0, checked.stderr
    assert f"OK: {3 + len(expected)} entries" in checked.stdout

    # the same corrections again: nothing changes, nothing is appended
    again = run("log", "correct", "--exam", EXAM, "--corrections", fixes, "--reason",
                "sekali lagi").stdout
    assert "0 changed" in again
    assert len(_entries(prepared)) == 3 + len(expected)


def test_bad_corrections_are_refused_and_change_nothing(
        server: Server, prepared: Prepared, tmp_path: Path) -> None:
    run = make_runner(prepared.instance, prepared.url)
    finish(server, prepared, prepared.numbers[0], 10)
    assert len(logged(prepared, 1)) == 1
    bad = tmp_path / "bad.csv"

    def refused(content: str, *extra: str) -> str:
        bad.write_text(content, encoding="utf-8")
        return run("log", "correct", "--exam", EXAM, "--corrections", bad, *extra,
                   ok=False).stderr

    reason = ("--reason", "kunci salah")
    assert "TIU-9999@1" in refused("item_id,action\nTIU-9999@1,void\n", *reason)
    assert "action must be 'void' or 'rekey'" in refused("item_id,action\nX,drop\n", *reason)
    assert "reason is required" in refused("item_id,action\nX,void\n", "--reason", " ")
    assert "no sessions" in run("log", "correct", "--exam", "nope", "--corrections", bad,
                                *reason, ok=False).stderr
    working = prepared.numbers[1]
    candidate = logged_in(server, prepared, working)
    assert candidate.call("start")["ok"] is True
    export = tmp_path / "export"
    run("session", "export", SESSION, "--out", export)
    item = _csv(export / "key.csv")[0]["item_id"]
    assert "still working" in refused(f"item_id,action\n{item},void\n", *reason)
    with prepared.factory() as db:
        assert len(db.scalars(select(ResultLogEntry)).all()) == 1
        assert db.scalars(select(AuditLog).where(AuditLog.action == "key_corrected")).all() == []
