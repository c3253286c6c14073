"""Pass rules of a scheme as typed data: thresholds, special categories, the void policy.

A scheme's ``[pass]`` table holds a ``general`` rule (minimum per section, which everyone
may meet) and any number of ``[[pass.special]]`` rules, each for a list of categories with
its own minima (``total`` or a section code). A candidate passes when any rule that applies
to their category is met in full. A scheme without threshold (everyone passes, ranked only,
as in PPPK) has no ``[pass]`` table and says ``ranked_only = true``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from scoring.exceptions import SchemeError

VoidPolicy = Literal["credit", "remove"]
VOID_POLICIES: tuple[VoidPolicy, ...] = ("credit", "remove")


@dataclass(frozen=True)
class PassRule:
    """One way to pass: every measure at least its minimum.

    Attributes
    ----------
    name
        ``"general"`` or ``"special[i]"``, as in the scheme file.
    categories
        The categories this rule applies to; ``None`` means every category.
    minima
        ``(measure, minimum)`` pairs; a measure is ``"total"`` or a section code.
    """

    name: str
    categories: tuple[str, ...] | None
    minima: tuple[tuple[str, int], ...]

    def applies_to(self, category: str) -> bool:
        """Whether a candidate of this category may pass by this rule."""
        return self.categories is None or category in self.categories

    def describe(self) -> str:
        """``TWK ≥ 65, TIU ≥ 80, TKP ≥ 166``."""
        return ", ".join(f"{m} ≥ {v}" for m, v in self.minima)


def _minima(raw: Any, where: str, measures: set[str]) -> tuple[tuple[str, int], ...]:
    if not isinstance(raw, dict) or not raw:
        raise SchemeError(f"{where}: must be a table of minimum scores, e.g. "
                          f"{{ total = 311, TIU = 85 }}")
    out: list[tuple[str, int]] = []
    for measure, value in raw.items():
        if measure not in measures:
            raise SchemeError(f"{where}.{measure}: not 'total' or a section code "
                              f"({', '.join(sorted(measures))})")
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise SchemeError(f"{where}.{measure}: must be a non-negative integer, "
                              f"got {value!r}")
        out.append((measure, value))
    return tuple(out)


def parse_pass_rules(raw: Any, source: str, section_codes: tuple[str, ...],
                     categories: tuple[str, ...]) -> tuple[PassRule, ...]:
    """Validate a scheme's ``[pass]`` table into rules, general first.

    Raises
    ------
    SchemeError
        Naming the file and key: unknown measure, non-integer minimum, a special rule for
        an unknown category or without categories, or an unknown key under ``[pass]``.
    """
    w = f"{source}: pass"
    if raw is None:
        return ()
    if not isinstance(raw, dict):
        raise SchemeError(f"{w}: must be a table")
    for key in raw:
        if key not in ("general", "special"):
            raise SchemeError(f"{w}.{key}: unknown key (known keys: general, special)")
    if not raw.get("general") and not raw.get("special"):
        raise SchemeError(f"{w}: needs a general rule or [[pass.special]] rules (write "
                          f"ranked_only = true for a scheme without threshold)")
    measures = {"total", *section_codes}
    rules: list[PassRule] = []
    if "general" in raw:
        rules.append(PassRule("general", None, _minima(raw["general"], f"{w}.general",
                                                       measures)))
    specials = raw.get("special", [])
    if not isinstance(specials, list):
        raise SchemeError(f"{w}.special: must be an array of tables ([[pass.special]])")
    for i, sp in enumerate(specials):
        sw = f"{w}.special[{i}]"
        if not isinstance(sp, dict):
            raise SchemeError(f"{sw}: must be a table")
        for key in sp:
            if key not in ("categories", "min"):
                raise SchemeError(f"{sw}.{key}: unknown key (known keys: categories, min)")
        cats = sp.get("categories")
        if not isinstance(cats, list) or not cats or not all(isinstance(c, str) for c in cats):
            raise SchemeError(f"{sw}.categories: must be a non-empty list of category names")
        for c in cats:
            if c not in categories:
                raise SchemeError(f"{sw}.categories: {c!r} is not in [categories] known "
                                  f"({', '.join(categories)})")
        if "min" not in sp:
            raise SchemeError(f"{sw}.min: missing")
        rules.append(PassRule(f"special[{i}]", tuple(cats), _minima(sp["min"], f"{sw}.min",
                                                                    measures)))
    return tuple(rules)


def parse_categories(raw: Any, source: str) -> tuple[str, ...]:
    """``[categories] known``: distinct non-empty lower-case names; default ``("umum",)``."""
    if raw is None:
        return ("umum",)
    if isinstance(raw, dict):
        for key in raw:
            if key != "known":
                raise SchemeError(f"{source}: categories.{key}: unknown key (known keys: "
                                  f"known)")
    if not isinstance(raw, dict) or "known" not in raw:
        raise SchemeError(f"{source}: categories.known: missing (a list of category names)")
    known = raw["known"]
    if (not isinstance(known, list) or not known
            or not all(isinstance(c, str) and c and c == c.strip().lower() for c in known)
            or len(set(known)) != len(known)):
        raise SchemeError(f"{source}: categories.known: must be a non-empty list of distinct "
                          f"lower-case names, got {known!r}")
    return tuple(known)


def parse_void(raw: Any, source: str) -> VoidPolicy:
    """``void = "credit"`` (everyone given the item gets its maximum) or ``"remove"``."""
    if raw is None:
        return "credit"
    if raw == "credit":
        return "credit"
    if raw == "remove":
        return "remove"
    raise SchemeError(f"{source}: void: must be 'credit' or 'remove', got {raw!r}")
