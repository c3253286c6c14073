"""Run the real ``seleksi`` console script in a subprocess against a test instance."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

SELEKSI = Path(sys.executable).with_name("seleksi")
ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "skd-2024-exam.toml"

Run = Callable[..., subprocess.CompletedProcess[str]]


def make_runner(instance: Path, database_url: str | None) -> Run:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL",)}
    env["SELEKSI_INSTANCE"] = str(instance)
    if database_url:
        env["DATABASE_URL"] = database_url

    def run(*args: str | Path, ok: bool = True) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run([str(SELEKSI), *map(str, args)], env=env, cwd=instance.parent,
                              capture_output=True, text=True, timeout=120, check=False)
        if ok and proc.returncode != 0:
            pytest.fail(f"seleksi {' '.join(map(str, args))} failed ({proc.returncode}):\n"
                        f"{proc.stdout}\n{proc.stderr}")
        if not ok and proc.returncode == 0:
            pytest.fail(f"seleksi {' '.join(map(str, args))} should have failed:\n{proc.stdout}")
        return proc

    return run


@pytest.fixture
def seleksi(tmp_path: Path) -> Run:
    """``seleksi(*args, ok=True)`` on a fresh SQLite instance in tmp_path/instance."""
    return make_runner(tmp_path / "instance", None)


def write_roster(path: Path, count: int, session: str = "JKT1-S1") -> Path:
    lines = ["participant,name,formation,category,session"]
    lines += [f"2411{n:09d},Peserta {n},Analis Kebijakan,umum,{session}"
              for n in range(1, count + 1)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
