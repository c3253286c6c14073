"""Benchmark: candidates and scoreboard watchers against 1 and 2 server processes (PG + Redis).

Run from the repository root::

    .venv/bin/python bench/cluster_load.py --n 500 1000 2000 4000 --workers 1 2 \\
        --watchers 2000 --seconds 30 --json cluster.json --plot docs/performance-cluster.png

Issue 7 §4. For each N (smallest first) N participants are split into running sessions
(rooms) of at most ``--session-size`` (400: N = 4,000 is 10 sessions of one exam), made
through the real CLI on a new PostgreSQL database (``exam_load_setup.prepare``), and each
candidate's answers are planned from its session's answer key
(``scoreboard_fanout.build_plan``: a new question each second, a choice worth points, so
that a watcher can tell which push first reflects an answer). Then for each worker count,
on a copy of that database and a Redis channel of its own: ``seleksi serve --workers W``
(``cluster_load_servers``), ``--watchers`` raw Socket.IO watchers join the scoreboard of
one session each (watcher k session k % S), the N candidates log in with their own
session's room token, ``start`` and answer once a second each for ``--seconds`` (about
50 x a human's pace: an SKD paper is 110 questions in 100 minutes), open loop, through
``scoreboard_fanout.drive``. Candidate process i and watcher process j use worker i % W and
j % W (websocket only: any worker serves anyone). An answer's delay is timed at the
watchers of its own session. Every wait of the clients (log-in, connect, start, join, an
answer's ack) is ``--patience`` long, so that a saturated machine still gives figures; an
answer not acked within it counts as refused. The workers are then SIGKILLed and every
acked answer looked for in the database (``exam_load_report.check_journal``).

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
from itertools import zip_longest
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
    Instance,
    create_pg_database,
    drop_pg_database,
    prepare,
    session_tokens,
)
from scoreboard_fanout import build_plan, drive  # noqa: E402
from scoreboard_fanout_clients import CandidatePlan, WatcherPlan  # noqa: E402
from scoreboard_fanout_report import _fmt  # noqa: E402

sys.path.insert(0, str(BENCH.parent))  # first, so that bench/scoring.py hides no ``scoring``


def order_of(n: int, procs: int) -> list[int]:
    """Participant indices in the order of the merged tallies: candidate process j holds
    the participants j, j + procs, j + 2 procs, …"""
    return [i for j in range(procs) for i in range(j, n, procs)]


def track_sample(sessions: list[int], track: int) -> list[int]:
    """``track`` participant indices drawn at random, as evenly over the sessions as their
    sizes allow (``sessions[i]``: participant i's), sorted."""
    rng = random.Random("track")
    members: dict[int, list[int]] = {}
    for i, s in enumerate(sessions):
        members.setdefault(s, []).append(i)
    pools = [rng.sample(m, len(m)) for m in members.values()]
    drawn = [i for row in zip_longest(*pools) for i in row if i is not None]
    return sorted(drawn[:track])


def make_plans(cluster: Cluster, inst: Instance, tokens: dict[str, str],
               plan: dict[str, Any], args: argparse.Namespace, out: Path
               ) -> tuple[list[WatcherPlan], list[CandidatePlan], dict[str, Any]]:
    """The watcher and candidate processes' plans, and who is where in the raw results:
    ``tracked`` (the rows of the merged tallies that the watchers track),
    ``tracked_sessions`` and ``candidate_sessions`` (the session id of each tracked
    candidate and of each row), ``session_codes`` (id -> code).

    Watchers record arrivals only for ``--track`` participants drawn at random across the
    sessions (their arrays are watchers x tracked x answers: all N would not fit in memory
    at N = 4,000); a watcher sees only its own session's rows, the others stay NaN.
    """
    participants = [p for p, _ in inst.credentials]
    n, workers = len(participants), len(cluster.ports)
    ids = [plan["sessions"][code] for code in inst.sessions]
    session_of = [plan["sessions"][inst.session_of[p]] for p in participants]
    sample = track_sample(session_of, args.track)
    watched = [participants[i] for i in sample]
    totals = [[a[3] for a in plan["answers"][p]] for p in watched]
    share = [args.watchers // args.watcher_procs + (j < args.watchers % args.watcher_procs)
             for j in range(args.watcher_procs)]
    watch_plans = []
    for j, count in enumerate(c for c in share if c):
        k = sum(share[:j]) % len(ids)  # watcher k of the run joins session k % S
        watch_plans.append(WatcherPlan(
            index=j, url=cluster.urls[j % workers], session=ids[k], watchers=count,
            participants=watched, totals=totals, sessions=tuple(ids[k:] + ids[:k]),
            out=str(out.with_name(f"{out.name}-watchers-{j}")), call_timeout=args.patience))
    cand_plans = []
    for j in range(args.procs):
        mine = inst.credentials[j::args.procs]
        cand_plans.append(CandidatePlan(
            index=len(watch_plans) + j, url=cluster.urls[j % workers],
            session_token=tokens[inst.sessions[0]], credentials=mine,
            tokens=tuple(tokens[inst.session_of[p]] for p, _ in mine),
            answers=[[(a[0], a[1]) for a in plan["answers"][p]] for p, _ in mine],
            seed="cluster", out=str(out.with_name(f"{out.name}-candidates-{j}.json")),
            connect_concurrency=48, call_timeout=args.patience, answer_timeout=args.patience))
    rows = order_of(n, args.procs)
    row = {i: r for r, i in enumerate(rows)}
    return watch_plans, cand_plans, {
        "tracked": [row[i] for i in sample], "tracked_sessions": [session_of[i] for i in sample],
        "candidate_sessions": [session_of[i] for i in rows],
        "session_codes": {plan["sessions"][code]: code for code in inst.sessions}}


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
    print(f"N = {n}, {workers} worker(s): {args.watchers} watchers, {n} candidates in "
          f"{len(inst.sessions)} session(s), {args.seconds} s ...", flush=True)
    name = f"{template}_w{workers}"
    url = clone_database(template, name)
    try:
        env = {**inst.env, "DATABASE_URL": url}
        tokens = session_tokens(env, inst.folder, inst.sessions)
        cluster = start_cluster(workers, env, inst.folder, folder / f"n{n}-w{workers}.log")
        try:
            watch_plans, cand_plans, where = make_plans(
                cluster, inst, tokens, plan, args, folder / f"n{n}-w{workers}")
            raw = drive(cluster.pids, watch_plans, cand_plans)
        finally:
            kill_cluster(cluster)
            forget_channel(cluster.channel)
        raw.update(where)
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
        print(f"N = {n}: setting up {-(-n // args.session_size)} running session(s) of at "
              f"most {args.session_size} on PostgreSQL ({template}) ...", flush=True)
        t = time.perf_counter()
        try:
            inst = prepare(folder / f"site-{n}", n, create_pg_database(template),
                           session_size=args.session_size)
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
    parser.add_argument("--session-size", type=int, default=400,
                        help="participants per session (room) at most (default 400)")
    parser.add_argument("--watchers", type=int, default=2000,
                        help="scoreboard watchers, spread over the sessions (default 2000)")
    parser.add_argument("--seconds", type=int, default=30, help="answering time (default 30)")
    parser.add_argument("--procs", type=int, default=2,
                        help="candidate processes, a multiple of every --workers (default 2)")
    parser.add_argument("--watcher-procs", type=int, default=2,
                        help="watcher processes, a multiple of every --workers (default 2)")
    parser.add_argument("--track", type=int, default=200,
                        help="candidates whose answers the watchers time (default 200)")
    parser.add_argument("--patience", type=float, default=240.0,
                        help="the clients' time-out for log-in, connect, start, join and "
                             "each answer's ack, in seconds (default 240)")
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
            or not 1 <= args.track <= 2_000 or not 1 <= args.session_size <= 10_000
            or not 10 <= args.patience <= 280):
        parser.error("--n 1..10000, --workers 1..8, --watchers 1..20000, --seconds 1..100, "
                     "--procs and --watcher-procs 1..16, --track 1..2000, --session-size "
                     "1..10000, --patience 10..280")
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

