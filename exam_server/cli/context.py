"""What every command needs: the database (migrated to the latest schema) and who is acting."""

from __future__ import annotations

import getpass
from functools import cache

import click
from sqlalchemy.orm import Session, sessionmaker

from exam_server.db import database_url, make_engine, session_factory, upgrade


@cache
def open_db() -> sessionmaker[Session]:
    """The session factory of this instance's database, upgraded to the latest migration."""
    engine = make_engine(database_url())
    upgrade(engine)
    return session_factory(engine)


def default_actor() -> str:
    """The login name of the person running the command, recorded in the audit log."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


actor_option_help = "who does this, for the audit log (default: your login name)"
actor_option = click.option("--as", "actor", default=None, help=actor_option_help)
exam_option = click.option("--exam", "exam_id", default=None,
                           help="the exam id, when the session code or participant number "
                                "exists in several exams")
