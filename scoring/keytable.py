"""The answer key as a table: item ids, section per item, points per (item, option).

Layout
------
``points`` is an ``int16`` array of shape ``(n_items + 1, 1 + n_options)``. Column 0 is a
blank answer, column ``c + 1`` option ``c`` (``A`` = 0). The last row is a *sentinel item*
with zero points and no section (``section == -1``): it pads ragged papers. A response
``(item i, choice c)`` with ``c == -1`` for blank therefore reads ``points[i, c + 1]``;
in the flattened table that is position ``i * W + c + 1`` with ``W = 1 + n_options``.

Corrections after the exam (voiding, re-keying) make a new table; a table is never
modified in place.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
from numpy.typing import NDArray

from scoring.exceptions import InputError
from scoring.scheme import Scheme

LANE_BITS = 16


@dataclass(frozen=True, eq=False)
class KeyTable:
    """An answer key for one scheme; see the module docstring for the layout.

    Attributes
    ----------
    scheme
        The scheme the key belongs to.
    item_ids
        Item ids in table order.
    section
        ``int8`` section index per row (scheme order), ``-1`` for the sentinel.
    points
        ``int16`` points, shape ``(n_items + 1, 1 + n_options)``, blank in column 0.
    allowed
        ``bool``, shape ``(n_items + 1, n_options)``: the options each item has.
    options
        Option labels of the table's columns, e.g. ``("A", "B", "C", "D", "E")``.
    """

    scheme: Scheme
    item_ids: tuple[str, ...]
    section: NDArray[np.int8]
    points: NDArray[np.int16]
    allowed: NDArray[np.bool_]
    options: tuple[str, ...]
    index: dict[str, int] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "index", {iid: i for i, iid in enumerate(self.item_ids)})

    @property
    def sentinel(self) -> int:
        """Row of the padding item (zero points, no section)."""
        return len(self.item_ids)

    @property
    def width(self) -> int:
        """Columns per row of the flat table: blank plus one per option."""
        return 1 + len(self.options)

    @cached_property
    def flat_points(self) -> NDArray[np.int16]:
        """``points`` flattened, indexed by ``item * width + choice + 1``."""
        return np.ascontiguousarray(self.points).ravel()

    @cached_property
    def flat_valid(self) -> NDArray[np.bool_]:
        """Whether each cell of :attr:`flat_points` is a possible response: blank for every
        row (the sentinel included), an option only where the item has it."""
        valid = np.zeros(self.points.shape, dtype=bool)
        valid[:, 0] = True
        valid[:, 1:] = self.allowed
        return valid.ravel()

    @cached_property
    def choice_codes(self) -> dict[str, int]:
        """Option label to choice index, as the batch and the live path both read it:
        ``""`` is blank (-1), and a label is accepted in upper or lower case."""
        codes = {"": -1}
        for i, o in enumerate(self.options):
            codes[o] = codes[o.lower()] = i
        return codes

    def packed(self, lanes: int) -> list[tuple[tuple[int, ...], NDArray[np.uint64]]]:
        """Per-section points packed into ``uint64`` words, ``lanes`` sections per word.

        Section ``s`` of a group occupies bits ``16 * lane`` to ``16 * lane + 15`` of the
        word, so one gather and one row sum give every section of the group at once, as
        long as no section total of a row reaches ``2 ** 16`` (the caller checks).

        Returns
        -------
        list of (section indices, flat table)
            One entry per group of at most ``lanes`` sections.
        """
        cache: dict[int, list[tuple[tuple[int, ...], NDArray[np.uint64]]]]
        cache = self.__dict__.setdefault("_packed", {})
        if lanes not in cache:
            n_sections = len(self.scheme.sections)
            pts = self.points.astype(np.uint64)
            groups = []
            for start in range(0, n_sections, lanes):
                members = tuple(range(start, min(start + lanes, n_sections)))
                table = np.zeros(pts.shape, dtype=np.uint64)
                shift_bits = LANE_BITS if lanes > 1 else 0
                for lane, s in enumerate(members):
                    rows = self.section == s
                    table[rows] |= pts[rows] << np.uint64(shift_bits * lane)
                groups.append((members, table.ravel()))
            cache[lanes] = groups
        return cache[lanes]

    def encode_choice(self, label: str | None) -> int:
        """Option label to choice index; ``None`` or ``""`` (blank) gives -1.

        Upper and lower case and surrounding spaces are accepted, as in ``responses.csv``;
        ``ValueError`` for anything else. Whether the item has the option is checked
        where the item is known (:func:`scoring.sheets.score_attempt`).
        """
        if label is None:
            return -1
        code = self.choice_codes.get(label.strip())
        if code is None:
            raise ValueError(f"choice {label!r} is not an option label "
                             f"({', '.join(self.options)}, or empty for blank)")
        return code

    def max_points(self) -> NDArray[np.int16]:
        """The highest points each row gives (blank included), sentinel 0."""
        return np.asarray(self.points.max(axis=1), dtype=np.int16)


def build_key(scheme: Scheme, item_ids: Sequence[str], sections: Sequence[str],
              points: Sequence[Mapping[str, int]],
              where: Sequence[str] | None = None) -> KeyTable:
    """Build a key table, checking every item against its section's rule.

    Parameters
    ----------
    scheme
        The scheme; item sections must be its section codes.
    item_ids, sections, points
        Parallel sequences: id, section code, and option label to points (only the
        section's options; blank is always 0).
    where
        Optional location of each item for messages (``"key.csv row 3"``).

    Raises
    ------
    InputError
        Duplicate id, unknown section, or points outside the section's rule; the
        message starts with the item's location.
    """
    options: list[str] = []
    for s in scheme.sections:
        options += [o for o in s.options if o not in options]
    codes = scheme.section_codes
    n = len(item_ids)
    section = np.full(n + 1, -1, dtype=np.int8)
    table = np.zeros((n + 1, 1 + len(options)), dtype=np.int16)
    allowed = np.zeros((n + 1, len(options)), dtype=bool)
    seen: dict[str, int] = {}
    for i, (iid, code, pts) in enumerate(zip(item_ids, sections, points, strict=True)):
        at = where[i] if where is not None else f"item {i + 1}"
        if iid in seen:
            raise InputError(f"{at}: item {iid!r} appears twice in the key "
                             f"(first at {where[seen[iid]] if where else seen[iid] + 1})")
        seen[iid] = i
        if code not in codes:
            raise InputError(f"{at}: section {code!r} of item {iid!r} is not a section of "
                             f"{scheme.id} ({', '.join(codes)})")
        rule = scheme.section(code)
        problems = [p for p in rule.check_points(dict(pts)) if p[0] is not None]
        if problems:
            raise InputError(f"{at}: item {iid!r}: {problems[0][1]}")
        section[i] = codes.index(code)
        for label in rule.options:
            c = options.index(label)
            table[i, c + 1] = pts[label]
            allowed[i, c] = True
    return KeyTable(scheme=scheme, item_ids=tuple(item_ids), section=section, points=table,
                    allowed=allowed, options=tuple(options))


def with_points(key: KeyTable, changes: Mapping[int, NDArray[np.int16]]) -> KeyTable:
    """A copy of ``key`` whose rows ``changes`` (row index to a full points row) differ."""
    table = key.points.copy()
    for row, new in changes.items():
        table[row] = new
    return KeyTable(scheme=key.scheme, item_ids=key.item_ids, section=key.section,
                    points=table, allowed=key.allowed, options=key.options)
