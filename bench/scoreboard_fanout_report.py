"""Figures of ``bench/scoreboard_fanout.py``: delays from the ack to the watchers, CPU, memory.

The delay of one (answer, watcher) pair is the arrival time at the watcher of the first
``scores`` push that reflects the answer minus the answer's ack time in the candidate (both
wall clock on the same machine). "All watchers" is, per answer, the largest delay over the
watchers (when the last watcher had it); "first watcher" the smallest; "fan-out" the
difference (the time one push takes to reach every watcher, whatever the flush waited for).
"From answer sent" is "all watchers" counted from the moment the candidate sent the answer:
an ack held back by a busy server makes the delay from the ack look shorter, not this.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np


def _pct(values: np.ndarray, q: float) -> float | None:
    return float(np.percentile(values, q)) if values.size else None


def _times(rows: list[list[float | None]]) -> np.ndarray:
    return np.array([[np.nan if t is None else t for t in row] for row in rows], dtype=float)


def delays(raw: dict[str, Any]) -> dict[str, Any]:
    """The delay distributions (ms) from the ack times and the watchers' arrival arrays.

    ``raw["tracked"]``, when present, lists the candidates (rows of the tallies) that the
    watchers tracked, in the order of their plan's participants; otherwise all were.
    ``raw["tracked_sessions"]``, when present, gives each tracked candidate's session: an
    answer is then timed only at the watchers that joined that session (each watcher
    process's ``sessions``), and ``all_p99_by_session`` gives the "all watchers" p99 of
    each session; otherwise every watcher watches every candidate.
    """
    acks, sent = _times(raw["candidates"]["acks"]), _times(raw["candidates"]["sent"])
    answers_acked = int((~np.isnan(acks)).sum())
    if raw.get("tracked") is not None:
        acks, sent = acks[raw["tracked"]], sent[raw["tracked"]]
    arrivals = np.concatenate([np.load(w["path"]) for w in raw["watchers"]], axis=0)
    groups = _groups(raw, arrivals.shape[0], len(acks))
    parts = [_delays(arrivals[np.ix_(w, t)], acks[t], sent[t]) for _, w, t in groups]
    got, everyone, from_sent, first, span = (
        np.concatenate([p[i] for p in parts]) if parts else np.array([]) for i in range(5))
    return {
        "watchers_measured": arrivals.shape[0], "answers_acked": answers_acked,
        "answers_tracked": sum(p[5] for p in parts),
        "pairs": sum(p[6] for p in parts), "pairs_missing": sum(p[7] for p in parts),
        "answers_reaching_all": int(everyone.size),
        "pair_p50_ms": _pct(got, 50), "pair_p99_ms": _pct(got, 99),
        "pair_max_ms": float(got.max()) if got.size else None,
        "pair_min_ms": float(got.min()) if got.size else None,
        "all_p50_ms": _pct(everyone, 50), "all_p99_ms": _pct(everyone, 99),
        "all_max_ms": float(everyone.max()) if everyone.size else None,
        "first_p50_ms": _pct(first, 50), "first_p99_ms": _pct(first, 99),
        "sent_all_p50_ms": _pct(from_sent, 50), "sent_all_p99_ms": _pct(from_sent, 99),
        "span_p50_ms": _pct(span, 50), "span_p99_ms": _pct(span, 99),
        **({"all_p99_by_session": {s: _pct(p[1], 99) for (s, _, _), p in zip(groups, parts,
                                                                             strict=True)}}
           if raw.get("tracked_sessions") is not None else {}),
    }


def _groups(raw: dict[str, Any], watchers: int, tracked: int
            ) -> list[tuple[Any, np.ndarray, np.ndarray]]:
    """(session, watcher rows, tracked rows) per session that has watchers: who watches
    whom (one group of all without ``tracked_sessions``)."""
    if raw.get("tracked_sessions") is None:
        return [(None, np.arange(watchers), np.arange(tracked))]
    w_of = np.array([s for w in raw["watchers"] for s in w["sessions"]])
    t_of = np.array(raw["tracked_sessions"])
    if w_of.size != watchers or t_of.size != tracked:
        raise ValueError("a session for every watcher and every tracked candidate expected")
    return [(int(s), np.flatnonzero(w_of == s), np.flatnonzero(t_of == s))
            for s in np.unique(w_of)]


def _delays(arrivals: np.ndarray, acks: np.ndarray, sent: np.ndarray) -> tuple[Any, ...]:
    """One group's delays (ms): per pair, at all watchers, from sent at all, at the first
    watcher, first to last; answers tracked, pairs, pairs missing."""
    watchers = arrivals.shape[0]
    acked = ~np.isnan(acks)
    per_pair = (arrivals - acks[None, :, :])[:, acked]  # watchers x acked answers
    missing = int(np.isnan(per_pair).sum())
    got = per_pair[~np.isnan(per_pair)] * 1000
    complete = ~np.isnan(per_pair).any(axis=0)
    everyone = per_pair[:, complete].max(axis=0) * 1000 if watchers else np.array([])
    # the same from the moment the candidate sent the answer: what the public sees of it
    from_sent = ((arrivals - sent[None, :, :])[:, acked][:, complete].max(axis=0) * 1000
                 if watchers else np.array([]))
    seen = ~np.isnan(per_pair).all(axis=0)  # answers that reached at least one watcher
    first = (np.nanmin(per_pair[:, seen], axis=0) * 1000 if watchers and seen.any()
             else np.array([]))
    # the fan-out itself: from the first watcher's arrival to the last one's, per answer
    span = (np.ptp(per_pair[:, complete], axis=0) * 1000 if watchers and complete.any()
            else np.array([]))
    return (got, everyone, from_sent, first, span, int(acked.sum()), int(per_pair.size),
            missing)


def summarise(name: str, raw: dict[str, Any]) -> dict[str, Any]:
    """One server's figures from the raw results of :func:`scoreboard_fanout.measure`."""
    cand = raw["candidates"]
    latencies = np.array(cand["latencies_ms"], dtype=float)
    pushes = np.array([n for w in raw["watchers"] for n in w["pushes"]], dtype=float)
    total_pushes = float(pushes.sum())
    joined = sum(j["joined"] for j in raw["joined"].values())
    join_errors: dict[str, int] = {}
    for j in raw["joined"].values():
        for k, v in j["errors"].items():
            join_errors[k] = join_errors.get(k, 0) + v
    clients_cpu = sum(w["cpu_s"] for w in raw["watchers"]) + cand["cpu_s"]
    phase = raw["phase_s"]
    return {
        "name": name, **delays(raw),
        "watchers_joined": joined, "join_errors": join_errors,
        "all_joined_s": max((j["last_joined_s"] or 0) for j in raw["joined"].values()),
        "candidates_started": raw["started"]["started"],
        "answers_offered": sum(len(a) for a in cand["acks"]),
        "answers_refused": cand["refused"],
        "ack_p50_ms": _pct(latencies, 50), "ack_p99_ms": _pct(latencies, 99),
        "pushes_per_s_per_watcher": total_pushes / len(pushes) / phase if len(pushes) else None,
        "rows_per_push": sum(w["rows"] for w in raw["watchers"]) / total_pushes
        if total_pushes else None,
        "push_chars": sum(w["push_chars"] for w in raw["watchers"]) / total_pushes
        if total_pushes and raw["watchers"][0]["push_chars"] else None,
        "phase_s": phase, "cpu_phase_s": raw["cpu_phase_s"],
        "cpu_share": raw["cpu_phase_s"] / phase,
        "cpu_us_per_push": raw["cpu_phase_s"] * 1e6 / total_pushes if total_pushes else None,
        "cpu_join_s": raw["cpu_join_s"],
        "cpu_ms_per_join": raw["cpu_join_s"] * 1000 / joined if joined else None,
        "clients_cpu_s": clients_cpu,
        "others_cpu_s": raw["machine_busy_s"] - raw["cpu_phase_s"] - clients_cpu,
        "rss_before_mib": raw["rss_before_mib"], "rss_joined_mib": raw["rss_joined_mib"],
        "rss_end_mib": raw["rss_end_mib"],
        "kib_per_watcher": ((raw["rss_joined_mib"] - raw["rss_before_mib"]) * 1024 / joined
                            if joined else None),
    }


def _fmt(value: Any, spec: str) -> str:
    return "—" if value is None else format(value, spec)


ROWS = (
    ("watchers joined", "watchers_joined", "d"),
    ("all joined after (s)", "all_joined_s", ".1f"),
    ("server CPU per join (ms)", "cpu_ms_per_join", ".2f"),
    ("candidates started", "candidates_started", "d"),
    ("answers acked / offered", None, ""),
    ("ack p50 / p99 (ms)", None, ""),
    ("push size (characters, mean)", "push_chars", ".0f"),
    ("rows per push (mean)", "rows_per_push", ".1f"),
    ("pushes per s per watcher", "pushes_per_s_per_watcher", ".2f"),
    ("delay per watcher p50 (ms)", "pair_p50_ms", ".0f"),
    ("delay per watcher p99 (ms)", "pair_p99_ms", ".0f"),
    ("delay per watcher max (ms)", "pair_max_ms", ".0f"),
    ("delay all watchers p50 (ms)", "all_p50_ms", ".0f"),
    ("delay all watchers p99 (ms)", "all_p99_ms", ".0f"),
    ("delay all watchers max (ms)", "all_max_ms", ".0f"),
    ("delay first watcher p50 (ms)", "first_p50_ms", ".0f"),
    ("fan-out, first to last watcher p50 (ms)", "span_p50_ms", ".0f"),
    ("fan-out, first to last watcher p99 (ms)", "span_p99_ms", ".0f"),
    ("delay per watcher min (ms)", "pair_min_ms", ".0f"),
    ("from answer sent, all watchers p50 (ms)", "sent_all_p50_ms", ".0f"),
    ("from answer sent, all watchers p99 (ms)", "sent_all_p99_ms", ".0f"),
    ("(answer, watcher) pairs missed", "pairs_missing", "d"),
    ("answering phase (s)", "phase_s", ".1f"),
    ("  server CPU in it (s)", "cpu_phase_s", ".1f"),
    ("  server CPU share of a core", "cpu_share", ".2f"),
    ("  server CPU per push to a watcher (µs)", "cpu_us_per_push", ".1f"),
    ("  client processes' CPU (s)", "clients_cpu_s", ".1f"),
    ("  other processes' CPU (s)", "others_cpu_s", ".1f"),
    ("server RSS before watchers (MiB)", "rss_before_mib", ".0f"),
    ("server RSS with watchers (MiB)", "rss_joined_mib", ".0f"),
    ("server RSS at end (MiB)", "rss_end_mib", ".0f"),
    ("server memory per watcher (KiB)", "kib_per_watcher", ".1f"),
)
RATIOS = (("delay per watcher p99", "pair_p99_ms"), ("delay all watchers p99", "all_p99_ms"),
          ("server CPU in the phase", "cpu_phase_s"), ("CPU per push", "cpu_us_per_push"),
          ("memory per watcher", "kib_per_watcher"))


def _cell(result: dict[str, Any], label: str, key: str | None, spec: str) -> str:
    if key is not None:
        return _fmt(result[key], spec)
    if label.startswith("answers"):
        return f"{result['answers_acked']} / {result['answers_offered']}"
    return f"{_fmt(result['ack_p50_ms'], '.0f')} / {_fmt(result['ack_p99_ms'], '.0f')}"


def print_report(results: dict[str, dict[str, Any]], args: Any) -> dict[str, float | None]:
    """The side-by-side table, the ratios (server / bare) and the target; the ratios."""
    names = [k for k in ("bare", "server") if k in results]
    print(f"\n== scoreboard fan-out: {args.watchers} watchers, {args.candidates} candidates "
          f"answering once a second for {args.seconds} s, one server process")
    print(f"{'':42}" + "".join(f"{k:>16}" for k in names))
    for label, key, spec in ROWS:
        print(f"{label:42}" + "".join(f"{_cell(results[k], label, key, spec):>16}"
                                      for k in names))
    for k in names:
        if results[k]["join_errors"] or results[k]["answers_refused"]:
            print(f"{k}: join errors {results[k]['join_errors']}, "
                  f"answers refused {results[k]['answers_refused']}")
    ratios: dict[str, float | None] = {}
    if len(names) == 2:
        bare, server = results["bare"], results["server"]
        for _label, key in RATIOS:
            ratios[key] = server[key] / bare[key] if server[key] and bare[key] else None
        print("ratios server/bare: " + ", ".join(
            f"{label} {_fmt(ratios[key], '.2f')} ×" for label, key in RATIOS))
    served = results.get("server")
    if served is not None:
        p99 = served["all_p99_ms"]
        met = p99 is not None and p99 < 1000 and served["pairs_missing"] == 0
        print(f"target (issue 6 §2): all {args.watchers} watchers within p99 < 1 s: "
              f"{_fmt(p99, '.0f')} ms (per watcher p99 {_fmt(served['pair_p99_ms'], '.0f')} ms)"
              f" -> {'met' if met else 'NOT met'}")
    return ratios


def write_json(path: Path, results: dict[str, Any], ratios: dict[str, Any], args: Any) -> None:
    path.write_text(json.dumps({"watchers": args.watchers, "candidates": args.candidates,
                                "seconds": args.seconds, "procs": args.procs,
                                "results": results, "ratios": ratios}, indent=2),
                    encoding="utf-8")
