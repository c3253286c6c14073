"""Figures of ``bench/exam_load.py``: summarise the client results, check the journal, print.

Ack latency is measured in the client from emit to ack (``time.perf_counter``). Throughput is
acked answers over the time from the moment answering began to the last ack, so a server that
falls behind shows a lower figure than the offered N per second. Server CPU per ack is the
server process's CPU time during the answering phase over the acks.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from exam_load_setup import read_answers


def summarise(name: str, raw: dict[str, Any], n: int, seconds: int) -> dict[str, Any]:
    """One server's figures from the raw results of :func:`exam_load.measure`."""
    candidates = [c for proc in raw["clients"] for c in proc["candidates"]]
    tallies = [proc["tally"] for proc in raw["clients"]]
    started = [c["started_at"] for c in candidates if c["started_at"] is not None]
    errors: dict[str, int] = {}
    for c in candidates:
        if c["error"]:
            errors[c["error"]] = errors.get(c["error"], 0) + 1
    refused: dict[str, int] = {}
    for t in tallies:
        for code, count in t["refused"].items():
            refused[code] = refused.get(code, 0) + count
    latencies = np.array([x for t in tallies for x in t["latencies_ms"]], dtype=float)
    acked = sum(t["acked"] for t in tallies)
    last_ack = max((t["last_ack"] for t in tallies if t["last_ack"]), default=None)
    span = (last_ack - raw["answer_from"]) if last_ack else None

    def pct(values: list[float] | np.ndarray, q: float) -> float | None:
        return float(np.percentile(values, q)) if len(values) else None

    return {
        "name": name, "n": n, "seconds": seconds,
        "started": len(started), "start_errors": errors,
        "all_started_s": max(started) if len(started) == n else None,
        "last_started_s": max(started, default=None),
        "login_p50_s": pct([c["login_s"] for c in candidates if c["login_s"] is not None], 50),
        "start_p50_s": pct([c["start_s"] for c in candidates if c["start_s"] is not None], 50),
        "offered": sum(t["offered"] for t in tallies), "acked": acked,
        "timeouts": sum(t["timeouts"] for t in tallies), "refused": refused,
        "p50_ms": pct(latencies, 50), "p99_ms": pct(latencies, 99),
        "max_ms": float(latencies.max()) if len(latencies) else None,
        "acks_per_s": acked / span if span else None,
        "cpu_start_s": raw["cpu_start_s"], "cpu_answer_s": raw["cpu_answer_s"],
        "cpu_ms_per_ack": raw["cpu_answer_s"] * 1000 / acked if acked else None,
        "clients_cpu_s": sum(t["cpu_s"] for t in tallies),
        "others_cpu_s": raw["machine_busy_s"] - raw["cpu_answer_s"]
        - sum(t["cpu_s"] for t in tallies),
        "answer_phase_s": raw["answer_phase_s"],
        "rss_started_mib": raw["rss_started_mib"], "rss_mib": raw["rss_mib"],
        "peak_rss_mib": raw["peak_rss_mib"],
    }


def check_journal(clients: list[dict[str, Any]], database_url: str) -> dict[str, Any]:
    """Check that every acked answer is in the database with its last acked choice.

    Per candidate and question, with ``s`` the highest acked ``seq``: the stored row must
    have ``answer_seq == s`` and the choice sent with ``s``, or a higher ``answer_seq`` that
    this candidate sent (unacked, yet committed) with the choice sent with it. Anything
    else is a lost answer.
    """
    held = read_answers(database_url)
    checked = lost = 0
    examples: list[str] = []
    for proc in clients:
        for c in proc["candidates"]:
            sent = {seq: (q, choice) for seq, q, choice, _ in c["sent"]}
            last: dict[int, int] = {}
            for seq, q, _choice, acked in c["sent"]:
                if acked and seq > last.get(q, 0):
                    last[q] = seq
            rows = held.get(c["participant"], {})
            for q, seq in last.items():
                checked += 1
                row = rows.get(q)
                ok = (row is not None and row[1] >= seq and row[1] in sent
                      and sent[row[1]] == (q, row[0]))
                if not ok:
                    lost += 1
                    if len(examples) < 5:
                        examples.append(f"{c['participant']} q{q}: acked seq {seq} "
                                        f"{sent[seq][1]!r}, stored {row!r}")
    return {"questions_checked": checked,
            "acked_answers": sum(1 for p in clients for c in p["candidates"]
                                 for s in c["sent"] if s[3]),
            "lost": lost, "examples": examples}


def _fmt(value: Any, spec: str) -> str:
    return "—" if value is None else format(value, spec)


ROWS = (
    ("candidates started", "started", "d"),
    ("all started after (s)", "all_started_s", ".2f"),
    ("  login p50 (s)", "login_p50_s", ".3f"),
    ("  start p50 (s)", "start_p50_s", ".3f"),
    ("answers offered", "offered", "d"),
    ("answers acked ok", "acked", "d"),
    ("ack timeouts", "timeouts", "d"),
    ("ack p50 (ms)", "p50_ms", ".1f"),
    ("ack p99 (ms)", "p99_ms", ".1f"),
    ("ack max (ms)", "max_ms", ".1f"),
    ("acks per second", "acks_per_s", ".0f"),
    ("server CPU, log-in+start (s)", "cpu_start_s", ".1f"),
    ("server CPU per ack (ms)", "cpu_ms_per_ack", ".3f"),
    ("answering phase (s)", "answer_phase_s", ".1f"),
    ("  server CPU in it (s)", "cpu_answer_s", ".1f"),
    ("  client processes' CPU (s)", "clients_cpu_s", ".1f"),
    ("  other processes' CPU (s)", "others_cpu_s", ".1f"),
    ("server RSS after start (MiB)", "rss_started_mib", ".0f"),
    ("server RSS at end (MiB)", "rss_mib", ".0f"),
)


def ratios(results: dict[str, dict[str, Any]]) -> dict[str, float | None]:
    """p99 ratio (server / bare) and throughput ratio (server / bare)."""
    bare, server = results.get("bare"), results.get("server")
    if not bare or not server:
        return {"p99": None, "throughput": None}
    p99 = (server["p99_ms"] / bare["p99_ms"]) if server["p99_ms"] and bare["p99_ms"] else None
    tput = (server["acks_per_s"] / bare["acks_per_s"]
            if server["acks_per_s"] and bare["acks_per_s"] else None)
    return {"p99": p99, "throughput": tput}


def print_report(results: dict[str, dict[str, Any]], n: int, seconds: int, db: str) -> None:
    """The side-by-side table, the ratios, the journal check and the targets."""
    names = [k for k in ("bare", "server") if k in results]
    print(f"\n== exam load: N = {n}, {seconds} s of one answer per candidate per second, "
          f"server database {db}")
    header = f"{'':32}" + "".join(f"{k:>14}" for k in names)
    print(header)
    for label, key, spec in ROWS:
        print(f"{label:32}" + "".join(f"{_fmt(results[k][key], spec):>14}" for k in names))
    for k in names:
        if results[k]["start_errors"] or results[k]["refused"]:
            print(f"{k}: start errors {results[k]['start_errors']}, "
                  f"answers refused {results[k]['refused']}")
    r = ratios(results)
    if r["p99"] is not None or r["throughput"] is not None:
        print(f"ratios server/bare: p99 {_fmt(r['p99'], '.2f')}, "
              f"throughput {_fmt(r['throughput'], '.3f')}")
    server = results.get("server")
    if server is None:
        return
    j = server["journal"]
    print(f"journal after SIGKILL: {j['acked_answers']} acked answers, "
          f"{j['questions_checked']} (candidate, question) last acks checked, "
          f"{j['lost']} lost")
    for line in j["examples"]:
        print(f"  lost: {line}")
    started = server["all_started_s"]
    print("targets (issue 5 §8):")
    print(f"  all {n} started within 5 s: {_fmt(started, '.2f')} s "
          f"-> {'met' if started is not None and started <= 5 else 'NOT met'}")
    all_acked = server["acked"] == server["offered"] == n * seconds
    print(f"  every offered answer acked: {server['acked']}/{n * seconds} "
          f"-> {'met' if all_acked else 'NOT met'}")
    if r["p99"] is not None:
        print(f"  p99 <= 1.5 x bare p99: {r['p99']:.2f} x -> "
              f"{'met' if r['p99'] <= 1.5 else 'NOT met'}")
    if r["throughput"] is not None:
        print(f"  throughput >= 0.85 x bare: {r['throughput']:.3f} x -> "
              f"{'met' if r['throughput'] >= 0.85 else 'NOT met'}")
    print(f"  0 lost: {j['lost']} -> {'met' if j['lost'] == 0 else 'NOT met'}")
