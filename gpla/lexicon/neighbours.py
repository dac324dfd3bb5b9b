"""Nearest earlier neighbours by cosine similarity, in blocks (the dedup's candidate pairs).

Written by hand rather than with sklearn's NearestNeighbors because dedup needs each value's most
similar *higher-priority* values only (columns before the row in frequency order): a masked, blocked
matrix product gives exactly that in O(n·block) memory, while NearestNeighbors returns neighbours in
both directions and would need k·2 neighbours plus filtering to guarantee the same candidates.
"""

from __future__ import annotations

import numpy as np


def earlier_neighbours(
    embeddings: np.ndarray, k: int, block_size: int = 1024
) -> tuple[np.ndarray, np.ndarray]:
    """For each row i of L2-normalised ``embeddings``, the ``k`` rows j < i of highest cosine.

    Returns ``(index, cosine)``, both shape (n, k), sorted by cosine descending; slots without a
    neighbour (row i has fewer than k predecessors) hold index -1 and cosine -inf.
    """
    e = np.ascontiguousarray(embeddings, dtype=np.float32)
    n = len(e)
    index = np.full((n, k), -1, dtype=np.int64)
    cosine = np.full((n, k), -np.inf, dtype=np.float32)
    if k < 1 or n < 2:
        return index, cosine
    for start in range(0, n, block_size):
        stop = min(start + block_size, n)
        sims = e[start:stop] @ e[:stop].T  # only columns < stop can be earlier than these rows
        rows = np.arange(start, stop)
        sims[np.arange(stop)[None, :] >= rows[:, None]] = -np.inf
        width = min(k, stop - 1)
        if width < 1:  # the very first row has no predecessor
            continue
        top = np.argpartition(-sims, width - 1, axis=1)[:, :width]
        top_sims = np.take_along_axis(sims, top, axis=1)
        order = np.argsort(-top_sims, axis=1, kind="stable")
        top = np.take_along_axis(top, order, axis=1)
        top_sims = np.take_along_axis(top_sims, order, axis=1)
        valid = np.isfinite(top_sims)
        index[start:stop, :width] = np.where(valid, top, -1)
        cosine[start:stop, :width] = top_sims
    return index, cosine
