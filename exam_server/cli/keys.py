"""``seleksi keys``: the bank's signing key and the master secret."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import click

from exam_server.config import keys_path
from question_bank.keys import init_keys

AFTER_INIT: list[Callable[[Path], str | None]] = []
"""More keys ``keys init`` makes in the same folder, each if missing (the result log's key,
added by ``exam_server.cli._register``); each returns a line naming what it made, or None."""


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
    more = [made for make in AFTER_INIT if (made := make(folder))]
    click.echo(f"keys made in {folder}: bank.key (signing, 0600), bank.pub (public), "
               f"master.secret (0600){''.join(f', {m}' for m in more)}. "
               "Back up bank.key and master.secret offline.")
