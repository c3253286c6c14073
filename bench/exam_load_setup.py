"""A real running session of N participants for ``bench/exam_load.py``, made through the CLI.

The same steps a site would take, in a throwaway ``SELEKSI_INSTANCE`` (and, for PostgreSQL,
a throwaway database that :func:`drop_pg_database` removes afterwards): keys, a sampled
bank of 3,000 items, the example SKD exam, a roster, sealed papers, import, release key,
open, PINs, start, token. After the run, :func:`read_answers` reads the answer journal back.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SELEKSI = str(Path(sys.executable).with_name("seleksi"))
EXAM_FILE = ROOT / "examples" / "skd-2024-exam.toml"
EXAM_ID, SESSION = "skd-2024-demo", "JKT1-S1"
PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


@dataclass(frozen=True)
class Instance:
    """A prepared instance: where it is, its environment, the room token and the PINs."""

    folder: Path
    env: dict[str, str]
    database_url: str
    session_token: str
    credentials: list[tuple[str, str]]  # (participant, pin)
    setup_seconds: float


def participant_number(i: int) -> str:
    """The i-th participant number (1-based), contiguous like a real roster."""
    return f"2411{i:09d}"


def write_roster(path: Path, n: int) -> None:
    """A roster CSV of ``n`` participants, all in session JKT1-S1."""
    with path.open("w", encoding="utf-8", newline="") as f:
        out = csv.writer(f)
        out.writerow(["participant", "name", "formation", "category", "session"])
        for i in range(1, n + 1):
            out.writerow([participant_number(i), f"Peserta Beban {i}", "Analis Kebijakan",
                          "umum", SESSION])


def _cli(env: dict[str, str], cwd: Path, *args: str) -> str:
    done = subprocess.run([SELEKSI, *args], cwd=cwd, env=env, capture_output=True,  # noqa: S603
                          text=True, timeout=900, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"seleksi {' '.join(args)} failed ({done.returncode}):\n"
                           f"{done.stdout}{done.stderr}")
    return done.stdout


def prepare(folder: Path, n: int, database_url: str | None, items: int = 3000) -> Instance:
    """Build a running session of ``n`` participants in ``folder`` (a new, empty folder)."""
    t = time.perf_counter()
    folder.mkdir(parents=True)
    env = {**os.environ, "SELEKSI_INSTANCE": str(folder / "instance")}
    env.pop("DATABASE_URL", None)
    if database_url:
        env["DATABASE_URL"] = database_url
    _cli(env, folder, "keys", "init")
    _cli(env, folder, "bank", "sample", "--items", str(items), "--out", "bank.json")
    _cli(env, folder, "bank", "import", "bank.json")
    _cli(env, folder, "exam", "load", str(EXAM_FILE))
    write_roster(folder / "roster.csv", n)
    _cli(env, folder, "papers", "build", "--exam", EXAM_ID, "--participants", "roster.csv",
         "--seed", "bench", "--out", "exam.seal")
    _cli(env, folder, "papers", "import", "exam.seal")
    key = _cli(env, folder, "papers", "release-key", "exam.seal", "--session", SESSION).strip()
    _cli(env, folder, "session", "open", SESSION, "--key", key)
    _cli(env, folder, "session", "pins", SESSION, "--out", "pins.csv")
    _cli(env, folder, "session", "start", SESSION)
    token = _cli(env, folder, "session", "token", SESSION).strip()
    with (folder / "pins.csv").open(encoding="utf-8", newline="") as f:
        credentials = [(row["participant"], row["pin"]) for row in csv.DictReader(f)]
    if len(credentials) != n:
        raise RuntimeError(f"pins.csv has {len(credentials)} participants, expected {n}")
    url = database_url or f"sqlite:///{folder / 'instance' / 'seleksi.db'}"
    return Instance(folder, env, url, token, credentials, time.perf_counter() - t)


def create_pg_database(name: str) -> str:
    """Create database ``name`` on the local PostgreSQL; its URL."""
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"postgresql://postgres@127.0.0.1:5432/{name}"


def drop_pg_database(name: str) -> None:
    """Drop database ``name`` (closing any connection left to it)."""
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                     "WHERE datname = %s AND pid <> pg_backend_pid()", (name,))
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


def read_answers(database_url: str) -> dict[str, dict[int, tuple[str | None, int]]]:
    """Participant number → question → (choice, answer_seq), as the journal holds them."""
    from sqlalchemy import text

    from exam_server.db import make_engine

    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text(
                "SELECT p.number, a.q, a.choice, a.answer_seq FROM answer a "
                "JOIN attempt t ON t.id = a.attempt_id "
                "JOIN participant p ON p.id = t.participant_id")).all()
    finally:
        engine.dispose()
    held: dict[str, dict[int, tuple[str | None, int]]] = {}
    for number, q, choice, seq in rows:
        held.setdefault(number, {})[int(q)] = (choice, int(seq))
    return held
