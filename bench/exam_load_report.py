"""Figures of ``bench/exam_load.py``: summarise the client results, check the journal, print.

Ack latency is measured in the client from emit to ack (``time.perf_counter``). Throughput is
acked answers over the time from the moment answering began to the last ack, so a server that
falls behind shows a lower figure than the offered N per second. Server CPU per ack is the
server process's CPU time during the answering phase over the acks.

Over several rounds (``--rounds K``) :func:`summarise` pools the rounds' raw results: ack
p50/p99/max and the log-in and start medians are percentiles of all rounds' values together
(not averages of per-round percentiles); counts (started, offered, acked, timeouts, refused,
start errors), CPU seconds and phase times are totals; acks per second is the acks of all
rounds over the sum of their answering spans, CPU per ack the answering CPU of all rounds over
their acks; "all started after" is the worst round's (none if in some round not all N
started); RSS is the largest. The journal checks are summed, with the first few lost answers.
"""

from __future__ import annotations

import statistics
from typing import Any

import numpy as np
from exam_load_setup import read_answers


def summarise(name: str, rounds: list[dict[str, Any]], n: int, seconds: int) -> dict[str, Any]:
    """One server's figures from the raw results of :func:`exam_load.measure`, one per round
    (pooled as the module says if more than one); with the pooled journal check when the raw
    results carry one (``raw["journal"]``, from :func:`check_journal`)."""
    candidates = [c for raw in rounds for proc in raw["clients"] for c in proc["candidates"]]
    tallies = [proc["tally"] for raw in rounds for proc in raw["clients"]]
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
    worst = [_all_started(raw, n) for raw in rounds]
    span = sum(_answer_span(raw) for raw in rounds)
    cpu_answer = sum(raw["cpu_answer_s"] for raw in rounds)
    clients_cpu = sum(t["cpu_s"] for t in tallies)

    def pct(values: list[float] | np.ndarray, q: float) -> float | None:
        return float(np.percentile(values, q)) if len(values) else None

    result = {
        "name": name, "n": n, "seconds": seconds,
        "started": len(started), "start_errors": errors,
        "all_started_s": None if None in worst else max(w for w in worst if w is not None),
        "last_started_s": max(started, default=None),
        "login_p50_s": pct([c["login_s"] for c in candidates if c["login_s"] is not None], 50),
        "start_p50_s": pct([c["start_s"] for c in candidates if c["start_s"] is not None], 50),
        "offered": sum(t["offered"] for t in tallies), "acked": acked,
        "timeouts": sum(t["timeouts"] for t in tallies), "refused": refused,
        "p50_ms": pct(latencies, 50), "p99_ms": pct(latencies, 99),
        "max_ms": float(latencies.max()) if len(latencies) else None,
        "acks_per_s": acked / span if acked else None,
        "cpu_start_s": sum(raw["cpu_start_s"] for raw in rounds), "cpu_answer_s": cpu_answer,
        "cpu_ms_per_ack": cpu_answer * 1000 / acked if acked else None,
        "clients_cpu_s": clients_cpu,
        "others_cpu_s": sum(raw["machine_busy_s"] for raw in rounds) - cpu_answer - clients_cpu,
        "answer_phase_s": sum(raw["answer_phase_s"] for raw in rounds),
        "rss_started_mib": max(raw["rss_started_mib"] for raw in rounds),
        "rss_mib": max(raw["rss_mib"] for raw in rounds),
        "peak_rss_mib": max(raw["peak_rss_mib"] for raw in rounds),
    }
    if all("journal" in raw for raw in rounds):
        result["journal"] = pool_journals([raw["journal"] for raw in rounds])
    return result


def _all_started(raw: dict[str, Any], n: int) -> float | None:
    """When the last of one round's N candidates had started, or None if not all did."""
    started = [c["started_at"] for proc in raw["clients"] for c in proc["candidates"]
               if c["started_at"] is not None]
    return max(started) if len(started) == n else None


def _answer_span(raw: dict[str, Any]) -> float:
    """One round's answering span: from the start of answering to the last ack (the whole
    answering phase if nothing was acked, so such a round still counts its time)."""
    last_ack = max((p["tally"]["last_ack"] for p in raw["clients"] if p["tally"]["last_ack"]),
                   default=None)
    return float(last_ack - raw["answer_from"] if last_ack else raw["answer_phase_s"])


def pool_journals(journals: list[dict[str, Any]]) -> dict[str, Any]:
    """Journal checks of several rounds as one: the counts summed, the first few examples."""
    return {"questions_checked": sum(j["questions_checked"] for j in journals),
            "acked_answers": sum(j["acked_answers"] for j in journals),
            "lost": sum(j["lost"] for j in journals),
            "examples": [e for j in journals for e in j["examples"]][:5]}


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


def print_rounds(per_round: list[dict[str, dict[str, Any]]]) -> None:
    """One line per round: p99 of each side and their ratio, when all had started on the
    server, CPU per ack of each side, lost answers (what a side did not run is left out)."""
    for i, r in enumerate(per_round, 1):
        server, ratio = r.get("server"), ratios(r)["p99"]
        line = f"round {i}: p99 " + ", ".join(
            f"{side} {_fmt(r[side]['p99_ms'], '.1f')} ms" for side in ("bare", "server")
            if side in r)
        line += f", ratio {ratio:.2f}" if ratio is not None else ""
        if server:
            line += f"; server all started {_fmt(server['all_started_s'], '.2f')} s"
        line += "; CPU per ack " + ", ".join(
            f"{side} {_fmt(r[side]['cpu_ms_per_ack'], '.3f')} ms" for side in ("server", "bare")
            if side in r)
        print(line + (f"; lost {server['journal']['lost']}" if server else ""))


def print_report(results: dict[str, dict[str, Any]], n: int, seconds: int, db: str,
                 per_round: list[dict[str, dict[str, Any]]] | None = None) -> None:
    """The side-by-side table, the ratios, the journal check and the targets. With the
    results of several rounds in ``per_round`` (``results`` then pooled over them): first a
    line per round, and the spread of the per-round p99 ratios after the pooled ratios."""
    k = len(per_round) if per_round else 1
    names = [name for name in ("bare", "server") if name in results]
    print(f"\n== exam load: N = {n}, {seconds} s of one answer per candidate per second, "
          f"server database {db}" + (f", {k} rounds" if k > 1 else ""))
    if per_round and k > 1:
        print_rounds(per_round)
        print(f"pooled over the {k} rounds:")
    header = f"{'':32}" + "".join(f"{name:>14}" for name in names)
    print(header)
    for label, key, spec in ROWS:
        print(f"{label:32}" + "".join(f"{_fmt(results[nm][key], spec):>14}" for nm in names))
    for name in names:
        if results[name]["start_errors"] or results[name]["refused"]:
            print(f"{name}: start errors {results[name]['start_errors']}, "
                  f"answers refused {results[name]['refused']}")
    r = ratios(results)
    if r["p99"] is not None or r["throughput"] is not None:
        print(f"ratios server/bare{' (pooled)' if k > 1 else ''}: p99 {_fmt(r['p99'], '.2f')}, "
              f"throughput {_fmt(r['throughput'], '.3f')}")
    each = [x for x in (ratios(rr)["p99"] for rr in per_round or []) if x is not None]
    if k > 1 and each:
        print(f"p99 ratio per round: median {statistics.median(each):.2f}, "
              f"range {min(each):.2f}-{max(each):.2f}")
    server = results.get("server")
    if server is None:
        return
    j = server["journal"]
    print(f"journal after SIGKILL: {j['acked_answers']} acked answers, "
          f"{j['questions_checked']} (candidate, question) last acks checked, "
          f"{j['lost']} lost" + (f" (all {k} rounds)" if k > 1 else ""))
    for line in j["examples"]:
        print(f"  lost: {line}")
    started = server["all_started_s"]
    print("targets (issue 5 §8)" + (f", over the {k} rounds pooled:" if k > 1 else ":"))
    print(f"  all {n} started within 5 s{' (worst round)' if k > 1 else ''}: "
          f"{_fmt(started, '.2f')} s -> "
          f"{'met' if started is not None and started <= 5 else 'NOT met'}")
    all_acked = server["acked"] == server["offered"] == n * seconds * k
    print(f"  every offered answer acked: {server['acked']}/{n * seconds * k} "
          f"-> {'met' if all_acked else 'NOT met'}")
    if r["p99"] is not None:
        print(f"  p99 <= 1.5 x bare p99: {r['p99']:.2f} x -> "
              f"{'met' if r['p99'] <= 1.5 else 'NOT met'}")
    if r["throughput"] is not None:
        print(f"  throughput >= 0.85 x bare: {r['throughput']:.3f} x -> "
              f"{'met' if r['throughput'] >= 0.85 else 'NOT met'}")
    print(f"  0 lost: {j['lost']} -> {'met' if j['lost'] == 0 else 'NOT met'}")
