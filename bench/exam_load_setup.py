"""Real running sessions of N participants for ``bench/exam_load.py``, made through the CLI.

The same steps a site would take, in a throwaway ``SELEKSI_INSTANCE`` (and, for PostgreSQL,
a throwaway database that :func:`drop_pg_database` removes afterwards): keys, a sampled
bank of 3,000 items, the example SKD exam, a roster, sealed papers, import; then per session
release key, open, PINs, start, token. By default all N are in one session (``JKT1-S1``);
with ``session_size`` they are split into rooms of at most that many (``JKT1-S1``,
``JKT1-S2``, …: the example exam's session repeated in further rooms). After the run,
:func:`read_answers` reads the answer journal back.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import time
import tomllib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SELEKSI = str(Path(sys.executable).with_name("seleksi"))
EXAM_FILE = ROOT / "examples" / "skd-2024-exam.toml"
EXAM_ID, SESSION = "skd-2024-demo", "JKT1-S1"
PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
CLI_PARALLEL = 4  # sessions set up at once (each step is a CLI process, ~1.5 s of start-up)


@dataclass(frozen=True)
class Instance:
    """A prepared instance: where it is, its environment, the room tokens and the PINs."""

    folder: Path
    env: dict[str, str]
    database_url: str
    session_token: str  # the first session's
    credentials: list[tuple[str, str]]  # (participant, pin), every session's, roster order
    setup_seconds: float
    tokens: dict[str, str] = field(default_factory=dict)  # session code -> its room token
    session_of: dict[str, str] = field(default_factory=dict)  # participant -> session code

    @property
    def sessions(self) -> list[str]:
        """The session codes, in order."""
        return list(self.tokens) or [SESSION]


def participant_number(i: int) -> str:
    """The i-th participant number (1-based), contiguous like a real roster."""
    return f"2411{i:09d}"


def session_code(s: int) -> str:
    """The code of session ``s`` (0-based): JKT1-S1, JKT1-S2, …"""
    return f"JKT1-S{s + 1}"


def write_roster(path: Path, n: int, session_size: int | None = None) -> None:
    """A roster CSV of ``n`` participants: the first ``session_size`` in JKT1-S1, the next
    in JKT1-S2, … (all in JKT1-S1 by default)."""
    size = session_size or n
    with path.open("w", encoding="utf-8", newline="") as f:
        out = csv.writer(f)
        out.writerow(["participant", "name", "formation", "category", "session"])
        for i in range(1, n + 1):
            out.writerow([participant_number(i), f"Peserta Beban {i}", "Analis Kebijakan",
                          "umum", session_code((i - 1) // size)])


def write_exam(path: Path, sessions: int) -> Path:
    """The example exam with ``sessions`` sessions: its own, then copies of it in rooms
    2, 3, … (same site and start); ``path``."""
    with EXAM_FILE.open("rb") as f:
        first = tomllib.load(f)["sessions"][0]
    blocks = [f'\n[[sessions]]\nid = "{session_code(s)}"\nsite = "{first["site"]}"\n'
              f'room = "Ruang CAT {s + 1}"\nstarts_at = {first["starts_at"].isoformat()}\n'
              for s in range(1, sessions)]
    path.write_text(EXAM_FILE.read_text(encoding="utf-8") + "".join(blocks), encoding="utf-8")
    return path


def _cli(env: dict[str, str], cwd: Path, *args: str) -> str:
    done = subprocess.run([SELEKSI, *args], cwd=cwd, env=env, capture_output=True,  # noqa: S603
                          text=True, timeout=900, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"seleksi {' '.join(args)} failed ({done.returncode}):\n"
                           f"{done.stdout}{done.stderr}")
    return done.stdout


def prepare(folder: Path, n: int, database_url: str | None, items: int = 3000,
            session_size: int | None = None) -> Instance:
    """Build running sessions of ``n`` participants in all, at most ``session_size`` each
    (default: one session), in ``folder`` (a new, empty folder)."""
    t = time.perf_counter()
    folder.mkdir(parents=True)
    env = {**os.environ, "SELEKSI_INSTANCE": str(folder / "instance")}
    env.pop("DATABASE_URL", None)
    if database_url:
        env["DATABASE_URL"] = database_url
    codes = [session_code(s) for s in range(-(-n // (session_size or n)))]
    exam = EXAM_FILE if len(codes) == 1 else write_exam(folder / "exam.toml", len(codes))
    _cli(env, folder, "keys", "init")
    _cli(env, folder, "bank", "sample", "--items", str(items), "--out", "bank.json")
    _cli(env, folder, "bank", "import", "bank.json")
    _cli(env, folder, "exam", "load", str(exam))
    write_roster(folder / "roster.csv", n, session_size)
    _cli(env, folder, "papers", "build", "--exam", EXAM_ID, "--participants", "roster.csv",
         "--seed", "bench", "--out", "exam.seal")
    _cli(env, folder, "papers", "import", "exam.seal")
    with ThreadPoolExecutor(min(CLI_PARALLEL, len(codes))) as pool:
        rooms = list(pool.map(lambda code: _start_session(env, folder, code), codes))
    credentials = [c for _, pins in rooms for c in pins]
    if len(credentials) != n:
        raise RuntimeError(f"the PIN lists have {len(credentials)} participants, expected {n}")
    url = database_url or f"sqlite:///{folder / 'instance' / 'seleksi.db'}"
    tokens = {code: token for code, (token, _) in zip(codes, rooms, strict=True)}
    session_of = {p: code for code, (_, pins) in zip(codes, rooms, strict=True) for p, _ in pins}
    return Instance(folder, env, url, rooms[0][0], credentials, time.perf_counter() - t,
                    tokens, session_of)


def _start_session(env: dict[str, str], folder: Path, code: str
                   ) -> tuple[str, list[tuple[str, str]]]:
    """Release key, open, PINs, start: session ``code`` running; its token and PINs."""
    key = _cli(env, folder, "papers", "release-key", "exam.seal", "--session", code).strip()
    _cli(env, folder, "session", "open", code, "--key", key)
    _cli(env, folder, "session", "pins", code, "--out", f"pins-{code}.csv")
    _cli(env, folder, "session", "start", code)
    token = _cli(env, folder, "session", "token", code).strip()
    with (folder / f"pins-{code}.csv").open(encoding="utf-8", newline="") as f:
        return token, [(row["participant"], row["pin"]) for row in csv.DictReader(f)]


def session_tokens(env: dict[str, str], cwd: Path, codes: list[str]) -> dict[str, str]:
    """Each session's current room token (``seleksi session token``; it rotates)."""
    with ThreadPoolExecutor(min(CLI_PARALLEL, len(codes))) as pool:
        return dict(zip(codes, pool.map(
            lambda code: _cli(env, cwd, "session", "token", code).strip(), codes), strict=True))


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
