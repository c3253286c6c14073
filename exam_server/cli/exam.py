"""``seleksi exam``: exam definitions."""

from __future__ import annotations

from pathlib import Path

import click

from exam_server.cli.context import actor_option_help, default_actor, open_db
from exam_server.exams import load_exam


@click.group("exam")
def group() -> None:
    """Exams: scheme, blueprint (kisi-kisi) and sessions."""


@group.command("load")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--as", "actor", default=None, help=actor_option_help)
def load(file: Path, actor: str | None) -> None:
    """Load the exam definition FILE (TOML, see docs/exam-definition.md)."""
    result = load_exam(open_db(), file, actor=actor or default_actor())
    what = "loaded" if result.created else "updated" if result.changed else "unchanged:"
    click.echo(f"exam {result.exam_id} {what} ({result.sessions} session(s)) from {file.name}")
