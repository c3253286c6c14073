"""``seleksi bank``: sample, import, export, and the review workflow."""

from __future__ import annotations

from pathlib import Path

import click

from exam_server import bank_store
from exam_server.cli.context import actor_option_help, default_actor, open_db
from question_bank.formats import FORMATS, SUFFIXES, read_bank, write_bank
from question_bank.sample import sample_bank


@click.group("bank")
def group() -> None:
    """The question bank: items, versions and their review."""


@group.command("sample")
@click.option("--items", "n_items", type=click.IntRange(min=1), required=True,
              help="how many items to generate")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="the file to write (.json, .csv, .xlsx or .zip for QTI)")
@click.option("--seed", type=int, default=0, show_default=True, help="generator seed")
def sample(n_items: int, out: Path, seed: int) -> None:
    """Write a realistic synthetic SKD bank in Indonesian, every item approved."""
    items = sample_bank(n_items, seed=seed)
    fmt = _format_of(out)
    write_bank(out, fmt, items, {})
    click.echo(f"wrote {len(items)} approved sample items to {out} ({fmt})")


@group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--as", "actor", default=None, help=actor_option_help)
def import_(file: Path, actor: str | None) -> None:
    """Import FILE (.json, .csv, .xlsx or a QTI 2.1 .zip): all or nothing, idempotent."""
    bank = read_bank(file)
    summary = bank_store.import_bank(open_db(), bank, imported_by=actor or default_actor(),
                                     source=file.name)
    click.echo(f"imported {file.name}: {summary.created} new items, {summary.new_versions} new "
               f"versions, {summary.status_changed} status changes, {summary.unchanged} "
               f"unchanged, {summary.media_added} new images")


@group.command("export")
@click.option("--format", "fmt", type=click.Choice(FORMATS), required=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True)
def export(fmt: str, out: Path) -> None:
    """Export the latest version of every item, with its status and author."""
    bank = bank_store.export_bank(open_db())
    write_bank(out, fmt, bank.items, bank.media)
    click.echo(f"exported {len(bank.items)} items to {out} ({fmt})")


@group.command("status")
def status() -> None:
    """Count items per section and review status (latest versions)."""
    counts = bank_store.bank_counts(open_db())
    if not counts:
        click.echo("the bank is empty: `seleksi bank import FILE` or `seleksi bank sample`")
        return
    for section, by_status in sorted(counts.items()):
        cells = ", ".join(f"{s} {n}" for s, n in sorted(by_status.items()))
        click.echo(f"{section}: {cells}")


def _workflow(name: str, doc: str) -> None:
    step = getattr(bank_store, f"{name}_item")

    @group.command(name, help=doc)
    @click.argument("item_id")
    @click.option("--as", "actor", default=None, help=actor_option_help)
    def command(item_id: str, actor: str | None) -> None:
        who = actor or default_actor()
        kwarg = {"review": "reviewer", "approve": "approver", "retire": "actor"}[name]
        step(open_db(), item_id, **{kwarg: who})
        click.echo(f"{item_id}: {name} done by {who}")


_workflow("review", "Mark the latest version of ITEM_ID reviewed (draft → reviewed).")
_workflow("approve", "Approve ITEM_ID (reviewed → approved); its author may not approve it.")
_workflow("retire", "Retire ITEM_ID: it goes into no new paper.")


def _format_of(path: Path) -> str:
    fmt = SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        raise click.BadParameter(f"{path.name}: use a .json, .csv, .xlsx or .zip (QTI) file",
                                 param_hint="--out")
    return fmt
