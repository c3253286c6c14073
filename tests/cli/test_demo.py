"""The README's first command: the demo builds an instance with a running session and serves it."""

from __future__ import annotations

import csv
import os
import re
import sqlite3
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.cli.conftest import SELEKSI, Demo, Run, running_demo
from tests.protocol.helpers import SocketClient


def test_demo_builds_everything_and_says_where(seleksi: Run, tmp_path: Path) -> None:
    # as the README's first command runs it: no SELEKSI_INSTANCE, so ./instance of the folder
    env = {k: v for k, v in os.environ.items() if k not in ("SELEKSI_INSTANCE", "DATABASE_URL")}
    done = subprocess.run([str(SELEKSI), "demo", "--no-serve"], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    instance = tmp_path / "instance"
    assert "Candidate page: http://127.0.0.1:5000/ujian" in out  # the default address
    for line in ("question bank", "sealed package", "release key", "participants",
                 "credentials", "session token", "/ujian"):
        assert line in out
    assert (instance / "skd-2024-demo.seal").stat().st_size > 0
    assert "40 papers follow the blueprint" in out
    assert "JKT1-S1 is running" in out
    cards = (instance / "credentials.csv").read_text(encoding="utf-8").splitlines()
    assert cards[0] == "participant,pin,session"
    assert len(cards) == 41
    assert oct((instance / "credentials.csv").stat().st_mode & 0o777) == "0o600"
    with sqlite3.connect(instance / "seleksi.db") as conn:
        formations, categories = conn.execute("SELECT COUNT(DISTINCT formation), "
                                              "COUNT(DISTINCT category) FROM participant"
                                              ).fetchone()
        state = conn.execute("SELECT state FROM exam_session").fetchone()[0]
        name = conn.execute("SELECT name FROM exam").fetchone()[0]
    assert formations >= 3
    assert categories >= 3
    assert (state, name) == ("running", "SKD Demo")
    # running it again reuses the keys, the bank, the running session and its PINs
    again = seleksi("demo", "--no-serve").stdout
    assert "using the existing keys" in again
    assert "600 unchanged" in again
    assert "already running: keeping it" in again
    assert "keeping the PINs issued earlier" in again
    assert (instance / "credentials.csv").read_text(encoding="utf-8").splitlines() == cards
    with sqlite3.connect(instance / "seleksi.db") as conn:
        audit = [a for (a,) in conn.execute("SELECT action FROM audit_log")]
    assert audit.count("papers.build") == 1
    assert audit.count("session.pins") == 1


def test_keys_never_reach_the_log_or_the_page(seleksi: Run, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    out = seleksi("demo", "--no-serve").stdout
    instance = tmp_path / "instance"
    secret = (instance / "keys" / "master.secret").read_text(encoding="utf-8").strip()
    private = (instance / "keys" / "bank.key").read_text(encoding="utf-8")
    release = next(line.split()[2] for line in out.splitlines()
                   if line.strip().startswith("release key"))
    body = private.split("-----")[2].strip()
    with sqlite3.connect(instance / "seleksi.db") as conn:
        audit = "\n".join(str(row) for row in conn.execute("SELECT * FROM audit_log"))
    assert audit.count("papers.build") == 1
    monkeypatch.setenv("SELEKSI_INSTANCE", str(instance))
    from exam_server.app import create_app

    page = create_app().test_client().get("/").get_data(as_text=True)
    assert "skd-2024-demo" in page
    for text in (audit, page):
        for key in (secret, body, release, release.replace("-", "")):
            assert key not in text


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """``seleksi demo --participants 5 --simulate 3`` with fast simulated candidates."""
    work = tmp_path_factory.mktemp("demo")
    with running_demo(work, "--participants", "5", "--simulate", "3", "--simulate-pace", "0.3",
                      "--credentials", str(work / "cards.csv")) as running:
        yield running


def test_demo_serves_the_instance_page(demo: Demo) -> None:
    with urllib.request.urlopen(f"{demo.base}/", timeout=5) as r:  # noqa: S310 - http to the test server
        page = r.read().decode("utf-8")
    assert "SKD Demo" in page
    assert "JKT1-S1" in page
    assert "Papers stay encrypted" in page
    assert f"Candidate page: {demo.base}/ujian" in demo.log.read_text()
    with urllib.request.urlopen(f"{demo.base}/ujian", timeout=5) as r:  # noqa: S310 - http to the test server
        assert "Nomor Peserta" in r.read().decode("utf-8")


def test_a_candidate_sits_the_demo_exam_with_printed_credentials(demo: Demo) -> None:
    with (demo.work / "cards.csv").open(encoding="utf-8", newline="") as f:
        cards = list(csv.DictReader(f))
    assert len(cards) == 8
    assert {c["session"] for c in cards} == {"JKT1-S1"}
    assert demo.printed("credentials") == str(demo.instance / "credentials.csv")
    me = cards[0]
    r = requests.post(f"{demo.base}/api/exam/login", timeout=10,
                      json={"participant": me["participant"], "pin": me["pin"],
                            "token": demo.printed("session token")})
    assert r.status_code == 200, r.text
    sio = SocketClient(reconnection=False)
    sio.connect(demo.base, auth={"token": r.json()["token"]}, namespaces=["/exam"],
                transports=["websocket"], wait_timeout=10)
    try:
        state = sio.call("start", {}, namespace="/exam", timeout=15)
        assert state["ok"]
        assert len(state["paper"]["questions"]) == 110
        assert state["participant"]["number"] == me["participant"]
        for seq, q in enumerate(state["paper"]["questions"][:5], 1):
            label = q["options"][seq % len(q["options"])]["label"]
            ack = sio.call("answer", {"seq": seq, "q": q["no"], "choice": label},
                           namespace="/exam", timeout=15)
            assert ack == {"ok": True, "seq": seq}
        done = sio.call("finish", {}, namespace="/exam", timeout=15)
        assert done["ok"]
        assert set(done["result"]["sections"]) == {"TWK", "TIU", "TKP"}
        assert done["result"]["passed"] is False
        again = sio.call("answer", {"seq": 9, "q": 1, "choice": "A"}, namespace="/exam",
                         timeout=15)
        assert again == {"ok": False, "error": "finished"}
    finally:
        sio.close()


def test_simulated_candidates_answer_through_the_protocol(demo: Demo) -> None:
    simulated = [f"2411{n:09d}" for n in (6, 7, 8)]
    assert f"simulating 3 candidates ({simulated[0]} … {simulated[-1]})" in demo.log.read_text()
    deadline = time.monotonic() + 30
    counts: dict[str, int] = {}
    while time.monotonic() < deadline:
        with sqlite3.connect(demo.instance / "seleksi.db", timeout=10) as conn:
            counts = dict(conn.execute(
                "SELECT p.number, COUNT(a.choice) FROM answer a JOIN attempt t "
                "ON t.id = a.attempt_id JOIN participant p ON p.id = t.participant_id "
                "GROUP BY p.number").fetchall())
        if all(counts.get(n, 0) >= 5 for n in simulated):
            break
        time.sleep(0.5)
    assert all(counts.get(n, 0) >= 5 for n in simulated), counts
    assert not set(counts) - set(simulated) - {"2411000000001"}  # nobody else was made to sit


def test_the_demo_console_scoreboard_and_log_come_alive(demo: Demo) -> None:
    line = next(x for x in demo.log.read_text(encoding="utf-8").splitlines()
                if x.startswith("Proctor console:"))
    user, password = re.search(r"\(user (\S+), password (\S+);", line).groups()  # type: ignore[union-attr]
    browser = requests.Session()
    page = browser.get(f"{demo.base}/proctor/login", timeout=10).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    r = browser.post(f"{demo.base}/proctor/login", timeout=10, allow_redirects=False,
                     data={"username": user, "password": password, "csrf_token": token},
                     headers={"Referer": f"{demo.base}/proctor/login"})
    assert r.status_code == 302, r.text
    simulated = {f"2411{n:09d}" for n in (6, 7, 8)}
    deadline = time.monotonic() + 30
    rows: dict[str, dict[str, object]] = {}
    while time.monotonic() < deadline:
        roster = browser.get(f"{demo.base}/proctor/api/sessions/1/roster", timeout=10).json()
        rows = {r["participant"]: r for r in roster["rows"]}
        if all(int(rows[n]["answered"]) >= 3 for n in simulated):  # type: ignore[call-overload]
            break
        time.sleep(0.5)
    assert all(rows[n]["status"] == "working" for n in simulated), rows
    board = requests.get(f"{demo.base}/api/scoreboard/JKT1-S1", timeout=10).json()
    assert {r["status"] for r in board["rows"] if r["participant"] in simulated} == {"ujian"}
    assert all(r["total"] is not None for r in board["rows"] if r["participant"] in simulated)
    verify = subprocess.run([str(SELEKSI), "log", "verify", demo.base, "--state",
                             str(demo.instance.parent / "heads.json")],
                            capture_output=True, text=True, timeout=60, check=False)
    assert verify.returncode == 0, verify.stdout + verify.stderr
