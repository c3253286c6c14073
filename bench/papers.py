"""Benchmark: build and seal the papers of 10,000 participants from a 3,000-item bank.

Run as ``.venv/bin/python bench/papers.py``. The SKD blueprint of
``examples/skd-2024-exam.toml`` (110 questions), participants ``2411000000001`` to
``2411000010000`` in the example's one session (a second row seals the same papers split over
25 sessions of 400, the size of a large room). Targets on the 2-core machine: build + seal
< 3 s, package < 20 MB, verify with key < 1 s.

The baseline, in the same process: per participant ``random.sample`` per cell,
``random.shuffle`` per section and of each question's options, no sealing. It is neither
reproducible nor exposure-controlled; the ratio shows what determinism and sealing cost.
"""

from __future__ import annotations

import dataclasses
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from question_bank.exam_definition import SessionDef, load_exam_definition  # noqa: E402
from question_bank.exposure import exposure_report  # noqa: E402
from question_bank.model import ItemVersion  # noqa: E402
from question_bank.papers import BankSnapshot, Paper, build_papers  # noqa: E402
from question_bank.roster import RosterEntry  # noqa: E402
from question_bank.sample import sample_bank  # noqa: E402
from question_bank.sealing import (  # noqa: E402
    parse_release_key,
    read_manifest,
    release_key,
    seal_package,
    verify_package,
)

ITEMS, PARTICIPANTS, SEED = 3000, 10_000, "bench-seed-2026"


def naive_papers(snapshot: BankSnapshot, participants: list[str]) -> list[Paper]:
    """The baseline: random.sample per cell, random.shuffle per section and options."""
    rng = random.Random(1)
    cell_refs = [[snapshot.refs[int(i)] for i in pool] for pool in snapshot.cell_pools]
    labels = {ref: [o.label for o in snapshot.item(ref).item.options] for ref in snapshot.refs}
    papers = []
    for p in participants:
        refs, sections, cell = [], [], 0
        for section in snapshot.blueprint.sections:
            chosen: list[str] = []
            for c in section.cells:
                chosen += rng.sample(cell_refs[cell], c.count)
                cell += 1
            rng.shuffle(chosen)
            refs += chosen
            sections += [section.code] * len(chosen)
        orders = []
        for ref in refs:
            order = list(labels[ref])
            rng.shuffle(order)
            orders.append("".join(order))
        papers.append(Paper.compact(p, refs, orders, sections))
    return papers


def main() -> None:
    exam = load_exam_definition(ROOT / "examples" / "skd-2024-exam.toml")
    pool = [ItemVersion(item, 1) for item in sample_bank(ITEMS, seed=1)]
    participants = [f"2411{i:09d}" for i in range(1, PARTICIPANTS + 1)]
    session = exam.sessions[0].id
    roster = [RosterEntry(p, f"Peserta {p[-5:]}", "Analis Kebijakan", "umum", session)
              for p in participants]
    master, signer = bytes(range(32)), Ed25519PrivateKey.generate()
    created = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)

    t0 = time.perf_counter()
    snapshot = BankSnapshot(pool, exam.blueprint)
    t1 = time.perf_counter()
    papers = build_papers(SEED, participants, snapshot)
    t2 = time.perf_counter()
    data = seal_package(exam, roster, papers, snapshot, master, signer, created)
    t3 = time.perf_counter()
    manifest = read_manifest(data, signer.public_key())
    key = parse_release_key(release_key(master, manifest, session))
    verify_package(data, signer.public_key(), {session: key})
    t4 = time.perf_counter()
    ours = exposure_report(papers, snapshot)

    # The same papers split over 25 sessions of 400.
    base = exam.sessions[0]
    split = dataclasses.replace(exam, sessions=tuple(
        SessionDef(f"S{n + 1:02d}", base.site, f"Ruang {n + 1}",
                   base.starts_at + timedelta(hours=2 * n), None) for n in range(25)))
    roster25 = [dataclasses.replace(r, session=f"S{i // 400 + 1:02d}")
                for i, r in enumerate(roster)]
    t5 = time.perf_counter()
    data25 = seal_package(split, roster25, papers, snapshot, master, signer, created)
    t6 = time.perf_counter()
    manifest25 = read_manifest(data25, signer.public_key())
    keys25 = {s.id: parse_release_key(release_key(master, manifest25, s.id))
              for s in split.sessions}
    verify_package(data25, signer.public_key(), keys25)
    t7 = time.perf_counter()

    t8 = time.perf_counter()
    naive = naive_papers(snapshot, participants)
    t9 = time.perf_counter()
    theirs = exposure_report(naive, snapshot)

    build, sealing, total, naive_s = t2 - t1, t3 - t2, t3 - t1, t9 - t8
    rows = [
        ("bank snapshot (3,000 items, check + pools)", f"{t1 - t0:.3f} s", ""),
        ("build 10,000 papers", f"{build:.3f} s", ""),
        ("seal (1 session)", f"{sealing:.3f} s", ""),
        ("build + seal", f"{total:.3f} s", "target < 3 s"),
        ("package size (1 session)", f"{len(data) / 1e6:.2f} MB", "target < 20 MB"),
        ("verify with key (all 10,000 papers)", f"{t4 - t3:.3f} s", "target < 1 s"),
        ("seal (25 sessions of 400)", f"{t6 - t5:.3f} s", ""),
        ("package size (25 sessions)", f"{len(data25) / 1e6:.2f} MB", ""),
        ("verify with 25 keys", f"{t7 - t6:.3f} s", ""),
        ("naive baseline (random.sample, no seal)", f"{naive_s:.3f} s", ""),
        ("build + seal / naive", f"{total / naive_s:.2f} x", ""),
        ("exposure max/min, worst cell: ours", f"{ours.max_min_ratio:.3f}", ours.worst_cell),
        ("exposure max/min, worst cell: naive", f"{theirs.max_min_ratio:.3f}",
         theirs.worst_cell),
        ("neighbour same-position rate: ours", f"{ours.neighbour_same_position_rate:.4f}",
         f"mean shared {ours.mean_shared_same_position:.4f}"),
        ("neighbour same-position rate: naive", f"{theirs.neighbour_same_position_rate:.4f}",
         f"mean shared {theirs.mean_shared_same_position:.4f}"),
    ]
    width = max(len(r[0]) for r in rows)
    print(f"{'figure':<{width}}  {'value':>10}  note")
    print(f"{'-' * width}  {'-' * 10}  ----")
    for name, value, note in rows:
        print(f"{name:<{width}}  {value:>10}  {note}")


if __name__ == "__main__":
    main()
