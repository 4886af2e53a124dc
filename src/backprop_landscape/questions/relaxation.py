"""Open question 3: is relaxation (simulated annealing) worth it?

Three ways to look for the global minimum of E(x) = sum_i (1 - theta((A~ x)_i))^2 are
compared by the probability of reaching it within a budget of evaluations:

* ``multistart``: independent local descents (``scipy.optimize.minimize``, L-BFGS-B with
  the exact gradient) from random starts, a new start whenever a descent ends;
* ``annealing``: simulated annealing, ``scipy.optimize.dual_annealing`` (generalised
  annealing with scipy's default schedule, plus its L-BFGS-B local search, here given the
  exact gradient) in the box [-L, L]^m;
* ``hopping``: ``scipy.optimize.basinhopping`` (L-BFGS-B with the exact gradient between
  random hops, Metropolis acceptance at a fixed temperature).

**Counting.**  Every evaluation of E costs one, every evaluation of grad E one more; a
call returning both (``fun_and_grad``) costs two.  :class:`CountingEnergy` records, per
unit of cost, the value of E it made known (``inf`` for a gradient-only unit), so the
best-so-far E after B evaluations is ``minimum.accumulate(trace)[B - 1]`` and one run per
seed gives the whole curve.  A run stops when its next call would pass ``max_evals``
(:class:`BudgetExhausted`); a method that stops earlier keeps its best value.

**Reaching the global minimum.**  Minima may be at infinity, where E only approaches its
infimum, so a run *reaches* the global minimum once its best E <= E_global + tol.
E_global is the lower of the lowest minimum :func:`minima.find_minima` finds (limits
at infinity included; the reference) and the lowest E any run evaluated.

**Box and starts.**  Every repeat draws one start x0 uniform in [-start_scale,
start_scale]^m, shared by the three methods; multistart draws its later starts from the
same law.  The annealing box must hold points within tol of a minimum at infinity.  A row
contributes at most tol / n once 1 - theta(z) <= sqrt(tol / n), from z_sat on (theta's
tail: for tanh 1 - theta(z) ~ 2 e^{-2z}, so z_sat = 2.5 for tol = 1e-3 and n = 6; for
the power tail of atan, 49), which the smallest row a_i reaches at |x|_inf ~ z_sat /
|a_i|; and the reference global minimiser itself needs |x|_inf = reach (its finite x, or
the point of its ray x_base + r d from which E stays within tol / 2 of the limit).  Then
L = box_factor * max(z_sat / min_i |a_i|, reach, start_scale).  Rows that the ray
saturates only slowly (a small slope a_i . d) make ``reach`` large; it is reported with
the results.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.optimize import basinhopping, brentq, dual_annealing, minimize

from ..minima import find_minima
from ..models.neuron import energy, energy_above_ray_limit, gradient, margins
from ..models.theta import Theta
from ..seeds import derived_seed

METHODS = ("multistart", "annealing", "hopping")
#: The 95 % Wilson interval of a proportion uses this normal quantile.
Z95 = 1.959963984540054
#: Ray parameters scanned for the first point within tol / 2 of a minimum at infinity.
RAY_GRID = np.logspace(-3, 12, 1501)
#: Relative gap under which the methods' best E ties with find_minima's.
TIE_RTOL = 1e-9


class BudgetExhausted(Exception):
    """Raised by :class:`CountingEnergy` when a call would pass its budget."""


class CountingEnergy:
    """E and grad E of one problem, counting evaluations and recording what they revealed.

    Parameters
    ----------
    A_tilde : (n, m) array
    theta : Theta
    max_evals : int
        Budget: a call that would bring the count above it raises BudgetExhausted
        (before evaluating anything).
    targets : (n,) array, optional
        The rows' sign-flipped targets (None: hard targets, all 1).
    """

    def __init__(self, A_tilde, theta: Theta, max_evals: int, targets=None):
        self.A = np.asarray(A_tilde, dtype=float)
        self.theta = theta
        self.targets = targets
        self.max_evals = int(max_evals)
        self._trace: list[float] = []

    @property
    def n_evals(self) -> int:
        return len(self._trace)

    def _spend(self, cost: int) -> None:
        if self.n_evals + cost > self.max_evals:
            raise BudgetExhausted(f"budget of {self.max_evals} evaluations used")

    def fun(self, x) -> float:
        """E(x); costs one evaluation."""
        self._spend(1)
        value = float(energy(self.A, np.asarray(x, dtype=float), self.theta, self.targets))
        self._trace.append(value)
        return value

    def grad(self, x) -> np.ndarray:
        """grad E(x); costs one evaluation, reveals no value of E."""
        self._spend(1)
        g = gradient(self.A, np.asarray(x, dtype=float), self.theta, self.targets)
        self._trace.append(np.inf)
        return g

    def fun_and_grad(self, x) -> tuple[float, np.ndarray]:
        """(E(x), grad E(x)); costs two evaluations."""
        self._spend(2)
        # One pass over the margins for both, in the operations energy() and gradient()
        # perform, so the values are theirs bit for bit.
        z = margins(self.A, x)
        residual, d1 = self.theta.residual_and_d1(z, self.targets)
        value = float(np.sum(np.square(residual), axis=-1))
        self._trace += [value, np.inf]
        return value, -2.0 * (residual * d1) @ self.A

    @property
    def trace(self) -> np.ndarray:
        """E revealed by each evaluation so far (inf for gradient evaluations)."""
        return np.array(self._trace, dtype=float)

    def best_so_far(self, length: int | None = None) -> np.ndarray:
        """Lowest E seen after 1, 2, ..., length evaluations; padded with the last value.

        Before any E is known the entry is inf.
        """
        length = self.max_evals if length is None else int(length)
        best = np.minimum.accumulate(self.trace) if self._trace else np.zeros(0)
        fill = best[-1] if best.size else np.inf
        out = np.full(length, fill)
        out[: min(length, best.size)] = best[:length]
        return out


# --------------------------------------------------------------------------------------
# The three methods: each runs until the budget is spent (or the method stops by itself)
# --------------------------------------------------------------------------------------


def _multistart(f: CountingEnergy, x0, rng, settings) -> None:
    x, scale = np.asarray(x0, dtype=float), settings["start_scale"]
    while True:
        minimize(f.fun_and_grad, x, jac=True, method="L-BFGS-B")
        x = rng.uniform(-scale, scale, x.size)


def _annealing(f: CountingEnergy, x0, rng, settings) -> None:
    m, L = len(x0), settings["box_halfwidth"]
    bounds = [(-L, L)] * m
    # scipy's default local search (L-BFGS-B in the box, maxiter from m), given the gradient
    local = {
        "method": "L-BFGS-B",
        "jac": f.grad,
        "bounds": bounds,
        "options": {"maxiter": min(max(6 * m, 100), 1000)},
    }
    dual_annealing(
        f.fun,
        bounds,
        maxiter=f.max_evals,
        maxfun=f.max_evals,
        minimizer_kwargs=local,
        x0=np.asarray(x0, dtype=float),
        rng=rng,
    )


def _hopping(f: CountingEnergy, x0, rng, settings) -> None:
    basinhopping(
        f.fun_and_grad,
        np.asarray(x0, dtype=float),
        niter=f.max_evals,
        T=settings["hopping_temperature"],
        stepsize=settings["hopping_stepsize"],
        minimizer_kwargs={"method": "L-BFGS-B", "jac": True},
        rng=rng,
    )


RUNNERS = {"multistart": _multistart, "annealing": _annealing, "hopping": _hopping}


def run_method(
    method: str, A_tilde, theta: Theta, x0, rng, max_evals: int, settings: dict, targets=None
):
    """One repeat of ``method`` from x0; returns its :class:`CountingEnergy`.

    ``settings`` holds ``start_scale`` (multistart), ``box_halfwidth`` (annealing),
    ``hopping_stepsize`` and ``hopping_temperature`` (hopping).
    """
    if method not in RUNNERS:
        raise ValueError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    f = CountingEnergy(A_tilde, theta, max_evals, targets)
    try:
        RUNNERS[method](f, x0, rng, settings)
    except BudgetExhausted:
        pass
    return f


# --------------------------------------------------------------------------------------
# Reference minimum, box, budgets, success curves
# --------------------------------------------------------------------------------------


def budget_grid(max_evals: int, per_decade: int) -> np.ndarray:
    """Log-spaced integer budgets from 1 to max_evals (both included), without repeats."""
    if max_evals < 1 or per_decade < 1:
        raise ValueError(f"need max_evals >= 1, per_decade >= 1; got {max_evals}, {per_decade}")
    count = int(np.ceil(np.log10(max_evals) * per_decade)) + 1
    grid = np.rint(np.logspace(0.0, np.log10(max_evals), max(count, 1))).astype(np.int64)
    return np.unique(np.r_[grid, max_evals])


def saturation_margin(theta: Theta, tol: float, n: int) -> float:
    """z_sat >= 0 with n (1 - theta(z_sat))^2 = tol: past it n rows add at most tol."""
    if not 0 < tol < n:
        raise ValueError(f"need 0 < tol < n; got tol = {tol!r}, n = {n}")
    target = 0.5 * np.log(tol / n)
    if theta.log_one_minus(0.0) <= target:
        return 0.0
    hi = 1.0
    while theta.log_one_minus(hi) > target:
        hi *= 2.0
    return float(brentq(lambda z: float(theta.log_one_minus(z)) - target, 0.0, hi, xtol=1e-12))


def ray_reach(A_tilde, theta: Theta, x_base, direction, tol: float, targets=None) -> float:
    """|x|_inf of the first point x_base + r d from which E stays within tol of its limit.

    Scanned on :data:`RAY_GRID`; inf if E is not within tol by r = 1e12.
    """
    excess = np.abs(energy_above_ray_limit(A_tilde, direction, x_base, RAY_GRID, theta, targets))
    outside = np.flatnonzero(excess > tol)
    if outside.size and outside[-1] == RAY_GRID.size - 1:
        return np.inf
    r = RAY_GRID[outside[-1] + 1] if outside.size else RAY_GRID[0]
    return float(np.max(np.abs(np.asarray(x_base) + r * np.asarray(direction))))


def global_reference(
    A_tilde, theta: Theta, n_starts: int, seed: int, tol: float, targets=None
) -> dict:
    """The lowest minimum find_minima reaches, and the |x|_inf needed to come within tol/2.

    Returns a dict with ``E`` (a limit if at infinity), ``at_infinity``, ``reach``.
    """
    table = find_minima(A_tilde, theta, targets=targets, n_starts=n_starts, seed=seed)
    if table.empty:
        raise RuntimeError("find_minima found no minimum; raise minima_starts")
    best = table.iloc[0]  # sorted by E
    x = np.asarray(best["x"], dtype=float)
    if best["at_infinity"]:
        reach = ray_reach(A_tilde, theta, x, np.asarray(best["direction"]), tol / 2.0, targets)
    else:
        reach = float(np.max(np.abs(x)))
    return {"E": float(best["E"]), "at_infinity": bool(best["at_infinity"]), "reach": reach}


def annealing_box(
    A_tilde, theta: Theta, tol: float, reach: float, start_scale: float, box_factor: float
):
    """(L, z_sat / min |a_i|): the half-width of the annealing box, and its row-scale part."""
    A = np.asarray(A_tilde, dtype=float)
    norms = np.linalg.norm(A, axis=1)
    z_sat = saturation_margin(theta, tol, A.shape[0])
    row_scale = z_sat / norms[norms > 0].min()
    return box_factor * max(row_scale, reach, start_scale), row_scale


def success_probability(best: np.ndarray, budgets, target: float) -> np.ndarray:
    """Per budget B, the share of repeats (rows of best) with best[:, B-1] <= target."""
    best = np.atleast_2d(best)
    budgets = np.asarray(budgets, dtype=np.int64)
    if budgets.min() < 1 or budgets.max() > best.shape[1]:
        raise ValueError(f"budgets must lie in 1..{best.shape[1]}; got {budgets.tolist()}")
    return np.mean(best[:, budgets - 1] <= target, axis=0)


def wilson_interval(successes, trials: int, z: float = Z95):
    """The Wilson score interval (low, high) of a proportion."""
    k = np.asarray(successes, dtype=float)
    p = k / trials
    centre = (p + z * z / (2 * trials)) / (1 + z * z / trials)
    half = z / (1 + z * z / trials) * np.sqrt(p * (1 - p) / trials + z * z / (4 * trials**2))
    # exact ends at k = 0 and k = trials, where rounding would leave 1e-17 off
    low = np.where(k == 0, 0.0, np.clip(centre - half, 0.0, 1.0))
    high = np.where(k == trials, 1.0, np.clip(centre + half, 0.0, 1.0))
    return low, high


def best_traces(
    A_tilde, theta: Theta, method: str, starts, max_evals: int, settings, seeds, targets=None
):
    """(R, max_evals) best-so-far E of ``method``, one row per (start, seed) repeat."""
    return np.array(
        [
            run_method(
                method, A_tilde, theta, x0, np.random.default_rng(s), max_evals, settings, targets
            ).best_so_far()
            for x0, s in zip(starts, seeds, strict=True)
        ]
    ).reshape(len(starts), max_evals)


def relaxation_experiment(
    A_tilde,
    theta: Theta,
    *,
    problem: str,
    repeats: int,
    max_evals: int,
    per_decade: int,
    tol: float,
    seed: int,
    start_scale: float,
    box_factor: float,
    hopping_stepsize: float,
    hopping_temperature: float,
    minima_starts: int,
    methods=METHODS,
    targets=None,
) -> pd.DataFrame:
    """P(global minimum reached within B evaluations) per method and budget B.

    Every random draw comes from a seed derived from (problem, theta, seed, ...): the
    starts (shared by the methods) and each method's own generator per repeat.
    ``targets`` are the rows' sign-flipped targets (None: hard), for soft-target data.

    Returns
    -------
    pandas.DataFrame
        One row per (method, budget): ``p_global`` with its 95 % Wilson interval
        ``p_low, p_high``, ``n_reached``, ``n_repeats``, ``E_best`` (the method's lowest
        E over all repeats), ``E_global`` and ``E_global_source`` ("find_minima" or
        "search"), ``E_minima`` (find_minima's lowest, a limit if at infinity),
        ``E_found`` (lowest E any run evaluated), ``minima_at_infinity`` (find_minima's
        lowest is a limit at infinity), ``tol``,
        ``box_halfwidth``, ``box_row_scale`` and ``global_reach`` (|x|_inf at which the
        reference minimum is within tol / 2).  ``attrs`` holds the median evaluations
        each method needed to reach the global minimum (repeats that did).
    """
    A = np.asarray(A_tilde, dtype=float)
    m = A.shape[1]
    ref = global_reference(
        A, theta, minima_starts, derived_seed(problem, theta.name, seed), tol, targets
    )
    L, row_scale = annealing_box(A, theta, tol, ref["reach"], start_scale, box_factor)
    if not np.isfinite(L):
        raise ValueError(
            f"{problem}, {theta.name}: the global minimum at infinity is not within tol = "
            f"{tol} of its limit by |x| = 1e12; raise tol"
        )
    settings = {
        "start_scale": start_scale,
        "box_halfwidth": L,
        "hopping_stepsize": hopping_stepsize,
        "hopping_temperature": hopping_temperature,
    }
    start_rng = np.random.default_rng(derived_seed(problem, theta.name, seed, "starts"))
    starts = start_rng.uniform(-start_scale, start_scale, (repeats, m))
    traces = {
        method: best_traces(
            A,
            theta,
            method,
            starts,
            max_evals,
            settings,
            [derived_seed(problem, theta.name, seed, method, r) for r in range(repeats)],
            targets,
        )
        for method in methods
    }
    E_found = min(float(t.min()) for t in traces.values())
    tie = TIE_RTOL * (1.0 + abs(ref["E"]))
    source = "find_minima" if ref["E"] <= E_found + tie else "search"
    E_global = min(ref["E"], E_found)
    budgets = budget_grid(max_evals, per_decade)
    rows, reach_evals = [], {}
    for method, best in traces.items():
        reached = best <= E_global + tol
        n_reached = reached[:, budgets - 1].sum(axis=0)
        low, high = wilson_interval(n_reached, repeats)
        first = np.argmax(reached, axis=1)[reached.any(axis=1)] + 1
        reach_evals[method] = float(np.median(first)) if first.size else None
        rows.append(
            pd.DataFrame(
                {
                    "method": method,
                    "budget": budgets,
                    "p_global": n_reached / repeats,
                    "p_low": low,
                    "p_high": high,
                    "n_reached": n_reached.astype(np.int64),
                    "n_repeats": repeats,
                    "E_best": float(best[:, -1].min()),
                }
            )
        )
    table = pd.concat(rows, ignore_index=True).assign(
        E_global=E_global,
        E_global_source=source,
        E_minima=ref["E"],
        E_found=E_found,
        minima_at_infinity=ref["at_infinity"],
        tol=float(tol),
        box_halfwidth=float(L),
        box_row_scale=float(row_scale),
        global_reach=float(ref["reach"]),
    )
    table.attrs["median_evals_to_global"] = reach_evals
    return table
