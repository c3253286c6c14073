"""Exam definitions: the shipped example loads, and every malformed key is named."""

from __future__ import annotations

import hashlib
import tomllib
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from question_bank.errors import BlueprintError
from question_bank.exam_definition import load_exam_definition, parse_exam_definition

EXAMPLE = Path(__file__).parents[2] / "examples" / "skd-2024-exam.toml"


def example() -> dict[str, Any]:
    return tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))


def test_example_loads() -> None:
    exam = load_exam_definition(EXAMPLE)
    assert exam.id == "skd-2024-demo"
    assert exam.scheme.id == "skd-2024"
    assert [(s.code, s.count) for s in exam.blueprint.sections] == [
        ("TWK", 30), ("TIU", 35), ("TKP", 45)]
    assert exam.blueprint.questions == 110
    assert exam.blueprint.duration_minutes == 100
    assert exam.blueprint.shuffle_options is True
    tkp = exam.blueprint.sections[2].cells[0]
    assert (tkp.section, tkp.topic, tkp.difficulty, tkp.count) == (
        "TKP", "Pelayanan Publik", None, 8)
    (session,) = exam.sessions
    assert session.id == "JKT1-S1"
    assert session.starts_at.utcoffset() == timedelta(hours=7)
    assert exam.source_sha256 == hashlib.sha256(EXAMPLE.read_bytes()).hexdigest()
    assert exam.session("JKT1-S1") is session


def edit(path: str, value: object) -> dict[str, Any]:
    """The example with one key replaced (``a.0.b`` style path; value DELETE removes it)."""
    data = example()
    *parents, last = path.split(".")
    node: Any = data
    for part in parents:
        node = node[int(part)] if part.isdigit() else node[part]
    key: Any = int(last) if last.isdigit() else last
    if value == "DELETE":
        del node[key]
    else:
        node[key] = value
    return data


@pytest.mark.parametrize(("path", "value", "message"), [
    ("blueprint.0.section", "XYZ", r"blueprint\[0\]\.section: unknown section 'XYZ'"),
    ("blueprint.0.cells.0.count", 0, r"blueprint\[0\]\.cells\[0\]\.count: must be a positive"),
    ("blueprint.0.cells.0.count", -2, r"cells\[0\]\.count: must be a positive integer, got -2"),
    ("blueprint.0.cells.0.count", 3, r"blueprint\[0\]\.cells: counts add up to 31 but scheme "
                                     r"skd-2024 has 30 TWK"),
    ("blueprint.0.cells.1.difficulty", "easy", r"cells\[1\]\.topic: cell 'Nasionalisme' / "
                                               r"easy appears twice"),
    ("blueprint.0.cells.0.difficulty", "hardd", r"cells\[0\]\.difficulty: 'hardd' is not one"),
    ("blueprint.0.cells.0.difficulty", "DELETE", r"cells\[1\]\.difficulty: topic "
                                                 r"'Nasionalisme' has both"),
    ("blueprint.0.cells.0.dificulty", "easy", r"cells\[0\]\.dificulty: unknown key"),
    ("blueprint.2", "DELETE", r"blueprint: sections TKP of scheme skd-2024 are missing"),
    ("blueprint.0.section", "TIU", r"blueprint\[0\]\.section: sections must follow"),
    ("sessions", "DELETE", r"sessions: missing"),
    ("sessions", [], r"sessions: must be a non-empty list"),
    ("sessions.0.starts_at", "2026-11-24T08:00:00", r"sessions\[0\]\.starts_at: "
                                                    r"2026-11-24T08:00:00 has no time zone"),
    ("sessions.0.starts_at", "besok pagi", r"sessions\[0\]\.starts_at: 'besok pagi' is not"),
    ("sessions.0.room", "DELETE", r"sessions\[0\]\.room: missing"),
    ("scheme", "skd-1999", r"scheme: unknown scheme 'skd-1999'"),
    ("id", "DELETE", r"exam\.toml: id: missing"),
    ("shuffle_options", "yes", r"shuffle_options: must be true or false"),
    ("duration_minutes", 0, r"duration_minutes: must be a positive integer"),
])
def test_bad_definitions_name_file_key_and_reason(path: str, value: object,
                                                  message: str) -> None:
    with pytest.raises(BlueprintError, match=message):
        parse_exam_definition(edit(path, value), "exam.toml")


def test_duplicate_session_ids_are_refused() -> None:
    data = example()
    data["sessions"].append(dict(data["sessions"][0]))
    with pytest.raises(BlueprintError, match=r"sessions\[1\]\.id: session 'JKT1-S1' appears"):
        parse_exam_definition(data, "exam.toml")


def test_load_reports_bad_toml_and_missing_file(tmp_path: Path) -> None:
    bad = tmp_path / "rusak.toml"
    bad.write_text("id = \n", encoding="utf-8")
    with pytest.raises(BlueprintError, match="rusak.toml: not valid TOML"):
        load_exam_definition(bad)
    with pytest.raises(BlueprintError, match="cannot read exam definition"):
        load_exam_definition(tmp_path / "none.toml")


def test_parse_without_file_hashes_the_data() -> None:
    a = parse_exam_definition(example(), "x")
    b = parse_exam_definition(edit("name", "Lain"), "x")
    assert len(a.source_sha256) == 64
    assert a.source_sha256 != b.source_sha256
    assert parse_exam_definition(example(), "x") == a
