"""Exam schemes as data: sections, how options score, time, pass rules.

A scheme is a TOML (or JSON) file under ``scoring/schemes/``; ``docs/scoring.md`` documents
the format. A user adds a scheme by writing such a file and naming it by path, or by putting
it in that folder and naming it by id.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from scoring.exceptions import SchemeError
from scoring.rules import (
    PassRule,
    VoidPolicy,
    parse_categories,
    parse_pass_rules,
    parse_void,
)

SCHEME_DIR = Path(__file__).parent / "schemes"

Rule = Literal["single_best", "graded"]


@dataclass(frozen=True)
class SectionRule:
    """One section of a scheme: its code, question count and how its options score.

    ``single_best``: exactly one option gives ``max_points``, the others 0 (TWK, TIU).
    ``graded``: every option gives between ``min_points`` and ``max_points`` (TKP).
    """

    code: str
    name: str
    questions: int
    rule: Rule
    max_points: int
    min_points: int
    options: tuple[str, ...]

    @property
    def max_score(self) -> int:
        """The highest score a candidate can reach in this section."""
        return self.questions * self.max_points

    def check_points(self, points: dict[str, int]) -> list[tuple[str | None, str]]:
        """Check one item's option points against this section's rule.

        Parameters
        ----------
        points
            Option label to points, e.g. ``{"A": 0, "B": 5, ...}``.

        Returns
        -------
        list of (label or None, reason)
            Every problem found; empty when the item is valid. ``label`` names the
            option at fault, ``None`` a problem of the item as a whole.
        """
        problems: list[tuple[str | None, str]] = []
        labels = set(points)
        for missing in [o for o in self.options if o not in labels]:
            problems.append((missing, f"option {missing} is missing ({self.code} needs "
                                      f"{', '.join(self.options)})"))
        for extra in sorted(labels - set(self.options)):
            problems.append((extra, f"option {extra} is not an option of {self.code} "
                                    f"({', '.join(self.options)})"))
        valid = {k: v for k, v in points.items() if k in self.options}
        if self.rule == "graded":
            for label, p in valid.items():
                if not self.min_points <= p <= self.max_points:
                    problems.append((label, f"{p} points is outside "
                                            f"{self.min_points}–{self.max_points} "
                                            f"for a {self.code} option"))
        else:
            for label, p in valid.items():
                if p not in (0, self.max_points):
                    problems.append((label, f"{p} points is not allowed for a {self.code} "
                                            f"option (only {self.max_points} or 0)"))
            best = [k for k, v in valid.items() if v == self.max_points]
            if len(best) != 1 and not problems and len(valid) == len(self.options):
                problems.append((None, f"a {self.code} item needs exactly one option with "
                                       f"{self.max_points} points, found {len(best)}"))
        return problems


@dataclass(frozen=True)
class Scheme:
    """A whole exam scheme: sections in order, duration, pass rules, ranking, voiding.

    ``pass_rules`` is empty when the scheme has no threshold (everyone who sat is ranked);
    ``tie_break`` lists ``total`` and section codes, highest first; ``void`` says what a
    voided item does (``credit``: everyone given it gets its maximum; ``remove``: it scores
    0 for everyone).
    """

    id: str
    name: str
    duration_minutes: int
    sections: tuple[SectionRule, ...]
    tie_break: tuple[str, ...]
    go_on_per_quota: int
    categories: tuple[str, ...]
    pass_rules: tuple[PassRule, ...]
    source: str
    void: VoidPolicy = "credit"

    def section(self, code: str) -> SectionRule:
        """The section with this code; ``KeyError`` naming the known codes if none."""
        for s in self.sections:
            if s.code == code:
                return s
        raise KeyError(f"unknown section {code!r} for scheme {self.id} "
                       f"(known: {', '.join(s.code for s in self.sections)})")

    @property
    def section_codes(self) -> tuple[str, ...]:
        """Section codes in exam order."""
        return tuple(s.code for s in self.sections)

    @property
    def questions(self) -> int:
        """Total number of questions in a paper of this scheme."""
        return sum(s.questions for s in self.sections)

    @property
    def max_score(self) -> int:
        """The highest total a candidate can reach."""
        return sum(s.max_score for s in self.sections)


def available_schemes() -> list[str]:
    """Ids of the schemes shipped in ``scoring/schemes/``."""
    return sorted(p.stem for p in SCHEME_DIR.glob("*.toml")) + sorted(
        p.stem for p in SCHEME_DIR.glob("*.json"))


def load_scheme(name_or_path: str | Path) -> Scheme:
    """Load a scheme by id (``skd-2024``) or by the path of a TOML/JSON file.

    Raises
    ------
    SchemeError
        Unknown id, unreadable file, or a malformed key; the message names the file,
        the key and the reason.
    """
    path = Path(name_or_path)
    if not path.suffix:
        candidates = [SCHEME_DIR / f"{name_or_path}.toml", SCHEME_DIR / f"{name_or_path}.json"]
        found = [c for c in candidates if c.is_file()]
        if not found:
            raise SchemeError(f"unknown scheme {str(name_or_path)!r}: known schemes are "
                              f"{', '.join(available_schemes())}, or give the path of a "
                              f".toml/.json scheme file")
        path = found[0]
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SchemeError(f"{path}: cannot read scheme file ({exc.strerror})") from exc
    except UnicodeDecodeError as exc:
        raise SchemeError(f"{path.name}: not UTF-8 text (byte {exc.start})") from exc
    try:
        data = json.loads(text) if path.suffix == ".json" else tomllib.loads(text)
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as exc:
        raise SchemeError(f"{path.name}: not valid {path.suffix[1:].upper()}: {exc}") from exc
    return parse_scheme(data, path.name)


def _need(data: dict[str, Any], key: str, kind: type, where: str) -> Any:
    if key not in data:
        raise SchemeError(f"{where}{key}: missing")
    value = data[key]
    if kind is int and (isinstance(value, bool) or not isinstance(value, int)):
        raise SchemeError(f"{where}{key}: must be an integer, got {value!r}")
    if not isinstance(value, kind):
        raise SchemeError(f"{where}{key}: must be a {kind.__name__}, got {value!r}")
    return value


def parse_scheme(data: dict[str, Any], source: str) -> Scheme:
    """Validate parsed scheme data; ``source`` names the file in error messages."""
    w = f"{source}: "
    sid = _need(data, "id", str, w)
    name = data.get("name", sid)
    duration = _need(data, "duration_minutes", int, w)
    if duration <= 0:
        raise SchemeError(f"{w}duration_minutes: must be positive, got {duration}")
    default_options = data.get("options", ["A", "B", "C", "D", "E"])
    raw_sections = _need(data, "sections", list, w)
    if not raw_sections:
        raise SchemeError(f"{w}sections: at least one section is needed")
    sections: list[SectionRule] = []
    for i, raw in enumerate(raw_sections):
        sw = f"{w}sections[{i}]."
        if not isinstance(raw, dict):
            raise SchemeError(f"{w}sections[{i}]: must be a table")
        code = _need(raw, "code", str, sw)
        questions = _need(raw, "questions", int, sw)
        if questions <= 0:
            raise SchemeError(f"{sw}questions: must be positive, got {questions}")
        rule = _need(raw, "rule", str, sw)
        if rule not in ("single_best", "graded"):
            raise SchemeError(f"{sw}rule: must be 'single_best' or 'graded', got {rule!r}")
        max_points = _need(raw, "max_points", int, sw)
        min_points = raw.get("min_points", 0) if rule == "graded" else 0
        if isinstance(min_points, bool) or not isinstance(min_points, int):
            raise SchemeError(f"{sw}min_points: must be an integer, got {min_points!r}")
        if max_points <= 0 or min_points < 0 or min_points > max_points:
            raise SchemeError(f"{sw}max_points: need 0 <= min_points <= max_points and "
                              f"max_points > 0, got {min_points}..{max_points}")
        options = raw.get("options", default_options)
        if (not isinstance(options, list) or len(options) < 2
                or not all(isinstance(o, str) and len(o) == 1 and o.isupper() for o in options)
                or len(set(options)) != len(options)):
            raise SchemeError(f"{sw}options: must be a list of at least two distinct "
                              f"capital letters, got {options!r}")
        if code in {s.code for s in sections}:
            raise SchemeError(f"{sw}code: section {code!r} appears twice")
        sections.append(SectionRule(code=code, name=str(raw.get("name", code)),
                                    questions=questions, rule=rule,
                                    max_points=max_points, min_points=min_points,
                                    options=tuple(options)))
    tie_break = data.get("tie_break", ["total", *[s.code for s in sections]])
    known = {"total", *(s.code for s in sections)}
    if not isinstance(tie_break, list) or any(t not in known for t in tie_break):
        raise SchemeError(f"{w}tie_break: each entry must be 'total' or a section code "
                          f"({', '.join(sorted(known))}), got {tie_break!r}")
    go_on = data.get("go_on_per_quota", 1)
    if isinstance(go_on, bool) or not isinstance(go_on, int) or go_on <= 0:
        raise SchemeError(f"{w}go_on_per_quota: must be a positive integer, got {go_on!r}")
    if len(set(tie_break)) != len(tie_break):
        raise SchemeError(f"{w}tie_break: an entry appears twice in {tie_break!r}")
    blank = data.get("blank_points", 0)
    if blank != 0 or isinstance(blank, bool):
        raise SchemeError(f"{w}blank_points: only 0 is supported, got {blank!r}")
    categories = parse_categories(data.get("categories"), source)
    codes = tuple(s.code for s in sections)
    pass_rules = parse_pass_rules(data.get("pass"), source, codes, categories)
    return Scheme(id=sid, name=str(name), duration_minutes=duration,
                  sections=tuple(sections), tie_break=tuple(tie_break),
                  go_on_per_quota=go_on, categories=categories,
                  pass_rules=pass_rules, source=source,
                  void=parse_void(data.get("void"), source))


def section_catalogue() -> dict[str, SectionRule]:
    """Every section code of the shipped schemes with its rule.

    The bank validates an item's option points by its section code alone, so a code must
    mean the same rule in every scheme that uses it (TWK is ``single_best`` 5/0 in SKD 2018,
    2019 and 2024 alike).

    Raises
    ------
    SchemeError
        Two schemes give the same section code different rules.
    """
    catalogue: dict[str, SectionRule] = {}
    owner: dict[str, str] = {}
    for sid in available_schemes():
        for s in load_scheme(sid).sections:
            known = catalogue.get(s.code)
            if known is None:
                catalogue[s.code], owner[s.code] = s, sid
            elif (known.rule, known.min_points, known.max_points, known.options) != (
                    s.rule, s.min_points, s.max_points, s.options):
                raise SchemeError(f"{sid}: sections.{s.code}: scores differently from the "
                                  f"same section in {owner[s.code]}; use another code")
    return catalogue
