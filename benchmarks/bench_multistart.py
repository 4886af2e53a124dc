"""Vectorised multistart (find_minima) against a loop of L-BFGS-B over the same starts.

``multistart_10k``: 10,000 starts (the default design and radii 1e-2..1e2) on the random
non-separable problem n=50, m=5 (``random_problem(50, 5, 0, False)``), tanh.

* Ours: :func:`find_minima` end to end -- descent of all starts at once, finite minima
  merged, every parked face judged exactly by linear programs.
* Baseline: one ``scipy.optimize.minimize(method="L-BFGS-B")`` per start, E and its
  gradient from one fused call (z and 1 - theta(z) formed once: 20 us per call against
  25 us for ``models.neuron.energy`` plus ``gradient``; L-BFGS-B's own work is
  about 13 us per call more), tolerances tightened (gtol 1e-10, ftol 1e-15) so that it
  converges about as far as ours (the defaults stop on saturated plateaus, where the
  gradient is below 1e-5 long before any minimum).  Timed on the first 500 starts and
  scaled linearly to 10,000.  It only descends: it neither classifies runs that go to
  infinity nor merges.
* Both sides run with BLAS on the calling thread (:func:`descent.pinned_blas`): the
  many tiny products of either side only lose from OpenBLAS's threads, and on a shared
  machine a threaded L-BFGS-B loop runs up to 30x slower -- a baseline nobody should
  beat.
* Agreement, on the 500 baseline starts.  A baseline end point is a finite minimum when
  its Hessian is positive definite and a Newton step moves no margin by more than 1e-4;
  otherwise it is heading to one of our minima at infinity when its signs of z agree
  with that minimum's saturated rows and its E is within 1e-3 of that limit (L-BFGS-B
  cannot tell a minimum at infinity from a saddle there, so the rest stay unclassified).
  Printed: the baseline's finite minima by basin, each looked up among all of ours
  (10,000 starts); the share of baseline runs whose finite minimum we also find, and of
  our runs (same starts) whose finite minimum the baseline also reaches; the share of
  baseline runs heading to one of our minima at infinity; and the share of starts on
  which both end at the same finite minimum.

Both sides are timed best of REPEATS runs (the machine may be shared).  Peak memory is
the process's maximum resident set size (``resource.getrusage``) after our runs, and its
growth during them; both go into the note.  ``ratio`` in benchmarks/run.py is
ours_s / baseline_s.

Every finite minimum L-BFGS-B reaches from the 500 starts is checked twice: is it among
ours (the 10,000 starts, and the adaptive run below), and is it a local minimum for us
at all (our descent started at its point stays there)?  A minimum of the second kind
missing from the first has a basin our starts (almost) never reach; the note says which.

``multistart_adaptive``: the same problem with the workflow's defaults (first batch of
1,000, batches of 1,000, until the Good-Turing missed mass is below 1e-3 or 20,000 starts
are spent), against the fixed 10,000 starts as its "baseline": the time to reach the
missed-mass target, what stopped it, the missed mass and Chao1's total at the end.

``multistart_equal_time``: ours on 100,000 starts (about what it descends in the
loop's time for 10,000), one run, against that time: is every finite minimum the loop
reaches from its 500 starts then among ours?  For each one that a search lacks, the note
also says where the gradient flow from the loop's start goes (``solve_ivp``, LSODA, to
t = 1e6), and where our descent goes.
"""

from __future__ import annotations

import resource
import time

import numpy as np
from scipy.integrate import solve_ivp
from scipy.optimize import minimize

from backprop_landscape.minima import find_minima, sample_starts
from backprop_landscape.minima.descent import pinned_blas
from backprop_landscape.models.neuron import energy, gradient, hessian, reduce_signs
from backprop_landscape.models.theta import get_theta
from backprop_landscape.problems.separability import random_problem

N_STARTS = 10_000
BASELINE_STARTS = 500
THETA = "tanh"
LBFGS = {"gtol": 1e-10, "ftol": 1e-15}
REPEATS = 3
SAME = 1e-5  # two minima are one when their z agree to this (max norm)
FLOW_T = 1e6  # the gradient flow's horizon; its end point is then judged by _finite_minimum
EQUAL_TIME_STARTS = 100_000  # about as many starts as ours descends in the loop's time


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux


def _lbfgs_end_points(A, theta, starts) -> tuple[list, float]:
    def fun(x):  # E and its gradient from one pass: z and 1 - theta(z) formed once
        z = A @ x
        om = theta.one_minus(z)
        return float(om @ om), -2.0 * (om * theta.d1(z)) @ A

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


def _find(z, pool: np.ndarray) -> int:
    """Index of the row of ``pool`` within SAME of z, or -1."""
    if not len(pool):
        return -1
    hit = np.flatnonzero(np.abs(pool - z).max(axis=1) < SAME)
    return int(hit[0]) if hit.size else -1


def _compare(A, theta, table, labels, ends) -> tuple[list[str], dict]:
    """Minima reached from the baseline's starts, by us and by L-BFGS-B (see the module doc)."""
    k = len(ends)
    at_inf = table.at_infinity.to_numpy()
    ours_z = np.array([A @ np.array(x) for x in table.x])  # finite rows: z of the minimiser
    finite_rows = np.flatnonzero(~at_inf)
    ours_finite = ours_z[finite_rows]
    patterns = np.array(table.saturated[at_inf].tolist()).reshape(-1, A.shape[0])
    limits = table.E.to_numpy()[at_inf]

    # the baseline's outcome per start: index into its distinct finite minima, or -1
    theirs: list[np.ndarray] = []
    their_label = np.full(k, -1)
    on_our_face = np.zeros(k, dtype=bool)
    for j, x in enumerate(ends):
        zf = _finite_minimum(A, theta, x)
        if zf is None:  # heading to one of our minima at infinity?
            signs = np.sign(A @ x)
            heading = np.all((patterns == 0) | (patterns == signs), axis=1)
            on_our_face[j] = np.any(heading & (np.abs(limits - energy(A, x, theta)) < 1e-3))
            continue
        i = _find(zf, np.array(theirs).reshape(-1, A.shape[0]))
        if i < 0:
            theirs.append(zf)
            i = len(theirs) - 1
        their_label[j] = i
    theirs_arr = np.array(theirs).reshape(-1, A.shape[0])
    found_by_us = np.array([_find(z, ours_finite) for z in theirs_arr], dtype=int)

    ours_here = labels[:k]  # our outcome on the same starts (table row, -1 undecided)
    ours_finite_here = np.isin(ours_here, finite_rows)
    reached_by_them = np.array(
        [_find(ours_z[r], theirs_arr) >= 0 if r >= 0 else False for r in ours_here]
    )
    base_finite = their_label >= 0
    same_start = np.array(
        [
            their_label[j] >= 0
            and ours_here[j] >= 0
            and not at_inf[ours_here[j]]
            and finite_rows[found_by_us[their_label[j]]] == ours_here[j]
            if found_by_us[their_label[j]] >= 0
            else False
            for j in range(k)
        ]
    )
    stats = {
        "their_finite": base_finite.mean(),
        "their_found": np.mean(base_finite & (found_by_us[their_label] >= 0)) / base_finite.mean(),
        "our_finite": ours_finite_here.mean(),
        "our_found": np.mean(ours_finite_here & reached_by_them) / ours_finite_here.mean(),
        "their_face": on_our_face.mean(),
        "their_other": np.mean(~base_finite & ~on_our_face),
        "same_start": same_start.mean(),
        "our_inf": np.mean(np.isin(ours_here, np.flatnonzero(at_inf))),
        "our_undecided": np.mean(ours_here < 0),
    }

    lines = [f"finite minima reached from the first {k} starts (runs per minimum):"]
    for i in np.argsort(-np.bincount(their_label[base_finite], minlength=len(theirs_arr))):
        z = theirs_arr[i]
        E = float(np.sum(np.square(theta.one_minus(z))))
        mine = found_by_us[i]
        ours_n = int(np.sum(ours_here == finite_rows[mine])) if mine >= 0 else 0
        where = "" if mine >= 0 else "   (not among ours)"
        if mine >= 0 and ours_n == 0:
            where = "   (ours from other starts)"
        lines.append(
            f"  E = {E:10.6f}   L-BFGS-B {np.sum(their_label == i):4d}   ours {ours_n:4d}{where}"
        )
    for r in sorted(
        set(ours_here[ours_finite_here]) - set(finite_rows[found_by_us[found_by_us >= 0]])
    ):
        lines.append(
            f"  E = {table.E.iloc[r]:10.6f}   L-BFGS-B {0:4d}   ours {np.sum(ours_here == r):4d}"
            "   (not reached by L-BFGS-B)"
        )
    return lines, stats


ADAPTIVE = {"n_starts": 1000, "batch": 1000, "max_starts": 20_000, "missed_target": 1e-3}


def _gradient_flow_end(A, theta, x0) -> np.ndarray:
    """The point the gradient flow dx/dt = -grad E(x) from x0 reaches at t = FLOW_T (LSODA)."""
    flow = solve_ivp(
        lambda t, x: -gradient(A, x, theta),
        (0.0, FLOW_T),
        x0,
        method="LSODA",
        jac=lambda t, x: -hessian(A, x, theta),
        rtol=1e-10,
        atol=1e-12,
    )
    return flow.y[:, -1]


def _ends_at(A, theta, x) -> str:
    """'E = ...' of the finite minimum next to x, or where x is heading otherwise."""
    z = _finite_minimum(A, theta, x)
    if z is None:
        E, far = energy(A, x, theta), np.abs(A @ x).max()
        return f"no finite minimum (E = {E:.6f}, max |z| {far:.0f})"
    return f"E = {float(np.sum(np.square(theta.one_minus(z)))):.6f}"


def _lbfgs_minima_check(A, theta, ends, table, starts) -> tuple[list[str], int]:
    """Per finite minimum L-BFGS-B reaches: E, whether ours has it, whether we keep it.

    For one that ours lacks, where the gradient flow (the limit of backprop with small
    steps) and our descent go from the start at which L-BFGS-B reached it.  Returns the
    lines and the number of L-BFGS-B's minima not among ours.
    """
    points, first_start = [], []
    for j, x in enumerate(ends):
        z = _finite_minimum(A, theta, x)
        if z is not None and _find(z, np.array(points).reshape(-1, A.shape[0])) < 0:
            points.append(z)
            first_start.append(j)
    ours = np.array([A @ np.array(x) for x in table[~table.at_infinity].x]).reshape(-1, A.shape[0])
    lines, missing = [], 0
    for z, j in zip(points, first_start):
        E = float(np.sum(np.square(theta.one_minus(z))))
        x = np.linalg.lstsq(A, z, rcond=None)[0]
        again = find_minima(A, theta, starts=x[None, :])
        kept = len(again) == 1 and not again.at_infinity.iloc[0]
        kept = kept and _find(z, np.array([A @ np.array(again.x.iloc[0])])) >= 0
        among = _find(z, ours) >= 0
        line = (
            f"E = {E:.6f}: {'among ours' if among else 'NOT among ours'}, "
            f"{'a local minimum for us too' if kept else 'not kept by our descent'}"
        )
        if not among:
            missing += 1
            mine = find_minima(A, theta, starts=starts[j : j + 1])
            mine_at = "at infinity" if mine.at_infinity.iloc[0] else "finite"
            line += (
                f" (L-BFGS-B from start {j}; from there the gradient flow reaches "
                f"{_ends_at(A, theta, _gradient_flow_end(A, theta, starts[j]))} at t = "
                f"{FLOW_T:.0e}, our descent the {mine_at} minimum E = {mine.E.iloc[0]:.6f})"
            )
        lines.append(line)
    return lines, missing


def bench_adaptive(A, theta, fixed_s: float) -> dict:
    times = []
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        table = find_minima(A, theta, seed=0, **ADAPTIVE)
        times.append(time.perf_counter() - t0)
    a = table.attrs
    finite = table[~table.at_infinity]
    note = (
        f"defaults {ADAPTIVE}: stopped by {a['stopped_by']} after {a['n_starts']} starts in "
        f"{a['n_batches']} batches, missed mass {a['missed_mass']:.2e}, {len(finite)} finite "
        f"and {int(table.at_infinity.sum())} minima at infinity found, Chao1 "
        f"{a['n_estimated']:.0f} ({a['n_low']:.0f}-{a['n_high']:.0f}); best of {REPEATS}; "
        f"baseline: the fixed 10,000 starts"
    )
    print(note)
    return {"name": "multistart_adaptive", "ours_s": min(times), "baseline_s": fixed_s,
            "note": note, "table": table}  # fmt: skip


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

    with pinned_blas():
        runs = [_lbfgs_end_points(A, theta, starts[:BASELINE_STARTS]) for _ in range(REPEATS)]
    ends, measured = runs[0][0], min(t for _, t in runs)
    baseline = measured * N_STARTS / BASELINE_STARTS
    lines, s = _compare(A, theta, table, labels, ends)
    finite = table[~table.at_infinity]
    print("\n".join(lines))
    adaptive = bench_adaptive(A, theta, ours)
    checks, _ = _lbfgs_minima_check(A, theta, ends, table, starts)
    in_adaptive, _ = _lbfgs_minima_check(A, theta, ends, adaptive.pop("table"), starts)
    print("L-BFGS-B's finite minima, against the 10,000 starts:", "; ".join(checks))
    print("... against the adaptive run:", "; ".join(in_adaptive))
    agreement = (
        f"on the first {BASELINE_STARTS} starts: L-BFGS-B ends at a finite minimum in "
        f"{s['their_finite']:.1%} of runs, and {s['their_found']:.1%} of those runs (by "
        f"basin) reach a minimum we also find; we end at a finite minimum in "
        f"{s['our_finite']:.1%}, and {s['our_found']:.1%} of those reach one L-BFGS-B also "
        f"reaches; {s['their_face']:.1%} of L-BFGS-B runs head to one of our minima at "
        f"infinity, {s['their_other']:.1%} elsewhere towards infinity (we: "
        f"{s['our_inf']:.1%} at infinity, {s['our_undecided']:.1%} undecided); both end at "
        f"the same finite minimum from {s['same_start']:.1%} of the starts"
    )
    print(
        f"ours: {len(finite)} finite minima (E {finite.E.min():.4f}..{finite.E.max():.4f}), "
        f"{int(table.at_infinity.sum())} minima at infinity, "
        f"{table.attrs['n_undecided']} of {N_STARTS} starts undecided; "
        f"{ours:.3f} s, baseline {baseline:.2f} s, speed-up {baseline / ours:.1f}x, "
        f"peak RSS {peak:.0f} MB"
    )
    entry = {
        "name": "multistart_10k",
        "ours_s": ours,
        "baseline_s": baseline,
        "note": (
            f"n=50 m=5 {THETA}, {N_STARTS} starts, best of {REPEATS} runs, BLAS on one "
            f"thread for both; baseline L-BFGS-B (gtol 1e-10, ftol 1e-15) timed on "
            f"{BASELINE_STARTS} starts ({measured:.2f} s) and extrapolated linearly; "
            f"speed-up {baseline / ours:.1f}x; {agreement}; ours found {len(finite)} finite "
            f"and {int(table.at_infinity.sum())} minima at infinity, "
            f"{table.attrs['n_undecided']} starts undecided; peak RSS {peak:.0f} MB "
            f"(+{peak - before:.0f} MB during our run); L-BFGS-B's finite minima against "
            f"our 10,000 starts: {'; '.join(checks)}; against the adaptive run: "
            f"{'; '.join(in_adaptive)}"
        ),
    }
    return [entry, adaptive, bench_equal_time(A, theta, baseline, ends, starts)]


def bench_equal_time(A, theta, baseline_s: float, ends, starts) -> dict:
    """Ours with EQUAL_TIME_STARTS starts against the L-BFGS-B loop's time for N_STARTS.

    At equal time, does ours find every finite minimum the loop reaches from its first
    BASELINE_STARTS starts?  One run (it takes about as long as the baseline).
    """
    many = sample_starts(A.shape[1], EQUAL_TIME_STARTS, seed=1)
    t0 = time.perf_counter()
    table = find_minima(A, theta, starts=many)
    ours = time.perf_counter() - t0
    checks, missing = _lbfgs_minima_check(A, theta, ends, table, starts)
    finite = table[~table.at_infinity]
    note = (
        f"ours on {EQUAL_TIME_STARTS:,} starts (seed 1), one run, against the L-BFGS-B "
        f"loop on {N_STARTS:,} (extrapolated as in multistart_10k): {len(finite)} finite "
        f"and {int(table.at_infinity.sum())} minima at infinity; of the "
        f"{len(checks)} finite minima L-BFGS-B reaches from its first {BASELINE_STARTS} "
        f"starts, {len(checks) - missing} are among ours: {'; '.join(checks)}"
    )
    print(note)
    return {"name": "multistart_equal_time", "ours_s": ours, "baseline_s": baseline_s,
            "note": note}  # fmt: skip


def run() -> list[dict]:
    return bench_multistart()


if __name__ == "__main__":
    for entry in run():
        print(entry)
