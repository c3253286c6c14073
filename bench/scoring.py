"""Benchmark: score, decide and rank 1,000,000 SKD 2024 answer sheets.

Random papers of 110 questions (30 TWK, 35 TIU, 45 TKP) drawn from a 3,000-item key, random
choices (blank included), 500 formations with quotas 1–5 and random categories. Prints the
vectorised time, the time of a straightforward pure-Python loop on a sample of the same
data (extrapolated linearly), their ratio, and peak memory. Not a test.

Run: ``.venv/bin/python bench/scoring.py [--sheets N] [--sample N]``
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np

# this file is named like the package: put the repository first, drop bench/ from the path
HERE = Path(__file__).resolve().parent
sys.path[:] = [str(HERE.parent)] + [p for p in sys.path if Path(p or ".").resolve() != HERE]

from scoring.keytable import KeyTable, build_key  # noqa: E402
from scoring.results import CODES, Roster, decide_and_rank  # noqa: E402
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sheets", type=int, default=1_000_000)
    parser.add_argument("--sample", type=int, default=20_000)
    args = parser.parse_args()
    rng = np.random.default_rng(2024)
    key = make_key(rng)
    n = args.sheets
    items, choices = make_papers(rng, key, n)
    n_forms = 500
    roster = Roster(participants=tuple(str(i) for i in range(n)),
                    categories_given=("",) * n,
                    formation=rng.integers(0, n_forms, size=n, dtype=np.int32),
                    category=rng.choice(len(key.scheme.categories), size=n,
                                        p=[0.9, 0.02, 0.02, 0.02, 0.02, 0.02]).astype(np.int16),
                    disqualified=np.zeros(n, dtype=bool), formations=("F",) * n_forms,
                    quota=rng.integers(1, 6, size=n_forms, dtype=np.int32))
    sat = np.ones(n, dtype=bool)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    section_totals(key, items[:1000], choices[:1000])  # warm the packed tables
    best = []
    for _ in range(3):
        t0 = time.perf_counter()
        totals = section_totals(key, items, choices)
        t1 = time.perf_counter()
        results = decide_and_rank(key.scheme, roster, totals, sat)
        t2 = time.perf_counter()
        best.append((t2 - t0, t1 - t0, t2 - t1))
    total_s, score_s, rank_s = min(best)
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    counts = {c: int((results.code == i).sum()) for i, c in enumerate(CODES)}
    m = min(args.sample, n)
    sample = Roster(participants=roster.participants[:m], categories_given=("",) * m,
                    formation=roster.formation[:m], category=roster.category[:m],
                    disqualified=roster.disqualified[:m], formations=roster.formations,
                    quota=roster.quota)
    py_items, py_choices = items[:m].tolist(), choices[:m].tolist()
    t0 = time.perf_counter()
    slow = pure_python(key, sample, py_items, py_choices)
    py_s = (time.perf_counter() - t0) * n / m
    check = decide_and_rank(key.scheme, sample, totals[:m], sat[:m])
    agree = all(CODES[int(c)] == code and int(r) == rank
                for c, r, (code, rank) in zip(check.code, check.rank, slow, strict=True))
    print(f"{n:,} SKD sheets × 110 questions, 3,000-item key, {n_forms} formations")
    print(f"vectorised: {total_s:.3f} s  (score {score_s:.3f} s, decide+rank {rank_s:.3f} s;"
          f" best of 3)  codes {counts}")
    print(f"pure Python: {py_s:.1f} s extrapolated from {m:,} sheets; ratio "
          f"{py_s / total_s:.0f}×; sample results agree: {agree}")
    print(f"peak RSS {rss_after / 1024:.0f} MiB (inputs alone "
          f"{(items.nbytes + choices.nbytes) / 2**20:.0f} MiB; before timing "
          f"{rss_before / 1024:.0f} MiB)")


if __name__ == "__main__":
    main()
