"""Rows of arrays keyed by 64-bit hashes: distinct rows, and hashes of face patterns.

The search buckets hundreds of thousands of rows (rounded end points, patterns of
saturated rows); hashing each row's bytes with fixed random weights and sorting the keys
is far faster than ``np.unique(axis=0)``, which sorts rows lexicographically.
"""

from __future__ import annotations

import numpy as np


def _hash_weights(k: int) -> np.ndarray:
    """k random weights in [1, 2^63), from a fixed seed: the same for every call."""
    return np.random.default_rng(0x5EED).integers(1, 2**63, k, dtype=np.uint64)


def _pattern_hash(patterns):
    """A 64-bit hash of each pattern row (random weights; collisions have odds ~2^-64)."""
    weights = _hash_weights(patterns.shape[-1])
    return (patterns.astype(np.int64) + 1).astype(np.uint64) @ weights  # wraps mod 2^64


def _unique_rows(R):
    """(first index, inverse) of the distinct rows of R, like np.unique(axis=0) but hashed.

    Rows are keyed by a 64-bit hash of their bytes; equal hashes are checked row by row
    (a collision, odds ~2^-64, falls back to np.unique).
    """
    R = np.ascontiguousarray(R, dtype=float) + 0.0  # -0.0 and 0.0 alike
    words = R.view(np.uint64).reshape(len(R), -1)
    weights = _hash_weights(words.shape[1])
    key = (words * weights).sum(axis=1, dtype=np.uint64)  # wraps mod 2^64
    _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    inverse = inverse.ravel()
    if not np.array_equal(R, R[first][inverse]):
        _, first, inverse = np.unique(R, axis=0, return_index=True, return_inverse=True)
        inverse = inverse.ravel()
    return first, inverse
