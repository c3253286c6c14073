"""Server processes for ``bench/exam_load.py``: start, wait for, measure, stop.

CPU time and memory come from ``/proc/<pid>/stat`` and ``/proc/<pid>/status`` of the server
process itself (its threads included: argon2 runs in gevent's thread pool).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

BENCH = Path(__file__).resolve().parent
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class ServerProcess:
    """A running server: its process, port and log file."""

    name: str
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def start_server(name: str, argv: list[str], env: dict[str, str], port: int, log: Path,
                 cwd: Path, timeout: float = 60.0) -> ServerProcess:
    """Start ``argv`` and wait (at most ``timeout`` s) until it accepts connections on ``port``."""
    with log.open("wb") as out:
        process = subprocess.Popen(argv, cwd=cwd, env=env, stdout=out,  # noqa: S603
                                   stderr=subprocess.STDOUT)
    server = ServerProcess(name, process, port, log)
    wait_listening(server, port, timeout)
    return server


def wait_listening(server: ServerProcess, port: int, timeout: float = 60.0) -> None:
    """Wait (at most ``timeout`` s) until something accepts connections on ``port``; if
    ``server`` exits first or the time runs out, kill it and raise."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"{server.name} exited with {server.process.returncode} before "
                               f"serving:\n{server.log.read_text(errors='replace')[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    stop(server, signal.SIGKILL)
    raise RuntimeError(f"{server.name} did not listen on port {port} within {timeout:.0f} s")


def start_bare(port: int, folder: Path) -> ServerProcess:
    """The bare Flask-SocketIO echo server (the ceiling)."""
    return start_server("bare", [sys.executable, str(BENCH / "bare_echo_server.py"),
                                 "--port", str(port)],
                        dict(os.environ), port, folder / "bare.log", folder)


def start_seleksi(port: int, env: dict[str, str], folder: Path) -> ServerProcess:
    """``seleksi serve --port PORT`` on the prepared instance."""
    seleksi = str(Path(sys.executable).with_name("seleksi"))
    return start_server("server", [seleksi, "serve", "--port", str(port)], env, port,
                        folder / "server.log", folder)


def stop(server: ServerProcess, sig: int = signal.SIGTERM, timeout: float = 10.0) -> None:
    """Send ``sig`` to the server and wait for it (SIGKILL if it lingers)."""
    if server.process.poll() is None:
        server.process.send_signal(sig)
        try:
            server.process.wait(timeout)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait(timeout)


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds the process has used so far (all its threads)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2:].split()
    utime, stime = int(fields[11]), int(fields[12])  # fields 14 and 15 of proc(5)
    return (utime + stime) / CLOCK_TICKS


def memory_mib(pid: int) -> tuple[float, float]:
    """(resident now, peak resident) in MiB, from ``/proc/<pid>/status``."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) / 1024
    return values.get("VmRSS", 0.0), values.get("VmHWM", 0.0)


def cpu_seconds_of(pids: list[int]) -> float:
    """:func:`cpu_seconds` summed over several processes (a server's workers)."""
    return sum(cpu_seconds(pid) for pid in pids)


def memory_mib_of(pids: list[int]) -> float:
    """Resident memory (MiB) summed over several processes (a server's workers)."""
    return sum(memory_mib(pid)[0] for pid in pids)


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine has spent busy (every core, every process) so far."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    return (sum(fields[:8]) - idle) / CLOCK_TICKS
