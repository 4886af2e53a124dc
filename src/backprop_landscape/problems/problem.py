"""A learning problem as the stages see it, and its on-disk form (columns u1..um, y)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Problem:
    """A learning problem: inputs A (n x m, rows u^i) and labels y (n, entries +-1)."""

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


def problem_to_frame(problem: Problem):
    """Columns u1..um and y: the on-disk form of every problem."""
    import pandas as pd  # here, not at module level: the Snakefile imports this module

    frame = pd.DataFrame(problem.A, columns=[f"u{j + 1}" for j in range(problem.m)])
    frame["y"] = problem.y.astype(np.int64)
    return frame


def problem_from_frame(frame, name: str, meta: dict | None = None) -> Problem:
    inputs = [c for c in frame.columns if c != "y"]
    A = frame[inputs].to_numpy(dtype=float)
    return Problem(name, A, frame["y"].to_numpy(dtype=np.int64), dict(meta or {}))
