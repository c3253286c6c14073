"""``seleksi score``, ``seleksi results verify``, ``seleksi rescore``, ``seleksi final`` and
``seleksi analyse``: official results from files, checked and explained.

Thin: every command reads through :mod:`scoring.pipeline`, computes with ``scoring`` and
writes through :mod:`scoring.files`: every output of a command goes to a temporary file and
all are renamed only when every one is written, so an error leaves no output at all.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from scoring.files import csv_text, read_table, write_csv, write_outputs
from scoring.pipeline import ExamInputs, load_inputs
from scoring.results import CODES, Results, compare_rows, result_rows

IN = click.Path(exists=True, dir_okay=False, path_type=Path)
OUT = click.Path(dir_okay=False, path_type=Path)


def exam_inputs(func: Callable[..., Any]) -> Callable[..., Any]:
    """The five inputs every scoring command takes."""
    for opt in reversed([
        click.option("--scheme", required=True,
                     help="scheme id (skd-2024, skd-2019, skd-2018, pppk-2024) or a file path"),
        click.option("--key", "key", type=IN, required=True,
                     help="CSV/XLSX: item_id,section,A,B,C,D,E (points per option)"),
        click.option("--responses", type=IN, required=True,
                     help="CSV/XLSX: participant,item_id,choice (empty choice = blank)"),
        click.option("--candidates", type=IN, required=True,
                     help="CSV/XLSX: participant,name,formation,category,status"),
        click.option("--formations", type=IN, required=True,
                     help="CSV/XLSX: formation,quota"),
    ]):
        func = opt(func)
    return func


def _load(scheme: str, key: Path, responses: Path, candidates: Path,
          formations: Path) -> ExamInputs:
    inputs = load_inputs(scheme, key, responses, candidates, formations)
    for warning in inputs.batch.warnings:
        click.echo(f"seleksi: warning: {warning}", err=True)
    return inputs


def _summary(results: Results) -> str:
    counts = Counter(CODES[int(c)] for c in results.code)
    parts = ", ".join(f"{code} {counts[code]}" for code in CODES)
    return (f"{len(results.roster.participants)} candidates in "
            f"{len(results.roster.formations)} formation(s), scheme {results.scheme.id}: {parts}")


def explain_rows(results: Results) -> list[list[str]]:
    """``participant,code,reason`` for every candidate."""
    rows = [["participant", "code", "reason"]]
    rows += [[pid, CODES[int(results.code[i])], results.reason(i)]
             for i, pid in enumerate(results.roster.participants)]
    return rows


@click.command("score")
@exam_inputs
@click.option("--out", type=OUT, required=True, help="results.csv to write")
@click.option("--explain", "explain_out", type=OUT, default=None,
              help="also write participant,code,reason (which rule passed or failed)")
def score(scheme: str, key: Path, responses: Path, candidates: Path, formations: Path,
          out: Path, explain_out: Path | None) -> None:
    """Score every answer sheet, decide pass/fail and rank per formation.

    Writes participant,formation,category,<sections>,total,code,rank, one row per candidate
    in candidate-list order; codes P/L, P, TL, TH, DIS.
    """
    results = _load(scheme, key, responses, candidates, formations).score()
    outputs = [(out, csv_text(result_rows(results)))]
    if explain_out is not None:
        outputs.append((explain_out, csv_text(explain_rows(results))))
    write_outputs(outputs)
    click.echo(f"{_summary(results)}; wrote {out}")


@click.group("results")
def results_group() -> None:
    """Published results: verify them against the inputs."""


@results_group.command("verify")
@click.argument("results_file", type=IN)
@exam_inputs
def verify(results_file: Path, scheme: str, key: Path, responses: Path, candidates: Path,
           formations: Path) -> None:
    """Recompute RESULTS_FILE from the inputs and report every difference (exit 1 if any)."""
    computed = result_rows(_load(scheme, key, responses, candidates, formations).score())
    table = read_table(results_file)
    given = [list(table.header)] + [row for _, row in table.rows]
    diffs = compare_rows(given, computed)
    for pid, column, theirs, ours in diffs:
        click.echo(f"{pid}: {column}: file {theirs!r}, recomputed {ours!r}")
    if diffs:
        click.echo(f"{len(diffs)} difference(s) in {results_file.name}", err=True)
        sys.exit(1)
    click.echo(f"no differences: {len(computed) - 1} rows of {results_file.name} match")


@click.command("rescore")
@exam_inputs
@click.option("--corrections", type=IN, required=True,
              help="CSV/XLSX: item_id,action,A,B,C,D,E (action void or rekey)")
@click.option("--out", type=OUT, required=True, help="corrected results.csv to write")
@click.option("--diff", "diff_out", type=OUT, required=True,
              help="who changed: old and new section scores, total, code and rank")
def rescore(scheme: str, key: Path, responses: Path, candidates: Path, formations: Path,
            corrections: Path, out: Path, diff_out: Path) -> None:
    """Void or re-key items, re-score everyone and write the results and the diff."""
    from scoring.corrections import apply_corrections, corrections_from_table, diff_rows

    inputs = _load(scheme, key, responses, candidates, formations)
    fixes = corrections_from_table(read_table(corrections))
    new_key = apply_corrections(inputs.key, fixes)
    old, new = inputs.score(), inputs.score(new_key)
    diff = diff_rows(old, new)
    write_outputs([(out, csv_text(result_rows(new))), (diff_out, csv_text(diff))])
    click.echo(f"{len(fixes)} correction(s) (void policy {inputs.key.scheme.void}); "
               f"{len(diff) - 1} candidate(s) changed; {_summary(new)}; wrote {out} "
               f"and {diff_out}")


@click.command("final")
@click.option("--scheme", required=True, help="the SKD scheme id or file")
@click.option("--skd", type=IN, required=True, help="the SKD results.csv of `seleksi score`")
@click.option("--skb", type=IN, required=True, help="CSV/XLSX: participant,skb")
@click.option("--formations", type=IN, required=True, help="CSV/XLSX: formation,quota")
@click.option("--skb-max", default="100", show_default=True,
              help="the SKB score that scales to 100")
@click.option("--out", type=OUT, required=True, help="final.csv to write")
def final(scheme: str, skd: Path, skb: Path, formations: Path, skb_max: str,
          out: Path) -> None:
    """Final integration: SKD 40 % + SKB 60 % (each scaled to 0–100), ranked per formation.

    Writes participant,formation,category,skd,skd_scaled,skb,skb_scaled,final,code,rank for
    every SKD P/L candidate; code L within the quota, TL beyond it, TH without SKB score.
    """
    from scoring.final import integrate
    from scoring.scheme import load_scheme

    rows = integrate(load_scheme(scheme), read_table(skd), read_table(skb),
                     read_table(formations), skb_max)
    write_csv(out, rows)
    counts = Counter(r[8] for r in rows[1:])
    click.echo(f"{len(rows) - 1} SKD P/L candidates: L {counts['L']}, TL {counts['TL']}, "
               f"TH {counts['TH']}; wrote {out}")


@click.command("analyse")
@exam_inputs
@click.option("--out-csv", type=OUT, required=True, help="item statistics CSV to write")
@click.option("--out-html", type=OUT, default=None, help="HTML report with plots to write")
def analyse(scheme: str, key: Path, responses: Path, candidates: Path, formations: Path,
            out_csv: Path, out_html: Path | None) -> None:
    """Item analysis: p-value, point-biserial, option shares, KR-20/alpha per section.

    Candidates who sat and are not disqualified are analysed.
    """
    from scoring.analysis import item_rows, item_statistics, section_statistics
    from scoring.report import render_report
    from scoring.sheets import section_totals

    inputs = _load(scheme, key, responses, candidates, formations)
    b = inputs.batch
    keep = b.sat & ~inputs.roster.disqualified
    items, choices = b.items[keep], b.choices[keep]
    stats = item_statistics(inputs.key, items, choices)
    sections = section_statistics(inputs.key, items, choices)
    page = None
    if out_html is not None:
        page = render_report(inputs.key, stats, sections,
                             section_totals(inputs.key, items, choices),
                             f"Item analysis: {inputs.key.scheme.name}")
    outputs = [(out_csv, csv_text(item_rows(inputs.key, stats)))]
    if out_html is not None and page is not None:
        outputs.append((out_html, page))
    write_outputs(outputs)
    for s in sections:
        click.echo(f"{s.code}: {s.candidates} candidates, mean {s.mean:.1f}, SD {s.sd:.1f}, "
                   f"{s.method} {s.reliability:.3f}")
    click.echo(f"wrote {out_csv}" + (f" and {out_html}" if out_html else ""))


def register(main: click.Group) -> None:
    """Add the scoring commands to the ``seleksi`` group."""
    for command in (score, results_group, rescore, final, analyse):
        main.add_command(command)
