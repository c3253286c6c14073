"""§1/§3: a session's own duration and a participant's extra minutes and large text, from the
exam definition and the roster file to ``start``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.conftest import EXAMPLE, make_runner
from tests.protocol.helpers import SESSION, Candidate, Prepared, Sealed, Server, prepare

MINUTE_MS = 60_000


@pytest.fixture(scope="module")
def sealed_accommodated(tmp_path_factory: pytest.TempPathFactory) -> Sealed:
    """A package whose session lasts 90 minutes (its own ``duration_minutes``, not the
    scheme's 100) and whose roster gives the first participant 15 extra minutes and large
    text."""
    work = tmp_path_factory.mktemp("accommodated")
    run = make_runner(work / "instance", None)
    run("keys", "init")
    run("bank", "sample", "--items", "600", "--out", work / "bank.json")
    run("bank", "import", work / "bank.json")
    exam = work / "exam.toml"  # the example's one [[sessions]] table is its last: add to it
    exam.write_text(EXAMPLE.read_text(encoding="utf-8") + "duration_minutes = 90\n",
                    encoding="utf-8")
    run("exam", "load", exam)
    roster = work / "participants.csv"
    roster.write_text("participant,name,formation,category,session,extra_minutes,large_text\n"
                      f"2411000000001,Siti Aminah,Analis,disabilitas,{SESSION},15,ya\n"
                      f"2411000000002,Budi Santoso,Analis,umum,{SESSION},,\n", encoding="utf-8")
    seal = work / "exam.seal"
    run("papers", "build", "--exam", "skd-2024-demo", "--participants", roster, "--seed", "a",
        "--out", seal)
    key = run("papers", "release-key", seal, "--session", SESSION).stdout.strip()
    return Sealed(seal, work / "instance" / "keys", key, 2)


@pytest.fixture
def running(sealed_accommodated: Sealed, db_url: str,
            tmp_path: Path) -> Iterator[tuple[Server, Prepared]]:
    prepared = prepare(sealed_accommodated, tmp_path / "instance", db_url)
    server = Server(prepared.instance, prepared.url).start()
    yield server, prepared
    Candidate.close_all()
    server.stop()
    prepared.factory.kw["bind"].dispose()


def _start(server: Server, prepared: Prepared, number: str) -> dict[str, object]:
    bearer = server.login(number, prepared.pins[number], prepared.token()).json()["token"]
    state: dict[str, object] = Candidate(server, bearer).call("start")
    assert state["ok"], state
    return state


def test_the_sessions_duration_and_extra_minutes_set_the_deadline_and_large_text_is_sent(
        running: tuple[Server, Prepared]) -> None:
    server, prepared = running
    accommodated = _start(server, prepared, "2411000000001")
    plain = _start(server, prepared, "2411000000002")
    left = {n: int(s["deadline"]) - int(s["server_time"])  # type: ignore[call-overload]
            for n, s in (("acc", accommodated), ("plain", plain))}
    assert abs(left["plain"] - 90 * MINUTE_MS) < 5_000
    assert abs(left["acc"] - 105 * MINUTE_MS) < 5_000
    assert accommodated["participant"] == {"number": "2411000000001", "name": "Siti Aminah",
                                           "large_text": True}
    assert plain["participant"]["large_text"] is False  # type: ignore[index]
