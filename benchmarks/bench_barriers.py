"""Vectorised bands (all pairs and images in one call) against a per-image Python loop.

``barriers_product``: every pair of the 16 minima of the atan product family, m = 4,
a = 10 (all finite), 120 pairs, 17 images, 300 + 300 band iterations.

* Ours: :func:`minima.bands.relax_bands` -- one evaluation of E and grad E per iteration
  for all pairs x images, (pairs, images, m) arrays throughout.
* Baseline: the same algorithm (tangents, perpendicular force, climbing image,
  redistribution) with the pairs handled one at a time and E and its gradient evaluated
  image by image (one (1, m) call each), timed on the first BASELINE_PAIRS pairs and
  scaled linearly to all of them.  The baseline's bands are the same arithmetic on
  smaller batches: on pairs that differ in one block its highest images agree with ours
  to rounding; a pair differing in more blocks starts on a symmetric diagonal, and which
  way its band falls off is decided by rounding (printed, both).

Both sides with BLAS on one thread (threadpoolctl), best of REPEATS runs.
``ratio`` in benchmarks/run.py is ours_s / baseline_s.
"""

from __future__ import annotations

import time
from itertools import combinations

import numpy as np
from threadpoolctl import threadpool_limits

from backprop_landscape.minima.bands import neuron_model, relax_bands
from backprop_landscape.minima.critical1d import critical_points
from backprop_landscape.models.theta import get_theta
from backprop_landscape.problems.families import n2m1_problem, product_problem

M, A_VALUE, THETA = 4, 10.0, "atan"
BASELINE_PAIRS = 6
REPEATS = 3


def _problem():
    theta = get_theta(THETA)
    c = critical_points(n2m1_problem(3, A_VALUE).A, theta)
    block = c[(c["kind"] == "min") & ~c["at_infinity"]]["x"].to_numpy()
    grid = np.stack(np.meshgrid(*[block] * M, indexing="ij"), axis=-1).reshape(-1, M)
    pairs = np.array(list(combinations(range(len(grid)), 2)))
    return product_problem(M, A_VALUE).A, theta, grid[pairs[:, 0]], grid[pairs[:, 1]]


def _per_image(evaluate):
    """The same callback, called once per image: the loop a scalar code would run."""

    def loop(X):
        out = [evaluate(x[None, :]) for x in X]
        return np.concatenate([e for e, _ in out]), np.concatenate([g for _, g in out])

    return loop


def _best(fn):
    times, result = [], None
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return min(times), result


def bench_barriers() -> dict:
    A, theta, starts, ends = _problem()
    evaluate, hessian = neuron_model(A, theta)
    loop = _per_image(evaluate)
    with threadpool_limits(1):
        ours_s, (_, E_ours, _) = _best(lambda: relax_bands(evaluate, hessian, starts, ends))
        k = BASELINE_PAIRS

        def baseline():
            return [
                relax_bands(loop, hessian, starts[p : p + 1], ends[p : p + 1]) for p in range(k)
            ]

        base_s, bands = _best(baseline)
    top_base = np.array([b[1].max() for b in bands])
    rel = np.abs(top_base / E_ours[:k].max(axis=1) - 1.0)
    one_block = np.sum(~np.isclose(starts[:k], ends[:k]), axis=1) == 1
    diff, other = float(rel[one_block].max()), float(rel[~one_block].max(initial=0.0))
    scaled = base_s * len(starts) / k
    note = (
        f"{len(starts)} pairs x 17 images, m = {M}; baseline per image on {k} pairs, "
        f"{base_s:.2f} s scaled x{len(starts) / k:.0f}; highest images differ by "
        f"{diff:.1e} (pairs differing in one block), "
        f"{other:.1e} (in more: their straight start lies on a symmetric diagonal, and which "
        "way the band falls off it is decided by rounding, which per-image calls change)"
    )
    return {"name": "barriers_product", "ours_s": ours_s, "baseline_s": scaled, "note": note}


def run() -> list[dict]:
    return [bench_barriers()]


if __name__ == "__main__":
    for entry in run():
        print(entry)
