"""Where the second local minimum of the type-3 problem (V spanned by (1, -a)) is born.

For a near 1 the type-3 error E(x) = (1 - theta(x))^2 + (1 + theta(a x))^2 has one
minimum.  Past a threshold a* a second one exists.  It is born either

* at a finite fold, where a maximum and a minimum coalesce: E' = E'' = 0 at (x_fold, a*);
  this is solved directly as a 2 x 2 system, or
* at infinity, when x -> +inf turns from a limiting maximum into a limiting minimum; that
  is decided from theta's tail alone (:mod:`tails`), and a* is where the verdict flips.

We first locate a* within a bracket by bisection on "E has two minima" (counted by the
exact critical-point search), learn from the upper end which of the two births it is, and
then solve that birth's own equation for a*.  The substitution x -> -x / a maps a to 1/a,
so a second minimum also exists, mirrored at -inf or negative x, for a < 1 / a*.
"""

from __future__ import annotations

import numpy as np

from ..models.neuron import gradient, hessian
from ..models.tails import limit_is_minimum
from ..models.theta import Theta
from ..problems.families import n2m1_problem
from .critical1d import critical_points

A_SEARCH_MAX = 1e8
FOLD_RESIDUAL = 1e-10  # |E'|, |E''| at the fold, relative to their row-wise size
BELOW_TAIL = 1e-3  # how far below a_tail we look for a finite fold first


def _type3(a: float) -> np.ndarray:
    return n2m1_problem(3, a).A


def _minima_count(theta: Theta, a: float) -> int:
    return int((critical_points(_type3(a), theta)["kind"] == "min").sum())


def _has_second_minimum(theta: Theta, a: float) -> bool:
    return _minima_count(theta, a) >= 2


def _bracket(predicate, lo: float, hi: float, rtol: float) -> tuple[float, float]:
    """Shrink [lo, hi] with predicate(lo) false and predicate(hi) true, by bisection in log a."""
    while hi / lo - 1.0 > rtol:
        mid = float(np.sqrt(lo * hi))
        lo, hi = (mid, hi) if not predicate(mid) else (lo, mid)
    return lo, hi


def tail_threshold(theta: Theta) -> float:
    """Smallest a > 1 for which x -> +inf is a limiting minimum of the type-3 error (or inf)."""

    def at_infinity(a):
        return limit_is_minimum(np.array([1.0, -a]), theta)

    if not at_infinity(A_SEARCH_MAX):
        return np.inf
    lo, hi = _bracket(at_infinity, 1.0, A_SEARCH_MAX, rtol=1e-15)
    return hi


def _fold_system(theta: Theta):
    """(E'(x; a), E''(x; a)) scaled by E''s natural size, for root finding in (x, log a)."""

    def residual(v):
        x, log_a = v
        A = _type3(float(np.exp(log_a)))
        return [gradient(A, [x], theta)[0], hessian(A, [x], theta)[0, 0]]

    return residual


def type3_bifurcation(theta: Theta, rtol: float = 1e-6) -> dict:
    """a*, the fold location (NaN when the fold is at infinity) and where the new minimum is.

    The tail threshold a_tail comes first, from the tails alone.  Below it, +inf is a
    limiting maximum, so a second minimum there must be finite and born at a fold: if E
    already has two minima just below a_tail, bisection on that predicate brackets the fold
    and the 2 x 2 system E' = E'' = 0 pins it; otherwise a* = a_tail and the fold is at
    infinity.  (Bisecting above a_tail is avoided: there the new maximum sits near
    x ~ log(2) / (2a - 4) for tanh, arbitrarily far out.)
    """
    a_tail = tail_threshold(theta)
    if _has_second_minimum(theta, 1.0):
        raise RuntimeError(f"{theta.name}: two minima already at a = 1; no threshold above 1")
    hi = min(2.0, a_tail * (1.0 - BELOW_TAIL))
    while not _has_second_minimum(theta, hi):
        if hi >= a_tail * (1.0 - BELOW_TAIL) or hi > A_SEARCH_MAX:
            return {"a_star": a_tail, "x_fold": np.nan, "second_minimum_at_infinity": True}
        hi = min(2.0 * hi, a_tail * (1.0 - BELOW_TAIL))
    lo, hi = _bracket(lambda a: _has_second_minimum(theta, a), max(1.0, hi / 2.0), hi, rtol)
    finite = critical_points(_type3(hi), theta).query("not at_infinity")
    newest = finite["x"].to_numpy()[-2:]  # the maximum and the new minimum, about to merge
    guess = [float(newest.mean()), float(np.log(hi))]
    from scipy.optimize import root  # lazy: most jobs never solve one

    solution = root(_fold_system(theta), guess, method="hybr", options={"xtol": 1e-13})
    x_fold, a_star = float(solution.x[0]), float(np.exp(solution.x[1]))
    # hybr may stop at "no further improvement" on the last ulps; judge by the residual
    solved = np.max(np.abs(solution.fun)) <= FOLD_RESIDUAL * np.max(np.abs(_fold_scale(theta, hi)))
    if not solved or not lo * (1 - rtol) <= a_star <= hi * (1 + rtol):
        raise RuntimeError(
            f"{theta.name}: fold solve failed ({solution.message}); bracket {lo:.8g}-{hi:.8g}"
        )
    return {"a_star": a_star, "x_fold": x_fold, "second_minimum_at_infinity": False}


def _fold_scale(theta: Theta, a: float) -> np.ndarray:
    """Size of E' and E'' in the fold's neighbourhood: the largest single-row contributions."""
    x = 1.0 / a
    return np.array([np.abs(theta.d1(x)), np.abs(theta.curvature(x))]) + 1e-300


def fold_residual(theta: Theta, a_star: float, x_fold: float) -> tuple[float, float]:
    """E' and E'' at the reported fold: both vanish there (used by the checks)."""
    return tuple(_fold_system(theta)([x_fold, np.log(a_star)]))
