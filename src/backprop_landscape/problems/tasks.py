"""Structured learning tasks for open question 2: are practical tasks simpler than random?

Each task gives n points of the plane with labels from a geometric or physical rule; the
neuron sees u = (x1, x2, 1) (standardised coordinates and a bias input), so m = 3.  The
control of a task is the same inputs with the labels shuffled (a seeded permutation):
the same n, m and class balance, no structure.

* ``clusters``: two Gaussian clouds of unit spread whose centres are 2 apart, labels the
  cloud (overlapping, so not separable in general).
* ``grid``: n of the about 2n points of a regular lattice over [-1, 1]^2, labelled +1
  inside the disc of radius sqrt(2 / pi) (half the square's area), -1 outside: a
  geometric concept that no half-plane realises.
* ``topobathy``: n points of matplotlib's sample elevation grid of the Salish Sea
  (``topobathy.npz``, 91 x 120 cells, longitude 234-238, latitude 48-50), labelled +1 on
  land (elevation > 0) and -1 at sea: real data, shipped with a package we depend on.
"""

from __future__ import annotations

import math

import numpy as np

from .names import TASKS, problem_name

CLUSTER_SEPARATION = 2.0


def task_name(task: str, n: int, seed: int, shuffled: bool) -> str:
    return problem_name("task", task=task, n=n, seed=seed, shuffled=shuffled)


def _rng(task: str, n: int, seed: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([TASKS.index(task), n, seed]))


def _clusters(n, rng):
    y = np.where(np.arange(n) % 2 == 0, 1, -1)
    centre = np.array([CLUSTER_SEPARATION / 2, 0.0])
    points = rng.standard_normal((n, 2)) + y[:, None] * centre
    return points, y


def _grid(n, rng):
    k = math.ceil(math.sqrt(2 * n))  # about 2n lattice points, so the seed picks n of them
    axis = np.linspace(-1.0, 1.0, k)
    lattice = np.stack(np.meshgrid(axis, axis), axis=-1).reshape(-1, 2)
    points = lattice[np.sort(rng.choice(len(lattice), size=n, replace=False))]
    inside = (points**2).sum(axis=1) < 2.0 / math.pi
    return points, np.where(inside, 1, -1)


def _topobathy(n, rng):
    from matplotlib.cbook import get_sample_data

    data = get_sample_data("topobathy.npz")
    if n > data["topo"].size:
        raise ValueError(f"task topobathy: n = {n} exceeds the {data['topo'].size} grid cells")
    lon, lat = np.meshgrid(data["longitude"], data["latitude"])
    elevation = np.asarray(data["topo"], dtype=float).ravel()
    cells = np.sort(rng.choice(elevation.size, size=n, replace=False))
    points = np.column_stack([lon.ravel()[cells], lat.ravel()[cells]]).astype(float)
    return points, np.where(elevation[cells] > 0, 1, -1)


GENERATORS = {"clusters": _clusters, "grid": _grid, "topobathy": _topobathy}


def task_data(task: str, n: int, seed: int, shuffled: bool) -> tuple[np.ndarray, np.ndarray]:
    """Inputs A (n x 3: standardised x1, x2 and a bias 1) and labels y in {-1, +1}."""
    if task not in GENERATORS:
        raise ValueError(f"unknown task {task!r}; choose one of {', '.join(TASKS)}")
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 2:
        raise ValueError(f"task {task}: n must be an integer >= 2; got n = {n!r}")
    rng = _rng(task, int(n), int(seed))
    points, y = GENERATORS[task](int(n), rng)
    spread = points.std(axis=0)
    points = (points - points.mean(axis=0)) / np.where(spread > 0, spread, 1.0)
    if shuffled:  # drawn after the task's own draws, so the inputs do not change
        y = rng.permutation(y)
    A = np.column_stack([points, np.ones(len(points))])
    return A, np.asarray(y, dtype=np.int64)
