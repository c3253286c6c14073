"""Items of the question bank, as plain immutable values.

An item has a stable id (``TIU-0042``), a section and topic, an optional difficulty level and
IRT parameters, a stem in Seleksi's small markup (``docs/bank-formats.md``), options with
points, and an explanation. Its ``content_hash`` identifies a version's content: an edit that
changes the hash makes a new version.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from scoring.scheme import SectionRule

Status = Literal["draft", "reviewed", "approved", "retired"]
STATUSES: tuple[Status, ...] = ("draft", "reviewed", "approved", "retired")
DIFFICULTIES = ("easy", "medium", "hard")
ITEM_ID = re.compile(r"^[A-Z][A-Z0-9]*-[0-9A-Za-z_.-]+$")
IMAGE_REF = re.compile(r"!\[[^\]]*\]\(sha256:([0-9a-f]{64})\)")


@dataclass(frozen=True)
class Option:
    """One answer option: its label (A–E), text, and the points it gives."""

    label: str
    text: str
    points: int


@dataclass(frozen=True)
class IRT:
    """Three-parameter logistic IRT parameters: discrimination a, difficulty b, guessing c."""

    a: float
    b: float
    c: float = 0.0


@dataclass(frozen=True)
class Item:
    """One question of the bank, at one version's content.

    ``status`` and ``author`` travel with imports and exports but are not part of the
    content hash: approving an item does not change what candidates read.
    """

    id: str
    section: str
    topic: str
    stem: str
    options: tuple[Option, ...]
    explanation: str = ""
    difficulty: str | None = None
    irt: IRT | None = None
    status: Status = "draft"
    author: str | None = None

    def content(self) -> dict[str, Any]:
        """The versioned content as plain data (what the content hash covers)."""
        return {
            "id": self.id,
            "section": self.section,
            "topic": self.topic,
            "difficulty": self.difficulty,
            "irt": None if self.irt is None else
            {"a": self.irt.a, "b": self.irt.b, "c": self.irt.c},
            "stem": self.stem,
            "options": [{"label": o.label, "text": o.text, "points": o.points}
                        for o in self.options],
            "explanation": self.explanation,
        }

    @property
    def content_hash(self) -> str:
        """SHA-256 (hex) of the canonical JSON of :meth:`content`."""
        return hashlib.sha256(canonical_json(self.content())).hexdigest()

    @property
    def points(self) -> dict[str, int]:
        """Option label to points: the item's answer key."""
        return {o.label: o.points for o in self.options}

    def image_refs(self) -> list[str]:
        """Content hashes of the images the stem and options refer to."""
        texts = [self.stem, self.explanation, *(o.text for o in self.options)]
        return sorted({h for t in texts for h in IMAGE_REF.findall(t)})


def item_from_content(data: dict[str, Any], status: Status = "draft",
                      author: str | None = None) -> Item:
    """Rebuild an :class:`Item` from :meth:`Item.content` data (already validated)."""
    irt = data.get("irt")
    return Item(
        id=data["id"], section=data["section"], topic=data["topic"], stem=data["stem"],
        options=tuple(Option(o["label"], o["text"], int(o["points"])) for o in data["options"]),
        explanation=data.get("explanation", ""), difficulty=data.get("difficulty"),
        irt=None if irt is None else IRT(float(irt["a"]), float(irt["b"]), float(irt.get("c", 0))),
        status=status, author=author,
    )


def canonical_json(value: Any) -> bytes:
    """UTF-8 JSON with sorted keys and no spaces: the form every hash in Seleksi covers."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False).encode("utf-8")


def check_item(item: Item, sections: Mapping[str, SectionRule]) -> list[tuple[str, str]]:
    """Check one item against its section's rule (see ``scoring.scheme.section_catalogue``).

    Returns
    -------
    list of (field, reason)
        ``field`` is ``id``, ``section``, ``topic``, ``stem``, ``difficulty``, ``irt``,
        ``status`` or an option label (``A``..``E``); empty when the item is valid.
    """
    problems: list[tuple[str, str]] = []
    if not ITEM_ID.match(item.id):
        problems.append(("id", f"{item.id!r} is not an item id like TIU-0042 "
                               "(capital letters, a dash, then letters or digits)"))
    if not item.topic.strip():
        problems.append(("topic", "the topic is empty"))
    if not item.stem.strip():
        problems.append(("stem", "the stem (question text) is empty"))
    if item.difficulty is not None and item.difficulty not in DIFFICULTIES:
        problems.append(("difficulty", f"{item.difficulty!r} is not one of "
                                       f"{', '.join(DIFFICULTIES)}"))
    if item.status not in STATUSES:
        problems.append(("status", f"{item.status!r} is not one of {', '.join(STATUSES)}"))
    if item.irt is not None and not (item.irt.a > 0 and 0 <= item.irt.c < 1):
        problems.append(("irt", "IRT needs a > 0 and 0 <= c < 1"))
    rule = sections.get(item.section)
    if rule is None:
        problems.append(("section", f"unknown section {item.section!r} "
                                    f"(known: {', '.join(sorted(sections))})"))
        return problems
    labels = [o.label for o in item.options]
    for dup in sorted({x for x in labels if labels.count(x) > 1}):
        problems.append((dup, f"option {dup} appears twice"))
    for o in item.options:
        if not o.text.strip():
            problems.append((o.label, f"option {o.label} has no text"))
    for label, reason in rule.check_points(item.points):
        problems.append((label or "points", reason))
    return problems


@dataclass(frozen=True)
class ItemVersion:
    """An item at one stored version; papers reference items as ``id@version``."""

    item: Item
    version: int

    @property
    def ref(self) -> str:
        """``TIU-0042@3``: how papers and sealed packages name this version."""
        return f"{self.item.id}@{self.version}"
