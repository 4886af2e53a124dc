"""Linear separability through the origin, the hard-margin SVM, and random problems.

After the sign-flip reduction the rows of A~ are a_i = y^i u^i, and the data are
*strictly separable* when some w has a_i . w > 0 for every i, i.e. (by scaling)
A~ w >= 1: the rows lie in an open half space.  Then E has infimum 0, reached only as
||x|| -> inf, and gradient flow diverges, for exponentially-tailed theta along the
max-margin direction w_hat = argmin ||w|| s.t. A~ w >= 1 (see ``docs/theory.md``).

Sontag's Lemma assumes the rows lie in a (closed) half space and are linearly
independent.  Independence of n <= m rows already implies strict separability (solve
A~ w = e), and the proof only uses *weak* separability: some nu with A~ nu >= 0 and at
least one component > 0.  So

    Lemma's hypothesis  =>  strictly separable  =>  weakly separable  =>  no bounded solution,

and :func:`is_separable` tests the middle condition, :func:`weakly_separable` the one the
proof needs, :func:`lemma_hypothesis` the one the Lemma states.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import comb

import numpy as np

# Margins below TOL times the largest row (1-norm) are treated as zero: the LP solver
# works to about 1e-9, so a smaller margin cannot be told from none.
TOL = 1e-9
# Allowed KKT violation of the max-margin solution, relative to the problem's scale.
KKT_TOL = 1e-8


@dataclass(frozen=True)
class Separation:
    """Outcome of the strict-separability test, with a certificate either way.

    Attributes
    ----------
    separable : bool
    w : ndarray or None
        When separable: a direction with A~ w >= 1 (checked in floating point).
    lam : ndarray or None
        When not: Gordan's certificate, lam >= 0 with sum 1 and A~' lam = 0 (to LP
        accuracy): a convex combination of the rows equals zero, so no w can make every
        a_i . w positive.
    """

    separable: bool
    w: np.ndarray | None
    lam: np.ndarray | None


@dataclass(frozen=True)
class MaxMargin:
    """Hard-margin SVM through the origin: min ||w||^2 s.t. A~ w >= 1.

    ``alpha`` are the Lagrange multipliers (w_hat = A~' alpha, alpha >= 0, and
    alpha_i > 0 only on the support rows, where a_i . w_hat = 1); ``gamma = 1/||w_hat||``
    is the geometric margin, ``kkt`` the largest relative KKT violation.
    """

    w_hat: np.ndarray
    gamma: float
    alpha: np.ndarray
    support: np.ndarray
    kkt: float


# --------------------------------------------------------------------------------------
# Separability
# --------------------------------------------------------------------------------------


def check_separable(A_tilde) -> Separation:
    """Decide whether some w has A~ w >= 1, by linear programming; return a certificate.

    Solves max tau s.t. A~ w >= tau, -1 <= w <= 1, tau <= 1 (always feasible and
    bounded, so the solver never has to report infeasibility); the data are separable
    when the w found has min_i a_i . w > TOL * max_i ||a_i||_1 in floating point.
    A zero row can never be strictly separated; duplicate rows change nothing.
    """
    A = _as_matrix(A_tilde)
    n, m = A.shape
    zero = np.flatnonzero(~np.any(A != 0, axis=1))
    if zero.size:
        return Separation(False, None, _unit(n, zero[0]))
    scale = float(np.max(np.sum(np.abs(A), axis=1)))
    from scipy.optimize import linprog  # lazy: most jobs never solve one

    res = linprog(
        c=np.r_[np.zeros(m), -1.0],
        A_ub=np.c_[-A, np.ones(n)],
        b_ub=np.zeros(n),
        bounds=[(-1.0, 1.0)] * m + [(None, 1.0)],
        method="highs",
    )
    if res.status != 0:
        raise RuntimeError(f"separability LP failed: {res.message}")
    w = res.x[:m]
    margin = float(np.min(A @ w))
    if margin > TOL * scale:
        return Separation(True, w / margin, None)
    # At tau* = 0 the LP dual says: lam >= 0 on the rows, sum lam = 1 and A~' lam = 0,
    # i.e. Gordan's certificate; HiGHS reports these duals as nonpositive marginals.
    lam = np.maximum(-np.asarray(res.ineqlin.marginals, dtype=float), 0.0)
    total = lam.sum()
    return Separation(False, None, lam / total if total > 0 else np.full(n, 1.0 / n))


def is_separable(A_tilde) -> bool:
    """True when the rows of A~ lie in an open half space: A~ w >= 1 for some w."""
    return check_separable(A_tilde).separable


def weakly_separable(A_tilde) -> bool:
    """True when some nu has A~ nu >= 0 with at least one component > 0.

    This is what the proof of Sontag's Lemma uses (grad E . nu < 0 everywhere, so the
    flow has no bounded solution); it is weaker than :func:`is_separable`, e.g. the rows
    (1, 0) and (-1, 0) with (0, 1) are weakly but not strictly separable.
    """
    A = _as_matrix(A_tilde)
    n, m = A.shape
    scale = float(np.max(np.sum(np.abs(A), axis=1)))
    if scale == 0:
        return False
    # max sum_i (A~ nu)_i s.t. A~ nu >= 0, |nu|_inf <= 1: positive iff some row can be > 0.
    from scipy.optimize import linprog  # lazy: most jobs never solve one

    res = linprog(
        c=-A.sum(axis=0),
        A_ub=-A,
        b_ub=np.zeros(n),
        bounds=[(-1.0, 1.0)] * m,
        method="highs",
    )
    if res.status != 0:
        raise RuntimeError(f"weak separability LP failed: {res.message}")
    z = A @ res.x
    return bool(np.min(z) >= -TOL * scale and np.max(z) > TOL * scale)


def lemma_hypothesis(A_tilde) -> bool:
    """Sontag's hypothesis: rows in a half space and linearly independent (so n <= m)."""
    A = _as_matrix(A_tilde)
    independent = A.shape[0] <= A.shape[1] and np.linalg.matrix_rank(A) == A.shape[0]
    return bool(independent and weakly_separable(A))


# --------------------------------------------------------------------------------------
# Max margin
# --------------------------------------------------------------------------------------


def max_margin_solution(A_tilde) -> MaxMargin:
    """Solve min ||w||^2 s.t. A~ w >= 1 exactly, with multipliers, and check KKT.

    Method: least-distance programming by nonnegative least squares (Lawson and Hanson,
    *Solving Least Squares Problems*, ch. 23).  With E = [A~'; 1'] and f = (0, ..., 0, 1),
    solve min ||E u - f|| over u >= 0 and put r = E u - f; then w_hat = -r[:m] / r[m] and
    alpha = u / (1 - sum u).  NNLS is an active-set method that ends on the exact
    support, so no step size or tolerance shapes the answer.  Duplicate rows are merged
    first (they would share one multiplier arbitrarily).  The rows are scaled by
    ||w_LP||, the norm of the LP's separating direction (A~ w_LP >= 1, and ||w_LP|| is
    within sqrt(m) of ||w_hat||), so the scaled solution has norm between 1/sqrt(m) and 1
    and r[m] = -1/(1 + ||w||^2) keeps full precision, however small the margin is next
    to the longest row.  The answer is then re-solved exactly on its support.

    Raises
    ------
    ValueError
        When the rows are not strictly separable (no w has A~ w >= 1).
    RuntimeError
        When the KKT conditions fail by more than KKT_TOL (ill-conditioned data).
    """
    A = _as_matrix(A_tilde)
    separation = check_separable(A)
    if not separation.separable:
        raise ValueError(
            "the rows of A~ are not strictly separable through the origin (a convex "
            "combination of them is zero), so no w has A~ w >= 1 and there is no max margin"
        )
    unique, first = np.unique(A, axis=0, return_index=True)
    scale = 1.0 / float(np.linalg.norm(separation.w))
    w_scaled, alpha_scaled = _least_distance(unique / scale)
    w_hat = w_scaled / scale
    # w = w_scaled / s = (A~/s)' alpha_scaled / s = A~' (alpha_scaled / s^2).
    alpha_unique = alpha_scaled / scale**2
    w_hat, alpha_unique = _polish_on_support(unique, w_hat, alpha_unique)
    alpha = np.zeros(A.shape[0])
    alpha[first] = alpha_unique  # each duplicate group's multiplier goes to its first row
    kkt = kkt_violation(A, w_hat, alpha)
    if kkt > KKT_TOL:
        raise RuntimeError(f"max-margin solution violates KKT by {kkt:.2e} (ill-conditioned?)")
    support = np.flatnonzero(alpha > 0)
    return MaxMargin(w_hat, float(1.0 / np.linalg.norm(w_hat)), alpha, support, kkt)


def max_margin(A_tilde) -> tuple[np.ndarray, float]:
    """(w_hat, gamma): the hard-margin SVM through the origin and its margin 1/||w_hat||.

    See :func:`max_margin_solution`; raises ValueError when A~ is not separable.
    """
    solution = max_margin_solution(A_tilde)
    return solution.w_hat, solution.gamma


def kkt_violation(A_tilde, w, alpha) -> float:
    """Largest relative violation of the KKT conditions of min ||w||^2/2 s.t. A~ w >= 1.

    Primal feasibility A~ w >= 1, dual feasibility alpha >= 0, stationarity
    w = A~' alpha, complementary slackness alpha_i (a_i . w - 1) = 0.  Row i's slack is
    measured in units of max(1, ||a_i|| ||w||), the rounding scale of a_i . w (per row,
    so that a short row is not excused by a long one); stationarity is relative to ||w||,
    and the multipliers to ||alpha||_1.
    """
    A = _as_matrix(A_tilde)
    w = np.asarray(w, dtype=float)
    alpha = np.asarray(alpha, dtype=float)
    # a_i . w carries rounding of order eps ||a_i|| ||w||: measure each slack on that scale.
    w_norm = float(np.linalg.norm(w))
    z_scale = np.maximum(1.0, np.linalg.norm(A, axis=1) * w_norm)
    slack = (A @ w - 1.0) / z_scale
    alpha_sum = max(float(np.sum(np.abs(alpha))), 1.0)
    return max(
        float(np.max(-slack, initial=0.0)),
        float(np.max(-alpha, initial=0.0)) / alpha_sum,
        float(np.linalg.norm(w - A.T @ alpha)) / max(w_norm, 1.0),
        float(np.max(np.abs(alpha * slack), initial=0.0)) / alpha_sum,
    )


def _polish_on_support(A: np.ndarray, w: np.ndarray, alpha: np.ndarray):
    """Re-solve the KKT conditions exactly on the support that NNLS found.

    The least-distance transform recovers w from r[m] = -1/(1 + ||w||^2) (rows scaled to
    unit maximum norm), so w loses relative accuracy ~ eps ||w||^2 when the margin is
    small next to the longest row: with rows of norm 1e4 and 1e-4 the support rows can
    end up at a . w = 0.89 instead of 1.  On the support S the conditions are linear,
    A_S w = 1 and w = A_S' alpha_S: the minimum-norm solution of A_S w = 1 is that w.
    It is kept when it satisfies the KKT conditions at least as well as the NNLS answer.
    """
    support = alpha > 0
    if not support.any():
        return w, alpha
    A_S = A[support]
    w_exact = np.linalg.lstsq(A_S, np.ones(A_S.shape[0]), rcond=None)[0]
    alpha_exact = np.zeros_like(alpha)
    alpha_exact[support] = np.linalg.lstsq(A_S.T, w_exact, rcond=None)[0]
    if kkt_violation(A, w_exact, alpha_exact) <= kkt_violation(A, w, alpha):
        return w_exact, alpha_exact
    return w, alpha


def _least_distance(A: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Lawson-Hanson LDP for min ||w|| s.t. A w >= 1: (w, alpha)."""
    n, m = A.shape
    E = np.vstack([A.T, np.ones((1, n))])
    f = np.r_[np.zeros(m), 1.0]
    from scipy.optimize import nnls  # lazy: most jobs never solve one

    u, _ = nnls(E, f, maxiter=50 * max(n, m + 1))
    r = E @ u - f
    # r[m] = sum u - 1 < 0; it is -1/(1 + ||w||^2), so it vanishes only for infeasible data.
    if not r[m] < 0:
        raise ValueError("least-distance problem reports incompatible constraints")
    w = -r[:m] / r[m]
    alpha = u / -r[m]
    return w, alpha


# --------------------------------------------------------------------------------------
# Geometry and random problems
# --------------------------------------------------------------------------------------


def angle_to(x, w_hat) -> np.ndarray:
    """Angle in radians between each row of x (shape (..., m)) and the direction w_hat.

    ``w_hat`` is one direction (m,), a nonzero vector, or one direction per row of x
    (the shape of x).  Uses 2 atan2(||u - v||, ||u + v||) on unit vectors u, v (accurate
    for angles near 0 and pi, unlike arccos of a dot product).  Rows with x = 0, or with
    a zero row of w_hat, have no direction: NaN.
    """
    x = np.asarray(x, dtype=float)
    w_hat = np.asarray(w_hat, dtype=float)
    if w_hat.ndim == 1 and x.shape[-1:] == w_hat.shape:
        w_norm = float(np.linalg.norm(w_hat))
        if not w_norm > 0:
            raise ValueError("w_hat must be a nonzero vector")
        v, has_direction = w_hat / w_norm, True
    elif w_hat.shape == x.shape and x.ndim > 1:
        w_norms = np.linalg.norm(w_hat, axis=-1, keepdims=True)
        v, has_direction = w_hat / np.where(w_norms > 0, w_norms, 1.0), w_norms[..., 0] > 0
    else:
        raise ValueError(
            f"x must be (..., m) and w_hat (m,) or x's shape; got {x.shape} and {w_hat.shape}"
        )
    norms = np.linalg.norm(x, axis=-1, keepdims=True)
    u = x / np.where(norms > 0, norms, 1.0)
    angle = 2.0 * np.arctan2(np.linalg.norm(u - v, axis=-1), np.linalg.norm(u + v, axis=-1))
    return np.where((norms[..., 0] > 0) & has_direction, angle, np.nan)


def random_problem(
    n: int, m: int, seed: int, separable: bool, *, max_tries: int = 1000
) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian inputs A (n x m) and labels y in {-1, +1}; separable or not, as asked.

    Separable: y = sign(u . w*) for a random plane through the origin.  Not separable:
    random labels, redrawn (inputs kept) until the LP says no w separates them.  Every
    draw comes from numpy.random.SeedSequence([n, m, seed, int(separable)]), so the same
    arguments give the same arrays.

    Raises
    ------
    ValueError
        For a non-separable request with n <= m (Gaussian rows are then independent, so
        every labelling is separable), or when max_tries labellings were all separable.
    """
    for name, value, least in (("n", n, 1), ("m", m, 1), ("seed", seed, 0)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < least:
            raise ValueError(f"{name} must be an integer >= {least}; got {value!r}")
    if not separable and n <= m:
        raise ValueError(
            f"a non-separable random problem needs n > m; got n = {n}, m = {m}: n <= m "
            "Gaussian inputs are linearly independent with probability 1, so A~ w = e is "
            "solvable and every labelling is separable through the origin"
        )
    rng = np.random.default_rng(np.random.SeedSequence([n, m, seed, int(separable)]))
    A = rng.standard_normal((n, m))
    for _ in range(max_tries):
        if separable:
            y = np.where(A @ rng.standard_normal(m) >= 0, 1, -1).astype(np.int64)
        else:
            y = rng.choice(np.array([-1, 1], dtype=np.int64), size=n)
        if is_separable(A * y[:, None]) == separable:
            return A, y
    raise ValueError(
        f"no {'separable' if separable else 'non-separable'} labelling of the n = {n}, "
        f"m = {m} inputs in {max_tries} tries; for random labels the chance of "
        f"non-separability is {1.0 - cover_probability(n, m):.3g} (Cover 1965): "
        "take n larger relative to m"
    )


def cover_probability(n: int, m: int) -> float:
    """Probability that random labels of n points in general position in R^m are
    separable through the origin: 2^(1-n) sum_{k<m} C(n-1, k) (Cover's function counting)."""
    # Exact integers: 2.0 ** (n - 1) would overflow for n > 1024.
    return min(1.0, sum(comb(n - 1, k) for k in range(m)) / 2 ** (n - 1))


# --------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------


def _as_matrix(A_tilde) -> np.ndarray:
    A = np.asarray(A_tilde, dtype=float)
    if A.ndim != 2 or A.shape[0] == 0 or A.shape[1] == 0:
        raise ValueError(f"A~ must be a non-empty n x m matrix; got shape {A.shape}")
    if not np.all(np.isfinite(A)):
        raise ValueError("A~ must be finite")
    return A


def _unit(n: int, i: int) -> np.ndarray:
    e = np.zeros(n)
    e[i] = 1.0
    return e
