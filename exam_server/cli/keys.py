"""``seleksi keys``: the bank's signing key and the master secret."""

from __future__ import annotations

import click

from exam_server.config import keys_path
from question_bank.keys import init_keys


@click.group("keys")
def group() -> None:
    """Make and inspect the instance's keys."""


@group.command("init")
def init() -> None:
    """Make the signing key (bank.key, bank.pub) and the master secret in $SELEKSI_INSTANCE/keys/.

    Files are created with mode 0600; existing keys are never overwritten.
    """
    folder = keys_path()
    init_keys(folder)
    click.echo(f"keys made in {folder}: bank.key (signing, 0600), bank.pub (public), "
               f"master.secret (0600). Back up bank.key and master.secret offline.")
