"""A learning problem as the stages see it, and its on-disk form (columns u1..um, y).

Targets y are the paper's hard labels -1 / +1 (stored as integers) or soft targets in
[-1, 1] such as +-0.8 (stored as floats); :func:`is_soft` tells them apart.

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
    """A learning problem: inputs A (n x m, rows u^i) and targets y (n, in [-1, 1]).

    Hard labels (every |y_i| = 1) are int64; soft targets are float64.
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
    """Columns u1..um and y (and ``split`` with held-out rows): the on-disk form."""
    import pandas as pd  # here, not at module level: the Snakefile imports this module

    columns = [f"u{j + 1}" for j in range(problem.m)]
    frame = pd.DataFrame(problem.A, columns=columns)
    frame["y"] = target_array(problem.y)
    if problem.A_test is None:
        return frame
    test = pd.DataFrame(problem.A_test, columns=columns)
    test["y"] = target_array(problem.y_test)
    frame = pd.concat([frame, test], ignore_index=True)
    frame["split"] = pd.Categorical(
        np.repeat(SPLITS, [problem.n, problem.n_test]), categories=list(SPLITS)
    )
    return frame


def problem_to_columns(problem: Problem) -> dict:
    """The columns of :func:`problem_to_frame` as arrays, for writing without pandas.

    ``split`` is a pyarrow dictionary array (int8 codes, categories train, test): the type
    pyarrow gives the frame's Categorical, so both write the same Parquet columns.
    """
    A, y = problem.A, target_array(problem.y)
    if problem.A_test is not None:
        A = np.concatenate([A, problem.A_test])
        y = np.concatenate([y, target_array(problem.y_test)])
    columns = {f"u{j + 1}": np.ascontiguousarray(A[:, j], dtype=float) for j in range(problem.m)}
    columns["y"] = y
    if problem.A_test is not None:
        from ..arrow import dictionary  # here: the Snakefile imports this module

        codes = np.repeat(np.arange(len(SPLITS), dtype=np.int8), [problem.n, problem.n_test])
        columns["split"] = dictionary(codes, SPLITS)
    return columns


def problem_from_frame(frame, name: str, meta: dict | None = None) -> Problem:
    """The problem of a table: training rows as A, y; held-out rows (``split``) apart."""
    inputs = [c for c in frame.columns if INPUT_COLUMN.match(str(c))]
    A = frame[inputs].to_numpy(dtype=float)
    y = target_array(frame["y"].to_numpy())
    split = frame["split"].astype(str).to_numpy() if "split" in frame.columns else None
    return _split_problem(name, A, y, split, meta)


def problem_from_columns(columns: dict, name: str, meta: dict | None = None) -> Problem:
    """:func:`problem_from_frame` for named numpy arrays (``pipeline.io.read_columns``).

    A is filled column by column in Fortran order, the layout pandas gives a frame of
    float columns: a product A x sums in an order that depends on the layout, so the
    same layout is what makes a job's results the same bits whichever way it read A.
    """
    inputs = [c for c in columns if INPUT_COLUMN.match(str(c))]
    n = len(columns["y"])
    A = np.empty((n, len(inputs)), order="F")
    for j, c in enumerate(inputs):
        A[:, j] = np.asarray(columns[c], dtype=float)
    y = target_array(np.asarray(columns["y"]))
    split = np.asarray(columns["split"]).astype(str) if "split" in columns else None
    return _split_problem(name, A, y, split, meta)


def _split_problem(name: str, A, y, split, meta) -> Problem:
    """The problem of rows A, y: all of them, or (``split``) training rows apart from
    held-out ones."""
    if split is None:
        return Problem(name, A, y, dict(meta or {}))
    unknown = sorted(set(split) - set(SPLITS))
    if unknown:
        raise ValueError(f"problem {name}: unknown split {unknown[0]!r} (train or test)")
    train, test = split == "train", split == "test"
    return Problem(name, A[train], y[train], dict(meta or {}), A[test], y[test])
