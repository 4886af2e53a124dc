"""The one-neuron evaluator of the descent loops against the two calls it replaced.

``evaluator_<theta>``: one call of ``models.neuron.evaluator(A~, theta)`` -- E and grad E
of 8 starts on 16 rows (m = 3), the shape of an extrapolation job, which makes about
350,000 such calls -- against the same values from theta's ``residual`` and ``d1`` called
one after the other, with ``np.sum`` (the evaluator before 2026-12-03).  Both give the
same bits (asserted here; tests/unit/models/test_theta.py checks the pair on every theta
from 1e-300 to the float limit).  Best of REPEATS timings of CALLS calls each.  Both
sides use today's ``log(1 + z^2)`` (atan's theta'), whose shortcut is part of the gain
in the workflow but not in this ratio.
"""

from __future__ import annotations

import time

import numpy as np

from backprop_landscape.models.neuron import evaluator
from backprop_landscape.models.theta import THETA_NAMES, get_theta

CALLS, REPEATS = 20_000, 3


def _two_calls(A, theta):
    AT = np.ascontiguousarray(A.T)

    def evaluate(X):
        z = X @ AT
        residual = theta.residual(z)
        E = np.sum(np.square(residual), axis=1)
        return E, (-2.0 * residual * theta.d1(z)) @ A

    return evaluate


def _per_call(evaluate, X) -> float:
    best = np.inf
    for _ in range(REPEATS):
        start = time.perf_counter()
        for _ in range(CALLS):
            evaluate(X)
        best = min(best, (time.perf_counter() - start) / CALLS)
    return best


def run() -> list[dict]:
    rng = np.random.default_rng(0)
    A, X = rng.normal(size=(16, 3)), 3.0 * rng.normal(size=(8, 3))
    entries = []
    for name in THETA_NAMES:
        theta = get_theta(name)
        ours, baseline = evaluator(A, theta), _two_calls(A, theta)
        for a, b in zip(ours(X), baseline(X), strict=True):
            np.testing.assert_array_equal(a, b)
        t_ours, t_base = _per_call(ours, X), _per_call(baseline, X)
        print(f"  evaluator_{name}: {t_ours * 1e6:.1f} us per call against {t_base * 1e6:.1f} us")
        entries.append({"name": f"evaluator_{name}", "ours_s": t_ours, "baseline_s": t_base})
    return entries
