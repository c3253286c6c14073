"""Score sheets: section totals of many answer sheets at once, and of one live attempt.

A batch of sheets is two arrays of the same shape ``(candidates, questions)``:
``items`` (``int32``, row of the key table; papers differ per candidate, short papers are
padded with ``key.sentinel``) and ``choices`` (``int8``, option index, ``-1`` blank).

The points of cell ``(r, q)`` are ``P[items[r, q], choices[r, q] + 1]`` (see
:mod:`scoring.keytable`), and the total of section ``s`` for candidate ``r`` is

.. math:: T_{r,s} = \\sum_q P[\\text{items}_{r,q}, \\text{choices}_{r,q} + 1]
          \\,[\\text{section}(\\text{items}_{r,q}) = s]

computed in integers by one gather and one row sum per group of sections, with each
section's points packed in its own 16-bit lane of a ``uint64`` word (exact while a
section total stays below 65,536; otherwise one section per word). The scalar
:func:`score_attempt` used after every live answer calls :func:`section_totals` on one row,
so live and official scores are the same code.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from scoring.keytable import LANE_BITS, KeyTable

CHUNK_CELLS = 1 << 18


@dataclass(frozen=True)
class AttemptScore:
    """Section totals of one attempt, in scheme order, and their sum."""

    sections: tuple[int, ...]
    total: int


def flat_index(key: KeyTable, items: NDArray[np.int32],
               choices: NDArray[np.int8]) -> NDArray[np.int32]:
    """Position of each response in ``key.flat_points``: ``item * W + choice + 1``."""
    idx = np.multiply(items, np.int32(key.width), dtype=np.int32)
    idx += choices
    idx += 1
    return idx


def _lanes(key: KeyTable, questions: int) -> int:
    top = int(key.points.max(initial=0))
    return 4 if questions * top < (1 << LANE_BITS) else 1


def section_totals(key: KeyTable, items: NDArray[np.int32],
                   choices: NDArray[np.int8]) -> NDArray[np.int32]:
    """Integer section totals of a batch of sheets.

    Parameters
    ----------
    key
        The answer key table.
    items, choices
        ``(n, q)`` arrays as described in the module docstring.

    Returns
    -------
    ndarray of int32, shape ``(n, n_sections)``
        Section totals in scheme order.

    Raises
    ------
    ValueError
        A cell outside the key: an item that is not a key row (or the sentinel), or a
        choice that is not -1 or an option of its item. The check is vectorised, one
        chunk at a time, before the chunk is summed.
    """
    items = np.asarray(items, dtype=np.int32)
    choices = np.asarray(choices, dtype=np.int8)
    if items.shape != choices.shape or items.ndim != 2:
        raise ValueError(f"items {items.shape} and choices {choices.shape} must be the same "
                         f"(candidates, questions) shape")
    n, q = items.shape
    n_sections = len(key.scheme.sections)
    out = np.zeros((n, n_sections), dtype=np.int32)
    if n == 0 or q == 0:
        return out
    lanes = _lanes(key, q)
    groups = key.packed(lanes)
    step = max(1, CHUNK_CELLS // q)
    mask = np.uint64((1 << LANE_BITS) - 1)
    for start in range(0, n, step):
        stop = min(n, start + step)
        idx = _checked_index(key, items[start:stop], choices[start:stop], start)
        for members, table in groups:
            words = table[idx].sum(axis=1, dtype=np.uint64)
            if lanes == 1:
                out[start:stop, members[0]] = words
                continue
            for lane, s in enumerate(members):
                out[start:stop, s] = (words >> np.uint64(LANE_BITS * lane)) & mask
    return out


def _checked_index(key: KeyTable, items: NDArray[np.int32], choices: NDArray[np.int8],
                   first: int) -> NDArray[np.int32]:
    """:func:`flat_index` of a chunk of sheets after a vectorised bounds check: every item a
    key row (the sentinel pads), every choice -1 or an option that item has.
    ``ValueError`` naming the first bad cell (``first`` is the chunk's first sheet)."""
    if items.size == 0:
        return flat_index(key, items, choices)
    if int(items.min()) < 0 or int(items.max()) > key.sentinel:
        r, q = np.argwhere((items < 0) | (items > key.sentinel))[0]
        raise ValueError(f"sheet {first + r}, question {q}: item row {int(items[r, q])} is "
                         f"outside the key (0..{key.sentinel - 1}, {key.sentinel} for padding)")
    bad = None
    if int(choices.min()) < -1 or int(choices.max()) >= len(key.options):
        bad = (choices < -1) | (choices >= len(key.options))
    else:
        idx = flat_index(key, items, choices)
        valid = key.flat_valid[idx]
        if valid.all():
            return idx
        bad = ~valid
    r, q = np.argwhere(bad)[0]
    item, c = int(items[r, q]), int(choices[r, q])
    name = key.item_ids[item] if item < key.sentinel else "(padding)"
    raise ValueError(f"sheet {first + r}, question {q}: choice {c} is not an option of item "
                     f"{name!r} (-1 for blank, or one of its options)")


def item_points(key: KeyTable, items: NDArray[np.int32],
                choices: NDArray[np.int8]) -> NDArray[np.int16]:
    """Points of every response, shape ``(n, q)``; padding cells score 0.

    ``ValueError`` for a cell outside the key, as :func:`section_totals`.
    """
    return key.flat_points[_checked_index(key, np.asarray(items, dtype=np.int32),
                                          np.asarray(choices, dtype=np.int8), 0)]


def score_attempt(key: KeyTable, items: Sequence[int],
                  choices: Sequence[int]) -> AttemptScore:
    """Score one attempt (the live running score) with the batch code on one row.

    Parameters
    ----------
    key
        The answer key table.
    items
        Key rows of the questions the candidate was given, in paper order.
    choices
        Option index per question, ``-1`` for blank (not yet answered).

    Raises
    ------
    ValueError
        Lengths differ, an item is not a key row (``0 <= item < key.sentinel``), an item
        appears twice, or a choice is not ``-1`` or an option of its item.
    """
    if len(items) != len(choices):
        raise ValueError(f"{len(items)} items but {len(choices)} choices")
    row = np.asarray(items, dtype=np.int64).reshape(-1)
    picks = np.asarray(choices, dtype=np.int64).reshape(-1)
    for q, (item, c) in enumerate(zip(row.tolist(), picks.tolist(), strict=True)):
        if not 0 <= item < key.sentinel:
            raise ValueError(f"question {q}: item row {item} is not in the key "
                             f"(0..{key.sentinel - 1})")
        if not (c == -1 or (0 <= c < len(key.options) and key.allowed[item, c])):
            own = [o for o, ok in zip(key.options, key.allowed[item], strict=True) if ok]
            raise ValueError(f"question {q}: choice {c} is not an option of item "
                             f"{key.item_ids[item]!r} (-1 for blank, 0..{len(own) - 1} for "
                             f"{', '.join(own)})")
    seen: set[int] = set()
    for item in row.tolist():
        if item in seen:
            raise ValueError(f"item {key.item_ids[item]!r} appears twice in one sheet")
        seen.add(item)
    totals = section_totals(key, row.astype(np.int32).reshape(1, -1),
                            picks.astype(np.int8).reshape(1, -1))[0]
    sections = tuple(int(t) for t in totals)
    return AttemptScore(sections=sections, total=sum(sections))


def score_answers(key: KeyTable, item_ids: Sequence[str],
                  labels: Sequence[str | None]) -> AttemptScore:
    """:func:`score_attempt` by item id and option label.

    A label is read as in ``responses.csv``: ``None`` or ``""`` is blank, ``A`` and ``a``
    are the same option. ``ValueError`` for an unknown item or label, a label the item
    does not have, or an item given twice.
    """
    try:
        items = [key.index[i] for i in item_ids]
    except KeyError as exc:
        raise ValueError(f"item {exc.args[0]!r} is not in the key") from None
    choices = []
    for iid, label in zip(item_ids, labels, strict=True):
        try:
            choices.append(key.encode_choice(label))
        except ValueError as exc:
            raise ValueError(f"item {iid!r}: {exc}") from None
    return score_attempt(key, items, choices)
