"""``seleksi user``: proctor and committee accounts."""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

import click
from sqlalchemy import select

from exam_server.cli.context import actor_option_help, default_actor, open_db
from exam_server.db import reading
from proctor_console.accounts import add_user, set_password
from proctor_console.models import ROLES, ProctorUser


@click.group("user")
def group() -> None:
    """Accounts of the proctor console (/proctor)."""


@group.command("add")
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), required=True,
              help="proctor (their sessions), coordinator (a site), admin (committee)")
@click.option("--name", "full_name", default="", help="the person's full name")
@click.option("--session", "sessions", multiple=True,
              help="a session code this proctor runs (repeat for several)")
@click.option("--site", default=None, help="the test site a coordinator coordinates")
@click.option("--password-stdin", is_flag=True,
              help="read the password from the first line of standard input")
@click.option("--as", "actor", default=None, help=actor_option_help)
def add(username: str, role: str, full_name: str, sessions: tuple[str, ...], site: str | None,
        password_stdin: bool, actor: str | None) -> None:
    """Add an account (the password is asked twice, or read with --password-stdin)."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("password", hide_input=True, confirmation_prompt=True)
    user = add_user(open_db(), username, password, role=role, full_name=full_name,
                    actor=actor or default_actor(), site=site, sessions=sessions)
    where = {"proctor": f"sessions {', '.join(sessions)}", "coordinator": f"site {site}",
             "admin": "every session"}[role]
    click.echo(f"user {user.username} ({role}) added: {where}")


DEMO_USER = "panitia"


def demo_account(folder: Path) -> tuple[str, str]:
    """The demo's committee account (``panitia``, an admin): made once with a random
    password kept in ``folder/console-password.txt`` (0600); later runs read it back."""
    secret = folder / "console-password.txt"
    factory = open_db()
    with reading(factory) as db:
        exists = db.scalar(select(ProctorUser.id).where(ProctorUser.username == DEMO_USER))
    if exists is not None and secret.exists():
        return DEMO_USER, secret.read_text(encoding="utf-8").strip()
    password = secrets.token_urlsafe(12)
    if exists is None:
        add_user(factory, DEMO_USER, password, role="admin", full_name="Panitia (demo)",
                 actor="demo")
    else:
        set_password(factory, DEMO_USER, password, actor="demo")
    fd = os.open(secret, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(password + "\n")
    return DEMO_USER, password
