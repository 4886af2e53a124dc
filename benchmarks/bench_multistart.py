"""Vectorised multistart (find_minima) against a loop of L-BFGS-B over the same starts.

``multistart_10k``: 10,000 starts (default radii 1e-2..1e2) on the random non-separable
problem n=50, m=5 (``random_problem(50, 5, 0, False)``), tanh.

* Ours: :func:`find_minima` end to end -- descent of all starts at once, finite minima
  merged, every parked face judged exactly by linear programs.
* Baseline: one ``scipy.optimize.minimize(method="L-BFGS-B")`` per start, E and its
  gradient from one call, tolerances tightened (gtol 1e-10, ftol 1e-15) so that it
  converges about as far as ours (the defaults stop on saturated plateaus, where the
  gradient is below 1e-5 long before any minimum).  Timed on the first 500 starts and
  scaled linearly to 10,000.  It only descends: it neither classifies runs that go to
  infinity nor merges.
* The finite minima that both reach from those 500 starts are printed side by side
  (a baseline end point counts as a finite minimum when its Hessian is positive
  definite and a Newton step moves no margin by more than 1e-4), and each baseline
  minimum is looked up among all of ours.

Both sides are timed best of REPEATS runs (the machine may be shared).  Peak memory is
the process's maximum resident set size (``resource.getrusage``) after our runs, and its
growth during them; both go into the note.  ``ratio`` in
benchmarks/run.py is ours_s / baseline_s.
"""

from __future__ import annotations

import resource
import time

import numpy as np
from scipy.optimize import minimize

from backprop_landscape.landscape import energy, gradient, hessian, reduce_signs
from backprop_landscape.multistart import find_minima, sample_starts
from backprop_landscape.separability import random_problem
from backprop_landscape.theta import get_theta

N_STARTS = 10_000
BASELINE_STARTS = 500
THETA = "tanh"
LBFGS = {"gtol": 1e-10, "ftol": 1e-15}
REPEATS = 3


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux


def _lbfgs_end_points(A, theta, starts) -> tuple[list, float]:
    def fun(x):
        return float(energy(A, x, theta)), gradient(A, x, theta)

    start = time.perf_counter()
    ends = [minimize(fun, x0, jac=True, method="L-BFGS-B", options=LBFGS).x for x0 in starts]
    return ends, time.perf_counter() - start


def _finite_minimum(A, theta, x):
    """z = A~ x* of the minimum next to an end point x, or None if x is not near one."""
    H = hessian(A, x, theta)
    lam = np.linalg.eigvalsh(H)
    if lam[0] <= 1e-10 * lam[-1]:
        return None  # a plateau or a run towards infinity
    step = np.linalg.solve(H, gradient(A, x, theta))
    return A @ (x - step) if np.abs(A @ step).max() < 1e-4 else None


def _distinct(points, tol=1e-5) -> list[tuple[np.ndarray, int]]:
    groups: list[list] = []
    for p in points:
        for g in groups:
            if np.abs(g[0] - p).max() < tol:
                g[1] += 1
                break
        else:
            groups.append([p, 1])
    return [(g[0], g[1]) for g in groups]


def _compare(A, theta, table, labels, ends) -> tuple[str, bool, int, int]:
    """Finite minima reached from the baseline's starts, by us and by L-BFGS-B."""
    subset = labels[: len(ends)]
    finite = np.flatnonzero(~table.at_infinity.to_numpy())
    ours_all = {int(i): A @ np.array(table.x.iloc[i]) for i in finite}
    reached = {i: z for i, z in ours_all.items() if np.any(subset == i)}
    theirs = _distinct([z for z in (_finite_minimum(A, theta, x) for x in ends) if z is not None])

    def find(z, pool):
        return next((i for i, zo in pool.items() if np.abs(zo - z).max() < 1e-5), None)

    lines = [f"finite minima reached from the first {len(ends)} starts (starts per minimum):"]
    matched, known = set(), 0
    for z, count in sorted(theirs, key=lambda item: -item[1]):
        i, anywhere = find(z, reached), find(z, ours_all)
        known += anywhere is not None
        matched.add(i)
        E = float(np.sum(np.square(theta.one_minus(z))))
        ours = int(np.sum(subset == i)) if i is not None else 0
        elsewhere = "" if i is not None or anywhere is None else " (ours from other starts)"
        lines.append(f"  E = {E:10.6f}   L-BFGS-B {count:4d}   ours {ours:4d}{elsewhere}")
    for i in sorted(set(reached) - matched):
        E, ours = table.E.iloc[i], int(np.sum(subset == i))
        lines.append(f"  E = {E:10.6f}   L-BFGS-B {0:4d}   ours {ours:4d}")
    same = set(reached) == matched - {None} and None not in matched
    return "\n".join(lines), same, known, len(theirs)


def bench_multistart() -> dict:
    A_raw, y = random_problem(50, 5, 0, False)
    A = reduce_signs(A_raw, y)
    theta = get_theta(THETA)
    starts = sample_starts(A.shape[1], N_STARTS, seed=0)
    find_minima(A, theta, starts=starts[:50])  # warm caches and imports outside the timing

    before = _peak_mb()
    times = []
    for _ in range(REPEATS):  # best of a few: the machine may be shared
        t0 = time.perf_counter()
        table, labels = find_minima(A, theta, starts=starts, return_labels=True)
        times.append(time.perf_counter() - t0)
    ours = min(times)
    peak = _peak_mb()

    runs = [_lbfgs_end_points(A, theta, starts[:BASELINE_STARTS]) for _ in range(REPEATS)]
    ends, measured = runs[0][0], min(t for _, t in runs)
    baseline = measured * N_STARTS / BASELINE_STARTS
    report, same, known, n_theirs = _compare(A, theta, table, labels, ends)
    finite = table[~table.at_infinity]
    print(report)
    print(
        f"ours: {len(finite)} finite minima (E {finite.E.min():.4f}..{finite.E.max():.4f}), "
        f"{int(table.at_infinity.sum())} minima at infinity, "
        f"{table.attrs['n_undecided']} of {N_STARTS} starts undecided"
    )
    return {
        "name": "multistart_10k",
        "ours_s": ours,
        "baseline_s": baseline,
        "note": (
            f"n=50 m=5 {THETA}, {N_STARTS} starts, best of {REPEATS} runs; baseline "
            f"L-BFGS-B (gtol 1e-10, ftol 1e-15) timed on {BASELINE_STARTS} starts "
            f"({measured:.2f} s) and extrapolated linearly; "
            f"same finite minima from those starts: {same} ({known} of the baseline's "
            f"{n_theirs} are among ours from all starts; small basins differ by method); "
            f"ours found "
            f"{len(finite)} finite and {int(table.at_infinity.sum())} minima at infinity, "
            f"{table.attrs['n_undecided']} starts undecided; peak RSS {peak:.0f} MB "
            f"(+{peak - before:.0f} MB during our run)"
        ),
    }


def run() -> list[dict]:
    return [bench_multistart()]


if __name__ == "__main__":
    for entry in run():
        print(entry)
