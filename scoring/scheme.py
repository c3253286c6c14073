"""Exam schemes as data: sections, how options score, time, pass rules.

A scheme is a TOML (or JSON) file under ``scoring/schemes/``; ``docs/scoring.md`` documents
the format. A user adds a scheme by writing such a file and naming it by path, or by putting
it in that folder and naming it by id. This module parses and validates; finding and
reading the files is :mod:`scoring.scheme_files`.
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
    """Ids of the shipped schemes; see :func:`scoring.scheme_files.available_schemes`."""
    from scoring.scheme_files import available_schemes as shipped

    return shipped()


def load_scheme(name_or_path: str | Path) -> Scheme:
    """Load a scheme by id or path; the file reading is :func:`scoring.scheme_files.load_scheme`.

    Kept here so ``from scoring.scheme import load_scheme`` goes on working; this module
    itself reads no file.
    """
    from scoring.scheme_files import load_scheme as read_scheme

    return read_scheme(name_or_path)


def section_catalogue() -> dict[str, SectionRule]:
    """Every section code of the shipped schemes with its rule.

    See :func:`scoring.scheme_files.section_catalogue`.
    """
    from scoring.scheme_files import section_catalogue as catalogue

    return catalogue()


TOP_KEYS = ("id", "name", "duration_minutes", "options", "blank_points", "tie_break",
            "go_on_per_quota", "void", "ranked_only", "sections", "pass", "categories")
SECTION_KEYS = ("code", "name", "questions", "rule", "max_points", "min_points", "options")


def check_keys(data: dict[str, Any], known: tuple[str, ...], where: str) -> None:
    """Refuse any key of ``data`` not in ``known``, naming it and listing the known ones."""
    for key in data:
        if key not in known:
            raise SchemeError(f"{where}{key}: unknown key (known keys: {', '.join(known)})")


def parse_scheme_text(text: str, suffix: str, source: str) -> Scheme:
    """Parse the text of a ``.toml`` or ``.json`` scheme file (``suffix`` says which)."""
    try:
        data = json.loads(text) if suffix == ".json" else tomllib.loads(text)
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as exc:
        raise SchemeError(f"{source}: not valid {suffix[1:].upper()}: {exc}") from exc
    if not isinstance(data, dict):
        raise SchemeError(f"{source}: must be a table (an object) of scheme keys")
    return parse_scheme(data, source)


def _need(data: dict[str, Any], key: str, kind: type, where: str) -> Any:
    if key not in data:
        raise SchemeError(f"{where}{key}: missing")
    value = data[key]
    if kind is int and (isinstance(value, bool) or not isinstance(value, int)):
        raise SchemeError(f"{where}{key}: must be an integer, got {value!r}")
    if not isinstance(value, kind):
        raise SchemeError(f"{where}{key}: must be a {kind.__name__}, got {value!r}")
    return value


def _options(raw: Any, where: str) -> tuple[str, ...]:
    if (not isinstance(raw, list) or len(raw) < 2
            or not all(isinstance(o, str) and len(o) == 1 and o.isupper() for o in raw)
            or len(set(raw)) != len(raw)):
        raise SchemeError(f"{where}options: must be a list of at least two distinct "
                          f"capital letters, got {raw!r}")
    return tuple(raw)


def _section(raw: Any, i: int, w: str, default_options: tuple[str, ...]) -> SectionRule:
    sw = f"{w}sections[{i}]."
    if not isinstance(raw, dict):
        raise SchemeError(f"{w}sections[{i}]: must be a table")
    check_keys(raw, SECTION_KEYS, sw)
    code = _need(raw, "code", str, sw)
    name = raw.get("name", code)
    if not isinstance(name, str):
        raise SchemeError(f"{sw}name: must be a string, got {name!r}")
    questions = _need(raw, "questions", int, sw)
    if questions <= 0:
        raise SchemeError(f"{sw}questions: must be positive, got {questions}")
    rule = _need(raw, "rule", str, sw)
    if rule not in ("single_best", "graded"):
        raise SchemeError(f"{sw}rule: must be 'single_best' or 'graded', got {rule!r}")
    max_points = _need(raw, "max_points", int, sw)
    if rule == "single_best" and "min_points" in raw:
        raise SchemeError(f"{sw}min_points: only a graded section has min_points (a "
                          f"single_best option gives max_points or 0)")
    min_points = _need(raw, "min_points", int, sw) if "min_points" in raw else 0
    if max_points <= 0 or min_points < 0 or min_points > max_points:
        raise SchemeError(f"{sw}max_points: need 0 <= min_points <= max_points and "
                          f"max_points > 0, got {min_points}..{max_points}")
    options = _options(raw["options"], sw) if "options" in raw else default_options
    return SectionRule(code=code, name=name, questions=questions, rule=rule,
                       max_points=max_points, min_points=min_points, options=options)


def parse_scheme(data: dict[str, Any], source: str) -> Scheme:
    """Validate parsed scheme data; ``source`` names the file in error messages.

    Only the keys documented in ``docs/scoring.md`` are accepted (at the top level, in
    ``[[sections]]``, ``[pass]``, ``[[pass.special]]`` and ``[categories]``): a misspelt
    key is refused, never replaced by a default. ``tie_break`` and ``go_on_per_quota`` are
    required, and a scheme either has ``[pass]`` thresholds or says ``ranked_only = true``.
    """
    w = f"{source}: "
    check_keys(data, TOP_KEYS, w)
    sid = _need(data, "id", str, w)
    name = data.get("name", sid)
    if not isinstance(name, str):
        raise SchemeError(f"{w}name: must be a string, got {name!r}")
    duration = _need(data, "duration_minutes", int, w)
    if duration <= 0:
        raise SchemeError(f"{w}duration_minutes: must be positive, got {duration}")
    default_options = (_options(data["options"], w) if "options" in data
                       else ("A", "B", "C", "D", "E"))
    raw_sections = _need(data, "sections", list, w)
    if not raw_sections:
        raise SchemeError(f"{w}sections: at least one section is needed")
    sections: list[SectionRule] = []
    for i, raw in enumerate(raw_sections):
        section = _section(raw, i, w, default_options)
        if section.code in {s.code for s in sections}:
            raise SchemeError(f"{w}sections[{i}].code: section {section.code!r} appears twice")
        sections.append(section)
    tie_break = _need(data, "tie_break", list, w)
    known = {"total", *(s.code for s in sections)}
    if not tie_break or any(t not in known for t in tie_break):
        raise SchemeError(f"{w}tie_break: each entry must be 'total' or a section code "
                          f"({', '.join(sorted(known))}), got {tie_break!r}")
    if len(set(tie_break)) != len(tie_break):
        raise SchemeError(f"{w}tie_break: an entry appears twice in {tie_break!r}")
    go_on = _need(data, "go_on_per_quota", int, w)
    if go_on <= 0:
        raise SchemeError(f"{w}go_on_per_quota: must be a positive integer, got {go_on!r}")
    blank = data.get("blank_points", 0)
    if blank != 0 or isinstance(blank, bool):
        raise SchemeError(f"{w}blank_points: only 0 is supported, got {blank!r}")
    categories = parse_categories(data.get("categories"), source)
    codes = tuple(s.code for s in sections)
    pass_rules = parse_pass_rules(data.get("pass"), source, codes, categories)
    ranked_only = data.get("ranked_only", False)
    if not isinstance(ranked_only, bool):
        raise SchemeError(f"{w}ranked_only: must be true or false, got {ranked_only!r}")
    if ranked_only and pass_rules:
        raise SchemeError(f"{w}ranked_only: true, but the scheme has [pass] thresholds; "
                          f"keep one of the two")
    if not ranked_only and not pass_rules:
        raise SchemeError(f"{w}pass: missing; give [pass] thresholds, or write "
                          f"ranked_only = true for a scheme without threshold")
    return Scheme(id=sid, name=name, duration_minutes=duration,
                  sections=tuple(sections), tie_break=tuple(tie_break),
                  go_on_per_quota=go_on, categories=categories,
                  pass_rules=pass_rules, source=source,
                  void=parse_void(data.get("void"), source))
