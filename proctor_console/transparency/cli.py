"""``seleksi log``: the public result log from the command line.

``seleksi log verify URL_OR_DIR [--receipt FILE] [--state FILE]`` runs the independent
verifier ``tools/verify_log.py`` itself, loaded from the repository by its file path: the
checks an observer runs and the ones this command runs are the same code, not two copies.
Its exit status is the verifier's (0: every check held; 1: a problem, named on stderr).

Registered by ``exam_server.cli._register`` (:func:`register`), which also has
``seleksi keys init`` make the log's key (``keys/log.key``) beside the bank's.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import click

from exam_server.cli.context import actor_option
from proctor_console.transparency.keys import LOG_KEY, ensure_log_key, load_log_key

VERIFIER = Path(__file__).resolve().parents[2] / "tools" / "verify_log.py"
MODULE_NAME = "seleksi_tools_verify_log"


def load_verifier(path: Path = VERIFIER) -> ModuleType:
    """``tools/verify_log.py`` as a module (it is a script beside the packages, not in one).

    Raises
    ------
    click.ClickException
        The file is not there (an installation without the repository's ``tools/``).
    """
    if MODULE_NAME in sys.modules:
        return sys.modules[MODULE_NAME]
    spec = importlib.util.spec_from_file_location(MODULE_NAME, path)
    if not path.is_file() or spec is None or spec.loader is None:
        raise click.ClickException(
            f"{path} is missing: `seleksi log verify` runs the repository's independent "
            "verifier; install Seleksi from a checkout (pip install -e .) or run "
            "tools/verify_log.py from one")
    module = importlib.util.module_from_spec(spec)
    sys.modules[MODULE_NAME] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[MODULE_NAME]
        raise
    return module


@click.group("log")
def group() -> None:
    """The public result log: verify it as any observer would."""


@group.command("verify")
@click.argument("source", metavar="URL_OR_DIR")
@click.option("--receipt", type=click.Path(dir_okay=False, path_type=Path),
              help="a receipt JSON (from the result page) whose record must be in the log")
@click.option("--state", type=click.Path(dir_okay=False, path_type=Path),
              help="where heads seen before are kept (default ~/.seleksi-log-heads.json)")
@click.pass_context
def verify(ctx: click.Context, source: str, receipt: Path | None, state: Path | None) -> None:
    """Check the log at URL_OR_DIR (a server's base URL or a dump directory).

    Checks the signed tree head, that the entries hash to it, that every head seen before
    (--state) is consistent with it, and with --receipt the inclusion of that record. A
    changed, dropped or reordered entry is named. Exit status 0 when all holds, else 1.
    """
    argv = [source]
    if receipt is not None:
        argv += ["--receipt", str(receipt)]
    if state is not None:
        argv += ["--state", str(state)]
    status = load_verifier().main(argv)
    sys.stdout.flush()
    ctx.exit(int(status))


@group.command("correct")
@click.option("--exam", "exam_id", required=True, help="the exam whose key is corrected")
@click.option("--corrections", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              required=True, help="CSV/XLSX: item_id,action,A,B,C,D,E (action void or rekey; "
                                  "item ids as in key.csv of `seleksi session export`)")
@click.option("--reason", required=True, help="why the key is corrected (logged, public)")
@click.option("--key", "keys", multiple=True, metavar="SESSION=RELEASE_KEY",
              help="a closed session's release key (repeat per closed session)")
@click.option("--diff", "diff_out", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="write who changed (old and new scores and code) as CSV")
@click.option("--pubkey", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=None, help="the bank's public key (default $SELEKSI_INSTANCE/keys/bank.pub)")
@actor_option
def correct(exam_id: str, corrections: Path, reason: str, keys: tuple[str, ...],
            diff_out: Path | None, pubkey: Path | None, actor: str | None) -> None:
    """Void or re-key items after the exam: re-score every finished candidate of EXAM and
    append a correction entry to the public log for each one whose result changes.

    Applying the same corrections again changes nothing. See docs/transparency.md.
    """
    from exam_server.cli.context import default_actor, open_db
    from exam_server.config import keys_path
    from exam_server.models import utcnow
    from proctor_console.transparency.key_corrections import correct_exam, diff_rows
    from question_bank.keys import load_public_key
    from scoring.corrections import corrections_from_table
    from scoring.files import read_table, write_csv

    release = {}
    for item in keys:
        code, sep, value = item.partition("=")
        if not sep or not code or not value:
            raise click.BadParameter(f"{item!r} is not SESSION=RELEASE_KEY", param_hint="--key")
        release[code] = value
    done = correct_exam(open_db(), exam_id, corrections_from_table(read_table(corrections)),
                        reason=reason, actor=actor or default_actor(),
                        public_key=load_public_key(pubkey or keys_path() / "bank.pub"),
                        log_key=load_log_key(keys_path()), now=utcnow(), release_keys=release)
    if diff_out is not None:
        write_csv(diff_out, diff_rows(done.changes))
    click.echo(f"batch {done.batch}: {done.corrections} correction(s), {done.rescored} "
               f"finished result(s) re-scored, {len(done.changes)} changed; the log now has "
               f"{done.tree_size} entries" + (f"; wrote {diff_out}" if diff_out else ""))


@group.command("rank")
@click.option("--exam", "exam_id", required=True, help="the exam to rank")
@click.option("--formations", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              required=True, help="CSV/XLSX: formation,quota (every formation of the exam)")
@click.option("--reason", required=True, help="what this ranking is (logged, public)")
@actor_option
def rank(exam_id: str, formations: Path, reason: str, actor: str | None) -> None:
    """Rank EXAM per formation once every session is closed and append the P/L (within
    go-on-per-quota × quota) and P codes, with ranks, to the public log.

    Ranking again with the same quotas appends nothing. See docs/transparency.md.
    """
    from exam_server.cli.context import default_actor, open_db
    from exam_server.config import keys_path
    from exam_server.models import utcnow
    from proctor_console.transparency.ranking import rank_exam
    from scoring.files import read_table

    done = rank_exam(open_db(), exam_id, read_table(formations), reason=reason,
                     actor=actor or default_actor(), log_key=load_log_key(keys_path()),
                     now=utcnow())
    counts = ", ".join(f"{code} {n}" for code, n in done.counts.items())
    click.echo(f"batch {done.batch}: {done.candidates} participants ranked ({counts}); "
               f"{done.appended} entries appended; the log now has {done.tree_size} entries")


def make_log_key(folder: Path) -> str | None:
    """For ``seleksi keys init``: make ``log.key`` if missing; a line saying so, or None."""
    if ensure_log_key(folder):
        return f"{LOG_KEY} (signs the public result log's tree heads, 0600)"
    return None


def register(main: click.Group) -> None:
    """Add ``seleksi log`` to the command line and the log key to ``seleksi keys init``."""
    from exam_server.cli import keys

    main.add_command(group)
    if make_log_key not in keys.AFTER_INIT:
        keys.AFTER_INIT.append(make_log_key)
