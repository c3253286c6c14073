"""Benchmark: the public scoreboard's fan-out to thousands of watchers on one server process.

Run from the repository root::

    .venv/bin/python bench/scoreboard_fanout.py --watchers 5000 --candidates 50 --seconds 30

Issue 6 §2: "fan-out must hold 5,000 watchers on one process", target p99 < 1 s from an
answer's ack to the update at all watchers. A running session of ``--candidates``
participants is made through the real CLI in a throwaway instance
(``exam_load_setup.prepare``). ``--watchers`` Socket.IO clients, split over ``--procs``
watcher processes (asyncio loops; a minimal websocket client by default, python-socketio's
``AsyncClient`` with ``--client sio``), connect to ``/scoreboard`` (websocket only) and
``join`` the session; then the candidates log in, ``start``, and answer once a second each
for ``--seconds``. Each candidate's answers are planned here from the session's own
answer key (a new question each time, a choice worth points), so every answer raises the
live total and a watcher can tell exactly which push first reflects it
(``scoreboard_fanout_clients``). Delay = that push's arrival at the watcher − the answer's
ack at the candidate.

The same clients run first against ``bench/scoreboard_bare_server.py`` (a bare Flask-SocketIO
gevent server that acks answers and pushes the same rows, coalesced the same way: the
baseline), then against ``seleksi serve``. Figures and ratios are printed (``--json FILE``
also writes them). See ``docs/performance.md``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from exam_load import _collect, set_autogroup_nice  # noqa: E402
from exam_load_servers import (  # noqa: E402
    ServerProcess,
    cpu_seconds_of,
    free_port,
    machine_busy_seconds,
    memory_mib_of,
    start_seleksi,
    start_server,
    stop,
)
from exam_load_setup import SESSION, Instance, prepare  # noqa: E402
from scoreboard_fanout_clients import (  # noqa: E402
    CandidatePlan,
    WatcherPlan,
    run_candidates,
    run_watchers,
)
from scoreboard_fanout_report import print_report, summarise, write_json  # noqa: E402

sys.path.insert(0, str(BENCH.parent))  # first, so that bench/scoring.py hides no ``scoring``

SETTLE = 3.0  # after the last ack, for the last flush (0.5 s) to reach every watcher


def build_plan(inst: Instance, seconds: int, seed: str) -> dict[str, Any]:
    """The first session's head and rows (as ``/scoreboard`` shows them), every session's
    id (``sessions``: code -> id) and, per participant, ``seconds`` answers that each raise
    the live total: a question not answered before and its label worth the most points
    (``OpenedSession.question_points``, what the journal adds up), with the row's sections
    and total after each."""
    from sqlalchemy.orm import sessionmaker

    from exam_server.db import make_engine
    from exam_server.session_papers import PaperCache
    from proctor_console.scoreboard import find_session_id, scoreboard_rows
    from question_bank.keys import load_public_key

    engine = make_engine(inst.database_url)
    try:
        factory = sessionmaker(engine)
        keys = Path(inst.env["SELEKSI_INSTANCE"]) / "keys" / "bank.pub"
        papers = PaperCache(factory, lambda: load_public_key(keys))
        ids: dict[str, int] = {}
        opened: dict[str, Any] = {}
        heads = []
        for code in inst.sessions:
            session_id = find_session_id(factory, code)
            if session_id is None:
                raise RuntimeError(f"no session {code}")
            ids[code], opened[code] = session_id, papers.get(session_id)
            heads.append(scoreboard_rows(factory, session_id, masked=True))
    finally:
        engine.dispose()
    info, rows = heads[0]
    codes = [s["code"] for s in info["sections"]]
    answers: dict[str, list[list[Any]]] = {}
    for participant, _ in inst.credentials:
        paper = opened[inst.session_of.get(participant, SESSION)]
        labels = paper.option_labels(participant)
        order = list(range(1, len(labels) + 1))
        random.Random(f"{seed}:{participant}").shuffle(order)
        sections = dict.fromkeys(codes, 0)
        planned: list[list[Any]] = []
        for q in order:
            best = max(labels[q - 1],
                       key=lambda label: sum(paper.question_points(participant, q, label)))
            points = paper.question_points(participant, q, best)
            if sum(points) <= 0:
                continue
            for code, p in zip(codes, points, strict=True):
                sections[code] += p
            planned.append([q, best, dict(sections), sum(sections.values())])
            if len(planned) == seconds:
                break
        if len(planned) < seconds:
            raise RuntimeError(f"{participant}: only {len(planned)} questions score points; "
                               f"use --seconds {len(planned)} or less")
        answers[participant] = planned
    return {"info": info, "rows": rows, "sessions": ids, "answers": answers}


def measure(server: ServerProcess, inst: Instance, plan: dict[str, Any],
            args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    """Watchers join, candidates start and answer; the raw results and the server's CPU and
    memory over each phase."""
    participants = [p for p, _ in inst.credentials]
    totals = [[a[3] for a in plan["answers"][p]] for p in participants]
    share = [args.watchers // args.procs + (i < args.watchers % args.procs)
             for i in range(args.procs)]
    watch_plans = [WatcherPlan(index=i, url=server.url, session=plan["info"]["id"],
                               watchers=share[i], participants=participants, totals=totals,
                               out=str(folder / f"{server.name}-watchers-{i}"),
                               client=args.client)
                   for i in range(args.procs)]
    cand_plan = CandidatePlan(index=args.procs, url=server.url,
                              session_token=inst.session_token, credentials=inst.credentials,
                              answers=[[(a[0], a[1]) for a in plan["answers"][p]]
                                       for p in participants],
                              seed="fanout", out=str(folder / f"{server.name}-candidates.json"))
    return drive([server.pid], watch_plans, [cand_plan])


def drive(pids: list[int], watch_plans: list[WatcherPlan],
          cand_plans: list[CandidatePlan]) -> dict[str, Any]:
    """Run watcher and candidate processes against the server processes ``pids``.

    The watchers join; then the candidates log in and start; then they answer while the
    watchers note the pushes, until :data:`SETTLE` seconds after the last ack.

    Parameters
    ----------
    pids : list of int
        The server processes (one, or a cluster's workers): their CPU time and resident
        memory are summed.
    watch_plans : list of WatcherPlan
        One per watcher process, with indices 0, 1, ….
    cand_plans : list of CandidatePlan
        One per candidate process, with the indices that follow the watchers'.

    Returns
    -------
    dict
        The raw results: ``candidates`` (the candidate processes' tallies merged, in the
        order of ``cand_plans`` and of their credentials), ``watchers``, ``joined``,
        ``started``, the phases' times, the servers' CPU seconds and summed RSS (MiB)
        before the watchers, once joined, once the candidates started (also per server
        process) and at the end.
    """
    if [p.index for p in watch_plans + cand_plans] != list(range(len(watch_plans)
                                                                 + len(cand_plans))):
        raise ValueError("plan indices must run 0, 1, … watchers first")
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    nw, nc = len(watch_plans), len(cand_plans)
    gos = [ctx.Queue() for _ in range(nw + nc)]
    workers = [ctx.Process(target=run_watchers, args=(p, queue, g), daemon=True)
               for p, g in zip(watch_plans, gos, strict=False)]
    workers += [ctx.Process(target=run_candidates, args=(p, queue, g), daemon=True)
                for p, g in zip(cand_plans, gos[nw:], strict=True)]
    for w in workers:
        w.start()
    try:
        _collect(queue, "ready", nw + nc, workers)
        rss_before, cpu0 = memory_mib_of(pids), cpu_seconds_of(pids)
        t0 = time.time() + 0.5
        for go in gos[:nw]:
            go.put(t0)
        joined = _collect(queue, "joined", nw, workers)
        cpu1, rss_joined = cpu_seconds_of(pids), memory_mib_of(pids)
        print(f"  {sum(j['joined'] for j in joined.values())} watchers joined in "
              f"{time.time() - t0:.1f} s; candidates log in ...", flush=True)
        for go in gos[nw:]:
            go.put(time.time())
        started = _collect(queue, "started", nc, workers)
        cpu_started, rss_each = cpu_seconds_of(pids), [memory_mib_of([p]) for p in pids]
        answer_from = time.time() + 1.0
        for go in gos:
            go.put(answer_from)
        time.sleep(max(0.0, answer_from - time.time()))
        cpu2, busy2 = cpu_seconds_of(pids), machine_busy_seconds()
        done = _collect(queue, "done", nc, workers)
        cpu_acked = cpu_seconds_of(pids)
        time.sleep(SETTLE)
        cpu3, busy3 = cpu_seconds_of(pids), machine_busy_seconds()
        phase = time.time() - answer_from
        rss_end = memory_mib_of(pids)
        for go in gos[:nw]:
            go.put("stop")
        watched = _collect(queue, "done", nw, workers)
    finally:
        for w in workers:
            w.join(timeout=60)
            if w.is_alive():
                w.kill()
    tallies = [json.loads(Path(done[p.index]["path"]).read_text(encoding="utf-8"))
               for p in cand_plans]
    errors: dict[str, int] = {}
    for s in started.values():
        for kind, count in s["errors"].items():
            errors[kind] = errors.get(kind, 0) + count
    return {"candidates": merge_tallies(tallies),
            "watchers": [watched[i] for i in sorted(watched)], "joined": joined,
            "started": {"started": sum(s["started"] for s in started.values()),
                        "errors": errors,
                        "max_started_s": max((s["max_started_s"] for s in started.values()
                                              if s["max_started_s"] is not None),
                                             default=None)},
            "answer_from": answer_from, "phase_s": phase,
            "cpu_join_s": cpu1 - cpu0, "cpu_start_s": cpu_started - cpu1,
            "cpu_answer_s": cpu_acked - cpu2, "cpu_phase_s": cpu3 - cpu2,
            "machine_busy_s": busy3 - busy2, "rss_before_mib": rss_before,
            "rss_joined_mib": rss_joined, "rss_started_mib": sum(rss_each),
            "rss_started_each_mib": rss_each, "rss_end_mib": rss_end}


def merge_tallies(tallies: list[dict[str, Any]]) -> dict[str, Any]:
    """The candidate processes' tallies (``scoreboard_fanout_clients.Tally``) as one."""
    refused: dict[str, int] = {}
    for t in tallies:
        for code, count in t["refused"].items():
            refused[code] = refused.get(code, 0) + count
    return {"sent": [row for t in tallies for row in t["sent"]],
            "acks": [row for t in tallies for row in t["acks"]],
            "latencies_ms": [x for t in tallies for x in t["latencies_ms"]],
            "refused": refused, "cpu_s": sum(t["cpu_s"] for t in tallies)}


def run(name: str, inst: Instance, plan: dict[str, Any], args: argparse.Namespace,
        folder: Path) -> dict[str, Any]:
    """Start one server, measure it, stop it; its figures."""
    print(f"{name}: {args.watchers} watchers, {args.candidates} candidates, "
          f"{args.seconds} s ...", flush=True)
    port = free_port()
    if name == "bare":
        plan_file = folder / "plan.json"
        plan_file.write_text(json.dumps(plan), encoding="utf-8")
        server = start_server("bare", [sys.executable, str(BENCH / "scoreboard_bare_server.py"),
                                       "--port", str(port), "--plan", str(plan_file)],
                              dict(inst.env), port, folder / "bare.log", folder)
    else:
        server = start_seleksi(port, inst.env, inst.folder)
    try:
        raw = measure(server, inst, plan, args, folder)
    finally:
        stop(server)
    return summarise(name, raw)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--watchers", type=int, default=5000, help="watchers (default 5000)")
    parser.add_argument("--candidates", type=int, default=50, help="candidates (default 50)")
    parser.add_argument("--seconds", type=int, default=30, help="answering time (default 30)")
    parser.add_argument("--procs", type=int, default=4, help="watcher processes (default 4)")
    parser.add_argument("--client", choices=("raw", "sio"), default="raw",
                        help="watcher client: a minimal Socket.IO websocket client (raw, "
                             "default) or python-socketio's AsyncClient (sio: ~5 x the CPU "
                             "per push, too much for 5,000 watchers on 2 cores)")
    parser.add_argument("--only", choices=("bare", "server", "both"), default="both")
    parser.add_argument("--nice", type=int, default=None,
                        help="scheduler niceness of this run's autogroup, e.g. -10 (root)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--keep", action="store_true",
                        help="keep the work folder (instance, logs, client results)")
    args = parser.parse_args(argv)
    if (not 1 <= args.watchers <= 20_000 or not 1 <= args.candidates <= 2_000
            or not 1 <= args.seconds <= 100 or not 1 <= args.procs <= 16):
        parser.error("--watchers 1..20000, --candidates 1..2000, --seconds 1..100, "
                     "--procs 1..16")
    if args.nice is not None:
        set_autogroup_nice(args.nice)
    folder = Path(tempfile.mkdtemp(prefix="seleksi-fanout-"))
    results: dict[str, dict[str, Any]] = {}
    try:
        print(f"setting up a running session of {args.candidates} participants ...",
              flush=True)
        inst = prepare(folder / "site", args.candidates, None)
        plan = build_plan(inst, args.seconds, "fanout")
        print(f"  done in {inst.setup_seconds:.0f} s", flush=True)
        for name in ("bare", "server"):
            if args.only in (name, "both"):
                results[name] = run(name, inst, plan, args, folder)
    finally:
        if args.keep:
            print(f"work folder kept: {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    ratios = print_report(results, args)
    if args.json:
        write_json(args.json, results, ratios, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
