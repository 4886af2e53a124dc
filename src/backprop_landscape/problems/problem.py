"""A learning problem as the stages see it, and its on-disk form (columns u1..um, y).

A problem with held-out rows (the ``dataset`` family) also has ``A_test``, ``y_test``;
on disk its table then has a third column ``split`` ("train" or "test"), training rows
first.  :func:`problem_from_frame` gives every stage the training rows as ``A``, ``y``
(so the held-out rows never reach a fit) and the held-out ones as ``A_test``, ``y_test``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

INPUT_COLUMN = re.compile(r"^u[1-9][0-9]*$")
SPLITS = ("train", "test")


@dataclass(frozen=True)
class Problem:
    """A learning problem: inputs A (n x m, rows u^i) and labels y (n, entries +-1).

    ``A_test``, ``y_test``: held-out rows (None when the problem has none).
    """

    name: str
    A: np.ndarray
    y: np.ndarray
    meta: dict = field(default_factory=dict)
    A_test: np.ndarray | None = None
    y_test: np.ndarray | None = None

    @property
    def n(self) -> int:
        return self.A.shape[0]

    @property
    def m(self) -> int:
        return self.A.shape[1]

    @property
    def n_test(self) -> int:
        return 0 if self.A_test is None else self.A_test.shape[0]


def problem_to_frame(problem: Problem):
    """Columns u1..um and y (and ``split`` with held-out rows): the on-disk form."""
    import pandas as pd  # here, not at module level: the Snakefile imports this module

    columns = [f"u{j + 1}" for j in range(problem.m)]
    frame = pd.DataFrame(problem.A, columns=columns)
    frame["y"] = problem.y.astype(np.int64)
    if problem.A_test is None:
        return frame
    test = pd.DataFrame(problem.A_test, columns=columns)
    test["y"] = problem.y_test.astype(np.int64)
    frame = pd.concat([frame, test], ignore_index=True)
    frame["split"] = pd.Categorical(
        np.repeat(SPLITS, [problem.n, problem.n_test]), categories=list(SPLITS)
    )
    return frame


def problem_from_frame(frame, name: str, meta: dict | None = None) -> Problem:
    """The problem of a table: training rows as A, y; held-out rows (``split``) apart."""
    inputs = [c for c in frame.columns if INPUT_COLUMN.match(str(c))]
    A = frame[inputs].to_numpy(dtype=float)
    y = frame["y"].to_numpy(dtype=np.int64)
    if "split" not in frame.columns:
        return Problem(name, A, y, dict(meta or {}))
    split = frame["split"].astype(str).to_numpy()
    unknown = sorted(set(split) - set(SPLITS))
    if unknown:
        raise ValueError(f"problem {name}: unknown split {unknown[0]!r} (train or test)")
    train, test = split == "train", split == "test"
    return Problem(name, A[train], y[train], dict(meta or {}), A[test], y[test])
