"""Single-flight reads: a burst of joiners shares a few reads, each from after its join."""

from __future__ import annotations

import gevent
import pytest

from proctor_console.shared_reads import SharedReads


def test_a_burst_shares_reads_that_start_after_each_joiner() -> None:
    reads = SharedReads[int]()
    started: list[int] = []

    def read() -> int:
        started.append(len(started) + 1)
        number = len(started)
        gevent.sleep(0.05)  # a table read takes a while; joiners keep coming
        return number

    results: dict[int, tuple[int, int]] = {}

    def join(i: int) -> None:
        reads_begun = len(started)  # reads that began before this joiner asked
        results[i] = (reads_begun, reads.read_after_now("s", read))

    joiners = []
    for i in range(200):
        joiners.append(gevent.spawn(join, i))
        if i % 50 == 49:
            gevent.sleep(0.02)
    gevent.joinall(joiners, raise_error=True)
    assert len(started) <= 10  # 200 joiners, a handful of reads
    for begun, got in results.values():
        assert got > begun  # every joiner got a read that began after it asked


def test_an_error_goes_to_the_caller_that_read_and_the_others_try_again() -> None:
    reads = SharedReads[str]()
    calls: list[int] = []

    def flaky() -> str:
        calls.append(1)
        gevent.sleep(0.01)
        if len(calls) == 1:
            raise RuntimeError("database gone")
        return "table"

    first = gevent.spawn(reads.read_after_now, "s", flaky)
    gevent.sleep(0)  # the first one is reading now
    second = gevent.spawn(reads.read_after_now, "s", flaky)
    gevent.joinall([first, second])
    with pytest.raises(RuntimeError, match="database gone"):
        first.get()
    assert second.get() == "table"
