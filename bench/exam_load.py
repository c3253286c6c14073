"""Benchmark: N real Socket.IO candidates against the exam server, beside a bare echo ceiling.

Run from the repository root::

    .venv/bin/python bench/exam_load.py --n 1000 --seconds 30 --db sqlite --only both

N ``socketio.AsyncClient`` candidates (websocket only), split over ``--procs`` client
processes (default 2), log in over HTTP and ``start`` together, then each answers one random
question per second for ``--seconds`` with an increasing ``seq``. The same clients run first
against ``bench/bare_echo_server.py`` (Flask-SocketIO on gevent whose ``answer`` only acks:
the ceiling), then against ``seleksi serve`` on a running session made through the real CLI
in a throwaway instance (``bench/exam_load_setup.py``). After the server run the server is
killed with SIGKILL and the database read back: every acked answer must be there with its
last acked choice. Figures, ratios and the targets of issue 5 §8 are printed; ``--json FILE``
also writes them. See ``docs/performance.md``.

One run's p99 is noisy, so ``--rounds K`` (1..10, default 1) repeats the whole: each round
runs the bare server, then the real server on a site prepared afresh for that round (a new
instance, and with ``--db pg`` a new database, dropped after the round), so every server
round starts from an untouched running session. With K > 1 a line per round is printed
(p99 of each side and their ratio, when all had started, CPU per ack, lost), then the table,
ratios and targets over the rounds pooled (``exam_load_report`` says how: percentiles of all
rounds' latencies together, totals for counts and CPU, the worst round's start), and the
median and range of the per-round p99 ratios. ``--json`` holds the pooled and the per-round
figures. With ``--only``, the rounds run that side alone.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import queue as queue_module
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))
sys.path.insert(0, str(BENCH))

from exam_load_clients import ClientPlan, run  # noqa: E402
from exam_load_report import check_journal, print_report, summarise  # noqa: E402
from exam_load_servers import (  # noqa: E402
    ServerProcess,
    cpu_seconds,
    free_port,
    machine_busy_seconds,
    memory_mib,
    start_bare,
    start_seleksi,
    stop,
)
from exam_load_setup import (  # noqa: E402
    Instance,
    create_pg_database,
    drop_pg_database,
    participant_number,
    prepare,
)

PHASE_TIMEOUT = 600.0  # the most any one phase (start, answering) may take


def measure(server: ServerProcess, credentials: list[tuple[str, str]], session_token: str,
            seconds: int, procs: int, folder: Path) -> dict[str, Any]:
    """Run the client processes against ``server``; the raw per-process results and
    the server's CPU and memory over each phase."""
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    gos = [ctx.Queue() for _ in range(procs)]
    plans = [ClientPlan(index=i, url=server.url, session_token=session_token,
                        credentials=credentials[i::procs], seconds=seconds, seed="bench",
                        out=str(folder / f"{server.name}-clients-{i}.json"))
             for i in range(procs)]
    workers = [ctx.Process(target=run, args=(plan, queue, go), daemon=True)
               for plan, go in zip(plans, gos, strict=True)]
    for w in workers:
        w.start()
    try:
        _collect(queue, "ready", procs, workers)
        cpu0 = cpu_seconds(server.pid)
        t0 = time.time() + 0.5
        for go in gos:
            go.put(t0)
        started = _collect(queue, "started", procs, workers)
        cpu1, rss_started = cpu_seconds(server.pid), memory_mib(server.pid)[0]
        answer_from = time.time() + 1.0
        for go in gos:
            go.put(answer_from)
        time.sleep(max(0.0, answer_from - time.time()))
        cpu2, busy2 = cpu_seconds(server.pid), machine_busy_seconds()
        paths = _collect(queue, "done", procs, workers)
        cpu3, busy3 = cpu_seconds(server.pid), machine_busy_seconds()
        rss, peak = memory_mib(server.pid)
    finally:
        for w in workers:
            w.join(timeout=30)
            if w.is_alive():
                w.kill()
    return {"clients": [json.loads(Path(p).read_text()) for p in paths.values()],
            "started": started, "answer_from": answer_from,
            "cpu_start_s": cpu1 - cpu0, "cpu_answer_s": cpu3 - cpu2,
            "machine_busy_s": busy3 - busy2, "answer_phase_s": time.time() - answer_from,
            "rss_started_mib": rss_started, "rss_mib": rss, "peak_rss_mib": peak}


def _collect(queue: Any, kind: str, procs: int, workers: list[Any]) -> dict[int, Any]:
    got: dict[int, Any] = {}
    deadline = time.monotonic() + PHASE_TIMEOUT
    while len(got) < procs:
        if time.monotonic() > deadline:
            raise RuntimeError(f"client processes did not all report {kind!r} in time")
        try:
            message, index, payload = queue.get(timeout=1.0)
        except queue_module.Empty:
            dead = [w.exitcode for w in workers if w.exitcode not in (None, 0)]
            if dead:
                raise RuntimeError(f"a client process died (exit {dead}) before {kind!r}"
                                   ) from None
            continue
        if message != kind:
            raise RuntimeError(f"client process {index} said {message!r}, expected {kind!r}")
        got[index] = payload
    return got


def slim(raw: dict[str, Any]) -> dict[str, Any]:
    """``raw`` without each candidate's answers and paper labels, which only the journal check
    reads: what is kept for :func:`summarise` stays small over many rounds."""
    for proc in raw["clients"]:
        for c in proc["candidates"]:
            c.pop("sent", None)
            c.pop("labels", None)
    return raw


def run_bare(credentials: list[tuple[str, str]], token: str, args: argparse.Namespace,
             folder: Path) -> dict[str, Any]:
    """The ceiling: the same clients against the bare echo server; the raw results."""
    server = start_bare(free_port(), folder)
    try:
        raw = measure(server, credentials, token, args.seconds, args.procs, folder)
    finally:
        stop(server)
    return slim(raw)


def prepare_site(args: argparse.Namespace, folder: Path) -> tuple[Instance, str | None]:
    """A real running session of ``args.n`` participants (and the PostgreSQL database made
    for it, if any)."""
    pg_name = f"seleksi_bench_{os.getpid()}" if args.db == "pg" else None
    url = create_pg_database(pg_name) if pg_name else None
    try:
        print(f"setting up a running session of {args.n} participants "
              f"({'PostgreSQL ' + pg_name if pg_name else 'SQLite'}) ...", flush=True)
        inst = prepare(folder / "site", args.n, url)
        print(f"  done in {inst.setup_seconds:.0f} s", flush=True)
        return inst, pg_name
    except BaseException:
        if pg_name:
            drop_pg_database(pg_name)
        raise


def measure_server(inst: Instance, args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    """The real server: ``seleksi serve`` on the prepared instance; SIGKILL, then the journal.
    The raw results, with the journal check in ``raw["journal"]``."""
    server = start_seleksi(free_port(), inst.env, inst.folder)
    try:
        raw = measure(server, inst.credentials, inst.session_token, args.seconds, args.procs,
                      folder)
    finally:
        stop(server, signal.SIGKILL)  # an ack means committed: a kill must lose nothing
    raw["journal"] = check_journal(raw["clients"], inst.database_url)
    return slim(raw)


def run_round(args: argparse.Namespace, folder: Path) -> dict[str, dict[str, Any]]:
    """One round in ``folder``: a site prepared afresh (unless ``--only bare``), the bare run,
    then the server run; the raw results by side."""
    inst, pg_name = prepare_site(args, folder) if args.only != "bare" else (None, None)
    raws: dict[str, dict[str, Any]] = {}
    try:
        credentials = inst.credentials if inst else [
            (participant_number(i), "000000") for i in range(1, args.n + 1)]
        token = inst.session_token if inst else "BENCH1"
        if args.only in ("bare", "both"):
            print(f"bare echo server: {args.n} candidates, {args.seconds} s ...", flush=True)
            raws["bare"] = run_bare(credentials, token, args, folder)
        if inst is not None:
            print(f"seleksi serve ({args.db}): {args.n} candidates, {args.seconds} s ...",
                  flush=True)
            raws["server"] = measure_server(inst, args, folder)
    finally:
        if pg_name:
            drop_pg_database(pg_name)
    return raws


def set_autogroup_nice(nice: int) -> None:
    """Give this session's scheduler autogroup (what this process and its children share)
    the niceness ``nice``. With autogroups on, a process's own nice only weighs against
    processes of its session; the autogroup's weighs against every other session."""
    if not -20 <= nice <= 19:
        raise SystemExit("--nice must be in -20..19")
    Path("/proc/self/autogroup").write_text(str(nice))
    print(f"autogroup niceness {nice}: {Path('/proc/self/autogroup').read_text().strip()}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="candidates (default 1000)")
    parser.add_argument("--seconds", type=int, default=30, help="answering time (default 30)")
    parser.add_argument("--db", choices=("sqlite", "pg"), default="sqlite")
    parser.add_argument("--only", choices=("bare", "server", "both"), default="both")
    parser.add_argument("--procs", type=int, default=2, help="client processes (default 2)")
    parser.add_argument("--nice", type=int, default=None,
                        help="scheduler niceness of this run's autogroup (the benchmark, its "
                             "servers and clients), e.g. -10 (root): other work on the machine "
                             "then skews the figures less")
    parser.add_argument("--rounds", type=int, default=1,
                        help="rounds of bare + server run, each server round on a fresh site; "
                             "figures pooled over them (default 1, at most 10)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--keep", action="store_true",
                        help="keep the work folder (instance, logs, client results)")
    args = parser.parse_args(argv)
    if (not 1 <= args.n <= 10_000 or not 1 <= args.seconds <= 600 or not 1 <= args.procs <= 8
            or not 1 <= args.rounds <= 10):
        parser.error("--n 1..10000, --seconds 1..600, --procs 1..8, --rounds 1..10")
    if args.nice is not None:
        set_autogroup_nice(args.nice)
    folder = Path(tempfile.mkdtemp(prefix="seleksi-bench-"))
    rounds: list[dict[str, dict[str, Any]]] = []
    try:
        for i in range(1, args.rounds + 1):
            where = folder
            if args.rounds > 1:
                print(f"round {i}/{args.rounds}:", flush=True)
                where = folder / f"round-{i}"
                where.mkdir()
            rounds.append(run_round(args, where))
            if where != folder and not args.keep:
                shutil.rmtree(where, ignore_errors=True)
    finally:
        if args.keep:
            print(f"work folder kept: {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    per_round = [{side: summarise(side, [raw], args.n, args.seconds) for side, raw in r.items()}
                 for r in rounds]
    results = {side: summarise(side, [r[side] for r in rounds], args.n, args.seconds)
               for side in rounds[0]}
    print_report(results, args.n, args.seconds, args.db, per_round)
    if args.json:
        args.json.write_text(json.dumps({"n": args.n, "seconds": args.seconds, "db": args.db,
                                         "rounds": args.rounds, "results": results,
                                         "per_round": per_round}, indent=2), encoding="utf-8")
    server = results.get("server")
    return 1 if server and server["journal"]["lost"] else 0


if __name__ == "__main__":
    sys.exit(main())
