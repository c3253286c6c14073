"""Run the real ``seleksi`` console script in a subprocess against a test instance."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
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


@dataclass
class Demo:
    """A ``seleksi demo`` process serving on ``port``, started in ``work``."""

    work: Path
    port: int

    @property
    def instance(self) -> Path:
        """``./instance`` of the folder it was started in (``seleksi demo``'s default)."""
        return self.work / "instance"

    @property
    def log(self) -> Path:
        return self.work / "demo.log"

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def printed(self, label: str) -> str:
        """The first word after ``label`` on the line of the log that starts with it."""
        for line in self.log.read_text(encoding="utf-8").splitlines():
            if line.strip().startswith(label):
                return line.strip()[len(label):].split()[0]
        raise AssertionError(f"{label!r} not printed:\n{self.log.read_text()}")


@contextmanager
def running_demo(work: Path, *args: str) -> Iterator[Demo]:
    """``seleksi demo --port P *args`` run in ``work`` as the README's first command runs it
    (no ``SELEKSI_INSTANCE``: its instance is ``work/instance``), serving until the block
    ends; then it must have stopped cleanly."""
    from tests.protocol.helpers import free_port  # (helpers imports this module)

    running = Demo(work, free_port())
    env = {k: v for k, v in os.environ.items() if k not in ("SELEKSI_INSTANCE", "DATABASE_URL")}
    with running.log.open("w") as out:
        proc = subprocess.Popen([str(SELEKSI), "demo", "--port", str(running.port), *args],
                                env=env, stdout=out, stderr=subprocess.STDOUT, text=True,
                                cwd=work)
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(f"{running.base}/", timeout=2):  # noqa: S310
                    break
            except OSError:
                time.sleep(0.3)
        assert proc.poll() is None, running.log.read_text()
        yield running
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    log = running.log.read_text()
    assert "stopped cleanly" in log
    assert "MonkeyPatchWarning" not in log  # gevent patched before anything imported ssl
