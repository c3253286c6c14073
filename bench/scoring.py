"""Benchmark: score, decide and rank 1,000,000 SKD 2024 answer sheets, and the CLI end to end.

In memory: random papers of 110 questions (30 TWK, 35 TIU, 45 TKP) drawn from a 3,000-item
key, random choices (blank included), 500 formations with quotas 1–5, random categories,
1 % absent (TH) and 0.5 % disqualified (DIS). Prints the median and minimum of the repeats,
what the timing includes, the memory the scoring call allocates (tracemalloc), and the
time of a straightforward pure-Python loop on a sample (extrapolated linearly).

End to end: writes CSV inputs for 10,000 candidates (1.1 million response rows) and runs
``seleksi score`` on them as a subprocess: wall time and the process's peak RSS. Not a test.

Run: ``.venv/bin/python bench/scoring.py [--sheets N] [--sample N] [--repeats N]
[--candidates N]``
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np

# this file is named like the package: put the repository first, drop bench/ from the path
HERE = Path(__file__).resolve().parent
sys.path[:] = [str(HERE.parent)] + [p for p in sys.path if Path(p or ".").resolve() != HERE]

from scoring.files import write_csv  # noqa: E402
from scoring.keytable import KeyTable, build_key  # noqa: E402
from scoring.pipeline import load_inputs  # noqa: E402
from scoring.results import CODES, Roster, decide_and_rank, result_rows  # noqa: E402
from scoring.scheme import load_scheme  # noqa: E402
from scoring.sheets import section_totals  # noqa: E402


def make_key(rng: np.random.Generator) -> KeyTable:
    scheme = load_scheme("skd-2024")
    ids, sections, points = [], [], []
    for code in ("TWK", "TIU", "TKP"):
        for q in range(1000):
            if code == "TKP":
                pts = dict(zip("ABCDE", (int(p) for p in rng.permutation(5) + 1), strict=True))
            else:
                pts = dict.fromkeys("ABCDE", 0)
                pts["ABCDE"[int(rng.integers(5))]] = 5
            ids.append(f"{code}{q:04d}")
            sections.append(code)
            points.append(pts)
    return build_key(scheme, ids, sections, points)


def make_papers(rng: np.random.Generator, key: KeyTable,
                n: int) -> tuple[np.ndarray, np.ndarray]:
    steps = np.array([s for s in range(1, 1000) if s % 2 and s % 5])  # coprime with 1000
    parts = []
    for offset, k in ((0, 30), (1000, 35), (2000, 45)):
        start = rng.integers(0, 1000, size=(n, 1))
        step = rng.choice(steps, size=(n, 1))
        parts.append((offset + (start + step * np.arange(k)) % 1000).astype(np.int32))
    items = np.concatenate(parts, axis=1)
    choices = rng.integers(-1, 5, size=items.shape, dtype=np.int8)
    ability = rng.uniform(0.3, 0.95, size=(n, 1)).astype(np.float32)
    best = np.argmax(key.points[:, 1:], axis=1).astype(np.int8)
    knows = rng.random(size=items.shape, dtype=np.float32) < ability
    choices[knows] = best[items[knows]]
    return items, choices


def pure_python(key: KeyTable, roster: Roster, items: list[list[int]],
                choices: list[list[int]]) -> list[tuple[str, int]]:
    """The straightforward loop: per sheet, per answer; then sort each formation."""
    points = key.points.tolist()
    section = key.section.tolist()
    scheme = key.scheme
    rules = scheme.pass_rules
    cats = roster.category.tolist()
    forms = roster.formation.tolist()
    quota = roster.quota.tolist()
    passed: dict[int, list[tuple[tuple[int, ...], int]]] = {}
    codes = ["TL"] * len(items)
    for r, (row_items, row_choices) in enumerate(zip(items, choices, strict=True)):
        totals = [0, 0, 0]
        for item, choice in zip(row_items, row_choices, strict=True):
            totals[section[item]] += points[item][choice + 1]
        values = {"TWK": totals[0], "TIU": totals[1], "TKP": totals[2],
                  "total": sum(totals)}
        category = scheme.categories[cats[r]]
        ok = any(rule.applies_to(category) and all(values[m] >= v for m, v in rule.minima)
                 for rule in rules)
        if ok:
            keys = tuple(values[m] for m in scheme.tie_break)
            passed.setdefault(forms[r], []).append((keys, r))
    ranks = [0] * len(items)
    for f, members in passed.items():
        members.sort(key=lambda m: m[0], reverse=True)
        for pos, (keys, r) in enumerate(members):
            same = pos > 0 and members[pos - 1][0] == keys
            ranks[r] = ranks[members[pos - 1][1]] if same else pos + 1
            codes[r] = "P/L" if ranks[r] <= 3 * quota[f] else "P"
    return list(zip(codes, ranks, strict=True))


def in_memory(key: KeyTable, rng: np.random.Generator, n: int, repeats: int,
              sample: int) -> None:
    """Score, decide and rank ``n`` sheets held in memory; pure-Python comparison."""
    items, choices = make_papers(rng, key, n)
    n_forms = 500
    roster = Roster(participants=tuple(str(i) for i in range(n)),
                    categories_given=("",) * n,
                    formation=rng.integers(0, n_forms, size=n, dtype=np.int32),
                    category=rng.choice(len(key.scheme.categories), size=n,
                                        p=[0.9, 0.02, 0.02, 0.02, 0.02, 0.02]).astype(np.int16),
                    disqualified=rng.random(n) < 0.005, formations=("F",) * n_forms,
                    quota=rng.integers(1, 6, size=n_forms, dtype=np.int32))
    sat = rng.random(n) >= 0.01          # 1 % absent (TH): their rows are padding
    items[~sat] = key.sentinel
    choices[~sat] = -1
    section_totals(key, items[:1000], choices[:1000])  # warm the packed tables
    runs = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        totals = section_totals(key, items, choices)
        t1 = time.perf_counter()
        results = decide_and_rank(key.scheme, roster, totals, sat)
        t2 = time.perf_counter()
        runs.append((t2 - t0, t1 - t0, t2 - t1))
    tracemalloc.start()
    section_totals(key, items, choices)
    score_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.reset_peak()
    decide_and_rank(key.scheme, roster, totals, sat)
    rank_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    counts = {c: int((results.code == i).sum()) for i, c in enumerate(CODES)}
    m = min(sample, n)
    part = Roster(participants=roster.participants[:m], categories_given=("",) * m,
                  formation=roster.formation[:m], category=roster.category[:m],
                  disqualified=np.zeros(m, dtype=bool), formations=roster.formations,
                  quota=roster.quota)
    py_items, py_choices = items[:m].tolist(), choices[:m].tolist()
    t0 = time.perf_counter()
    slow = pure_python(key, part, py_items, py_choices)
    py_s = (time.perf_counter() - t0) * n / m
    check = decide_and_rank(key.scheme, part, totals[:m], np.ones(m, dtype=bool))
    agree = all(CODES[int(c)] == code and int(r) == rank
                for c, r, (code, rank) in zip(check.code, check.rank, slow, strict=True))
    total = [r[0] for r in runs]
    med = statistics.median(total)
    print(f"== in memory: {n:,} SKD sheets × 110 questions, 3,000-item key, {n_forms} "
          f"formations, 1 % absent (TH), 0.5 % DIS")
    print(f"   score+decide+rank: median {med:.3f} s, min {min(total):.3f} s over {repeats} "
          f"runs (score median {statistics.median(r[1] for r in runs):.3f} s, decide+rank "
          f"median {statistics.median(r[2] for r in runs):.3f} s)")
    print("   timed: section_totals (bounds check included), decide, rank and codes on "
          "arrays in memory; not timed: generating the data, reading files, writing results")
    print(f"   codes {counts}")
    print(f"   memory allocated by the call (tracemalloc peak): score {score_peak / 2**20:.0f} "
          f"MiB, decide+rank {rank_peak / 2**20:.0f} MiB (inputs themselves "
          f"{(items.nbytes + choices.nbytes) / 2**20:.0f} MiB, not counted)")
    print(f"   pure Python (the same data, no TH/DIS): {py_s:.1f} s extrapolated from {m:,} "
          f"sheets; ratio to the median {py_s / med:.0f}×; sample results agree: {agree}")


def write_exam_files(folder: Path, key: KeyTable, rng: np.random.Generator,
                     n: int) -> dict[str, Path]:
    """CSV inputs of ``n`` candidates (110 questions each; 1 % absent, 0.5 % DIS)."""
    items, choices = make_papers(rng, key, n)
    pids = [f"P{i:07d}" for i in range(n)]
    absent = rng.random(n) < 0.01
    labels = np.array(["", "A", "B", "C", "D", "E"], dtype=object)
    ids = np.array(key.item_ids, dtype=object)
    files = {name: folder / f"{name}.csv" for name in
             ("key", "responses", "candidates", "formations")}
    with files["key"].open("w", encoding="utf-8") as fh:
        fh.write("item_id,section,A,B,C,D,E\n")
        for i, iid in enumerate(key.item_ids):
            code = key.scheme.sections[int(key.section[i])].code
            fh.write(f"{iid},{code},{','.join(str(int(p)) for p in key.points[i, 1:])}\n")
    with files["responses"].open("w", encoding="utf-8") as fh:
        fh.write("participant,item_id,choice\n")
        for row in np.flatnonzero(~absent).tolist():
            pid = pids[row]
            fh.write("".join(f"{pid},{iid},{c}\n" for iid, c in
                             zip(ids[items[row]], labels[choices[row] + 1], strict=True)))
    cats = ["umum", "", "Papua", "cumlaude"]
    with files["candidates"].open("w", encoding="utf-8") as fh:
        fh.write("participant,name,formation,category,status\n")
        for r, pid in enumerate(pids):
            dis = "DIS" if rng.random() < 0.005 else ""
            fh.write(f"{pid},Peserta {r},F{r % 50},{cats[r % 4]},{dis}\n")
    with files["formations"].open("w", encoding="utf-8") as fh:
        fh.write("formation,quota\n" + "".join(f"F{f},{1 + f % 5}\n" for f in range(50)))
    return files


def end_to_end(key: KeyTable, rng: np.random.Generator, n: int, repeats: int) -> None:
    """``seleksi score`` on CSV files of ``n`` candidates, as a user runs it."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        files = write_exam_files(folder, key, rng, n)
        rows = sum(1 for _ in files["responses"].open(encoding="utf-8")) - 1
        out = folder / "results.csv"
        # the child reports its own peak (VmHWM is reset at exec; a parent's getrusage of
        # its children is not, so it would count this process's arrays)
        command = [sys.executable, "-c", "import atexit, sys; atexit.register(lambda: "
                   "sys.stderr.write([l for l in open('/proc/self/status') "
                   "if l.startswith('VmHWM')][0])); sys.argv[0] = 'seleksi'; "
                   "from exam_server.cli import main; main()", "score", "--scheme", "skd-2024",
                   "--out", str(out),
                    *[a for name in ("key", "responses", "candidates", "formations")
                      for a in (f"--{name}", str(files[name]))]]
        walls, peaks = [], []
        for _ in range(repeats):
            t0 = time.perf_counter()
            proc = subprocess.run(command, check=True, capture_output=True, text=True,
                                  cwd=HERE.parent)
            walls.append(time.perf_counter() - t0)
            peaks.append(int(proc.stderr.split("VmHWM:")[1].split()[0]) / 1024)
        rss = max(peaks)
        t0 = time.perf_counter()
        inputs = load_inputs("skd-2024", files["key"], files["responses"],
                             files["candidates"], files["formations"])
        t1 = time.perf_counter()
        write_csv(out, result_rows(inputs.score()))
        t2 = time.perf_counter()
        size = files["responses"].stat().st_size / 2**20
    print(f"== end to end: `seleksi score` on CSV, {n:,} candidates, {rows:,} response rows "
          f"({size:.0f} MiB), 3,000-item key, 50 formations")
    print(f"   whole command (process start, imports, reading, checking, scoring, writing "
          f"results.csv): median {statistics.median(walls):.2f} s, min {min(walls):.2f} s "
          f"over {repeats} runs; peak RSS of the process {rss:.0f} MiB")
    print(f"   in process: read and check the four files {t1 - t0:.2f} s, score, decide, "
          f"rank and write results.csv {t2 - t1:.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sheets", type=int, default=1_000_000)
    parser.add_argument("--sample", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--candidates", type=int, default=10_000,
                        help="candidates in the end-to-end CSV run (0 to skip)")
    args = parser.parse_args()
    rng = np.random.default_rng(2024)
    key = make_key(rng)
    if args.candidates:
        end_to_end(key, rng, args.candidates, 3)
    in_memory(key, rng, args.sheets, args.repeats, args.sample)


if __name__ == "__main__":
    main()
