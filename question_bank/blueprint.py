"""Blueprints (kisi-kisi): which items a paper takes, section by section, cell by cell.

A blueprint lists the scheme's sections in exam order; each section is a list of cells
(topic, optional difficulty, count). A pool item belongs to the *first* cell of the blueprint
whose section and topic equal the item's and whose difficulty is absent (any difficulty) or
equal to the item's. Definitions where a difficulty-less cell and a difficulty cell share a
topic are refused (see :mod:`question_bank.exam_definition`), so cells never overlap and
"first" never has to choose. Only approved item versions count.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from question_bank.errors import BlueprintError
from question_bank.model import DIFFICULTIES, Item, ItemVersion


@dataclass(frozen=True)
class Cell:
    """One cell of a blueprint: ``count`` items of ``section``/``topic``/``difficulty``.

    ``difficulty`` ``None`` takes items of any difficulty (or none) in the topic.
    """

    section: str
    topic: str
    difficulty: str | None
    count: int

    @property
    def name(self) -> str:
        """``TIU / Berhitung / hard`` (``any`` for a difficulty-less cell)."""
        return f"{self.section} / {self.topic} / {self.difficulty or 'any'}"

    def matches(self, item: Item) -> bool:
        """Whether ``item`` fits this cell (section, topic, and difficulty if the cell has one)."""
        return (item.section == self.section and item.topic == self.topic
                and (self.difficulty is None or item.difficulty == self.difficulty))


@dataclass(frozen=True)
class BlueprintSection:
    """One section of a blueprint, its cells in order."""

    code: str
    cells: tuple[Cell, ...]

    @property
    def count(self) -> int:
        """Number of questions of the section (sum of its cells' counts)."""
        return sum(c.count for c in self.cells)


@dataclass(frozen=True)
class Blueprint:
    """Sections in exam order, whether options are shuffled, and the duration."""

    sections: tuple[BlueprintSection, ...]
    shuffle_options: bool
    duration_minutes: int

    @property
    def cells(self) -> tuple[Cell, ...]:
        """Every cell, sections in order, cells in order within each section."""
        return tuple(c for s in self.sections for c in s.cells)

    @property
    def questions(self) -> int:
        """Number of questions of a paper."""
        return sum(s.count for s in self.sections)


def approved(pool: Sequence[ItemVersion]) -> list[ItemVersion]:
    """The versions of ``pool`` whose item has status ``approved`` (the only ones papers use)."""
    return [v for v in pool if v.item.status == "approved"]


def cell_index(item: Item, cells: Sequence[Cell]) -> int:
    """Index of the first cell of ``cells`` that ``item`` matches, or -1 if none does."""
    for i, cell in enumerate(cells):
        if cell.matches(item):
            return i
    return -1


def cell_members(blueprint: Blueprint, versions: Sequence[ItemVersion]) -> list[list[int]]:
    """For each cell of ``blueprint.cells``, the positions in ``versions`` of its items.

    Every version goes to the first matching cell; statuses are not looked at here.
    """
    cells = blueprint.cells
    by_key: dict[tuple[str, str], list[int]] = {}
    for i, cell in enumerate(cells):
        by_key.setdefault((cell.section, cell.topic), []).append(i)
    members: list[list[int]] = [[] for _ in cells]
    for pos, version in enumerate(versions):
        item = version.item
        for i in by_key.get((item.section, item.topic), ()):
            if cells[i].difficulty is None or cells[i].difficulty == item.difficulty:
                members[i].append(pos)
                break
    return members


def check_blueprint(blueprint: Blueprint, pool: Sequence[ItemVersion]) -> None:
    """Check that the approved items of ``pool`` can fill every cell of ``blueprint``.

    Raises
    ------
    BlueprintError
        Listing every short cell, one per line, e.g.
        ``TIU / Berhitung / hard: needs 1, bank has 0 approved items (short by 1)``.
    """
    members = cell_members(blueprint, approved(pool))
    short = [f"{cell.name}: needs {cell.count}, bank has {len(m)} approved item"
             f"{'' if len(m) == 1 else 's'} (short by {cell.count - len(m)})"
             for cell, m in zip(blueprint.cells, members, strict=True) if len(m) < cell.count]
    if short:
        raise BlueprintError("\n".join(
            [f"the bank cannot fill the blueprint: {len(short)} cell(s) short; "
             "approve or import more items for them", *(f"  {s}" for s in short)]))


def blueprint_to_data(blueprint: Blueprint) -> dict[str, Any]:
    """The blueprint as plain JSON-able data (as stored in a sealed package's manifest)."""
    return {
        "shuffle_options": blueprint.shuffle_options,
        "duration_minutes": blueprint.duration_minutes,
        "sections": [{"code": s.code,
                      "cells": [{"topic": c.topic, "difficulty": c.difficulty, "count": c.count}
                                for c in s.cells]}
                     for s in blueprint.sections],
    }


def blueprint_from_data(data: Mapping[str, Any]) -> Blueprint:
    """Rebuild a blueprint from :func:`blueprint_to_data` output.

    Raises
    ------
    BlueprintError
        The data is not shaped like a blueprint.
    """
    try:
        sections = tuple(
            BlueprintSection(code=str(s["code"]), cells=tuple(
                Cell(section=str(s["code"]), topic=str(c["topic"]),
                     difficulty=None if c["difficulty"] is None else str(c["difficulty"]),
                     count=int(c["count"]))
                for c in s["cells"]))
            for s in data["sections"])
        blueprint = Blueprint(sections=sections, shuffle_options=bool(data["shuffle_options"]),
                              duration_minutes=int(data["duration_minutes"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise BlueprintError(f"blueprint data is malformed ({exc!r})") from exc
    for cell in blueprint.cells:
        if cell.count <= 0 or (cell.difficulty is not None and cell.difficulty not in DIFFICULTIES):
            raise BlueprintError(f"blueprint data is malformed: cell {cell.name} "
                                 f"with count {cell.count}")
    return blueprint
