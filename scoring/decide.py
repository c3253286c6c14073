"""Pass or fail per the scheme's rules, vectorised, and the reason for one candidate.

A candidate of category ``c`` with section totals ``T`` passes when some rule ``R`` that
applies to ``c`` has every minimum met:

.. math:: \\text{pass} = \\bigvee_{R \\ni c} \\bigwedge_{(m, v) \\in R} T_m \\ge v

where ``T_total`` is the sum of the sections. A scheme without rules passes everyone.
The first rule met (general before the special ones) is the one reported.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from scoring.rules import PassRule
from scoring.scheme import Scheme


@dataclass(frozen=True, eq=False)
class Decisions:
    """``passed`` per candidate and ``rule``: index of the first rule met, -1 if none."""

    passed: NDArray[np.bool_]
    rule: NDArray[np.int8]


def measure(scheme: Scheme, totals: NDArray[np.int32], name: str) -> NDArray[np.int32]:
    """One measure of every candidate: ``total`` or a section code."""
    if name == "total":
        return np.asarray(totals.sum(axis=1, dtype=np.int32), dtype=np.int32)
    return np.asarray(totals[:, scheme.section_codes.index(name)], dtype=np.int32)


def decide(scheme: Scheme, totals: NDArray[np.int32],
           category: NDArray[np.integer]) -> Decisions:
    """Pass/fail of every candidate.

    Parameters
    ----------
    scheme
        Its ``pass_rules`` are applied.
    totals
        ``(n, n_sections)`` section totals.
    category
        Index into ``scheme.categories`` per candidate.
    """
    n = totals.shape[0]
    if not scheme.pass_rules:
        return Decisions(np.ones(n, dtype=bool), np.full(n, -1, dtype=np.int8))
    rule = np.full(n, -1, dtype=np.int8)
    cache: dict[str, NDArray[np.int32]] = {}
    for r, pr in enumerate(scheme.pass_rules):
        met = np.ones(n, dtype=bool)
        for name, minimum in pr.minima:
            if name not in cache:
                cache[name] = measure(scheme, totals, name)
            met &= cache[name] >= minimum
        if pr.categories is not None:
            cats = [scheme.categories.index(c) for c in pr.categories]
            met &= np.isin(category, cats)
        rule[(rule < 0) & met] = r
    return Decisions(rule >= 0, rule)


def _shortfalls(rule: PassRule, values: dict[str, int]) -> list[str]:
    return [f"{m} {values[m]} < {v}" for m, v in rule.minima if values[m] < v]


def explain(scheme: Scheme, sections: tuple[int, ...], category: str) -> str:
    """Why a candidate who sat passed or failed, in one line.

    Examples: ``passed general rule (TWK ≥ 65, TIU ≥ 80, TKP ≥ 166)``;
    ``failed general rule: TKP 150 < 166; passed special[0] rule for cumlaude (total ≥ 311,
    TIU ≥ 85)``; ``failed: general rule: TWK 60 < 65; special[1] rule for papua: TIU 55 < 60``.
    """
    if not scheme.pass_rules:
        return f"no threshold in {scheme.id}: ranked only"
    values = dict(zip(scheme.section_codes, sections, strict=True))
    values["total"] = sum(sections)
    failed: list[str] = []
    for rule in scheme.pass_rules:
        if not rule.applies_to(category):
            continue
        label = rule.name if rule.categories is None else f"{rule.name} rule for {category}"
        if rule.categories is None:
            label = "general rule"
        missing = _shortfalls(rule, values)
        if not missing:
            head = f"passed {label} ({rule.describe()})"
            return f"failed {'; '.join(failed)}; {head}" if failed else head
        failed.append(f"{label}: {', '.join(missing)}")
    return f"failed: {'; '.join(failed)}"


def rule_checks(scheme: Scheme, sections: tuple[int, ...],
                category: str) -> list[dict[str, object]]:
    """The rules that apply to one candidate, each with every minimum checked (structured
    :func:`explain`, for a page to show in its own language).

    Returns
    -------
    list of dict
        Per applicable rule, general first: ``{"rule": "general" | "special[i]",
        "categories": [...] | None, "passed": bool, "checks": [{"measure", "value",
        "minimum", "met"}]}``; ``measure`` is a section code or ``"total"``. Empty when the
        scheme has no threshold (ranked only).
    """
    values = dict(zip(scheme.section_codes, sections, strict=True))
    values["total"] = sum(sections)
    out: list[dict[str, object]] = []
    for rule in scheme.pass_rules:
        if not rule.applies_to(category):
            continue
        checks = [{"measure": m, "value": values[m], "minimum": v, "met": values[m] >= v}
                  for m, v in rule.minima]
        out.append({"rule": rule.name,
                    "categories": None if rule.categories is None else list(rule.categories),
                    "passed": all(c["met"] for c in checks), "checks": checks})
    return out

