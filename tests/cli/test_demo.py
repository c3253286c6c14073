"""The README's first command: the demo builds bank, exam and sealed package, then serves."""

from __future__ import annotations

import os
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from tests.cli.conftest import SELEKSI, Run


def test_demo_builds_everything_and_says_where(seleksi: Run, tmp_path: Path) -> None:
    out = seleksi("demo", "--no-serve").stdout
    instance = tmp_path / "instance"
    for line in ("question bank", "sealed package", "release key", "participants"):
        assert line in out
    assert (instance / "skd-2024-demo.seal").stat().st_size > 0
    assert "40 papers follow the blueprint" in out
    # running it again reuses the keys and the bank and still succeeds
    again = seleksi("demo", "--no-serve").stdout
    assert "using the existing keys" in again
    assert "600 unchanged" in again


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_demo_serves_the_instance_page(tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "SELEKSI_INSTANCE": str(tmp_path / "instance")}
    env.pop("DATABASE_URL", None)
    log = tmp_path / "demo.log"
    with log.open("w") as out:
        proc = subprocess.Popen([str(SELEKSI), "demo", "--port", str(port), "--participants", "5"],
                                env=env, stdout=out, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 90
        page = ""
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as r:
                    page = r.read().decode("utf-8")
                    break
            except OSError:
                time.sleep(0.3)
        assert "SKD CPNS 2024 — Demo" in page, log.read_text()
        assert "JKT1-S1" in page
        assert "Papers stay encrypted" in page
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_keys_never_reach_the_log_or_the_page(seleksi: Run, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    import sqlite3

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
