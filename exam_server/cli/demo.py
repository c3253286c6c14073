"""``seleksi demo``: from nothing to a running exam session and a server, in one command.

Builds (or reuses) an instance: keys, a sampled bank, the example exam "SKD Demo", a sealed
package for a roster of varied formations and categories, the session opened with its
release key, PINs issued and the session running; then serves it like ``seleksi serve``.

Running it again on the same instance keeps what is there: the keys, the bank (unchanged),
and a session that is already opened or running with its papers and PINs (the PINs are kept
in ``credentials.csv`` of the instance; new ones are issued only when that file is missing
or does not cover the roster). A closed or published session is left alone.
"""

from __future__ import annotations

import csv
import os
import random
import sys
from datetime import UTC, datetime
from pathlib import Path

import click

from exam_server.cli.context import open_db
from exam_server.config import instance_path, keys_path

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "skd-2024-exam.toml"
EXAM, SESSION, ACTOR = "skd-2024-demo", "JKT1-S1", "demo"
GIVEN = ["Ahmad", "Siti", "Budi", "Dewi", "Rizky", "Putri", "Agus", "Nur", "Eko", "Rina", "Fajar",
         "Intan", "Hendra", "Wulan", "Yusuf", "Ayu", "Bayu", "Lestari", "Dimas", "Ratna"]
FAMILY = ["Saputra", "Rahmawati", "Hidayat", "Kusuma", "Pratama", "Siregar", "Nasution",
          "Wijaya", "Santoso", "Lubis", "Harahap", "Simanjuntak", "Setiawan", "Purnomo"]
FORMATIONS = ["Analis Kebijakan — Kementerian PANRB", "Pranata Komputer — BKN",
              "Auditor Ahli Pertama — BPKP", "Penata Kelola Pemilu — KPU",
              "Statistisi Ahli Pertama — BPS"]
SPECIAL = ["cumlaude", "diaspora", "disabilitas", "papua", "daerah_tertinggal"]


def write_demo_roster(path: Path, count: int, session: str) -> None:
    """A roster of ``count`` demo participants with sequential numbers in one session.

    Every tenth participant has a special category (one of :data:`SPECIAL`, in turn); the
    ``disabilitas`` ones get 15 extra minutes and large text.
    """
    rng = random.Random(2024)  # noqa: S311 - demo names, not security
    with path.open("w", encoding="utf-8", newline="") as f:
        out = csv.writer(f)
        out.writerow(["participant", "name", "formation", "category", "session",
                      "extra_minutes", "large_text"])
        for n in range(1, count + 1):
            category = "umum" if n % 10 else SPECIAL[(n // 10 - 1) % len(SPECIAL)]
            accommodated = category == "disabilitas"
            out.writerow([f"2411{n:09d}", f"{rng.choice(GIVEN)} {rng.choice(FAMILY)}",
                          FORMATIONS[(n - 1) % len(FORMATIONS)], category, session,
                          15 if accommodated else 0, "ya" if accommodated else "tidak"])


@click.command("demo")
@click.option("--items", "n_items", default=600, show_default=True, help="sample bank size")
@click.option("--participants", "n_participants", default=40, show_default=True,
              help="participants who sit the exam in person (besides the simulated ones)")
@click.option("--simulate", "n_simulated", default=0, show_default=True, type=click.IntRange(0),
              help="simulated candidates that log in and answer at a human pace")
@click.option("--simulate-pace", "pace", default=40.0, type=click.FloatRange(0.05),
              hidden=True, help="mean seconds between a simulated candidate's answers")
@click.option("--credentials", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="also write the credentials CSV (participant,pin,session) here")
@click.option("--serve/--no-serve", default=True, show_default=True,
              help="start the web server after building")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="server processes, on ports PORT … PORT+N-1 (see `seleksi serve`)")
@click.pass_context
def group(ctx: click.Context, n_items: int, n_participants: int, n_simulated: int, pace: float,
          credentials: Path | None, serve: bool, host: str, port: int, workers: int) -> None:
    """Build a demo instance with a running session of the exam "SKD Demo" and serve it."""
    # serving, it runs on gevent, patched by the console script first (exam_server.launch)
    from exam_server.cli import bank, exam, keys, papers

    folder = instance_path()
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    click.echo(f"== Seleksi demo in {folder}")
    if not (keys_path() / "bank.key").exists():
        ctx.invoke(keys.init)
    else:
        click.echo(f"keys: using the existing keys in {keys_path()}")
    bank_file = folder / "bank.json"
    ctx.invoke(bank.sample, n_items=n_items, out=bank_file, seed=0)
    ctx.invoke(bank.import_, file=bank_file, actor=ACTOR)
    ctx.invoke(exam.load, file=EXAMPLE, actor=ACTOR)
    roster = folder / "participants.csv"
    seal = folder / "skd-2024-demo.seal"
    state = _session_state()
    if state in (None, "scheduled"):
        write_demo_roster(roster, n_participants + n_simulated, SESSION)
        click.echo(f"wrote {n_participants + n_simulated} demo participants to {roster}")
        ctx.invoke(papers.build, exam_id=EXAM, participants=roster, seed="demo-seed-2024",
                   out=seal, actor=ACTOR)
        key = _release_key(seal.read_bytes())
        ctx.invoke(papers.verify, package=seal, pubkey=keys_path() / "bank.pub", keys=(key,))
        ctx.invoke(papers.import_, package=seal, pubkey=None, actor=ACTOR)
    else:
        key = _release_key()
        click.echo(f"session {SESSION} is already {state}: keeping it, its papers and its "
                   f"participants (delete {folder} for a fresh demo)")
    state = _bring_to_running()
    cards = _credentials(folder / "credentials.csv", state)
    if credentials is not None and cards:
        _write_cards(credentials, cards)
    _summary(bank_file, n_items, roster, seal, key, state)
    if cards:
        where = folder / "credentials.csv"
        click.echo(f"  credentials     {where}" + (f" (and {credentials})" if credentials else "")
                   + f"   participant,pin,session for {len(cards)} participants")
        click.echo(f"  for example     participant {cards[0][0]}, PIN {cards[0][1]}")
    if state in ("opened", "running"):
        from exam_server.sessions import session_token

        token = session_token(open_db(), SESSION, datetime.now(UTC))
        click.echo(f"  session token   {token}   (changes every 15 minutes; the current one: "
                   f"`seleksi session token {SESSION}`)")
    from proctor_console.cli import demo_account  # the CLI's wiring exception (see cli/__init__)

    user, password = demo_account(folder)
    click.echo(f"\nCandidate page: http://{host}:{port}/ujian")
    click.echo(f"Proctor console: http://{host}:{port}/proctor   (user {user}, password "
               f"{password}; kept in {folder / 'console-password.txt'})")
    click.echo(f"Public scoreboard: http://{host}:{port}/scoreboard/{SESSION}   "
               f"(?big=1 for the screens outside the room)")
    simulated = cards[-n_simulated:] if n_simulated and state == "running" else []
    if n_simulated and len(cards) < n_simulated:
        click.echo(f"warning: only {len(cards)} participants; simulating all of them")
    if simulated:
        click.echo(f"simulating {len(simulated)} candidates ({simulated[0][0]} … "
                   f"{simulated[-1][0]}), one answer every ~{pace:g} s each")
    if workers > 1:
        click.echo(f"{workers} workers on ports {port}–{port + workers - 1}: each serves all "
                   "of the above; put a load balancer in front (docs/deploy.md)")
    if serve:
        from exam_server.cli.serve import serve as run_server
        from exam_server.cli.serve import serve_workers
        from exam_server.demo_candidates import simulate

        for i in range(workers):  # the simulated candidates spread over the workers
            mine = simulated[i::workers]
            if mine:
                simulate(f"http://127.0.0.1:{port + i}", [(p, pin) for p, pin, _ in mine],
                         _token_now, pace=pace)
        if workers > 1:
            sys.exit(serve_workers(host, port, workers))
        run_server(host, port)


def _session_state() -> str | None:
    from sqlalchemy import select

    from exam_server.db import reading
    from exam_server.models import ExamSession

    with reading(open_db()) as db:
        return db.scalar(select(ExamSession.state).where(ExamSession.exam_id == EXAM,
                                                          ExamSession.code == SESSION))


def _release_key(package: bytes | None = None) -> str:
    """The demo session's release key, from the package (default: the imported one) and the
    master secret."""
    from exam_server.packages import stored_package
    from question_bank.keys import load_master_secret, load_public_key
    from question_bank.sealing import read_manifest, release_key

    manifest = read_manifest(package or stored_package(open_db(), EXAM),
                             load_public_key(keys_path() / "bank.pub"))
    return release_key(load_master_secret(keys_path()), manifest, SESSION)


def _bring_to_running() -> str:
    """Open the session with its release key and start it, as far as it still needs."""
    from exam_server.sessions import open_exam_session, start_exam_session
    from question_bank.keys import load_public_key

    now = datetime.now(UTC)
    state = _session_state()
    if state == "scheduled":
        open_exam_session(open_db(), SESSION, _release_key(),
                          load_public_key(keys_path() / "bank.pub"), actor=ACTOR, now=now,
                          exam_id=EXAM)
        click.echo(f"session {SESSION} opened with its release key: papers decrypted")
        state = "opened"
    if state == "opened":
        start_exam_session(open_db(), SESSION, actor=ACTOR, now=now, exam_id=EXAM)
        click.echo(f"session {SESSION} is running")
        state = "running"
    return state or "missing"


Card = tuple[str, str, str]


def _credentials(path: Path, state: str) -> list[Card]:
    """The PINs of everyone in the session: kept from an earlier run when they cover the
    roster, else newly issued (which replaces every PIN) and kept in ``path`` (0600)."""
    from sqlalchemy import select

    from exam_server.db import reading
    from exam_server.models import ExamSession, Participant
    from exam_server.sessions import issue_pins

    if state not in ("opened", "running"):
        return []
    with reading(open_db()) as db:
        numbers = set(db.scalars(select(Participant.number).join(
            ExamSession, Participant.session_id == ExamSession.id).where(
            ExamSession.exam_id == EXAM, ExamSession.code == SESSION)))
    kept = _read_cards(path)
    if kept and {c[0] for c in kept} == numbers:
        click.echo(f"PINs: keeping the PINs issued earlier ({path})")
        return kept
    cards = [(c.participant, c.pin, c.session)
             for c in issue_pins(open_db(), SESSION, actor=ACTOR, exam_id=EXAM)]
    _write_cards(path, cards)
    click.echo(f"PINs: issued {len(cards)} new PINs")
    return cards


def _read_cards(path: Path) -> list[Card]:
    if not path.exists():
        return []
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    if not rows or rows[0] != ["participant", "pin", "session"]:
        return []
    return [(r[0], r[1], r[2]) for r in rows[1:] if len(r) == 3 and r[2] == SESSION]


def _write_cards(path: Path, cards: list[Card]) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("w", encoding="utf-8", newline="") as f:
        os.chmod(tmp, 0o600)
        out = csv.writer(f)
        out.writerow(["participant", "pin", "session"])
        out.writerows(cards)
    os.replace(tmp, path)


def _token_now() -> str:
    from exam_server.sessions import session_token

    return session_token(open_db(), SESSION, datetime.now(UTC), EXAM)


def _summary(bank_file: Path, n_items: int, roster: Path, seal: Path, key: str,
             state: str) -> None:
    click.echo("")
    click.echo("Built:")
    click.echo(f"  question bank   {bank_file} ({n_items} approved items, imported)")
    click.echo(f"  exam            {EXAMPLE.name} → exam {EXAM} \"SKD Demo\", session {SESSION} "
               f"({state})")
    click.echo(f"  participants    {roster}")
    click.echo(f"  sealed package  {seal}")
    click.echo(f"  release key     {key}   (session {SESSION}; read out at session start)")
    click.echo(f"  database        {open_db().kw['bind'].url.render_as_string()}")
