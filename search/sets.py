"""Set operations on sorted arrays of global docnums, and membership in packed bit sets.

Matching and tier ranking (search.ranking) combine posting lists without sorting again: the
shorter array is binary-searched in the longer, many arrays are marked in a mask of the index,
and a frequent term's bit set answers for each candidate in one step.
"""

from __future__ import annotations

import numpy as np

EMPTY_IDS = np.zeros(0, dtype=np.int64)


def member(ids: np.ndarray, docs: np.ndarray) -> np.ndarray:
    """Which of `docs` are in `ids` (both sorted, unique): the shorter looked up in the longer."""
    if not len(ids) or not len(docs):
        return np.zeros(len(docs), dtype=bool)
    if len(docs) <= len(ids):
        at = np.searchsorted(ids, docs)
        at[at == len(ids)] = 0
        found: np.ndarray = ids[at] == docs
        return found
    pos = np.searchsorted(docs, ids)
    pos[pos == len(docs)] = 0
    out = np.zeros(len(docs), dtype=bool)
    out[pos[docs[pos] == ids]] = True
    return out


def in_bits(bits: np.ndarray, docs: np.ndarray) -> np.ndarray:
    """Which of `docs` are set in `bits` (np.packbits of a mask of the index: bit 7 - d % 8 of
    byte d // 8)."""
    if not len(docs):
        return np.zeros(0, dtype=bool)
    shift = (7 - (docs & 7)).astype(np.uint8)
    found: np.ndarray = ((bits[docs >> 3] >> shift) & 1).astype(bool)
    return found


def intersect(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The sorted docnums in both a and b (sorted, unique), without sorting them again."""
    small, large = (a, b) if len(a) <= len(b) else (b, a)
    both: np.ndarray = small[member(large, small)]
    return both


def union(arrays: list[np.ndarray], size: int) -> np.ndarray:
    """The sorted docnums in any of the arrays (each sorted, unique; docnums below `size`):
    marked in a mask of the index when they are many, rather than sorted together."""
    arrays = [a for a in arrays if len(a)]
    if not arrays:
        return EMPTY_IDS
    if len(arrays) == 1:
        return arrays[0]
    if sum(len(a) for a in arrays) * 16 < size:
        return np.unique(np.concatenate(arrays))
    mask = np.zeros(size, dtype=bool)
    for a in arrays:
        mask[a] = True
    return np.flatnonzero(mask)
