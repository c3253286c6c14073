"""The ``seleksi`` command line: thin commands that parse, call a service and print.

Every command has ``--help`` and exits non-zero with a one-line reason on error (an import
refused for several rows lists every row below that line).
"""

from __future__ import annotations

import sys
from typing import Any

import click

from question_bank.errors import BankError, SealError
from scoring.exceptions import SchemeError

EXPECTED_ERRORS = (BankError, SealError, SchemeError, OSError, ValueError)


class SeleksiGroup(click.Group):
    """A click group that turns the project's expected errors into a clean exit 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except EXPECTED_ERRORS as exc:
            message = str(exc) or exc.__class__.__name__
            if isinstance(exc, OSError) and exc.filename:
                message = f"{exc.filename}: {exc.strerror}"
            click.echo(f"seleksi: error: {message}", err=True)
            sys.exit(1)


@click.group(cls=SeleksiGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="seleksi")
def main() -> None:
    """Seleksi: computer-based recruitment exams with live, verifiable results.

    State lives in $SELEKSI_INSTANCE (default ./instance): the SQLite database unless
    DATABASE_URL names PostgreSQL, the keys, and media.
    """


def _register() -> None:
    from exam_server.cli import audit, bank, demo, exam, keys, papers, score, serve, session

    for module in (keys, bank, exam, papers, session, audit, serve, demo):
        main.add_command(module.group)
    score.register(main)
    # The one place besides create_app() where the exam server wires in the console.
    from proctor_console import cli as console_cli

    main.add_command(console_cli.group)
    # Same exception for the result log: `seleksi log verify`, and `seleksi keys init`
    # making the log's key (keys/log.key).
    from proctor_console.transparency import cli as log_cli

    log_cli.register(main)


_register()
