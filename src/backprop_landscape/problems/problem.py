"""A learning problem as the stages see it, and its on-disk form (columns u1..um, y).

Targets y are the paper's hard labels -1 / +1 (stored as integers) or soft targets in
[-1, 1] such as +-0.8 (stored as floats); :func:`is_soft` tells them apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Problem:
    """A learning problem: inputs A (n x m, rows u^i) and targets y (n, in [-1, 1]).

    Hard labels (every |y_i| = 1) are int64; soft targets are float64.
    """

    name: str
    A: np.ndarray
    y: np.ndarray
    meta: dict = field(default_factory=dict)

    @property
    def n(self) -> int:
        return self.A.shape[0]

    @property
    def m(self) -> int:
        return self.A.shape[1]

    @property
    def soft(self) -> bool:
        """Whether some target is soft (|y_i| < 1)."""
        return is_soft(self.y)


def is_soft(y) -> bool:
    """Whether some target of ``y`` is soft, |y_i| < 1 (hard labels are exactly +-1)."""
    return bool(np.any(np.abs(np.asarray(y, dtype=float)) != 1.0))


def target_array(y) -> np.ndarray:
    """y as stored: int64 for hard labels (every |y_i| = 1), float64 for soft targets."""
    y = np.asarray(y)
    return y.astype(np.float64) if is_soft(y) else y.astype(np.int64)


def problem_to_frame(problem: Problem):
    """Columns u1..um and y: the on-disk form of every problem."""
    import pandas as pd  # here, not at module level: the Snakefile imports this module

    frame = pd.DataFrame(problem.A, columns=[f"u{j + 1}" for j in range(problem.m)])
    frame["y"] = target_array(problem.y)
    return frame


def problem_from_frame(frame, name: str, meta: dict | None = None) -> Problem:
    inputs = [c for c in frame.columns if c != "y"]
    A = frame[inputs].to_numpy(dtype=float)
    return Problem(name, A, target_array(frame["y"].to_numpy()), dict(meta or {}))
