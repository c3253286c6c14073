"""The benchmarks still run: each at a toy size through its own command line.

Not a measurement (figures at this size mean nothing, and no test times anything): it
catches a benchmark broken by a change of the CLI, the protocol or the scoring API before
somebody needs its figures. ``mypy bench`` checks their types in the test command.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def _bench(*args: str | Path) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([sys.executable, *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done


def test_exam_load_runs_and_loses_nothing(tmp_path: Path) -> None:
    figures = tmp_path / "exam_load.json"
    out = _bench(ROOT / "bench" / "exam_load.py", "--n", "20", "--seconds", "2",
                 "--json", figures).stdout
    assert "0 lost" in out
    assert "every offered answer acked: 40/40 -> met" in out
    assert "all 20 started within 5 s" in out
    [run] = json.loads(figures.read_text(encoding="utf-8"))["per_round"]
    assert run["server"]["journal"]["lost"] == 0
    assert run["server"]["acked"] == run["bare"]["acked"] == 40


def test_scoring_bench_agrees_with_its_baseline() -> None:
    out = _bench(ROOT / "bench" / "scoring.py", "--sheets", "2000", "--sample", "500",
                 "--repeats", "1", "--candidates", "200").stdout
    assert "sample results agree: True" in out
