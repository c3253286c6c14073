"""``seleksi session export``: a session's answers as the input files of ``seleksi score``."""

from __future__ import annotations

import csv
from pathlib import Path

import click

from exam_server.cli.context import open_db
from exam_server.config import keys_path
from exam_server.session_export import FILES, export_session
from question_bank.keys import load_public_key


@click.command("export")
@click.argument("session")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="folder for key.csv, responses.csv, candidates.csv, formations.csv")
@click.option("--quota", default=1, show_default=True, type=click.IntRange(1),
              help="every formation's quota (formations.csv)")
@click.option("--formations", "formations_file",
              type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="a formation,quota CSV whose quotas win over --quota")
@click.option("--key", "release_key", default=None,
              help="the session's release key, when the session is closed (key not stored)")
@click.option("--pubkey", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=None, help="the bank's public key (default $SELEKSI_INSTANCE/keys/bank.pub)")
@click.option("--exam", "exam_id", default=None,
              help="the exam id, when the session code exists in several exams")
def export(session: str, out: Path, quota: int, formations_file: Path | None,
           release_key: str | None, pubkey: Path | None, exam_id: str | None) -> None:
    """Export SESSION's answers for `seleksi score` (see docs/scoring.md): every finished
    candidate's result there equals the server's; who never started is TH."""
    done = export_session(open_db(), session, out,
                          load_public_key(pubkey or keys_path() / "bank.pub"), quota=quota,
                          quotas=_read_quotas(formations_file) if formations_file else None,
                          exam_id=exam_id, release_key=release_key)
    click.echo(f"exported session {session} into {out}: {', '.join(FILES)} — {done.items} "
               f"items, {done.candidates} candidates ({done.started} started), "
               f"{done.formations} formations; score with `seleksi score --scheme "
               f"{done.scheme} --key {out / 'key.csv'} --responses {out / 'responses.csv'} "
               f"--candidates {out / 'candidates.csv'} --formations "
               f"{out / 'formations.csv'} --out results.csv`")


def _read_quotas(path: Path) -> dict[str, int]:
    """``formation,quota`` rows of a CSV (the format of ``formations.csv``)."""
    quotas = {}
    with path.open(encoding="utf-8-sig", newline="") as f:
        for n, row in enumerate(csv.DictReader(f), start=2):
            try:
                quotas[row["formation"]] = int(row["quota"])
            except (KeyError, TypeError, ValueError) as exc:
                raise ValueError(f"{path} row {n}: needs formation,quota with a whole "
                                 f"number quota") from exc
    return quotas
