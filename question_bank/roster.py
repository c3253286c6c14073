"""The participant roster of an exam: who sits it, in which formation, category and session.

A CSV (UTF-8, comma) or XLSX file with the header ``participant,name,formation,category,
session`` and, optionally, the accommodations ``extra_minutes`` (a whole number of minutes
≥ 0; empty means 0) and ``large_text`` (``yes/no``, ``ya/tidak``, ``true/false``, ``1/0``;
empty means no). Participant numbers are text (leading zeros kept; a numeric XLSX cell becomes its
integer text); one in scientific notation (``2.411E+12``: the spreadsheet rounded a long
number) or holding a space or control character is refused. An empty ``session`` is
allowed when the exam has exactly one session; an empty ``category`` means ``umum``. A file
with anything wrong is refused whole, every problem listed at once.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from question_bank.errors import ImportRejected, Problem
from question_bank.formats.sheet import column_letter, map_columns, read_sheet

COLUMNS = ("participant", "name", "formation", "category", "session", "extra_minutes",
           "large_text")
REQUIRED = ("participant", "name", "formation")  # the others may be left out
MAX_EXTRA_MINUTES = 600
YES = ("yes", "ya", "true", "1", "y")
NO = ("no", "tidak", "false", "0", "n", "")
DEFAULT_CATEGORY = "umum"
_SCIENTIFIC = re.compile(r"[+-]?\d+(?:[.,]\d+)?[eE][+-]?\d+")
_AS_TEXT = "format the participant column as Text in the spreadsheet and type the numbers again"


@dataclass(frozen=True)
class RosterEntry:
    """One participant: number, name, formation (formasi), pass-rule category, session, and
    the accommodations: extra minutes on the clock, large text on the candidate page."""

    participant: str
    name: str
    formation: str
    category: str
    session: str
    extra_minutes: int = 0
    large_text: bool = False


def read_roster(path: Path, sessions: Sequence[str],
                categories: Sequence[str]) -> list[RosterEntry]:
    """Read and check a roster file (``.csv`` or ``.xlsx``).

    Parameters
    ----------
    path
        The roster file.
    sessions
        The exam's session ids; an empty ``session`` cell is filled with the only one when
        there is exactly one.
    categories
        The scheme's known categories (e.g. ``umum``, ``cumlaude``, ``disabilitas``).

    Raises
    ------
    ImportRejected
        Every problem at once: missing columns, bad encoding, empty participant or name,
        a participant number used twice (both rows named) or in scientific notation or
        holding a space or control character, an unknown session or category, extra
        minutes that are not a whole number from 0 to 600, a large_text that is not yes/no.
    """
    path = Path(path)
    if path.suffix.lower() not in (".csv", ".xlsx"):
        raise ImportRejected([Problem(path.name, "a roster must be a .csv or .xlsx file")])
    sheet = read_sheet(path)
    columns, problems = map_columns(sheet, COLUMNS, REQUIRED)
    problems = list(sheet.problems) + problems
    if problems and any(p.row == 1 for p in problems):
        raise ImportRejected(problems)
    letter = {name: column_letter(i) for name, i in columns.items()}
    entries: list[RosterEntry] = []
    first_row: dict[str, int] = {}
    for number, cells in sheet.rows:
        value = {c: cells[columns[c]].strip() if c in columns else "" for c in COLUMNS}

        def flag(column: str, reason: str, row: int = number) -> None:
            problems.append(Problem(sheet.file, reason, row, letter.get(column)))

        participant, name = value["participant"], value["name"]
        malformed = _malformed_number(participant)
        if not participant:
            flag("participant", "the participant number is empty")
        elif malformed:
            flag("participant", f"participant number {participant!r} {malformed}: {_AS_TEXT}")
        elif participant in first_row:
            flag("participant", f"participant {participant} appears twice, at rows "
                                f"{first_row[participant]} and {number}")
        else:
            first_row[participant] = number
        if not name:
            flag("name", f"participant {participant or '?'} has no name")
        session = value["session"] or (sessions[0] if len(sessions) == 1 else "")
        if not session:
            flag("session", f"the session is empty and the exam has {len(sessions)} sessions "
                            f"({', '.join(sessions)}); say which one")
        elif session not in sessions:
            flag("session", f"unknown session {session!r} (the exam's sessions: "
                            f"{', '.join(sessions) or 'none'})")
        category = value["category"] or DEFAULT_CATEGORY
        if category not in categories:
            flag("category", f"unknown category {category!r} (known: "
                             f"{', '.join(categories)})")
        extra = _extra_minutes(value["extra_minutes"])
        if extra is None:
            flag("extra_minutes", f"participant {participant or '?'}: extra_minutes "
                                  f"{value['extra_minutes']!r} is not a whole number of minutes "
                                  f"from 0 to {MAX_EXTRA_MINUTES}")
        large = value["large_text"].lower()
        if large not in YES + NO:
            flag("large_text", f"participant {participant or '?'}: large_text "
                               f"{value['large_text']!r} is not one of yes/no, ya/tidak, "
                               f"true/false, 1/0")
        entries.append(RosterEntry(participant, name, value["formation"], category, session,
                                   extra or 0, large in YES))
    if problems:
        problems.sort(key=lambda p: p.row or 0)
        raise ImportRejected(problems)
    return entries


def _extra_minutes(text: str) -> int | None:
    """The extra minutes in a cell (empty: 0), or ``None`` when it is not a whole number in
    0..:data:`MAX_EXTRA_MINUTES` (``15.0`` from a spreadsheet counts as 15)."""
    if not text:
        return 0
    try:
        number = float(text.replace(",", "."))
    except ValueError:
        return None
    if not number.is_integer() or not 0 <= number <= MAX_EXTRA_MINUTES:
        return None
    return int(number)


def _malformed_number(participant: str) -> str | None:
    """Why a participant number cannot be right, or ``None``."""
    if _SCIENTIFIC.fullmatch(participant):
        return ("is in scientific notation (the spreadsheet turned a long number into a "
                "rounded one)")
    if any(ch.isspace() or unicodedata.category(ch).startswith("C") for ch in participant):
        return "holds a space or control character"
    return None
