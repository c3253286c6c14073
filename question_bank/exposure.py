"""Exposure figures of a set of papers: how evenly items are used, how much neighbours share.

Definitions (``docs/papers.md`` explains why the paper construction keeps them low):

- An item's *uses* is the number of papers it appears in.
- A cell's ratio is max uses / min uses over *every* item of that cell's pool (an unused
  item makes it infinite: with fewer papers than windows, some items wait for later
  participants). ``max_min_ratio`` is the worst cell's ratio; ``overall_ratio`` is the
  same over the items of all cells together, which also mixes cells whose count/pool
  ratios differ.
- ``neighbour_same_position_rate``: the fraction of consecutive pairs (papers i and i+1 in
  the order given) whose papers have the same item at the same question number, at least
  once; ``mean_shared_same_position`` is the mean number of such positions per pair.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from question_bank.papers import BankSnapshot, Paper


@dataclass(frozen=True)
class CellExposure:
    """Uses of one cell's pool items."""

    cell: str
    items: int
    min_uses: int
    max_uses: int

    @property
    def ratio(self) -> float:
        """max uses / min uses (infinite when an item of the pool is unused)."""
        return self.max_uses / self.min_uses if self.min_uses else math.inf


@dataclass(frozen=True)
class ExposureReport:
    """Exposure figures of a set of papers (see the module docstring for definitions)."""

    papers: int
    max_min_ratio: float
    worst_cell: str
    overall_ratio: float
    unused_items: int
    neighbour_same_position_rate: float
    mean_shared_same_position: float
    cells: tuple[CellExposure, ...]


def exposure_report(papers: Sequence[Paper], snapshot: BankSnapshot) -> ExposureReport:
    """Exposure figures of ``papers`` (all built from ``snapshot``), in the order given.

    Raises
    ------
    ValueError
        Papers of different lengths, or a paper naming an item outside the snapshot.
    """
    lengths = {len(p.refs) for p in papers}
    if len(lengths) > 1:
        raise ValueError("papers of different lengths cannot be compared position by position")
    try:
        matrix = np.array([[snapshot.index(r) for r in p.refs] for p in papers],
                          dtype=np.int64).reshape(len(papers), lengths.pop() if lengths else 0)
    except KeyError as exc:
        raise ValueError(f"a paper names {exc.args[0]}, which is not in the snapshot") from None
    uses = np.bincount(matrix.ravel(), minlength=len(snapshot))
    cells = []
    for cell, pool in zip(snapshot.cells, snapshot.cell_pools, strict=True):
        u = uses[pool]
        cells.append(CellExposure(cell.name, len(pool), int(u.min()), int(u.max())))
    worst = max(cells, key=lambda c: (c.ratio, c.max_uses))
    everything = uses[np.concatenate(snapshot.cell_pools)]
    low, high = int(everything.min()), int(everything.max())
    same = matrix[1:] == matrix[:-1]
    pairs = len(same)
    return ExposureReport(
        papers=len(papers), max_min_ratio=worst.ratio, worst_cell=worst.cell,
        overall_ratio=high / low if low else math.inf,
        unused_items=int((everything == 0).sum()),
        neighbour_same_position_rate=float(same.any(axis=1).mean()) if pairs else 0.0,
        mean_shared_same_position=float(same.sum(axis=1).mean()) if pairs else 0.0,
        cells=tuple(cells))
