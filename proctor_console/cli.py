"""``seleksi user``: proctor and committee accounts."""

from __future__ import annotations

import sys

import click

from exam_server.cli.context import actor_option_help, default_actor, open_db
from proctor_console.accounts import add_user
from proctor_console.models import ROLES


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
