"""Pure parts of the exam server: deadline math, room tokens, bearers, PINs, payload checks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from exam_server.candidate_ns import check_answer, check_flag
from exam_server.clock import (
    ShiftedClock,
    SteadyClock,
    accepts_answers,
    clock_from_env,
    deadline,
    downtime,
    epoch_ms,
    is_due,
    system_now,
)
from exam_server.tokens import (
    TOKEN_ALPHABET,
    bearer_digest,
    current_token,
    hash_pin,
    new_bearer,
    new_pin,
    pin_matches,
    token_for_window,
    token_valid,
    token_window,
)

START = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)


@given(st.integers(1, 300), st.integers(0, 120), st.integers(-600, 3600), st.integers(0, 3600),
       st.integers(0, 7200))
def test_deadline_adds_every_input(duration: int, extra: int, extension: int, paused: int,
                                   down: int) -> None:
    d = deadline(START, duration_minutes=duration, extra_minutes=extra,
                 extension_seconds=extension, paused_seconds=paused, downtime_seconds=down)
    assert (d - START).total_seconds() == (duration + extra) * 60 + extension + paused + down


def test_deadline_refuses_bad_inputs() -> None:
    with pytest.raises(ValueError, match="timezone"):
        deadline(START.replace(tzinfo=None), duration_minutes=100)
    with pytest.raises(ValueError, match="extra_minutes"):
        deadline(START, duration_minutes=100, extra_minutes=-1)


def test_grace_is_two_seconds() -> None:
    d = START + timedelta(minutes=100)
    assert accepts_answers(d + timedelta(seconds=2), d)
    assert not accepts_answers(d + timedelta(seconds=2, microseconds=1), d)
    assert not is_due(d + timedelta(seconds=2), d)
    assert is_due(d + timedelta(seconds=3), d)
    assert downtime(d, d - timedelta(seconds=5)) == timedelta(0)
    assert epoch_ms(datetime(1970, 1, 1, 0, 0, 1, tzinfo=UTC)) == 1000


def test_token_rotates_per_window_with_grace() -> None:
    secret = b"k" * 32
    window = token_window(START)
    start = datetime.fromtimestamp(window * 900, UTC)
    token = current_token(secret, start)
    assert len(token) == 6
    assert set(token) <= set(TOKEN_ALPHABET)
    assert not set(TOKEN_ALPHABET) & set("01IO")
    assert token == token_for_window(secret, window)
    assert current_token(secret, start + timedelta(minutes=14, seconds=59)) == token
    nxt = current_token(secret, start + timedelta(minutes=15))
    assert nxt != token
    assert token_valid(secret, token.lower(), start + timedelta(minutes=16, seconds=59))
    assert not token_valid(secret, token, start + timedelta(minutes=17))
    assert token_valid(secret, f" {nxt[:3]} {nxt[3:]} ", start + timedelta(minutes=17))
    assert not token_valid(b"x" * 32, token, start)
    assert not token_valid(secret, "", start)


def test_bearer_and_pin() -> None:
    bearer, digest = new_bearer()
    assert len(bearer) >= 40
    assert digest == bearer_digest(bearer) != bearer
    assert new_bearer()[0] != bearer
    pin = new_pin()
    assert len(pin) == 6
    assert pin.isdigit()
    key = bytes(range(32))
    hashed = hash_pin(key, "skd/2411000000001", pin)
    assert hashed.startswith("hmac-sha256$")
    assert pin not in hashed
    assert pin_matches(key, hashed, "skd/2411000000001", pin)
    assert not pin_matches(key, hashed, "skd/2411000000001", "x" + pin[1:])
    assert not pin_matches(key, hashed, "skd/2411000000002", pin)  # bound to the participant
    assert not pin_matches(bytes(32), hashed, "skd/2411000000001", pin)  # and to the key
    assert not pin_matches(key, "not a hash", "skd/2411000000001", pin)


@pytest.mark.parametrize(("payload", "error"), [
    ({"seq": 1, "q": 1, "choice": "A"}, None),
    ({"seq": 1, "q": 2, "choice": None}, None),
    ({"seq": 1, "q": 2, "choice": "E"}, "bad_choice"),  # question 2 has four options
    ({"seq": 1, "q": 3, "choice": "A"}, "bad_question"),
    ({"seq": 1, "q": True, "choice": "A"}, "bad_question"),
    ({"seq": "1", "q": 1, "choice": "A"}, "bad_seq"),
    ({"seq": 1, "q": 1, "choice": ["A"]}, "bad_choice"),
    ("answer", "bad_request"),
])
def test_check_answer(payload: object, error: str | None) -> None:
    assert check_answer(payload, ("ABCDE", "ABCD")) == error


def test_check_flag() -> None:
    assert check_flag({"seq": 1, "q": 2, "flagged": False}, 2) is None
    assert check_flag({"seq": 1, "q": 3, "flagged": False}, 2) == "bad_question"
    assert check_flag({"seq": 1, "q": 1, "flagged": "yes"}, 2) == "bad_flag"
    assert check_flag({"q": 1, "flagged": True}, 2) == "bad_seq"


def test_the_steady_clock_keeps_the_pace_of_real_seconds_whatever_the_wall_clock_does(
        monkeypatch: pytest.MonkeyPatch) -> None:
    ticks = [100.0]
    anchor = datetime(2026, 11, 28, 1, 0, tzinfo=UTC)
    clock = SteadyClock(anchor, monotonic=lambda: ticks[0])
    assert clock.now() == anchor
    ticks[0] += 90.5
    monkeypatch.setenv("SELEKSI_SYSTEM_CLOCK_SKEW", "3600")  # the machine's clock jumps 1 h
    assert system_now() - datetime.now(UTC) > timedelta(minutes=59)
    assert clock.now() == anchor + timedelta(seconds=90.5)  # the server's time does not
    with pytest.raises(ValueError, match="timezone-aware"):
        SteadyClock(datetime(2026, 11, 28))  # noqa: DTZ001 - the point of the test
    monkeypatch.setenv("SELEKSI_SYSTEM_CLOCK_SKEW", "soon")
    with pytest.raises(ValueError, match="SELEKSI_SYSTEM_CLOCK_SKEW='soon'"):
        system_now()


def test_the_server_clock_is_anchored_at_the_reference(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SELEKSI_CLOCK_OFFSET", raising=False)
    database = datetime(2030, 1, 1, tzinfo=UTC)
    clock = clock_from_env(reference=lambda: database)  # the database's time, say
    assert isinstance(clock, SteadyClock)
    assert timedelta(0) <= clock.now() - database < timedelta(seconds=5)
    monkeypatch.setenv("SELEKSI_CLOCK_OFFSET", "60")  # the tests' time-travel hook
    assert isinstance(clock_from_env(reference=lambda: database), ShiftedClock)
