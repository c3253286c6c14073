"""Voiding and re-keying items after the exam, and the published diff of results.

A corrections file has the columns ``item_id,action,A,B,C,D,E``:

- ``void``: the scheme's ``void`` policy decides. ``credit`` gives everyone who was given
  the item its maximum points (blank included); ``remove`` makes it score 0 for everyone.
  Option cells must be empty.
- ``rekey``: the option cells give the item's new points, whole numbers (``2.5`` is
  refused), checked against the section rule.

A corrected key is a new :class:`KeyTable`; re-scoring runs the same code as scoring.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scoring.exceptions import InputError
from scoring.files import Table
from scoring.inputs import parse_int
from scoring.keytable import KeyTable, with_points
from scoring.results import Results, score_cells


@dataclass(frozen=True)
class Correction:
    """One correction: ``action`` is ``void`` or ``rekey`` (with ``points`` per option)."""

    item_id: str
    action: str
    points: dict[str, int]
    where: str = ""


def corrections_from_table(table: Table) -> list[Correction]:
    """Read ``item_id,action,A,...``; option columns are optional for ``void``."""
    cols = table.columns("item_id", "action", optional=tuple("ABCDEFGH"))
    out: list[Correction] = []
    for n, row in table.rows:
        at = f"{table.name} row {n}"
        action = row[cols["action"]].lower()
        if action not in ("void", "rekey"):
            raise InputError(f"{at}: action must be 'void' or 'rekey', got "
                             f"{row[cols['action']]!r}")
        pts: dict[str, int] = {}
        for label in "ABCDEFGH":
            cell = row[cols[label]] if label in cols else ""
            if cell:
                if action == "void":
                    raise InputError(f"{at}: a void row has no option points (option "
                                     f"{label} is {cell!r}); leave the option cells empty")
                pts[label] = parse_int(cell, at, f"points of option {label}")
        out.append(Correction(row[cols["item_id"]], action, pts, at))
    return out


def apply_corrections(key: KeyTable, corrections: list[Correction]) -> KeyTable:
    """A new key with every correction applied (the scheme's void policy for voids).

    Raises
    ------
    InputError
        Unknown item, an item corrected twice, or re-key points that break the rule.
    """
    changes: dict[int, np.ndarray] = {}
    for c in corrections:
        at = c.where or f"correction of {c.item_id}"
        row = key.index.get(c.item_id)
        if row is None:
            raise InputError(f"{at}: item {c.item_id!r} is not in the key")
        if row in changes:
            raise InputError(f"{at}: item {c.item_id!r} is corrected twice")
        rule = key.scheme.sections[int(key.section[row])]
        new = np.zeros(key.width, dtype=np.int16)
        if c.action == "void":
            if key.scheme.void == "credit":
                new[:] = key.points[row].max()
                new[1:][~key.allowed[row]] = 0
        else:
            problems = rule.check_points(c.points)
            if problems:
                raise InputError(f"{at}: item {c.item_id!r}: {problems[0][1]}")
            for label, p in c.points.items():
                new[1 + key.options.index(label)] = p
        changes[row] = new
    return with_points(key, changes)


def diff_rows(old: Results, new: Results) -> list[list[str]]:
    """Who changed: ``participant,formation`` then ``old_X,new_X`` for every section,
    ``total``, ``code`` and ``rank``; only candidates with any difference."""
    codes = old.scheme.section_codes
    names = [*codes, "total", "code", "rank"]
    rows = [["participant", "formation", *[f"{w}_{x}" for x in names for w in ("old", "new")]]]

    roster = old.roster
    for i, pid in enumerate(roster.participants):
        a, b = score_cells(old, i), score_cells(new, i)
        if a != b:
            pairs = [v for pair in zip(a, b, strict=True) for v in pair]
            rows.append([pid, roster.formations[int(roster.formation[i])], *pairs])
    return rows
