"""``seleksi session``: open, start and watch sessions; PINs, tokens, unlocking."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import click

from exam_server.cli.context import actor_option, default_actor, exam_option, open_db
from exam_server.clock import clock_from_env
from exam_server.config import keys_path
from exam_server.sessions import (
    issue_pins,
    list_sessions,
    open_exam_session,
    reset_login,
    session_token,
    start_exam_session,
    unlock_participant,
)
from question_bank.keys import load_public_key


@click.group("session")
def group() -> None:
    """Sessions (sesi): scheduled → opened → running → closed → published."""


@group.command("list")
def list_() -> None:
    """List every session with its state and how many candidates work and finished."""
    rows = list_sessions(open_db())
    if not rows:
        click.echo("no sessions: load an exam and import its sealed package first")
        return
    for s in rows:
        click.echo(f"{s.exam_id}  {s.code}  {s.state:<9}  {s.starts_at.isoformat()}  "
                   f"{s.site} / {s.room}  participants {s.participants}, working "
                   f"{s.working}, finished {s.finished}")


@group.command("token")
@click.argument("session")
@exam_option
def token(session: str, exam_id: str | None) -> None:
    """Print the session's current token (rotates every 15 minutes) alone on one line."""
    click.echo(session_token(open_db(), session, clock_from_env().now(), exam_id))


@group.command("open")
@click.argument("session")
@click.option("--key", "release_key", required=True, help="the session's release key")
@click.option("--pubkey", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=None, help="the bank's public key (default $SELEKSI_INSTANCE/keys/bank.pub)")
@exam_option
@actor_option
def open_(session: str, release_key: str, pubkey: Path | None, exam_id: str | None,
          actor: str | None) -> None:
    """Open a scheduled session: the release key must decrypt its papers."""
    row = open_exam_session(open_db(), session, release_key,
                            load_public_key(pubkey or keys_path() / "bank.pub"),
                            actor=actor or default_actor(), now=clock_from_env().now(),
                            exam_id=exam_id)
    click.echo(f"session {row.code} of exam {row.exam_id} opened: papers decrypted and "
               f"checked; the session key stays in the database until the session closes")


@group.command("start")
@click.argument("session")
@exam_option
@actor_option
def start(session: str, exam_id: str | None, actor: str | None) -> None:
    """Let candidates log in: an opened session starts running."""
    row = start_exam_session(open_db(), session, actor=actor or default_actor(),
                             now=clock_from_env().now(), exam_id=exam_id)
    click.echo(f"session {row.code} of exam {row.exam_id} is running")


@group.command("pins")
@click.argument("session")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="CSV to write: participant,name,pin,session (print it on admission cards)")
@exam_option
@actor_option
def pins(session: str, out: Path, exam_id: str | None, actor: str | None) -> None:
    """Issue a new PIN to every participant of the session (only hashes are stored)."""
    cards = issue_pins(open_db(), session, actor=actor or default_actor(), exam_id=exam_id)
    tmp = out.with_name(out.name + ".tmp")
    with open(tmp, "w", encoding="utf-8", newline="") as f:
        os.chmod(tmp, 0o600)
        writer = csv.writer(f)
        writer.writerow(["participant", "name", "pin", "session"])
        writer.writerows([c.participant, c.name, c.pin, c.session] for c in cards)
    os.replace(tmp, out)
    click.echo(f"issued {len(cards)} PINs for session {session}; admission cards in {out} "
               f"(mode 0600: it holds the only copy of the PINs)")


@group.command("unlock")
@click.argument("participant")
@exam_option
@actor_option
def unlock(participant: str, exam_id: str | None, actor: str | None) -> None:
    """Unlock a participant locked after five wrong PINs."""
    p = unlock_participant(open_db(), participant, actor=actor or default_actor(),
                           exam_id=exam_id)
    click.echo(f"participant {p.number} unlocked")


@group.command("reset-login")
@click.argument("participant")
@exam_option
@actor_option
def reset(participant: str, exam_id: str | None, actor: str | None) -> None:
    """Revoke a participant's login so they can log in at another workstation."""
    reset_login(open_db(), participant, actor=actor or default_actor(), exam_id=exam_id)
    click.echo(f"participant {participant}: login reset; they can log in again")


def _register() -> None:
    from exam_server.cli.export import export
    from exam_server.cli.room import COMMANDS

    for command in (*COMMANDS, export):
        group.add_command(command)


_register()
