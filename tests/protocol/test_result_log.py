"""The public result log in the running system: a real ``seleksi serve``, real clients.

Candidates finish; the server's appender logs each result exactly once; ``seleksi log
verify`` (the independent verifier, ``tools/verify_log.py``) passes against the server's
API, checks a candidate's receipt, and names an entry changed behind the log's back. Bad
queries get 400/404 JSON. Two appenders racing on one database leave no duplicate and no gap.
Each test runs on SQLite and (marker ``pg``) PostgreSQL.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import requests
from sqlalchemy import select, text

from exam_server.models import Attempt, Participant, utcnow
from proctor_console.transparency.appender import append_pending
from proctor_console.transparency.keys import load_log_key
from proctor_console.transparency.log_store import TreeCache
from proctor_console.transparency.merkle import MerkleTree, leaf_hash
from proctor_console.transparency.models import LogHead, ResultLogEntry
from proctor_console.transparency.records import (
    b64decode,
    b64encode,
    canonical_json,
    parse_leaf_input,
    verify_tree_head,
)
from tests.protocol.helpers import EXAM, SELEKSI, SESSION, Prepared, Server, logged_in

VERIFY_LOG = Path(__file__).resolve().parents[2] / "tools" / "verify_log.py"
STH_FIELDS = {"tree_size", "timestamp", "sha256_root_hash", "tree_head_signature"}


def verify(base: str, state: Path, *extra: str | Path) -> subprocess.CompletedProcess[str]:
    """``seleksi log verify BASE --state STATE ...`` in a subprocess."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    return subprocess.run([str(SELEKSI), "log", "verify", base, "--state", str(state),
                           *map(str, extra)], env=env, capture_output=True, text=True,
                          timeout=60, check=False)


def finish(server: Server, prepared: Prepared, number: str, answers: int) -> str:
    """Log ``number`` in, answer ``answers`` questions, finish; the bearer."""
    c = logged_in(server, prepared, number)
    assert c.call("start")["ok"] is True
    for q in range(1, answers + 1):
        assert c.call("answer", {"seq": q, "q": q, "choice": "ABCDE"[q % 5]})["ok"] is True
    assert c.call("finish")["ok"] is True
    c.close()
    return c.bearer


def logged(prepared: Prepared, count: int, within: float = 10.0) -> list[ResultLogEntry]:
    """The log's rows once it holds ``count`` entries (waits up to ``within`` seconds)."""
    limit = time.monotonic() + within
    rows: list[ResultLogEntry] = []
    while time.monotonic() < limit:
        with prepared.factory() as db:
            rows = list(db.scalars(select(ResultLogEntry).order_by(ResultLogEntry.leaf_index)))
        if len(rows) >= count:
            break
        time.sleep(0.1)
    return rows


def finished_attempts(prepared: Prepared) -> dict[int, tuple[str, dict[str, Any], str | None]]:
    with prepared.factory() as db:
        rows = db.execute(select(Attempt.id, Participant.number, Attempt.result,
                                 Attempt.finish_reason)
                          .join(Participant, Attempt.participant_id == Participant.id)
                          .where(Attempt.state == "finished")).all()
    return {i: (n, r, why) for i, n, r, why in rows}


def test_every_finished_result_is_logged_once_and_the_log_verifies(
        server: Server, prepared: Prepared, tmp_path: Path) -> None:
    numbers = prepared.numbers[:4]
    bearers = {n: finish(server, prepared, n, answers) for n, answers in
               zip(numbers[:3], (3, 0, 12), strict=True)}
    rows = logged(prepared, 3)
    attempts = finished_attempts(prepared)
    assert [r.leaf_index for r in rows] == [0, 1, 2]
    assert sorted(r.attempt_id for r in rows if r.attempt_id) == sorted(attempts)
    for row in rows:
        assert row.kind == "result"
        assert row.leaf_hash == leaf_hash(row.leaf_input)
        number, result, reason = attempts[row.attempt_id or 0]
        record = parse_leaf_input(row.leaf_input)
        assert record == {"kind": "result", "exam": EXAM, "session": SESSION,
                          "participant": number, "sections": result["sections"],
                          "total": result["total"], "code": "P" if result["passed"] else "TL",
                          "time": record["time"], "reason": reason}
        assert prepared.names[number].encode() not in row.leaf_input  # no names: it is public
    with prepared.factory() as db:
        heads = db.scalars(select(LogHead).order_by(LogHead.tree_size)).all()
    assert heads[-1].tree_size == 3

    state = tmp_path / "heads.json"
    first = verify(server.base, state)
    assert first.returncode == 0, first.stderr
    assert "OK: 3 entries hash to the signed head of size 3" in first.stdout

    # the receipt: 401 without a valid bearer, 404 before the result is logged, then 200
    url = f"{server.base}/ujian/receipt"
    assert requests.get(url, timeout=10).status_code == 401
    bad = requests.get(url, headers={"Authorization": "Bearer nope"}, timeout=10)
    assert (bad.status_code, bad.json()["error"]) == (401, "bad_token")
    waiting = logged_in(server, prepared, numbers[3])
    assert waiting.call("start")["ok"] is True
    early = requests.get(url, headers={"Authorization": f"Bearer {waiting.bearer}"}, timeout=10)
    assert (early.status_code, early.json()["error"]) == (404, "not_logged_yet")
    assert waiting.call("finish")["ok"] is True
    assert len(logged(prepared, 4)) == 4
    reply = requests.get(url, headers={"Authorization": f"Bearer {waiting.bearer}"}, timeout=10)
    assert reply.status_code == 200, reply.text
    receipt = reply.json()
    assert set(receipt) == {"leaf_index", "leaf_hash", *STH_FIELDS}
    assert receipt["leaf_index"] == 3 and receipt["tree_size"] == 4  # noqa: PT018
    older = requests.get(url, headers={"Authorization": f"Bearer {bearers[numbers[0]]}"},
                         timeout=10).json()
    assert older["tree_size"] == 4  # the newest head, which covers the older leaf too
    path = tmp_path / "receipt.json"
    path.write_text(json.dumps(receipt), encoding="utf-8")
    second = verify(server.base, state, "--receipt", path)
    assert second.returncode == 0, second.stderr
    assert "consistent with 1 earlier head(s)" in second.stdout
    assert "OK: the receipt's record is entry 3 of the signed head of size 4" in second.stdout
    independent = subprocess.run(  # the verifier alone, as an observer runs it
        [sys.executable, str(VERIFY_LOG), server.base, "--receipt", str(path), "--state",
         str(tmp_path / "observer.json")], capture_output=True, text=True, timeout=60,
        check=False)
    assert independent.returncode == 0, independent.stderr
    assert "OK: the receipt's record is entry 3" in independent.stdout

    # a stored result changed behind the log's back is caught and named
    changed = parse_leaf_input(rows[1].leaf_input)
    changed["total"] += 50
    with prepared.factory.begin() as db:
        db.execute(text("UPDATE result_log SET leaf_input = :d WHERE leaf_index = 1"),
                   {"d": canonical_json(changed)})
    tampered = verify(server.base, state)
    assert tampered.returncode == 1
    assert f"entry 1 (participant {changed['participant']}, exam {EXAM}) differs" in \
        tampered.stderr, tampered.stderr
    forged = verify(server.base, tmp_path / "fresh.json", "--receipt", path)
    assert forged.returncode == 1  # even without an earlier copy, the root no longer matches
    assert "do not hash to the root of the signed head of size 4" in forged.stderr


def test_bad_queries_get_400_or_404_json_never_500(server: Server, prepared: Prepared) -> None:
    api = f"{server.base}/api/log"
    empty = requests.get(f"{api}/get-sth", timeout=10).json()
    assert set(empty) == STH_FIELDS and empty["tree_size"] == 0  # noqa: PT018
    key = requests.get(f"{api}/pubkey", timeout=10).json()
    assert len(b64decode(key["ed25519"], "key")) == 32
    finish(server, prepared, prepared.numbers[0], 2)
    finish(server, prepared, prepared.numbers[1], 2)
    rows = logged(prepared, 2)
    known = quote(b64encode(rows[1].leaf_hash), safe="")
    good = requests.get(f"{api}/get-proof-by-hash?hash={known}&tree_size=2", timeout=10)
    assert good.status_code == 200 and good.json()["leaf_index"] == 1  # noqa: PT018
    entries = requests.get(f"{api}/get-entries?start=0&end=5000", timeout=10).json()["entries"]
    assert [b64decode(e["leaf_input"], "e") for e in entries] == [r.leaf_input for r in rows]

    unknown = quote(b64encode(bytes(32)), safe="")
    cases = {
        "get-entries": 400, "get-entries?start=0": 400, "get-entries?start=a&end=1": 400,
        "get-entries?start=-1&end=1": 400, "get-entries?start=2&end=1": 400,
        "get-entries?start=2&end=3": 400, "get-entries?start=1.5&end=3": 400,
        "get-entries?start=99999999999999999999999&end=1": 400,
        "get-sth-consistency?first=1": 400, "get-sth-consistency?first=2&second=1": 400,
        "get-sth-consistency?first=1&second=3": 400, "get-sth-consistency?first=x&second=2": 400,
        "get-proof-by-hash?tree_size=2": 400, f"get-proof-by-hash?hash={known}": 400,
        "get-proof-by-hash?hash=not-base64!&tree_size=2": 400,
        "get-proof-by-hash?hash=AAAA&tree_size=2": 400,
        f"get-proof-by-hash?hash={known}&tree_size=0": 400,
        f"get-proof-by-hash?hash={known}&tree_size=3": 400,
        f"get-proof-by-hash?hash={known}&tree_size=1": 404,
        f"get-proof-by-hash?hash={unknown}&tree_size=2": 404,
    }
    for query, status in cases.items():
        reply = requests.get(f"{api}/{query}", timeout=10)
        assert reply.status_code == status, (query, reply.status_code, reply.text)
        body = reply.json()
        assert set(body) == {"error", "message"}, query
        assert body["error"] == ("not_found" if status == 404 else "bad_request"), query
        assert body["message"], query


def _finished_attempts_in_the_database(prepared: Prepared) -> int:
    """A finished attempt for every participant of the session, made directly."""
    with prepared.factory.begin() as db:
        people = db.scalars(select(Participant).order_by(Participant.id)).all()
        for n, person in enumerate(people):
            db.add(Attempt(participant_id=person.id, session_id=person.session_id,
                           state="finished", finished_at=utcnow() - timedelta(seconds=n),
                           finish_reason="candidate",
                           result={"sections": {"TWK": 5 * n, "TIU": 80, "TKP": 170},
                                   "total": 5 * n + 250, "passed": n % 2 == 0}))
    return len(people)


def test_two_appenders_racing_append_each_result_once_without_a_gap(
        prepared: Prepared) -> None:
    count = _finished_attempts_in_the_database(prepared)
    key = load_log_key(prepared.instance / "keys")
    start = threading.Barrier(2)
    errors: list[BaseException] = []
    done: list[int] = []

    def appender() -> None:
        cache = TreeCache()
        try:
            start.wait()
            while (step := append_pending(prepared.factory, key, now=utcnow(), cache=cache,
                                          limit=1)).count:
                done.append(step.count)
        except BaseException as exc:  # noqa: BLE001 - reported by the test below
            errors.append(exc)

    threads = [threading.Thread(target=appender) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert sum(done) == count
    with prepared.factory() as db:
        rows = db.scalars(select(ResultLogEntry).order_by(ResultLogEntry.leaf_index)).all()
        heads = db.scalars(select(LogHead).order_by(LogHead.tree_size)).all()
    assert [r.leaf_index for r in rows] == list(range(count))  # no gap
    assert len({r.attempt_id for r in rows}) == count  # no duplicate
    assert [h.tree_size for h in heads] == list(range(1, count + 1))
    tree = MerkleTree(r.leaf_hash for r in rows)
    public = key.public_key()
    for h in heads:  # every head signs the root of exactly the leaves before it
        assert h.root_hash == tree.root(h.tree_size)
        assert verify_tree_head(public, {
            "tree_size": h.tree_size, "timestamp": h.timestamp,
            "sha256_root_hash": b64encode(h.root_hash),
            "tree_head_signature": b64encode(h.signature)})
    codes = [parse_leaf_input(r.leaf_input)["code"] for r in rows]
    assert sorted(codes) == sorted("P" if n % 2 == 0 else "TL" for n in range(count))
    again = append_pending(prepared.factory, key, now=utcnow())
    assert again.count == 0  # nothing left: each result is in the log once


def test_who_did_not_finish_gets_a_TH_result_when_the_session_closes(
        server: Server, prepared: Prepared, tmp_path: Path) -> None:
    from tests.cli.conftest import make_runner

    numbers = prepared.numbers
    finish(server, prepared, numbers[0], 5)
    finish(server, prepared, numbers[1], 0)
    idle = logged_in(server, prepared, numbers[2])  # logged in, never started
    assert len(logged(prepared, 2)) == 2
    time.sleep(1.5)
    assert len(logged(prepared, 2)) == 2  # nobody is absent while the session runs
    run = make_runner(prepared.instance, prepared.url)
    run("session", "close", SESSION, "--reason", "sesi selesai")
    rows = logged(prepared, len(numbers))
    assert [r.leaf_index for r in rows] == list(range(len(numbers)))
    absent = {parse_leaf_input(r.leaf_input)["participant"]: (r, parse_leaf_input(r.leaf_input))
              for r in rows[2:]}
    assert sorted(absent) == numbers[2:]
    with prepared.factory() as db:
        ids = dict(db.execute(select(Participant.number, Participant.id)).all())
    for number, (row, record) in absent.items():
        assert record == {"kind": "result", "exam": EXAM, "session": SESSION,
                          "participant": number, "sections": {"TWK": 0, "TIU": 0, "TKP": 0},
                          "total": 0, "code": "TH", "time": record["time"], "reason": "absent"}
        assert (row.kind, row.attempt_id, row.participant_id) == ("result", None, ids[number])
    time.sleep(1.5)
    assert len(logged(prepared, len(numbers))) == len(numbers)  # once, not every sweep
    checked = verify(server.base, tmp_path / "heads.json")
    assert checked.returncode == 0, checked.stderr
    assert f"OK: {len(numbers)} entries" in checked.stdout
    idle.close()
