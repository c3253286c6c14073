"""Exam definitions: an exam's id, scheme, blueprint and sessions, read from TOML.

The format is documented in ``docs/exam-definition.md``; ``examples/skd-2024-exam.toml`` is
the reference example. Every error names the file, the key and the reason, e.g.
``exam.toml: blueprint[1].cells[3].difficulty: 'hardd' is not one of easy, medium, hard``.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from question_bank.blueprint import Blueprint, BlueprintSection, Cell
from question_bank.errors import BlueprintError
from question_bank.model import DIFFICULTIES
from scoring.exceptions import SchemeError
from scoring.scheme import Scheme, load_scheme

TOP_KEYS = {"id", "name", "scheme", "shuffle_options", "duration_minutes", "blueprint",
            "sessions"}
SECTION_KEYS = {"section", "cells"}
CELL_KEYS = {"topic", "difficulty", "count"}
SESSION_KEYS = {"id", "site", "room", "starts_at", "duration_minutes"}


@dataclass(frozen=True)
class SessionDef:
    """One session (sesi) of an exam: where, when, and an optional own duration."""

    id: str
    site: str
    room: str
    starts_at: datetime
    duration_minutes: int | None


@dataclass(frozen=True)
class ExamDefinition:
    """A whole exam: its scheme, blueprint and sessions; ``source_sha256`` names the source."""

    id: str
    name: str
    scheme: Scheme
    blueprint: Blueprint
    sessions: tuple[SessionDef, ...]
    source_sha256: str

    def session(self, session_id: str) -> SessionDef:
        """The session with this id; ``KeyError`` naming the known ids if none."""
        for s in self.sessions:
            if s.id == session_id:
                return s
        raise KeyError(f"exam {self.id} has no session {session_id!r} "
                       f"(sessions: {', '.join(s.id for s in self.sessions)})")


def load_exam_definition(path: Path) -> ExamDefinition:
    """Read and validate an exam definition TOML file.

    ``scheme`` is a scheme id (``skd-2024``) or the path of a scheme file relative to the
    definition's folder. ``source_sha256`` is the SHA-256 of the file's bytes.

    Raises
    ------
    BlueprintError
        ``file: key: reason`` for the first problem found.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise BlueprintError(f"{path}: cannot read exam definition ({exc.strerror})") from exc
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise BlueprintError(f"{path.name}: not UTF-8 text (byte {exc.start})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise BlueprintError(f"{path.name}: not valid TOML: {exc}") from exc
    return parse_exam_definition(data, path.name, sha256=hashlib.sha256(raw).hexdigest(),
                                 folder=path.parent)


def parse_exam_definition(data: dict[str, Any], source: str, *, sha256: str | None = None,
                          folder: Path | None = None) -> ExamDefinition:
    """Validate parsed exam definition data; ``source`` names the file in error messages.

    Without ``sha256`` the source hash is the SHA-256 of the canonical JSON of ``data``
    (datetimes as ISO 8601 strings). ``folder`` resolves a scheme given as a relative path.
    """
    w = f"{source}: "
    _no_unknown(data, TOP_KEYS, w)
    exam_id = _text(data, "id", w)
    name = _text(data, "name", w) if "name" in data else exam_id
    scheme = _scheme(data, w, folder)
    shuffle = data.get("shuffle_options", True)
    if not isinstance(shuffle, bool):
        raise BlueprintError(f"{w}shuffle_options: must be true or false, got {shuffle!r}")
    duration = _positive(data, "duration_minutes", w, scheme.duration_minutes)
    blueprint = Blueprint(sections=_sections(data, scheme, w), shuffle_options=shuffle,
                          duration_minutes=duration)
    sessions = _sessions(data, w)
    if sha256 is None:
        sha256 = hashlib.sha256(json.dumps(data, sort_keys=True, separators=(",", ":"),
                                           ensure_ascii=False, default=_iso).encode()).hexdigest()
    return ExamDefinition(id=exam_id, name=name, scheme=scheme, blueprint=blueprint,
                          sessions=sessions, source_sha256=sha256)


def _iso(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"cannot hash a {type(value).__name__}")


def _no_unknown(data: dict[str, Any], known: set[str], where: str) -> None:
    unknown = sorted(set(data) - known)
    if unknown:
        raise BlueprintError(f"{where}{unknown[0]}: unknown key (known: "
                             f"{', '.join(sorted(known))})")


def _text(data: dict[str, Any], key: str, where: str) -> str:
    if key not in data:
        raise BlueprintError(f"{where}{key}: missing")
    value = data[key]
    if not isinstance(value, str) or not value.strip():
        raise BlueprintError(f"{where}{key}: must be a non-empty string, got {value!r}")
    return value


def _positive(data: dict[str, Any], key: str, where: str, default: int | None) -> int:
    value = data.get(key, default)
    if value is None:
        raise BlueprintError(f"{where}{key}: missing")
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise BlueprintError(f"{where}{key}: must be a positive integer, got {value!r}")
    return value


def _scheme(data: dict[str, Any], where: str, folder: Path | None) -> Scheme:
    ref = _text(data, "scheme", where)
    target: str | Path = ref
    if Path(ref).suffix and folder is not None:
        target = folder / ref
    try:
        return load_scheme(target)
    except SchemeError as exc:
        raise BlueprintError(f"{where}scheme: {exc}") from exc


def _list_of_tables(data: dict[str, Any], key: str, where: str) -> list[dict[str, Any]]:
    if key not in data:
        raise BlueprintError(f"{where}{key}: missing (add [[{key}]] tables)")
    value = data[key]
    if not isinstance(value, list) or not value:
        raise BlueprintError(f"{where}{key}: must be a non-empty list of tables ([[{key}]])")
    for i, entry in enumerate(value):
        if not isinstance(entry, dict):
            raise BlueprintError(f"{where}{key}[{i}]: must be a table, got {entry!r}")
    return value


def _sections(data: dict[str, Any], scheme: Scheme, w: str) -> tuple[BlueprintSection, ...]:
    raw_sections = _list_of_tables(data, "blueprint", w)
    sections: list[BlueprintSection] = []
    for i, raw in enumerate(raw_sections):
        sw = f"{w}blueprint[{i}]."
        _no_unknown(raw, SECTION_KEYS, sw)
        code = _text(raw, "section", sw)
        if code not in scheme.section_codes:
            raise BlueprintError(f"{sw}section: unknown section {code!r} for scheme {scheme.id} "
                                 f"(known: {', '.join(scheme.section_codes)})")
        if code in {s.code for s in sections}:
            raise BlueprintError(f"{sw}section: section {code!r} appears twice")
        expected = scheme.section_codes[len(sections)]
        if code != expected:
            raise BlueprintError(f"{sw}section: sections must follow the scheme's order "
                                 f"({', '.join(scheme.section_codes)}); expected {expected!r} "
                                 f"here, got {code!r}")
        section = BlueprintSection(code=code, cells=_cells(raw, code, sw))
        wanted = scheme.section(code).questions
        if section.count != wanted:
            raise BlueprintError(f"{sw}cells: counts add up to {section.count} but scheme "
                                 f"{scheme.id} has {wanted} {code} questions")
        sections.append(section)
    if len(sections) != len(scheme.sections):
        missing = [c for c in scheme.section_codes if c not in {s.code for s in sections}]
        raise BlueprintError(f"{w}blueprint: sections {', '.join(missing)} of scheme "
                             f"{scheme.id} are missing")
    return tuple(sections)


def _cells(raw: dict[str, Any], code: str, sw: str) -> tuple[Cell, ...]:
    raw_cells = _list_of_tables(raw, "cells", sw)
    cells: list[Cell] = []
    for j, rc in enumerate(raw_cells):
        cw = f"{sw}cells[{j}]."
        _no_unknown(rc, CELL_KEYS, cw)
        topic = _text(rc, "topic", cw)
        difficulty = rc.get("difficulty")
        if difficulty is not None and difficulty not in DIFFICULTIES:
            raise BlueprintError(f"{cw}difficulty: {difficulty!r} is not one of "
                                 f"{', '.join(DIFFICULTIES)} (leave it out for any difficulty)")
        count = _positive(rc, "count", cw, None)
        for other in cells:
            if other.topic != topic:
                continue
            if other.difficulty == difficulty:
                raise BlueprintError(f"{cw}topic: cell {topic!r} / {difficulty or 'any'} "
                                     f"appears twice in section {code}")
            if other.difficulty is None or difficulty is None:
                raise BlueprintError(f"{cw}difficulty: topic {topic!r} has both a cell without "
                                     f"difficulty and a cell with one; cells must not overlap "
                                     f"(give every cell of the topic a difficulty, or use one "
                                     f"cell without)")
        cells.append(Cell(section=code, topic=topic, difficulty=difficulty, count=count))
    return tuple(cells)


def _sessions(data: dict[str, Any], w: str) -> tuple[SessionDef, ...]:
    sessions: list[SessionDef] = []
    for i, raw in enumerate(_list_of_tables(data, "sessions", w)):
        sw = f"{w}sessions[{i}]."
        _no_unknown(raw, SESSION_KEYS, sw)
        sid = _text(raw, "id", sw)
        if sid in {s.id for s in sessions}:
            raise BlueprintError(f"{sw}id: session {sid!r} appears twice")
        if "|" in sid:
            raise BlueprintError(f"{sw}id: {sid!r} must not contain '|'")
        starts = raw.get("starts_at")
        if isinstance(starts, str):
            try:
                starts = datetime.fromisoformat(starts)
            except ValueError as exc:
                raise BlueprintError(f"{sw}starts_at: {starts!r} is not an ISO 8601 date and "
                                     f"time") from exc
        if not isinstance(starts, datetime):
            raise BlueprintError(f"{sw}starts_at: must be a date and time like "
                                 f"2026-11-24T08:00:00+07:00, got {starts!r}")
        if starts.tzinfo is None or starts.utcoffset() is None:
            raise BlueprintError(f"{sw}starts_at: {starts.isoformat()} has no time zone; write "
                                 f"the offset, e.g. {starts.isoformat()}+07:00 for WIB")
        duration = raw.get("duration_minutes")
        if duration is not None:
            duration = _positive(raw, "duration_minutes", sw, None)
        sessions.append(SessionDef(id=sid, site=_text(raw, "site", sw),
                                   room=_text(raw, "room", sw), starts_at=starts,
                                   duration_minutes=duration))
    return tuple(sessions)
