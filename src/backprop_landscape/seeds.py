"""Seeds derived from a job's identity, so the same config gives the same bytes."""

from __future__ import annotations

import hashlib

import numpy as np


def derived_seed(*parts) -> int:
    """A 64-bit seed from the text of ``parts`` (problem name, theta, config seed, ...).

    A hash, not Python's ``hash()``, which is salted per process.
    """
    digest = hashlib.sha256("|".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(digest[:8], "little")


def starting_points(m: int, starts: int, scale: float, *parts) -> np.ndarray:
    """``starts`` Gaussian points of R^m with standard deviation ``scale``, seeded by parts."""
    rng = np.random.default_rng(derived_seed(*parts))
    return scale * rng.standard_normal((starts, m))
