"""``seleksi demo``: everything the foundation covers, end to end, then the web server."""

from __future__ import annotations

import csv
import random
from pathlib import Path

import click

from exam_server.cli.context import open_db
from exam_server.config import instance_path, keys_path

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "skd-2024-exam.toml"
GIVEN = ["Ahmad", "Siti", "Budi", "Dewi", "Rizky", "Putri", "Agus", "Nur", "Eko", "Rina", "Fajar",
         "Intan", "Hendra", "Wulan", "Yusuf", "Ayu", "Bayu", "Lestari", "Dimas", "Ratna"]
FAMILY = ["Saputra", "Rahmawati", "Hidayat", "Kusuma", "Pratama", "Siregar", "Nasution",
          "Wijaya", "Santoso", "Lubis", "Harahap", "Simanjuntak", "Setiawan", "Purnomo"]
FORMATIONS = ["Analis Kebijakan — Kementerian PANRB", "Pranata Komputer — BKN",
              "Auditor Ahli Pertama — BPKP"]


def write_demo_roster(path: Path, count: int, session: str) -> None:
    """A roster of ``count`` demo participants with sequential numbers in one session."""
    rng = random.Random(2024)  # noqa: S311 - demo names, not security
    with path.open("w", encoding="utf-8", newline="") as f:
        out = csv.writer(f)
        out.writerow(["participant", "name", "formation", "category", "session"])
        for n in range(1, count + 1):
            category = "umum" if n % 10 else rng.choice(["cumlaude", "disabilitas", "papua"])
            out.writerow([f"2411{n:09d}", f"{rng.choice(GIVEN)} {rng.choice(FAMILY)}",
                          rng.choice(FORMATIONS), category, session])


@click.command("demo")
@click.option("--items", "n_items", default=600, show_default=True, help="sample bank size")
@click.option("--participants", "n_participants", default=40, show_default=True)
@click.option("--serve/--no-serve", default=True, show_default=True,
              help="start the web server after building")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
@click.pass_context
def group(ctx: click.Context, n_items: int, n_participants: int, serve: bool, host: str,
          port: int) -> None:
    """Build a demo instance (bank, exam, sealed package) and serve it."""
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
    ctx.invoke(bank.import_, file=bank_file, actor="demo")
    ctx.invoke(exam.load, file=EXAMPLE, actor="demo")
    roster = folder / "participants.csv"
    write_demo_roster(roster, n_participants, "JKT1-S1")
    click.echo(f"wrote {n_participants} demo participants to {roster}")
    seal = folder / "skd-2024-demo.seal"
    ctx.invoke(papers.build, exam_id="skd-2024-demo", participants=roster, seed="demo-seed-2024",
               out=seal, actor="demo")
    key = _release_key(seal)
    ctx.invoke(papers.verify, package=seal, pubkey=keys_path() / "bank.pub", keys=(key,))
    ctx.invoke(papers.import_, package=seal, pubkey=None, actor="demo")
    click.echo("")
    click.echo("Built:")
    click.echo(f"  question bank   {bank_file} ({n_items} approved items, imported)")
    click.echo(f"  exam            {EXAMPLE.name} → exam skd-2024-demo, session JKT1-S1")
    click.echo(f"  participants    {roster}")
    click.echo(f"  sealed package  {seal}")
    click.echo(f"  release key     {key}   (session JKT1-S1; read out at session start)")
    click.echo(f"  database        {open_db().kw['bind'].url.render_as_string()}")
    if serve:
        from exam_server.app import create_app
        from exam_server.realtime import socketio

        click.echo(f"\nServing on http://{host}:{port}/  (Ctrl+C stops)")
        socketio.run(create_app(), host=host, port=port)


def _release_key(seal: Path) -> str:
    from question_bank.keys import load_master_secret, load_public_key
    from question_bank.sealing import read_manifest, release_key

    manifest = read_manifest(seal.read_bytes(), load_public_key(keys_path() / "bank.pub"))
    return release_key(load_master_secret(keys_path()), manifest, "JKT1-S1")
