"""``seleksi audit``: check the hash-chained audit log."""

from __future__ import annotations

import sys

import click

from exam_server.audit import verify_audit_chain
from exam_server.cli.context import open_db


@click.group("audit")
def group() -> None:
    """The append-only, hash-chained audit log."""


@group.command("verify")
def verify() -> None:
    """Re-compute every row's hash; name the first broken row and exit 1 if any."""
    check = verify_audit_chain(open_db())
    if not check.ok:
        click.echo(f"seleksi: error: audit log broken at row {check.bad_row} "
                   f"({check.rows_checked} rows checked): {check.reason}", err=True)
        sys.exit(1)
    click.echo(f"audit log: {check.rows_checked} rows, chain intact")
