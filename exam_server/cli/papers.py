"""``seleksi papers``: build, verify, release and import sealed packages."""

from __future__ import annotations

from pathlib import Path

import click

from exam_server.cli.context import actor_option_help, default_actor, open_db
from exam_server.config import keys_path
from exam_server.packages import build_package, import_package
from question_bank.keys import load_master_secret, load_public_key
from question_bank.sealing import match_keys, read_manifest, release_key, verify_package
from question_bank.sealing_format import parse_release_key

SEAL = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.group("papers")
def group() -> None:
    """Papers: build and seal them, verify a package, release its keys, import it."""


@group.command("build")
@click.option("--exam", "exam_id", required=True, help="the exam id (from `seleksi exam load`)")
@click.option("--participants", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              required=True, help="CSV/XLSX: participant,name,formation,category,session")
@click.option("--seed", required=True, help="the exam seed: papers are a pure function of it")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option("--as", "actor", default=None, help=actor_option_help)
def build(exam_id: str, participants: Path, seed: str, out: Path, actor: str | None) -> None:
    """Build every participant's paper and seal them into one package file."""
    built = build_package(open_db(), exam_id=exam_id, roster_path=participants, seed=seed,
                          keys_folder=keys_path(), actor=actor or default_actor(), out=out)
    click.echo(f"sealed {built.participants} papers of exam {exam_id} in "
               f"{len(built.sessions)} session(s) into {out} ({len(built.data):,} bytes); "
               f"bank snapshot {built.bank_sha256[:16]}…")
    for session, e in built.exposure.items():
        click.echo(f"session {session}: {e.papers} papers; item exposure max/min "
                   f"{e.max_min_ratio:.2f} (worst cell {e.worst_cell}); neighbours sharing a "
                   f"question at the same position {e.neighbour_same_position_rate:.1%}")
        if not built.contiguous[session]:
            click.echo(f"warning: session {session}'s participant numbers are not one "
                       f"contiguous run, so item exposure is no more even than a random "
                       f"draw (docs/papers.md §4)", err=True)


@group.command("verify")
@click.argument("package", type=SEAL)
@click.option("--pubkey", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              required=True, help="the bank's public key (bank.pub)")
@click.option("--key", "keys", multiple=True,
              help="a session's release key: also decrypt and check every paper (repeatable)")
def verify(package: Path, pubkey: Path, keys: tuple[str, ...]) -> None:
    """Check a package's signature and hashes; with --key also every paper of that session."""
    data = package.read_bytes()
    public_key = load_public_key(pubkey)
    matched = match_keys(data, read_manifest(data, public_key),
                         [parse_release_key(k) for k in keys])
    report = verify_package(data, public_key, matched)
    for line in report.lines:
        click.echo(line)
    click.echo(f"{package.name}: OK")


@group.command("release-key")
@click.argument("package", type=SEAL)
@click.option("--session", "session_id", required=True, help="the session id")
def release(package: Path, session_id: str) -> None:
    """Print the release key of one session of a package (read it out at session start)."""
    folder = keys_path()
    manifest = read_manifest(package.read_bytes(), load_public_key(folder / "bank.pub"))
    click.echo(release_key(load_master_secret(folder), manifest, session_id))


@group.command("import")
@click.argument("package", type=SEAL)
@click.option("--pubkey", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=None, help="the bank's public key (default $SELEKSI_INSTANCE/keys/bank.pub)")
@click.option("--as", "actor", default=None, help=actor_option_help)
def import_(package: Path, pubkey: Path | None, actor: str | None) -> None:
    """Verify and import a package; its papers stay sealed until each session is opened."""
    public_key = load_public_key(pubkey or keys_path() / "bank.pub")
    result = import_package(open_db(), package.read_bytes(), public_key,
                            actor=actor or default_actor(), source=package.name)
    if result.unchanged:
        click.echo(f"{package.name}: already imported, nothing changed")
        return
    click.echo(f"imported {package.name}: exam {result.exam_id}, {result.sessions} session(s), "
               f"{result.participants} participants"
               f"{' (replaced the previous package)' if result.replaced else ''}; papers stay "
               f"sealed until each session is opened with its release key")
