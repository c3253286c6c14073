"""§7: a finished session exported for ``seleksi score`` gives exactly the server's results."""

from __future__ import annotations

import csv
import random
from pathlib import Path
from typing import Any

from sqlalchemy import select

from exam_server.models import Attempt, ExamSession, Participant
from exam_server.session_papers import open_content
from question_bank.keys import load_public_key
from tests.cli.conftest import make_runner
from tests.protocol.helpers import EXAM, SESSION, Prepared, Server, logged_in


def _best_labels(prepared: Prepared, number: str) -> dict[int, str]:
    """Per question, the shown label of the option worth most (from the decrypted papers)."""
    with prepared.factory() as db:
        key = db.scalars(select(ExamSession.session_key)).one()
    assert key is not None
    content = open_content(prepared.factory, EXAM, SESSION, key,
                           load_public_key(prepared.instance / "keys" / "bank.pub"))
    best = {}
    for q in content.papers[number].questions:
        item = content.items[q.ref].item
        shown = [o.label for o in item.options]
        points = item.points
        best[q.number] = shown[max(range(len(shown)), key=lambda i: points[q.option_order[i]])]
    return best


def _sit(server: Server, prepared: Prepared, number: str, style: str) -> dict[str, Any]:
    rng = random.Random(number)
    candidate = logged_in(server, prepared, number)
    state = candidate.call("start")
    questions = state["paper"]["questions"]
    best = _best_labels(prepared, number) if style == "best" else {}
    seq = 0
    for q in questions:
        labels = [o["label"] for o in q["options"]]
        if style == "blank" or (style == "half" and q["no"] % 2):
            continue
        choice = best.get(q["no"]) or rng.choice(labels)
        if style == "best" and q["section"] == "TWK" and q["no"] % 7 == 0:
            choice = rng.choice(labels)
        seq += 1
        assert candidate.call("answer", {"seq": seq, "q": q["no"], "choice": choice})["ok"]
        if style == "half" and q["no"] % 10 == 0:  # changes its mind: cleared
            seq += 1
            assert candidate.call("answer", {"seq": seq, "q": q["no"], "choice": None})["ok"]
    done = candidate.call("finish")
    assert done["ok"], done
    result: dict[str, Any] = done["result"]
    return result


def test_exported_session_scores_exactly_as_the_server(server: Server, prepared: Prepared,
                                                       tmp_path: Path) -> None:
    styles = ["best", "random", "half", "blank", "best", "random"]
    sat = {n: _sit(server, prepared, n, s)
           for n, s in zip(prepared.numbers, styles, strict=False)}
    absent = prepared.numbers[len(styles):]
    assert absent
    assert any(r["passed"] for r in sat.values())
    assert len({r["total"] for r in sat.values()}) >= 4  # they did answer differently
    run = make_runner(prepared.instance, prepared.url)
    out = tmp_path / "export"
    said = run("session", "export", SESSION, "--out", out, "--quota", "2").stdout
    assert "6 started" in said
    results = tmp_path / "results.csv"
    run("score", "--scheme", "skd-2024", "--key", out / "key.csv", "--responses",
        out / "responses.csv", "--candidates", out / "candidates.csv", "--formations",
        out / "formations.csv", "--out", results)
    with results.open(encoding="utf-8-sig", newline="") as f:
        rows = {r["participant"]: r for r in csv.DictReader(f)}
    assert set(rows) == set(prepared.numbers)
    with prepared.factory() as db:
        stored: dict[str, Any] = dict(db.execute(select(Participant.number, Attempt.result)
                                 .join(Attempt, Attempt.participant_id == Participant.id)).all())
    for number, result in sat.items():
        row = rows[number]
        assert stored[number] == result
        assert {c: int(row[c]) for c in ("TWK", "TIU", "TKP")} == result["sections"], number
        assert int(row["total"]) == result["total"]
        assert (row["code"] in ("P/L", "P")) == result["passed"], (row, result)
        assert row["code"] in ("P/L", "P", "TL")
    for number in absent:
        assert rows[number]["code"] == "TH"
        assert rows[number]["total"] == ""
    with (out / "responses.csv").open(encoding="utf-8", newline="") as f:
        responses = list(csv.DictReader(f))
    assert len(responses) == 6 * 110
    assert {r["choice"] for r in responses} <= {"", "A", "B", "C", "D", "E"}
