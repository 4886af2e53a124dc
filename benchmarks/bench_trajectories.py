"""Gradient flow in log time against fixed-step backprop, and vectorised XOR against a loop.

* ``flow_to_1e12``: one gradient-flow trajectory (LSODA in s = log(1 + t)) on a separable
  n=100, m=10 problem up to t = 1e12; baseline: backprop with eta = 0.1 reaching the same
  t, i.e. 1e13 steps, timed on 1e5 steps and scaled linearly.
* ``xor_20x1e6``: batch backprop on XOR, 20 seeds x 1e6 epochs in one vectorised run;
  baseline: the same maths one seed at a time, timed on 1e4 epochs and scaled linearly.

``ratio`` is ours_s / baseline_s, as in benchmarks/run.py.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from backprop_landscape.models.theta import get_theta
from backprop_landscape.trajectories.neuron import backprop, gradient_flow
from backprop_landscape.trajectories.xor import XorResult, xor_backprop

T_MAX = 1e12
ETA = 0.1
BASELINE_STEPS = 100_000
XOR_SEEDS = 20
XOR_EPOCHS = 1_000_000
XOR_LOOP_EPOCHS = 10_000


def separable_problem(n: int = 100, m: int = 10, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A~ for Gaussian inputs labelled by a random plane, and a small random start."""
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(n, m))
    y = np.sign(A @ rng.normal(size=m))
    return A * y[:, None], 0.1 * rng.normal(size=m)


def xor_backprop_loop(seeds=20, **kwargs) -> XorResult:
    """:func:`xor_backprop` one seed at a time, tables concatenated: the XOR baseline.

    ``seeds`` is an int S (seeds 0..S-1) or a sequence; ``kwargs`` go to xor_backprop.
    Each seed runs the same kernel with S = 1, so the arithmetic per seed is identical
    to the vectorised run's.
    """
    seeds = range(seeds) if np.ndim(seeds) == 0 else seeds
    runs = [xor_backprop([seed], **kwargs) for seed in seeds]
    return XorResult(
        *(pd.concat([getattr(r, f) for r in runs], ignore_index=True) for f in XorResult._fields)
    )


def timed(fn, *args, **kwargs) -> float:
    start = time.perf_counter()
    fn(*args, **kwargs)
    return time.perf_counter() - start


def bench_flow() -> dict:
    A, x0 = separable_problem()
    theta = get_theta("tanh")
    ours = timed(gradient_flow, A, x0, theta, t_max=T_MAX)
    measured = timed(backprop, A, x0, theta, ETA, BASELINE_STEPS, record_steps=[0])
    steps_needed = T_MAX / ETA
    return {
        "name": "flow_to_1e12",
        "ours_s": ours,
        "baseline_s": measured * steps_needed / BASELINE_STEPS,
        "note": (
            f"baseline extrapolated linearly from {BASELINE_STEPS:.0e} backprop steps "
            f"({measured:.2f} s) to {steps_needed:.0e} steps (eta={ETA}, t={T_MAX:.0e})"
        ),
    }


def bench_xor() -> dict:
    ours = timed(xor_backprop, XOR_SEEDS, n_epochs=XOR_EPOCHS)
    measured = timed(xor_backprop_loop, XOR_SEEDS, n_epochs=XOR_LOOP_EPOCHS)
    return {
        "name": "xor_20x1e6",
        "ours_s": ours,
        "baseline_s": measured * XOR_EPOCHS / XOR_LOOP_EPOCHS,
        "note": (
            f"baseline: per-seed loop timed on {XOR_LOOP_EPOCHS:.0e} epochs ({measured:.2f} s) "
            f"and scaled linearly to {XOR_EPOCHS:.0e}"
        ),
    }


def run() -> list[dict]:
    rows = [bench_flow(), bench_xor()]
    for row in rows:
        row["ratio"] = row["ours_s"] / row["baseline_s"]
    return rows


if __name__ == "__main__":
    for row in run():
        print(row)
