"""Figures of ``bench/cluster_load.py``: one run's summary, the tables, the ratios, the plot.

A run's figures extend those of ``scoreboard_fanout_report.summarise`` (watcher delays,
pushes, CPU and memory of the server processes, summed over the workers) with the
candidates' side as ``exam_load`` reports it: acks per second (acked answers over the time
from the start of answering to the last ack), ack p50/p99/max, server CPU per ack (the
workers' CPU from the start of answering to the last ack, over the acks), memory per
connection ((summed RSS once every candidate started − summed RSS before the watchers) /
(candidates started + watchers joined)), and the journal check after SIGKILL. Per session
(room): its watchers (and how many had pushes while answering), candidates, acked answers
and the delay to its last watcher; the watcher delays overall are each answer's at the
watchers of its own session (``scoreboard_fanout_report.delays``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
from scoreboard_fanout_report import _fmt
from scoreboard_fanout_report import summarise as fanout_summary


def summarise(raw: dict[str, Any], n: int, workers: int, journal: dict[str, Any]
              ) -> dict[str, Any]:
    """One run's figures (N candidates on ``workers`` server processes).

    Parameters
    ----------
    raw : dict
        What ``scoreboard_fanout.drive`` returned, with ``tracked``, ``tracked_sessions``,
        ``candidate_sessions`` and ``session_codes`` set (``cluster_load.make_plans``).
    n, workers : int
        Candidates in the session; server processes.
    journal : dict
        ``exam_load_report.check_journal`` of the run.

    Returns
    -------
    dict
        The figures, JSON-ready.
    """
    out = fanout_summary(f"N={n} workers={workers}", raw)
    cand = raw["candidates"]
    latencies = np.array(cand["latencies_ms"], dtype=float)
    acked = out["answers_acked"]
    last_ack = max((t for row in cand["acks"] for t in row if t is not None), default=None)
    span = last_ack - raw["answer_from"] if last_ack else None
    started = raw["started"]["started"]
    joined = out["watchers_joined"]
    connected = started + joined
    before, with_watchers = raw["rss_before_mib"], raw["rss_joined_mib"]
    all_in = raw["rss_started_mib"]
    out.update({
        "n": n, "workers": workers, "start_errors": raw["started"]["errors"],
        "all_started_s": raw["started"]["max_started_s"] if started == n else None,
        "ack_max_ms": float(latencies.max()) if latencies.size else None,
        "acks_per_s": acked / span if span else None,
        "cpu_start_s": raw["cpu_start_s"],
        "cpu_ms_per_start": raw["cpu_start_s"] * 1000 / started if started else None,
        "cpu_answer_s": raw["cpu_answer_s"],
        "cpu_ms_per_ack": raw["cpu_answer_s"] * 1000 / acked if acked else None,
        "rss_started_mib": all_in, "rss_started_each_mib": raw["rss_started_each_mib"],
        "kib_per_candidate": (all_in - with_watchers) * 1024 / started if started else None,
        "kib_per_connection": (all_in - before) * 1024 / connected if connected else None,
        "journal": journal, "lost": journal["lost"],
        "sessions": len(raw["session_codes"]),
        "per_session": per_session(raw, out.pop("all_p99_by_session")),
    })
    return out


def per_session(raw: dict[str, Any], p99: dict[int, float | None]
                ) -> dict[str, dict[str, Any]]:
    """Per session code: watchers, watchers with pushes while answering, candidates, acked
    answers, and the p99 delay from ack to its last watcher (its tracked answers only;
    ``p99``, per session id, from ``scoreboard_fanout_report.delays``)."""
    pushes = [(s, n) for w in raw["watchers"] for s, n in zip(w["sessions"], w["pushes"],
                                                              strict=True)]
    acks = raw["candidates"]["acks"]
    out = {}
    for sid, code in raw["session_codes"].items():
        rows = [r for r, s in enumerate(raw["candidate_sessions"]) if s == sid]
        out[code] = {"watchers": sum(1 for s, _ in pushes if s == sid),
                     "watchers_pushed": sum(1 for s, n in pushes if s == sid and n),
                     "candidates": len(rows),
                     "acked": sum(t is not None for r in rows for t in acks[r]),
                     "all_p99_ms": p99.get(sid)}
    return out


def _pair(r: dict[str, Any], a: str, b: str, spec: str) -> str:
    return f"{_fmt(r[a], spec)} / {_fmt(r[b], spec)}"


# (header, width, cell)
ANSWERS = (
    ("all started (s)", 15, lambda r: _fmt(r["all_started_s"], ".1f")),
    ("acked / offered", 17, lambda r: f"{r['answers_acked']} / {r['answers_offered']}"),
    ("acks/s", 7, lambda r: _fmt(r["acks_per_s"], ".0f")),
    ("ack p50 / p99 / max (ms)", 25,
     lambda r: f"{_pair(r, 'ack_p50_ms', 'ack_p99_ms', '.0f')} / {_fmt(r['ack_max_ms'], '.0f')}"),
    ("lost", 5, lambda r: str(r["lost"])),
    ("watchers all p50 / p99 (ms)", 28, lambda r: _pair(r, "all_p50_ms", "all_p99_ms", ".0f")),
    ("pairs missed", 13, lambda r: str(r["pairs_missing"])),
)
RESOURCES = (
    ("CPU ms/ack", 11, lambda r: _fmt(r["cpu_ms_per_ack"], ".2f")),
    ("CPU s answering", 16, lambda r: _fmt(r["cpu_answer_s"], ".1f")),
    ("CPU ms/start", 13, lambda r: _fmt(r["cpu_ms_per_start"], ".2f")),
    ("RSS idle / all in (MiB)", 24, lambda r: _pair(r, "rss_before_mib", "rss_started_mib", ".0f")),
    ("per worker (MiB)", 17, lambda r: " + ".join(f"{x:.0f}" for x in r["rss_started_each_mib"])),
    ("KiB/conn", 9, lambda r: _fmt(r["kib_per_connection"], ".1f")),
    ("KiB/cand / watcher", 19, lambda r: _pair(r, "kib_per_candidate", "kib_per_watcher", ".1f")),
    ("push KiB", 9, lambda r: _fmt(r["push_chars"] / 1024 if r["push_chars"] else None, ".1f")),
    ("others' CPU s", 14, lambda r: _fmt(r["others_cpu_s"], ".1f")),
)
RATIOS = (("acks/s", "acks_per_s"), ("ack p99", "ack_p99_ms"),
          ("watchers p99", "all_p99_ms"), ("CPU per ack", "cpu_ms_per_ack"),
          ("memory per connection", "kib_per_connection"))


def _table(title: str, runs: list[dict[str, Any]], columns: Any) -> None:
    print(f"\n{title}")
    print(f"{'N':>6} {'sessions':>8} {'workers':>8}"
          + "".join(f" {h:>{w}}" for h, w, _ in columns))
    for r in runs:
        print(f"{r['n']:>6} {r['sessions']:>8} {r['workers']:>8}"
              + "".join(f" {cell(r):>{w}}" for _, w, cell in columns))


def ratios(runs: list[dict[str, Any]]) -> dict[str, dict[str, dict[str, float | None]]]:
    """Per N and per worker count other than the baseline (the smallest, run in the same
    sweep): each figure of :data:`RATIOS` over the baseline's. ``{N: {workers: {key: x}}}``."""
    base_workers = min(r["workers"] for r in runs)
    out: dict[str, dict[str, dict[str, float | None]]] = {}
    for base in (r for r in runs if r["workers"] == base_workers):
        for r in runs:
            if r["n"] != base["n"] or r["workers"] == base_workers:
                continue
            out.setdefault(str(r["n"]), {})[str(r["workers"])] = {
                key: r[key] / base[key] if r[key] and base[key] else None
                for _, key in RATIOS}
    return out


def print_report(runs: list[dict[str, Any]], args: Any) -> dict[str, Any]:
    """The two tables (answers and watchers; resources), the ratios against the baseline
    worker count and the growth with N; the ratios."""
    print(f"\n== cluster load: PostgreSQL + Redis, {args.watchers} scoreboard watchers spread "
          f"over sessions of at most {args.session_size} candidates, answering once a second "
          f"for {args.seconds} s (clients' patience {args.patience:.0f} s)")
    _table("answers and watchers (watcher delay: ack -> the push at the last watcher)",
           runs, ANSWERS)
    _table("server processes (CPU and RSS summed over the workers)", runs, RESOURCES)
    for r in runs:
        if r["start_errors"] or r["answers_refused"] or r["join_errors"]:
            print(f"N={r['n']} workers={r['workers']}: start errors {r['start_errors']}, "
                  f"answers refused {r['answers_refused']}, join errors {r['join_errors']}")
        for line in r["journal"]["examples"]:
            print(f"N={r['n']} workers={r['workers']} lost: {line}")
    print("\nper session: watchers (with pushes) / candidates / acked / watchers p99 (ms)")
    for r in runs:
        print(f"N={r['n']} workers={r['workers']}: " + "; ".join(
            f"{code} {x['watchers']} ({x['watchers_pushed']}) / {x['candidates']} / "
            f"{x['acked']} / {_fmt(x['all_p99_ms'], '.0f')}"
            for code, x in r["per_session"].items()))
    found = ratios(runs)
    if found:
        base = min(r["workers"] for r in runs)
        print(f"\nratios against {base} worker(s), same N, same sweep")
        print(f"{'N':>6} {'workers':>8}" + "".join(f" {label:>22}" for label, _ in RATIOS))
        for n, per in found.items():
            for w, values in per.items():
                print(f"{n:>6} {w:>8}" + "".join(f" {_fmt(values[key], '.2f') + ' x':>22}"
                                                  for _, key in RATIOS))
    growth(runs)
    return found


def growth(runs: list[dict[str, Any]]) -> None:
    """Each figure of :data:`RATIOS` at every N over its value at the smallest N, per worker
    count: how it grows with the room."""
    n0 = min(r["n"] for r in runs)
    lines = []
    for first in (r for r in runs if r["n"] == n0):
        for r in runs:
            if r["workers"] == first["workers"] and r["n"] != n0:
                lines.append(f"{r['n']:>6} {r['workers']:>8}" + "".join(
                    f" {_fmt(r[k] / first[k] if r[k] and first[k] else None, '.2f') + ' x':>22}"
                    for _, k in RATIOS))
    if lines:
        print(f"\ngrowth against N = {n0}, same worker count")
        print(f"{'N':>6} {'workers':>8}" + "".join(f" {label:>22}" for label, _ in RATIOS))
        print("\n".join(lines))


def write_json(path: Path, runs: list[dict[str, Any]], found: dict[str, Any], args: Any) -> None:
    """Every run's figures and the ratios."""
    path.write_text(json.dumps({"n": args.n, "workers": args.workers,
                                "session_size": args.session_size, "patience": args.patience,
                                "watchers": args.watchers, "seconds": args.seconds,
                                "procs": args.procs, "watcher_procs": args.watcher_procs,
                                "track": args.track, "runs": runs, "ratios": found},
                               indent=2), encoding="utf-8")


PANELS = (("acks per second", "acks_per_s", False), ("ack p99 (ms)", "ack_p99_ms", True),
          ("watcher delay p99, all watchers (ms)", "all_p99_ms", True),
          ("server memory per connection (KiB)", "kib_per_connection", False))


def plot(path: Path, runs: list[dict[str, Any]], args: Any) -> None:
    """A PNG of :data:`PANELS` against N, one line per worker count (Agg, no network)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter, LogLocator

    fig, axes = plt.subplots(2, 2, figsize=(10, 7.5), constrained_layout=True)
    ns = sorted({r["n"] for r in runs})
    for ax, (title, key, log) in zip(axes.flat, PANELS, strict=True):
        for w in sorted({r["workers"] for r in runs}):
            points = sorted((r["n"], r[key]) for r in runs
                            if r["workers"] == w and r[key] is not None)
            if points:
                ax.plot(*zip(*points, strict=True), marker="o",
                        label=f"{w} worker{'s' if w > 1 else ''}")
        if key == "acks_per_s":
            ax.plot(ns, ns, linestyle="--", color="grey", label="offered (N per s)")
        if log:
            ax.set_yscale("log")
            ax.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
            ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
            ax.yaxis.set_minor_formatter(FuncFormatter(lambda v, _: ""))
        ax.set_title(title)
        ax.set_xlabel("candidates (N)")
        ax.set_xticks(ns)
        ax.grid(True, alpha=0.3)
        ax.legend()
    fig.suptitle(f"seleksi serve --workers on PostgreSQL + Redis: candidates answering once a "
                 f"second, {args.watchers} scoreboard watchers", fontsize=10)
    fig.savefig(path, dpi=110)
    plt.close(fig)
