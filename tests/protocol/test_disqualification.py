"""Disqualification (DIS) end to end: a real server, a real candidate, the real CLI; the
candidate is finished, the scoreboard says DIS, and the public log gets the result and then a
correction naming it, which the independent verifier accepts."""

from __future__ import annotations

import time
from pathlib import Path

import requests

from proctor_console.transparency.records import parse_leaf_input
from tests.cli.conftest import make_runner
from tests.protocol.helpers import EXAM, SESSION, Prepared, Server, logged_in
from tests.protocol.test_result_log import logged, verify


def test_a_disqualified_candidate_is_finished_marked_and_logged(
        prepared: Prepared, server: Server, tmp_path: Path) -> None:
    run = make_runner(prepared.instance, prepared.url)
    cheat, honest, absent = prepared.numbers[:3]
    c = logged_in(server, prepared, cheat)
    assert c.call("start")["ok"] is True
    for q in (1, 2, 3):
        assert c.call("answer", {"seq": q, "q": q, "choice": "A"})["ok"] is True
    h = logged_in(server, prepared, honest)
    h.call("start")
    assert h.call("finish")["ok"] is True

    refused = run("session", "disqualify", absent, "--reason", "joki", ok=False).stderr
    assert "has not started" in refused
    run("session", "disqualify", cheat, "--reason", "joki terdeteksi")
    limit = time.monotonic() + 10
    while time.monotonic() < limit and not any(e == "finished" for e, _ in c.events):
        time.sleep(0.05)
    pushed = [d for e, d in c.events if e == "finished"]
    assert [p["reason"] for p in pushed] == ["proctor"]
    again = run("session", "disqualify", cheat, "--reason", "lagi", ok=False).stderr
    assert "disqualified already" in again

    board = requests.get(f"{server.base}/api/scoreboard/{SESSION}", timeout=10).json()
    status = {r["participant"]: r["status"] for r in board["rows"]}
    assert status[cheat] == "DIS"
    assert status[honest] in ("P", "TL")

    rows = logged(prepared, 3)
    records = [(r.kind, r.correction, parse_leaf_input(r.leaf_input)) for r in rows]
    results = {rec["participant"]: (row.leaf_index, rec) for row, (kind, _, rec)
               in zip(rows, records, strict=True) if kind == "result"}
    assert set(results) == {cheat, honest}
    [(kind, correction, dis)] = [r for r in records if r[0] == "correction"]
    assert correction == "DIS"
    result_leaf, result = results[cheat]
    assert dis["corrects"] == result_leaf < rows[-1].leaf_index
    assert (dis["code"], dis["reason"], dis["exam"], dis["session"]) == (
        "DIS", "joki terdeteksi", EXAM, SESSION)
    assert (dis["sections"], dis["total"]) == (result["sections"], result["total"])
    checked = verify(server.base, tmp_path / "heads.json")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    time.sleep(1.5)  # one more sweep: nothing more to append
    assert len(logged(prepared, 3, within=0.1)) == 3
    c.close()
    h.close()
