"""Vectorised stationary-point search against a per-start scipy.optimize.root loop.

Two problems, N_STARTS starts each from ``levenberg.sample_starts``:

* ``stationary_xor``: the XOR 2-2-1 network of Figure 5 (logistic hidden and output
  units, biases, targets 0/1), whose stationary points are all degenerate saddles;
* ``stationary_decay``: a 1-2-1 tanh network with a linear output and weight decay
  lambda = 0.01 on every weight and bias, fitted to 7 points of sin(1.5 u) + 0.3 u^2 on
  [-2, 2] -- E is coercive, its stationary points are finite and isolated (minima and
  saddles of index 1 and 2), so agreement is checked point by point.

* Ours: :func:`stationary.find_stationary_points` end to end on all N_STARTS starts --
  the Levenberg-Marquardt solve of grad E = 0 for all starts at once, refinement to
  rounding level, classification by index, probing of degenerate points, symmetry
  classes.  (The limits of diverging runs, :func:`limits.analyse_limits`, are not
  part of the timing: the baseline has nothing like them.)
* Baseline: one ``scipy.optimize.root(method="lm")`` per start on the same system
  grad E = 0 with the exact Hessian as Jacobian, E, gradient and Hessian from one fused
  call of the same ``Network`` code (``jac=True``).  ``"lm"`` is the faster of root's
  two MINPACK methods here (``"hybr"`` needs about twice the evaluations).  It is timed
  on the first BASELINE_STARTS starts and scaled linearly to N_STARTS.  It only solves;
  it neither classifies nor merges.
* Agreement: the baseline's end points with ``success`` and no unit saturated on every
  sample are polished by our refinement (Newton steps only: it cannot move a point to
  another stationary point) and kept when they reach rounding level; each is then
  looked up in our table (:func:`stationary.match_points`: same E, outputs, index and
  nullity, and for a nondegenerate point an image under the symmetry group at the
  row's representative).  Printed: how many of the baseline's points are among ours,
  and which ones are not.

Both sides run with BLAS on one thread (threadpoolctl), best of REPEATS
runs.  ``ratio`` in benchmarks/run.py is ours_s / baseline_s.
"""

from __future__ import annotations

import time
import warnings

import numpy as np
from scipy.optimize import root
from threadpoolctl import threadpool_limits

from backprop_landscape.minima.levenberg import refine, sample_starts
from backprop_landscape.minima.stationary import find_stationary_points, match_points
from backprop_landscape.models.network import Network
from backprop_landscape.trajectories.xor import INPUTS, TARGETS

N_STARTS = 2000
BASELINE_STARTS = 300
REPEATS = 3
REGRESSION_U = np.linspace(-2.0, 2.0, 7)[:, None]
REGRESSION_Y = np.sin(1.5 * REGRESSION_U[:, 0]) + 0.3 * REGRESSION_U[:, 0] ** 2
PROBLEMS = {
    "stationary_xor": (Network(m=2, hidden=2), INPUTS, TARGETS, "XOR 2-2-1 logistic"),
    "stationary_decay": (
        Network(1, 2, "tanh", "linear", decay=0.01),
        REGRESSION_U,
        REGRESSION_Y,
        "1-2-1 tanh/linear regression, decay 0.01",
    ),
}


def _root_loop(net, U, y, starts):
    """scipy.optimize.root per start; returns the end points, success flags and seconds."""

    def system(x):  # grad E and Hess E from one pass of the same model code
        _, G, Hs = net.kernel(x[None, :], U, y, 2)
        return G[0], Hs[0]

    t0 = time.perf_counter()
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")  # MINPACK's covariance overflows on singular ends
        results = [root(system, x0, jac=True, method="lm") for x0 in starts]
    seconds = time.perf_counter() - t0
    ends = np.array([r.x for r in results])
    return ends, np.array([r.success for r in results]), seconds


def bench_stationary(name: str) -> dict:
    net, U, y, label = PROBLEMS[name]
    starts = sample_starts(net.n_params, N_STARTS, seed=0)
    find_stationary_points(net, U, y, starts=starts[:50])  # warm imports

    times = []
    with threadpool_limits(limits=1, user_api="blas"):
        for _ in range(REPEATS):  # best of a few: the machine may be shared
            t0 = time.perf_counter()
            table = find_stationary_points(net, U, y, starts=starts)
            times.append(time.perf_counter() - t0)
        runs = [_root_loop(net, U, y, starts[:BASELINE_STARTS]) for _ in range(REPEATS)]
    ours = min(times)
    ends, success, _ = runs[0]
    measured = min(seconds for _, _, seconds in runs)
    baseline = measured * N_STARTS / BASELINE_STARTS

    finite = success & (net.unit_saturation(ends, U) < 1.0)
    polished, _, _, refined = refine(net, U, y, ends[finite])
    theirs = polished[refined]
    rows = match_points(net, U, y, table, theirs)
    missing = np.flatnonzero(rows < 0)
    found = len(theirs) - len(missing)
    lines = [
        f"{label}: ours {len(table)} classes from {N_STARTS} starts "
        f"({table.attrs['n_converged']} converged, {table.attrs['n_diverged']} diverged, "
        f"{table.attrs['n_stalled']} stalled, {table.attrs['n_unrefined']} not refined); "
        f"kinds {table.kind.value_counts().to_dict()}, E {sorted(set(table.E.round(6)))}",
        f"root(lm) on the first {BASELINE_STARTS} starts: {int(success.sum())} report "
        f"success, {int(finite.sum())} of them finite, {len(theirs)} stationary to rounding "
        f"level after polishing, in {len(set(rows[rows >= 0]))} of our classes; {found} "
        f"of these points are among ours",
    ]
    for i in missing:
        E = net.energy(theirs[i], U, y)
        lines.append(f"  not among ours: E = {E:.6f}, x = {np.round(theirs[i], 4).tolist()}")
    print("\n".join(lines))
    print(f"ours {ours:.2f} s, baseline {baseline:.1f} s, speed-up {baseline / ours:.1f}x")
    return {
        "name": name,
        "ours_s": ours,
        "baseline_s": baseline,
        "note": (
            f"{label}, {N_STARTS} starts, best of {REPEATS}, BLAS on one thread; baseline "
            f"scipy.optimize.root(method='lm', exact Hessian) per start, timed on "
            f"{BASELINE_STARTS} starts ({measured:.1f} s) and scaled linearly; speed-up "
            f"{baseline / ours:.1f}x; {found} of the baseline's {len(theirs)} stationary "
            f"points are among ours ({len(table)} classes)"
        ),
    }


def run() -> list[dict]:
    return [bench_stationary(name) for name in PROBLEMS]


if __name__ == "__main__":
    for entry in run():
        print(entry)
