"""Which command lines the console script patches for gevent before importing anything."""

from __future__ import annotations

import pytest

from exam_server.launch import serves_on_gevent


@pytest.mark.parametrize(("args", "patched"), [
    (["serve"], True),
    (["serve", "--port", "5001"], True),
    (["serve", "--workers", "1"], True),
    (["serve", "--workers=1"], True),
    (["serve", "--workers", "2"], False),  # the supervisor: its workers patch themselves
    (["serve", "--workers=4"], False),
    (["demo"], True),
    (["demo", "--simulate", "3", "--workers", "2"], True),  # the demo serves in-process too
    (["demo", "--no-serve"], False),
    (["demo", "--no-serve", "--serve"], True),
    (["serve", "--workers", "2", "--workers", "1"], True),
    (["serve", "--workers", "01"], True),
    (["serve", "--workers", "x"], False),
    (["serve", "--help"], False),
    (["-h"], False),
    ([], False),
    (["session", "list"], False),
    (["score", "--help"], False),
])
def test_only_a_serving_command_is_patched(args: list[str], patched: bool) -> None:
    assert serves_on_gevent(args) is patched
