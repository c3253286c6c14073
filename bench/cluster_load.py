"""Benchmark: candidates and scoreboard watchers against 1 and 2 server processes (PG + Redis).

Run from the repository root::

    .venv/bin/python bench/cluster_load.py --n 500 1000 2000 4000 --workers 1 2 \\
        --watchers 2000 --seconds 30 --json cluster.json --plot docs/performance-cluster.png

Issue 7 §4. For each N (smallest first) a running session of N participants is made through
the real CLI on a new PostgreSQL database (``exam_load_setup.prepare``) and each candidate's
answers are planned from the session's answer key (``scoreboard_fanout.build_plan``: a new
question each second, a choice worth points, so that a watcher can tell which push first
reflects an answer). Then for each worker count, on a copy of that database and a Redis
channel of its own: ``seleksi serve --workers W`` (``cluster_load_servers``), ``--watchers``
raw Socket.IO watchers join the session's scoreboard, the N candidates log in, ``start``
and answer once a second each for ``--seconds`` (about 50 x a human's pace: an SKD paper is
110 questions in 100 minutes), open loop, through ``scoreboard_fanout.drive``. Candidate i
and watcher process j use worker i % W and j % W (websocket only: any worker serves
anyone). The workers are then SIGKILLed and every acked answer looked for in the database
(``exam_load_report.check_journal``).

The baseline is the smallest worker count of the same sweep: per N, the ratios W/1 of acks
per second, ack p99, watcher delay p99, CPU per ack and memory per connection are printed,
and the growth of each with N. Nothing is asserted; the exit status is 1 when an acked
answer was lost. See ``docs/performance.md``.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from cluster_load_report import plot, print_report, summarise, write_json  # noqa: E402
from cluster_load_servers import (  # noqa: E402
    Cluster,
    clone_database,
    forget_channel,
    kill_cluster,
    raise_open_files,
    start_cluster,
)
from exam_load import set_autogroup_nice  # noqa: E402
from exam_load_report import check_journal  # noqa: E402
from exam_load_setup import (  # noqa: E402
    SESSION,
    Instance,
    _cli,
    create_pg_database,
    drop_pg_database,
    prepare,
)
from scoreboard_fanout import build_plan, drive  # noqa: E402
from scoreboard_fanout_clients import CandidatePlan, WatcherPlan  # noqa: E402
from scoreboard_fanout_report import _fmt  # noqa: E402

sys.path.insert(0, str(BENCH.parent))  # first, so that bench/scoring.py hides no ``scoring``


def order_of(n: int, procs: int) -> list[int]:
    """Participant indices in the order of the merged tallies: candidate process j holds
    the participants j, j + procs, j + 2 procs, …"""
    return [i for j in range(procs) for i in range(j, n, procs)]


def make_plans(cluster: Cluster, inst: Instance, token: str, plan: dict[str, Any],
               args: argparse.Namespace, out: Path) -> tuple[list[WatcherPlan],
                                                             list[CandidatePlan], list[int]]:
    """The watcher and candidate processes' plans, and the rows of the merged tallies that
    the watchers track.

    Watchers record arrivals only for ``--track`` participants drawn at random (their arrays
    are watchers x tracked x answers: all N would not fit in memory at N = 4,000).
    """
    participants = [p for p, _ in inst.credentials]
    n, workers = len(participants), len(cluster.ports)
    sample = sorted(random.Random("track").sample(range(n), min(args.track, n)))
    watched = [participants[i] for i in sample]
    totals = [[a[3] for a in plan["answers"][p]] for p in watched]
    share = [args.watchers // args.watcher_procs + (j < args.watchers % args.watcher_procs)
             for j in range(args.watcher_procs)]
    watch_plans = [WatcherPlan(index=j, url=cluster.urls[j % workers],
                               session=plan["info"]["id"], watchers=count,
                               participants=watched, totals=totals,
                               out=str(out.with_name(f"{out.name}-watchers-{j}")))
                   for j, count in enumerate(c for c in share if c)]
    cand_plans = []
    for j in range(args.procs):
        mine = inst.credentials[j::args.procs]
        cand_plans.append(CandidatePlan(
            index=len(watch_plans) + j, url=cluster.urls[j % workers], session_token=token,
            credentials=mine, answers=[[(a[0], a[1]) for a in plan["answers"][p]]
                                       for p, _ in mine],
            seed="cluster", out=str(out.with_name(f"{out.name}-candidates-{j}.json")),
            connect_concurrency=48))
    row = {i: r for r, i in enumerate(order_of(n, args.procs))}
    return watch_plans, cand_plans, [row[i] for i in sample]


def sent_records(raw: dict[str, Any], inst: Instance, plan: dict[str, Any],
                 procs: int) -> list[dict[str, Any]]:
    """The candidates' answers as ``exam_load_report.check_journal`` reads them: one client
    process holding every candidate, each with ``[seq, q, choice, acked]`` per answer sent."""
    participants = [p for p, _ in inst.credentials]
    tally = raw["candidates"]
    candidates = []
    for r, i in enumerate(order_of(len(participants), procs)):
        p = participants[i]
        candidates.append({"participant": p, "sent": [
            [k + 1, q, label, tally["acks"][r][k] is not None]
            for k, (q, label, _, _) in enumerate(plan["answers"][p])
            if tally["sent"][r][k] is not None]})
    return [{"candidates": candidates}]


def run_one(inst: Instance, plan: dict[str, Any], template: str, workers: int,
            args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    """One point of the sweep: a copy of the database, the cluster, the clients, SIGKILL,
    the journal check; its figures."""
    n = len(inst.credentials)
    print(f"N = {n}, {workers} worker(s): {args.watchers} watchers, {n} candidates, "
          f"{args.seconds} s ...", flush=True)
    name = f"{template}_w{workers}"
    url = clone_database(template, name)
    try:
        env = {**inst.env, "DATABASE_URL": url}
        token = _cli(env, inst.folder, "session", "token", SESSION).strip()
        cluster = start_cluster(workers, env, inst.folder, folder / f"n{n}-w{workers}.log")
        try:
            watch_plans, cand_plans, tracked = make_plans(
                cluster, inst, token, plan, args, folder / f"n{n}-w{workers}")
            raw = drive(cluster.pids, watch_plans, cand_plans)
        finally:
            kill_cluster(cluster)
            forget_channel(cluster.channel)
        raw["tracked"] = tracked
        journal = check_journal(sent_records(raw, inst, plan, args.procs), url)
    finally:
        drop_quietly(name)
    result = summarise(raw, n, workers, journal)
    print(f"  {_fmt(result['acks_per_s'], '.0f')} acks/s, ack p99 "
          f"{_fmt(result['ack_p99_ms'], '.0f')} ms, watchers p99 "
          f"{_fmt(result['all_p99_ms'], '.0f')} ms, {result['lost']} lost", flush=True)
    return result


def sweep(args: argparse.Namespace, folder: Path) -> list[dict[str, Any]]:
    """Every N (smallest first) on every worker count; the runs' figures."""
    run_id = uuid.uuid4().hex[:12]
    runs = []
    for n in sorted(set(args.n)):
        template = f"bench_{run_id}_n{n}"
        print(f"N = {n}: setting up a running session on PostgreSQL ({template}) ...",
              flush=True)
        t = time.perf_counter()
        try:
            inst = prepare(folder / f"site-{n}", n, create_pg_database(template))
            plan = build_plan(inst, args.seconds, "cluster")
            print(f"  done in {time.perf_counter() - t:.0f} s", flush=True)
            for workers in args.workers:
                runs.append(run_one(inst, plan, template, workers, args, folder))
        finally:
            drop_quietly(template)
    return runs


def drop_quietly(name: str) -> None:
    """Drop database ``name``; if that fails (PostgreSQL gone), say so and go on, so that
    the error that stopped the run is the one shown."""
    try:
        drop_pg_database(name)
    except Exception as exc:  # reported, not raised: cleanup must not hide the cause
        print(f"could not drop database {name} ({type(exc).__name__}: {exc}); drop it "
              f"by hand", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, nargs="+", default=[500, 1000, 2000, 4000],
                        help="candidates, one run each (default 500 1000 2000 4000)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2],
                        help="server processes, one run each; the smallest is the baseline "
                             "(default 1 2)")
    parser.add_argument("--watchers", type=int, default=2000,
                        help="scoreboard watchers (default 2000)")
    parser.add_argument("--seconds", type=int, default=30, help="answering time (default 30)")
    parser.add_argument("--procs", type=int, default=2,
                        help="candidate processes, a multiple of every --workers (default 2)")
    parser.add_argument("--watcher-procs", type=int, default=2,
                        help="watcher processes, a multiple of every --workers (default 2)")
    parser.add_argument("--track", type=int, default=200,
                        help="candidates whose answers the watchers time (default 200)")
    parser.add_argument("--nice", type=int, default=None,
                        help="scheduler niceness of this run's autogroup, e.g. -10 (root)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--plot", type=Path, help="also draw the growth with N (PNG)")
    parser.add_argument("--keep", action="store_true",
                        help="keep the work folder (instances, server logs, client results)")
    args = parser.parse_args(argv)
    if (not all(1 <= n <= 10_000 for n in args.n) or not all(1 <= w <= 8 for w in args.workers)
            or not 1 <= args.watchers <= 20_000 or not 1 <= args.seconds <= 100
            or not 1 <= args.procs <= 16 or not 1 <= args.watcher_procs <= 16
            or not 1 <= args.track <= 2_000):
        parser.error("--n 1..10000, --workers 1..8, --watchers 1..20000, --seconds 1..100, "
                     "--procs and --watcher-procs 1..16, --track 1..2000")
    if any(args.procs % w or args.watcher_procs % w for w in args.workers):
        parser.error("--procs and --watcher-procs must be multiples of every --workers, so "
                     "that candidates and watchers spread evenly over the workers")
    args.workers = sorted(set(args.workers))
    print(f"open files per process: {raise_open_files()}")
    if args.nice is not None:
        set_autogroup_nice(args.nice)
    folder = Path(tempfile.mkdtemp(prefix="seleksi-cluster-"))
    try:
        runs = sweep(args, folder)
    finally:
        if args.keep:
            print(f"work folder kept: {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    found = print_report(runs, args)
    if args.json:
        write_json(args.json, runs, found, args)
    if args.plot:
        plot(args.plot, runs, args)
        print(f"plot written to {args.plot}")
    return 1 if any(r["lost"] for r in runs) else 0


if __name__ == "__main__":
    sys.exit(main())

