"""Log-spaced sample grids of time and steps: numpy only, cheap to import (the Snakefile's
config checks use them at DAG-build time)."""

from __future__ import annotations

import numpy as np


def log_time_grid(t_max: float, per_decade: int = 20, t_min: float = 1e-2) -> np.ndarray:
    """Sample times 0, then log-spaced from ``t_min`` to ``t_max`` (both included).

    Parameters
    ----------
    t_max : float
        Last time, > t_min.
    per_decade : int
        Points per factor of ten.
    t_min : float
        First positive time.

    Returns
    -------
    numpy.ndarray
        Increasing times starting with 0.0 and ending exactly at ``t_max``.
    """
    if not 0 < t_min < t_max:
        raise ValueError(f"need 0 < t_min < t_max; got t_min={t_min!r}, t_max={t_max!r}")
    if per_decade < 1:
        raise ValueError(f"per_decade must be >= 1; got {per_decade!r}")
    decades = np.log10(t_max / t_min)
    n = max(int(np.ceil(per_decade * decades)), 1) + 1
    grid = np.logspace(np.log10(t_min), np.log10(t_max), n)
    grid[-1] = t_max  # logspace rounds the end point
    return np.concatenate([[0.0], grid])


def log_step_grid(n_steps: int, per_decade: int = 20, with_successor: bool = False) -> np.ndarray:
    """Step indices 0, 1, then log-spaced integers up to ``n_steps`` (included), unique.

    With ``with_successor`` every recorded step k < n_steps also records k + 1, so that the
    paper's diagnostic k [w(k+1) - w(k)] is exact at each recorded k.
    """
    n_steps = as_count(n_steps, "n_steps")
    if n_steps == 0:
        return np.zeros(1, dtype=np.int64)
    n = max(int(np.ceil(per_decade * np.log10(max(n_steps, 10)))), 1) + 1
    steps = np.unique(np.rint(np.logspace(0.0, np.log10(n_steps), n)).astype(np.int64))
    steps = np.concatenate([[0], steps, [n_steps]])
    if with_successor:
        steps = np.concatenate([steps, steps[steps < n_steps] + 1])
    return np.unique(steps)


def as_count(n, name: str) -> int:
    """A non-negative integer given as int or integral float (1e6 is accepted)."""
    if float(n) != int(n) or int(n) < 0:
        raise ValueError(f"{name} must be a non-negative integer; got {n!r}")
    return int(n)
