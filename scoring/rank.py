"""Competition ranking (1, 2, 2, 4) within groups (formations), by a tie-break order.

Candidates are sorted with :func:`numpy.lexsort` by group, then by each key in turn,
highest first. Two candidates tie when every key is equal; a tie shares the best position
of the tie, and the next candidate's rank counts everyone above it:

.. math:: \\text{rank}_i = 1 + \\#\\{ j \\text{ in the group} : k_j \\succ k_i \\}

where :math:`\\succ` is lexicographic order on the tie-break keys.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray


def competition_rank(group: NDArray[np.integer], keys: Sequence[NDArray[np.integer]],
                     eligible: NDArray[np.bool_]) -> NDArray[np.int32]:
    """Rank of every eligible candidate within its group; 0 for the others.

    Parameters
    ----------
    group
        Group (formation) index per candidate.
    keys
        Tie-break keys in priority order (first decides first), higher is better.
    eligible
        Who is ranked.

    Returns
    -------
    ndarray of int32
        1-based competition rank, 0 where not eligible.
    """
    n = group.shape[0]
    rank = np.zeros(n, dtype=np.int32)
    who = np.flatnonzero(eligible)
    if who.size == 0:
        return rank
    g = group[who].astype(np.int64)
    ks = [np.asarray(k[who], dtype=np.int64) for k in keys]
    order = np.lexsort([-k for k in reversed(ks)] + [g])
    g_sorted = g[order]
    new_group = np.empty(who.size, dtype=bool)
    new_group[0] = True
    new_group[1:] = g_sorted[1:] != g_sorted[:-1]
    new_tie = new_group.copy()
    for k in ks:
        k_sorted = k[order]
        new_tie[1:] |= k_sorted[1:] != k_sorted[:-1]
    pos = np.arange(who.size, dtype=np.int64)
    group_start = np.maximum.accumulate(np.where(new_group, pos, 0))
    tie_start = np.maximum.accumulate(np.where(new_tie, pos, 0))
    rank[who[order]] = (tie_start - group_start + 1).astype(np.int32)
    return rank


def goes_on(rank: NDArray[np.int32], group: NDArray[np.integer],
            quota: NDArray[np.integer], per_quota: int) -> NDArray[np.bool_]:
    """Ranked and within ``per_quota × quota`` of the group; ties at the cut all go on."""
    cut = np.asarray(quota, dtype=np.int64)[group] * per_quota
    return np.asarray((rank > 0) & (rank <= cut), dtype=bool)
