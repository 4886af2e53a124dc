"""Every local minimum of E, finite and at infinity, by vectorised multistart descent.

S starts are descended at once as arrays of shape (S, m), in blocks of CHUNK starts that
stay in cache; each Python loop below runs over iterations, blocks or line-search
trials, never over starts.

* **Starts** (:func:`sample_starts`) spread over directions and over scales: half with
  isotropic directions, half "per weight" (each weight its own log-uniform magnitude, so
  that one weight can sit near 100 while another sits near 0.01), radii log-uniform in
  [r_min, r_max], all stratified (Latin hypercube).
* **Descent** is a damped, saddle-free Newton method.  The Hessian is Jacobi-scaled
  (each weight by its own curvature scale), so weights whose rows sit at very different
  depths of the tails are resolved alike.  Fast path, for most steps: plain row terms, a
  Cholesky Newton step (for an indefinite Hessian the saddle-free step
  -V diag(1/((1 + nu)|lambda|)) V' g from ``eigh``), nu a per-start Levenberg-Marquardt
  damping, then Armijo backtracking and step doubling on energy differences summed row
  by row (a row's change within its own rounding counts as none); the step's
  negative-curvature part gets a doubling search of its own while it beats the quadratic
  model.  Every step stays within a trust region (no margin moves by more than
  1 + |z_i|).
* **Careful path** (starts whose every row is deep in a tail, and steps whose decrease
  the plain sums cannot resolve): gradient and Hessian scaled by exp(-L) from theta's
  stable logarithms, per-direction splitting (directions whose Newton gain is below the
  rounding of E are stepped without a line search, converged ones are left alone) and
  energy differences summed from logarithms -- exact where E is flat to within 1e-300.
* **Endings.** (a) *finite*: Hessian positive definite and the Newton step (and gradient)
  negligible, or the run is inside the Newton-Kantorovich ball of a minimum another run
  has already found (:func:`_capture`); (b) *parked at a face*: some rows saturated
  (|z_i| >= z_far, where 1 - theta(z_far) = sat_tol), none of them moving back, E still
  decreasing, and the free rows' own Newton step negligible -- the run has reached the
  pattern of a limit at infinity; (c) *undecided*: budget exhausted, stalled, or parked
  again and again (PATIENCE iterations) on a face already found not to be a minimum.
  Parked runs are judged exactly by :func:`faces.analyse_faces`, once per distinct
  candidate (not per start); runs on a face that is not a minimum resume with that
  pattern banned.

Duplicates are merged by their points in clos TV: finite minima by z = A~ x (scale-free,
and immune to the "subspace singularity" of a rank-deficient A~), minima at infinity by
their pattern and exact limit z.  See ``docs/minima.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd
from scipy import special
from scipy.optimize import brentq
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree
from threadpoolctl import threadpool_limits

from ..models.neuron import energy
from ..models.theta import THETAS, Theta, get_theta
from .faces import SAT_TOL, analyse_faces, saturation_threshold

RUNNING, FINITE, PARKED, UNDECIDED = 0, 1, 2, 3

MAX_ITER = 200  # iterations per start, shared by all rounds
RESUME_ITER = 20  # iterations per later round for a run whose face was not a minimum
ZTOL = 1e-9  # finite: the Newton step moves every z_i by <= ZTOL (1 + max |z|)
SETTLED = 1e-3  # eigen-directions whose step moves z by < SETTLED * ZTOL are left alone
GTOL = 1e-8  # finite: ||grad E|| <= GTOL * max_i ||a_i||
LOOSE = 1e4  # a stalled run (no decrease representable) is judged with tolerances x LOOSE
PARK_ZTOL = 1e-6  # parked: the free rows' Newton step moves their z by <= this, relative
PD_RTOL = 1e-13  # positive definite: smallest eigenvalue > PD_RTOL * largest |eigenvalue|
NULL_RTOL = 1e-9  # eigenvectors moving free margins less than this (relative) span ker A~_F
FLOOR_RTOL = 1e-15  # smallest |eigenvalue| used in a Newton step, relative
NU_START, NU_MIN, NU_MAX = 1e-3, 1e-15, 1e8  # damping: each |eigenvalue| times (1 + nu)
ARMIJO = 1e-4
NOISE = 16 * np.finfo(float).eps  # per-row relative changes below this times |log e| are noise
RESOLUTION = 64 * np.finfo(float).eps  # decreases below this times (1 + E) cannot be seen
MAX_BACKTRACK = 25
BACKTRACK = 0.3  # step shrink factor per failed Armijo test
MAX_EXPAND = 30
EXPAND_RATIO = 1.2  # try doubling when the decrease beats the model by this factor
Z_TRUST = 1.0  # a step moves no margin z_i by more than Z_TRUST (1 + |z_i|)
MAX_STALLS = 3
KNOWN_RTOL = 1e-7  # finite minimisers closer than this (relative) are one (capture)
CAPTURE_SAFETY = 0.99  # a known minimum must lie this well inside the uniqueness ball
CHUNK = 1024  # starts per block within an iteration (arrays stay in cache, no mmap churn)
PATIENCE = 5  # iterations a resumed run may stay parked on a rejected face
PLAIN_BACKTRACK = 5  # backtracks of the fast line search before the careful one takes over
CHOL_RTOL = 1e-10  # Cholesky pivots below this times the largest diagonal: not 'clearly PD'
Z_DECIMALS = 4  # rounding of z used to bucket runs before merging them
MERGE_TOL = 1e-5  # points closer than this (max norm, relative) are one minimum


@dataclass
class Runs:
    """Per-start outcome of :func:`descend` (arrays over starts)."""

    x: np.ndarray  # (S, m) final point
    status: np.ndarray  # (S,) RUNNING / FINITE / PARKED / UNDECIDED
    sigma: np.ndarray  # (S, n) pattern of a parked run (+-1 saturated, 0 free)
    iterations: np.ndarray  # (S,)


# --------------------------------------------------------------------------------------
# BLAS threads
# --------------------------------------------------------------------------------------


def pinned_blas():
    """Run BLAS on one thread for the duration of the block (threadpoolctl).

    The descent makes many small matrix products (10,000 x 5 by 5 x 50); OpenBLAS splits
    them over threads, which costs more than it saves and, on a loaded machine or next to
    other jobs, up to 10x.  Snakemake jobs and `make` targets set OPENBLAS_NUM_THREADS=1
    already; this makes direct calls (tests, notebooks) as fast.  The setting in force
    before is restored afterwards.
    """
    return threadpool_limits(limits=1, user_api="blas")


# --------------------------------------------------------------------------------------
# Starts
# --------------------------------------------------------------------------------------


DESIGNS = ("mixed", "isotropic", "per_weight")


def sample_starts(
    m: int,
    n_starts: int,
    seed=0,
    r_min: float = 1e-2,
    r_max: float = 1e2,
    design: str = "mixed",
):
    """n_starts points in R^m spread over directions and over scales.

    * ``"isotropic"``: unit directions uniform on the sphere, radii log-uniform in
      [r_min, r_max];
    * ``"per_weight"``: radii as above, but the direction's coordinates (the weights)
      get independent random signs and log-uniform magnitudes over as many decades
      (r_max / r_min) before normalising -- weights multiply input features whose scales
      may differ by orders of magnitude, so basins can sit at a different scale in each
      weight (one weight near 100, another near 0.01), which an isotropic direction
      (all weights alike) rarely produces;
    * ``"mixed"`` (default): the first half isotropic, the rest per weight.

    Both are stratified (Latin hypercube): each log-radius, each direction coordinate and
    each sign is drawn once from each of n equal-probability slices, so every decade and
    every orthant gets its share even for small n.  ``seed`` is an int or a numpy
    Generator.
    """
    if not (0 < r_min <= r_max and np.isfinite(r_max)):
        raise ValueError(f"need 0 < r_min <= r_max < inf; got r_min={r_min!r}, r_max={r_max!r}")
    if n_starts < 1 or m < 1:
        raise ValueError(f"need n_starts >= 1 and m >= 1; got {n_starts!r}, {m!r}")
    if design not in DESIGNS:
        raise ValueError(f"unknown design {design!r}; choose one of {', '.join(DESIGNS)}")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    n_iso = {"mixed": n_starts // 2, "isotropic": n_starts, "per_weight": 0}[design]
    lo, hi = np.log(r_min), np.log(r_max)
    U = _latin_hypercube(n_iso, m + 1, rng)
    directions = special.ndtri(U[:, 1:])  # stratified normal draws
    norms = np.linalg.norm(directions, axis=1, keepdims=True)
    directions /= np.where(norms > 0, norms, 1.0)  # a zero draw has probability 0
    isotropic = directions * np.exp(lo + (hi - lo) * U[:, :1])
    W = _latin_hypercube(n_starts - n_iso, 2 * m + 1, rng)
    shape = np.where(W[:, m : 2 * m] < 0.5, -1.0, 1.0) * np.exp((lo - hi) * W[:, :m])
    shape /= np.linalg.norm(shape, axis=1, keepdims=True)
    per_weight = shape * np.exp(lo + (hi - lo) * W[:, 2 * m :])
    return np.concatenate([isotropic, per_weight])


def _latin_hypercube(n: int, d: int, rng) -> np.ndarray:
    """n points in (0, 1)^d, one in each of n equal slices of every coordinate."""
    slices = np.argsort(rng.random((d, n)), axis=1).T  # an independent permutation per axis
    return (slices + rng.uniform(size=(n, d))) / n


# --------------------------------------------------------------------------------------
# Scaled Newton system and stable energy differences
# --------------------------------------------------------------------------------------


def _log_scaled_weights(z, theta: Theta, live):
    """(L, w, c) for starts whose every live row is deep in a tail: the residual weights
    w = (1 - theta) theta' and curvatures c of the live rows, times e^-L, L the largest
    log weight or log |curvature| (so the largest entry is 1; the Newton step does not
    depend on the scale), from theta's stable logarithms."""
    log_om, log_d1 = theta.log_one_minus(z), theta.log_d1(z)
    log_w = np.where(live, log_om + log_d1, -np.inf)
    sign_c, log_c = _log_curvature(z, log_om, log_d1, theta)
    log_c = np.where(live, log_c, -np.inf)
    L = np.maximum(log_w.max(axis=-1), log_c.max(axis=-1))
    return L, np.exp(log_w - L[:, None]), sign_c * np.exp(log_c - L[:, None])


@lru_cache(maxsize=16)
def _linear_range(theta: Theta) -> float:
    """|z| up to which theta'(z)^2 >= 1e-200, so plain weights cannot underflow."""
    target = np.log(1e-200) / 2.0
    hi = 1.0
    while theta.log_d1(hi) > target:
        hi *= 2.0
        if hi > 1e300:
            return np.inf  # power tails: theta' never gets that small
    return float(brentq(lambda z: theta.log_d1(z) - target, 0.0, hi))


@lru_cache(maxsize=16)
def _curvature_slope_bound(theta: Theta) -> float | None:
    """An upper bound on |c'(z)|, c = theta'^2 - (1 - theta) theta'' (None if c jumps).

    Only the built-in smooth thetas qualify (softsign's theta'' jumps at 0).  c' is
    smooth and decays in the tails: its maximum over a fine grid, plus 5%.
    """
    if theta.name not in ("tanh", "erf", "atan") or THETAS.get(theta.name) is not theta:
        return None
    z = np.linspace(-60.0, 60.0, 48001)  # spacing 0.0025: the grid misses < 1% of the sup
    return 1.05 * float(np.max(np.abs(theta.curvature_slope(z))))


def _hessian_lipschitz(A, theta: Theta) -> float | None:
    """L with |H(x) - H(y)| <= L |x - y|: H = 2 sum_i c(a_i . x) a_i a_i'."""
    bound = _curvature_slope_bound(theta)
    if bound is None:
        return None
    return 2.0 * bound * float(np.sum(np.linalg.norm(A, axis=1) ** 3))


def _log_curvature(z, log_om, log_d1, theta: Theta):
    """theta.log_curvature(z), reusing log(1 - theta) and log theta' already computed.

    c = theta'^2 - (1 - theta) theta''; theta'' has the sign of -z, so the two parts add
    for z > 0 and subtract for z < 0, after factoring out the larger one.
    """
    square = 2.0 * log_d1
    product = log_om + theta.log_abs_d2(z)
    top = np.maximum(square, product)
    signed = np.exp(square - top) - np.sign(-z) * np.exp(product - top)
    with np.errstate(divide="ignore"):
        return np.sign(signed), top + np.log(np.abs(signed))


def _grad_hess(A, w, c, AA=None):
    """Scaled gradient -2 A' w and Hessian 2 A' diag(c) A for each start.

    AA holds the outer products a_i a_i' as rows (n, m^2), so H is one matrix product.
    """
    m = A.shape[1]
    AA = _outer_rows(A) if AA is None else AA
    return -2.0 * w @ A, (2.0 * c @ AA).reshape(len(c), m, m)


def _outer_rows(A):
    return (A[:, :, None] * A[:, None, :]).reshape(A.shape[0], -1)


def _excess(z, theta: Theta):
    """Each row's (1 - theta)^2 minus its limit (0 for z >= 0, 4 below), as (sign, log|.|).

    Below 0 the excess is -(1 + theta)(3 - theta) = -(1 + theta)(4 - (1 + theta)), formed
    from the stable 1 + theta(z) = 1 - theta(|z|), so tiny changes of saturated rows stay
    visible; also returns the count of rows below 0.  One log(1 - theta) per entry.
    """
    pos = z >= 0
    log_tail = theta.log_one_minus(np.abs(z))  # log(1 - theta) above 0, log(1 + theta) below
    log_abs = np.where(pos, 2.0 * log_tail, log_tail + np.log(4.0 - np.exp(log_tail)))
    return np.where(pos, 1.0, -1.0), log_abs, np.count_nonzero(~pos, axis=-1)


def _delta_energy(old, new):
    """E(new) - E(old) as (sign, log|.|), summed from per-row changes scaled by e^-top.

    A row that stays on its side of 0 changes by e_old * expm1(log e_new - log e_old),
    formed on its own, so a large unchanged row (a free row, a zero row) cancels exactly
    instead of swamping the tiny changes of saturated rows.  A relative change below the
    rounding of the row's own logarithm is noise and counts as none: otherwise a free row
    nudged by one ulp could veto the real, if tiny, decrease of a saturated one.  A row
    crossing 0 changes its limit by 4, which the count term carries.
    """
    (s_old, l_old, n_old), (s_new, l_new, n_new) = old, new
    step = l_new - l_old
    same = s_new == s_old
    noise = np.abs(step) <= NOISE * np.maximum(1.0, np.abs(l_old))
    changed = ~(same & noise)
    # scale by the largest row that changed, so that unchanged rows cannot push the
    # changes of deeply saturated rows below underflow
    top = np.where(changed, np.maximum(l_old, l_new), -np.inf).max(axis=1, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)
    near = np.abs(step) < 0.5  # expm1 keeps full accuracy; elsewhere plain differences do
    e_old = np.exp(np.where(changed, l_old - top, -np.inf))
    e_new = np.exp(np.where(changed, l_new - top, -np.inf))
    change = np.where(near, e_old * np.expm1(np.where(near, step, 0.0)), e_new - e_old)
    change = np.where(same, s_old * change, s_new * (e_new + e_old))
    moved = n_new != n_old
    with np.errstate(over="ignore"):  # a count change far off the scale: +-inf, sign kept
        count = 4.0 * (n_new - n_old) * np.exp(np.where(moved, -top[:, 0], 0.0))
    total = change.sum(axis=1) + count
    with np.errstate(divide="ignore"):
        return np.sign(total), top[:, 0] + np.log(np.abs(total))


# Plain row terms: the fast path for the bulk of the iterations
_TWO_OVER_PI = 2.0 / np.pi
_TWO_OVER_SQRT_PI = 2.0 / np.sqrt(np.pi)
# |z| beyond which the plain kernels clip (the terms are then below ~1e-260 and only count
# for starts whose every row is that deep, which take the logarithmic path)
_PLAIN_CLIP = {"tanh": 300.0, "erf": 26.0, "atan": 1e150, "softsign": 1e300}


def _tail_terms(a, theta: Theta):
    """(u, theta', |theta''|) at a = |z| >= 0, with u = 1 - theta(a) to full relative accuracy.

    Closed forms for the built-in thetas (one or two transcendental calls per entry),
    theta's own methods otherwise; checked against them in the tests.
    """
    name = theta.name if THETAS.get(theta.name) is theta else None
    if name == "tanh":
        q = np.exp(-2.0 * np.minimum(a, _PLAIN_CLIP["tanh"]))
        u = 2.0 * q / (1.0 + q)
        d1 = u * (2.0 - u)
        return u, d1, 2.0 * (1.0 - u) * d1
    if name == "erf":
        b = np.minimum(a, _PLAIN_CLIP["erf"])
        d1 = _TWO_OVER_SQRT_PI * np.exp(-b * b)
        return special.erfc(b), d1, 2.0 * b * d1
    if name == "atan":
        b = np.minimum(a, _PLAIN_CLIP["atan"])
        r = 1.0 / (1.0 + b * b)
        return _TWO_OVER_PI * np.arctan2(1.0, b), _TWO_OVER_PI * r, 2.0 * _TWO_OVER_PI * b * r * r
    if name == "softsign":  # theta'' jumps at 0, where theta.d2 takes the mean, 0
        r = 1.0 / (1.0 + np.minimum(a, _PLAIN_CLIP["softsign"]))
        return r, r * r, np.where(a > 0, 2.0 * r * r * r, 0.0)
    return theta.one_minus(a), theta.d1(a), np.abs(theta.d2(a))


def _plain_excess(z, theta: Theta):
    """(e, neg) of :func:`_plain_rows` alone: one transcendental call per entry."""
    pos = z >= 0
    a = np.abs(z)
    name = theta.name if THETAS.get(theta.name) is theta else None
    if name == "tanh":
        q = np.exp(-2.0 * np.minimum(a, _PLAIN_CLIP["tanh"]))
        u = 2.0 * q / (1.0 + q)
    elif name == "erf":
        u = special.erfc(np.minimum(a, _PLAIN_CLIP["erf"]))
    elif name == "atan":
        u = _TWO_OVER_PI * np.arctan2(1.0, a)
    elif name == "softsign":
        u = 1.0 / (1.0 + a)
    else:
        u = theta.one_minus(a)
    return np.where(pos, u * u, -u * (4.0 - u)), np.count_nonzero(~pos, axis=-1)


def _plain_rows(z, theta: Theta):
    """Per-row w = (1 - theta) theta', curvature c and excess e, in plain floating point.

    e is (1 - theta)^2 minus its limit (0 above 0, 4 below), formed from u = 1 - theta(|z|)
    as u^2 or -u (4 - u) so that saturated rows keep their relative accuracy; ``neg``
    counts the rows below 0.  Terms of rows deeper than the kernel's clip are not exact
    (they are far below every other row's; only starts with every row that deep need
    them, and those take the logarithmic path).
    """
    pos = z >= 0
    u, d1, d2 = _tail_terms(np.abs(z), theta)
    om = np.where(pos, u, 2.0 - u)
    w = om * d1
    c = d1 * d1 + np.where(pos, om, -om) * d2
    e = np.where(pos, u * u, -u * (4.0 - u))
    return w, c, e, np.count_nonzero(~pos, axis=-1)


def _take(terms, idx):
    return tuple(t[idx] for t in terms)


# --------------------------------------------------------------------------------------
# One iteration: tests, step, line search
# --------------------------------------------------------------------------------------


@dataclass
class _State:
    """Everything descend() carries between iterations, for all starts."""

    X: np.ndarray
    Z_prev: np.ndarray
    status: np.ndarray
    sigma: np.ndarray
    iterations: np.ndarray
    nu: np.ndarray
    decreased: np.ndarray
    stalls: np.ndarray
    stuck: np.ndarray  # consecutive iterations parked on a banned (rejected) pattern
    known: np.ndarray  # (K, m) finite minimisers found so far (for capture)


def _apply(M, v):
    """M_k v_k for stacks of matrices (k, a, b) and vectors (k, b): batched matmul."""
    return (M @ v[:, :, None])[:, :, 0]


def _eig_parts(H, g):
    """eigh of each H, the largest |eigenvalue|, and g in the eigenbasis."""
    lam, V = np.linalg.eigh(H)
    lam_max = np.maximum(np.abs(lam[:, 0]), np.abs(lam[:, -1]))
    coef = _apply(np.swapaxes(V, 1, 2), g)
    return lam, V, lam_max, coef


def _cholesky_solve(H, g):
    """(pd, p): p = -H^-1 g for the stacked H that pass a pivoted-free Cholesky test.

    A small hand-written batched Cholesky (numpy's stops at the first failure): pd marks
    the H whose every pivot exceeds CHOL_RTOL times the largest diagonal entry, i.e.
    comfortably positive definite; p is meaningful only there.
    """
    k, m = g.shape
    L = np.zeros_like(H)
    floor = CHOL_RTOL * np.abs(np.diagonal(H, axis1=1, axis2=2)).max(axis=1)
    pd = np.ones(k, dtype=bool)
    for j in range(m):
        d = H[:, j, j] - np.einsum("ki,ki->k", L[:, j, :j], L[:, j, :j])
        pd &= d > floor
        piv = np.sqrt(np.where(d > floor, d, 1.0))
        L[:, j, j] = piv
        if j + 1 < m:
            below = H[:, j + 1 :, j] - np.einsum("kai,ki->ka", L[:, j + 1 :, :j], L[:, j, :j])
            L[:, j + 1 :, j] = below / piv[:, None]
    y = np.empty_like(g)
    for j in range(m):  # L y = -g
        y[:, j] = (-g[:, j] - np.einsum("ki,ki->k", L[:, j, :j], y[:, :j])) / L[:, j, j]
    p = np.empty_like(g)
    for j in reversed(range(m)):  # L' p = y
        p[:, j] = (y[:, j] - np.einsum("ki,ki->k", L[:, j + 1 :, j], p[:, j + 1 :])) / L[:, j, j]
    return pd, p


def _finite_test(A, X, z, lam, V, lam_max, coef, log_gnorm, loose, a_scale):
    """Positive definite Hessian, negligible gradient, and a Newton step that moves no
    margin z_i by more than ZTOL (1 + max |z|): (mask, Newton-polished x).

    The step is measured in z = A~ x, not in x, so that basins at very different scales
    of x are held to the same standard.
    """
    pd_ = lam[:, 0] > PD_RTOL * lam_max
    p0 = -_apply(V, coef / np.where(pd_[:, None], lam, 1.0))
    scale = np.where(loose, LOOSE, 1.0)
    moves = np.abs(p0 @ A.T).max(axis=1)
    small = moves <= scale * ZTOL * (1.0 + np.abs(z).max(axis=1))
    flat = log_gnorm <= np.log(scale * GTOL * a_scale)
    ok = pd_ & small & flat
    return ok, X + np.where(ok[:, None], p0, 0.0)


def _free_converged(A, z, w, c, free, loose):
    """The free rows' own Newton step moves no free margin by more than PARK_ZTOL.

    Directions that leave every free margin unchanged (ker A~_F, where E_F is constant)
    are told apart by A~_F v = 0, not by a small eigenvalue: a free row deep in its tail
    has a tiny but genuine curvature, and its Newton step must count.  With no free
    row (every row saturated) there is nothing to converge.
    """
    out = np.ones(len(z), dtype=bool)
    some = np.flatnonzero(free.any(axis=1))
    if some.size:
        out[some] = _free_step_small(A, z[some], w[some], c[some], free[some], loose[some])
    return out


def _free_step_small(A, z, w, c, free, loose):
    g, H = _grad_hess(A, w * free, c * free)
    lam, V, _, coef = _eig_parts(H, g)
    AV = A @ V  # (k, n, m): a_i . v_j
    moves = np.abs(AV * free[:, :, None]).max(axis=1)  # (k, m)
    rng = moves > NULL_RTOL * np.maximum(moves.max(axis=1, keepdims=True), np.finfo(float).tiny)
    positive = np.all(~rng | (lam > 0), axis=1)
    step = np.where(rng, coef / np.where(rng & (lam > 0), lam, 1.0), 0.0)
    z_step = np.abs(_apply(AV, step) * free).max(axis=1)
    scale = np.where(loose, LOOSE, 1.0)
    z_free = np.where(free, np.abs(z), 0.0).max(axis=1)
    return positive & (z_step <= scale * PARK_ZTOL * (1.0 + z_free))


def _pattern_hash(patterns):
    """A 64-bit hash of each pattern row (random weights; collisions have odds ~2^-64)."""
    weights = np.random.default_rng(0x5EED).integers(1, 2**63, patterns.shape[-1], np.uint64)
    return (patterns.astype(np.int64) + 1).astype(np.uint64) @ weights  # wraps mod 2^64


def _banned(patterns, banned_hashes):
    if banned_hashes.size == 0:
        return np.zeros(len(patterns), dtype=bool)
    return np.isin(_pattern_hash(patterns), banned_hashes)


def _split(A, L, lam, V, lam_max, coef, old):
    """Classify eigen-directions: (fine, settled), boolean (k, m) arrays.

    *fine*: positive curvature and an undamped Newton gain below the rounding noise of
    the rows the direction moves (RESOLUTION times their |excess|, weighted by how much
    each moves).  A line search cannot see such a gain -- it would only compare rounding
    errors -- so the Newton step is taken as is: the last steps of quadratic convergence.
    *settled*: not fine, but the step would move no margin measurably (below SETTLED *
    ZTOL); stepping along it only adds noise.  Everything else is line-searched.
    """
    denom = np.maximum(np.abs(lam), (FLOOR_RTOL * lam_max + np.finfo(float).tiny)[:, None])
    reach = np.abs(A @ V)  # (k, n, m): |a_i . v_j|
    weight = reach / np.maximum(reach.max(axis=1, keepdims=True), np.finfo(float).tiny)
    noise = RESOLUTION * (np.exp(old[1])[:, None, :] @ weight)[:, 0, :]
    with np.errstate(divide="ignore"):
        log_gain = np.log(0.5 * coef**2 / denom) + L[:, None]
    fine = (lam > PD_RTOL * lam_max[:, None]) & (log_gain <= np.log(noise + np.finfo(float).tiny))
    moves = np.abs(coef / denom) * reach.max(axis=1)
    settled = ~fine & (moves <= SETTLED * ZTOL * (1.0 + old[3][:, None]))
    return fine, settled


def _newton_step(lam, V, lam_max, coef, nu, g):
    """Damped saddle-free Newton step -V diag(1/((1 + nu)|lambda|)) V' g and its slope g'p.

    The damping is relative to each eigenvalue, so directions of very different
    curvature (basins at different scales) are damped alike; nu adapts per start like a
    Levenberg-Marquardt parameter.  Falls back to a gradient step where the result is
    not a finite descent direction.
    """
    denom = np.maximum(np.abs(lam), (FLOOR_RTOL * lam_max + np.finfo(float).tiny)[:, None])
    denom = denom * (1.0 + nu)[:, None]
    p = -_apply(V, coef / denom)
    gp = -np.sum(coef**2 / denom, axis=1)
    bad = ~np.isfinite(p).all(axis=1) | ((gp >= 0) & np.any(coef != 0, axis=1))
    if bad.any():
        p[bad] = -g[bad] / np.maximum(lam_max[bad], 1.0)[:, None]
        gp[bad] = np.sum(g[bad] * p[bad], axis=1)
    return p, gp


def _line_search(A, theta, X, p, L, gp, old, cap):
    """Armijo backtracking, then doubling while the decrease keeps growing, alpha <= cap.

    Returns the step length per start (0 where no decrease was representable, or where
    there is nothing to search: p = 0).
    """
    k = len(X)
    alpha = np.minimum(1.0, cap)
    log_dE = np.full(k, -np.inf)
    accepted = np.zeros(k, dtype=bool)
    todo = np.flatnonzero(np.any(p != 0, axis=1))
    with np.errstate(divide="ignore"):
        log_slope = np.log(ARMIJO * np.abs(gp)) + L
    for _ in range(MAX_BACKTRACK):
        sign, log_abs = _delta_energy(
            _take(old, todo), _excess((X[todo] + alpha[todo, None] * p[todo]) @ A.T, theta)
        )
        ok = (sign < 0) & (log_abs >= np.log(alpha[todo]) + log_slope[todo])
        accepted[todo[ok]] = True
        log_dE[todo[ok]] = log_abs[ok]
        todo = todo[~ok]
        if not todo.size:
            break
        alpha[todo] *= BACKTRACK
    alpha[~accepted] = 0.0
    with np.errstate(divide="ignore", invalid="ignore"):  # -inf - -inf where nothing moved
        beat_model = log_dE - L - np.log(0.5 * np.abs(gp)) > np.log(EXPAND_RATIO)
    full = accepted & (alpha == np.minimum(1.0, cap))
    _expand(A, theta, X, p, old, alpha, log_dE, full & beat_model, cap)
    return alpha


def _expand(A, theta, X, p, old, alpha, log_dE, grow, cap):
    """Double alpha in place while E keeps decreasing further (tails, concave stretches)."""
    idx = np.flatnonzero(grow & (2.0 * alpha <= cap))
    for _ in range(MAX_EXPAND):
        if not idx.size:
            return
        trial = 2.0 * alpha[idx]
        sign, log_abs = _delta_energy(
            _take(old, idx), _excess((X[idx] + trial[:, None] * p[idx]) @ A.T, theta)
        )
        better = (sign < 0) & (log_abs > log_dE[idx])
        alpha[idx[better]] = trial[better]
        log_dE[idx[better]] = log_abs[better]
        idx = idx[better & (2.0 * trial <= cap[idx])]


@dataclass
class _Problem:
    """What every iteration needs about A~ and theta."""

    A: np.ndarray
    AA: np.ndarray  # outer products of the rows, (n, m^2)
    A2: np.ndarray  # squared entries, for the Jacobi scaling
    live: np.ndarray  # nonzero rows
    all_live: bool
    theta: Theta
    z_far: float
    z_lin: float
    a_scale: float
    banned: np.ndarray
    lipschitz: float | None  # of the Hessian (None: theta'' not continuous, no capture)


def _iterate(pb: _Problem, st: _State, act):
    """One iteration for the running starts ``act``: tests, then a step for the rest.

    The fast path serves most steps: plain row terms, a Newton step from the
    Jacobi-scaled Hessian (Cholesky; for an indefinite Hessian the saddle-free step from
    ``eigh``) and a line search on plain per-row energy differences.  Starts whose every
    row is deep in a tail, and those whose plain line search sees no decrease, take the
    careful path (:func:`_step`): logarithmic row terms, per-direction splitting, energy
    differences summed from logarithms.
    """
    A, theta = pb.A, pb.theta
    X = st.X[act]
    z = X @ A.T
    abs_z = np.abs(z)
    w, c, e, neg = _plain_rows(z, theta)
    L = np.zeros(len(act))
    far = np.min(abs_z if pb.all_live else np.where(pb.live, abs_z, np.inf), axis=1) >= pb.z_lin
    if far.any():  # every row deep in a tail: weights from logarithms, scaled by e^-L
        L[far], w[far], c[far] = _log_scaled_weights(z[far], theta, pb.live)
    g, H = _grad_hess(A, w, c, pb.AA)
    # Jacobi scaling by each weight's own curvature scale: blocks of rows at very
    # different depths (rows at z = -40 next to rows near 0, curvatures 1e-34 apart) are
    # resolved alike, where a factorisation of H itself loses the small ones
    h = np.abs(c) @ pb.A2
    D = np.where(h > 0, 1.0 / np.sqrt(np.where(h > 0, h, 1.0)), 1.0)
    Hs = H * D[:, :, None] * D[:, None, :]
    gs = g * D
    pd, p_newton = _cholesky_solve(Hs, gs)
    p_newton *= D
    z_max = abs_z.max(axis=1)
    loose = st.stalls[act] >= MAX_STALLS
    moves = np.abs(p_newton @ A.T).max(axis=1)
    with np.errstate(divide="ignore"):
        log_gnorm = L + np.log(np.linalg.norm(g, axis=1))

    # the finite test: eigenvalues where Newton converges, eigh where saddle-free steps
    # (indefinite Hessian) or the careful path (far starts) need the eigenvectors anyway
    near = np.flatnonzero(pd & ~far & (moves <= 10.0 * LOOSE * ZTOL * (1.0 + z_max)))
    is_finite = np.zeros(len(act), dtype=bool)
    if near.size:
        lam = np.linalg.eigvalsh(Hs[near])
        lam_max = np.maximum(np.abs(lam[:, 0]), np.abs(lam[:, -1]))
        ok = _finite_ok(
            lam[:, 0], lam_max, moves[near], z_max[near], log_gnorm[near], loose[near], pb.a_scale
        )
        is_finite[near[ok]] = True
        st.X[act[near[ok]]] = X[near[ok]] + p_newton[near[ok]]
    ei = np.flatnonzero(~pd | far)
    lam, V, lam_max, coef = _eig_parts(Hs[ei], gs[ei])  # in the scaled coordinates
    finite, polished = _finite_test(
        A,
        X[ei],
        z[ei],
        lam,
        D[ei, :, None] * V,
        lam_max,
        coef,
        log_gnorm[ei],
        loose[ei],
        pb.a_scale,
    )
    is_finite[ei[finite]] = True
    st.X[act[ei[finite]]] = polished[finite]
    _remember(st, st.X[act[is_finite]])
    if pb.lipschitz is not None and len(st.known):
        _capture(pb, st, act, X, H, p_newton, np.flatnonzero(pd & ~far & ~is_finite), is_finite)
    st.status[act[is_finite]] = FINITE

    sat = abs_z >= pb.z_far
    cand = np.flatnonzero(~is_finite & sat.any(axis=1))
    sat = sat[cand]
    sigma = (np.sign(z[cand]) * sat).astype(np.int8)
    outward = np.all((sigma * (z[cand] - st.Z_prev[act[cand]]) >= 0) | ~sat, axis=1)
    keep = (outward & st.decreased[act[cand]]) | loose[cand]
    cand, sat, sigma = cand[keep], sat[keep], sigma[keep]
    on_banned = np.zeros(len(act), dtype=bool)
    if cand.size:
        conv = _free_converged(A, z[cand], w[cand], c[cand], ~sat, loose[cand])
        banned = _banned(sigma, pb.banned)
        st.status[act[cand[conv & ~banned]]] = PARKED
        st.sigma[act[cand[conv & ~banned]]] = sigma[conv & ~banned]
        on_banned[cand[conv & banned]] = True
    # parked again and again on a face already found not to be a minimum: undecided
    st.stuck[act] = np.where(on_banned, st.stuck[act] + 1, 0)
    st.status[act[st.stuck[act] >= PATIENCE]] = UNDECIDED

    st.status[act[loose & (st.status[act] == RUNNING)]] = UNDECIDED  # stalled, unresolved
    running = st.status[act] == RUNNING

    # fast path: damped Newton (Cholesky) or saddle-free steps, plain line search
    p = np.where(pd[:, None], p_newton / (1.0 + st.nu[act])[:, None], 0.0)
    slope = np.einsum("km,km->k", g, p)
    sf = ~pd[ei] & ~far[ei]
    p_neg = np.zeros_like(p)  # the part of a saddle-free step along negative curvature,
    s_neg, kappa = np.zeros(len(act)), np.zeros(len(act))  # its slope g'p and curvature p'Hp
    if sf.any():
        j = ei[sf]
        ps, gps = _newton_step(lam[sf], V[sf], lam_max[sf], coef[sf], st.nu[act[j]], gs[j])
        p[j], slope[j] = ps * D[j], gps
        concave = np.where(lam[sf] < 0, coef[sf], 0.0)
        part, s_neg[j] = _newton_step(lam[sf], V[sf], lam_max[sf], concave, st.nu[act[j]], gs[j])
        p_neg[j] = part * D[j]
        damp = 1.0 + st.nu[act[j]]
        kappa[j] = np.sum(concave**2 / np.where(lam[sf] < 0, lam[sf], -1.0), axis=1) / damp**2
    fast = np.flatnonzero(running & ~far)
    failed = np.zeros(0, np.int64)
    if fast.size:
        alpha, beta = _plain_line_search(
            A,
            theta,
            z[fast],
            e[fast],
            neg[fast],
            p[fast],
            slope[fast],
            (p_neg[fast], s_neg[fast], kappa[fast]),
        )
        ok = alpha > 0
        good = fast[ok]
        step = alpha[ok, None] * p[good] + (beta[ok] - alpha[ok])[:, None] * p_neg[good]
        _record(st, act[good], X[good] + step, z[good], alpha[ok], True)
        failed = fast[~ok]

    # careful path: far starts, and those whose decrease the plain sums could not see
    slow = np.r_[np.flatnonzero(running & far), failed]
    if slow.size:
        parts = _eig_parts(H[slow], g[slow])
        _step(A, theta, st, act[slow], X[slow], z[slow], L[slow], g[slow], parts)


def _remember(st: _State, x_new):
    """Add newly found finite minimisers to ``st.known`` (about one entry per minimum)."""
    if not len(x_new):
        return
    scale = KNOWN_RTOL * (1.0 + np.abs(x_new).max(axis=1, keepdims=True))
    if len(st.known):
        gap = np.abs(x_new[:, None, :] - st.known[None, :, :]).max(axis=2)
        x_new, scale = x_new[~np.any(gap <= scale, axis=1)], scale[~np.any(gap <= scale, axis=1)]
    if len(x_new):
        first, _ = _unique_rows(np.round(x_new / scale.max()))
        st.known = np.vstack([st.known, x_new[first]])


def _capture(pb: _Problem, st: _State, act, X, H, p_newton, idx, is_finite):
    """Runs already inside the Newton-Kantorovich ball of a minimum found by another run.

    With H Lipschitz (constant ``pb.lipschitz`` = 2 sup |c'| sum_i |a_i|^3), beta =
    1 / lambda_min(H) and eta = |Newton step| at x, h = beta L eta < 1/2 makes Newton's
    iteration from x converge to a critical point x^, the only one within
    t** = (1 + sqrt(1 - 2h)) / (beta L) of x.  A known minimum x* closer than that is x^:
    the run is done, and it is x*'s.  Marks them in ``is_finite`` and moves them to x*.
    """
    eta = np.linalg.norm(p_newton[idx], axis=1)
    lowest = np.min(np.diagonal(H[idx], axis1=1, axis2=2), axis=1)  # >= lambda_min
    idx, eta = idx[pb.lipschitz * eta < 0.5 * lowest], eta[pb.lipschitz * eta < 0.5 * lowest]
    if not idx.size:
        return
    lam = np.linalg.eigvalsh(H[idx])[:, 0]
    h = pb.lipschitz * eta / lam
    idx, h, lam = idx[h < 0.5], h[h < 0.5], lam[h < 0.5]
    if not idx.size:
        return
    reach = (1.0 + np.sqrt(1.0 - 2.0 * h)) * lam / pb.lipschitz
    gap = np.linalg.norm(X[idx, None, :] - st.known[None, :, :], axis=2)
    nearest = np.argmin(gap, axis=1)
    inside = gap[np.arange(idx.size), nearest] < CAPTURE_SAFETY * reach
    idx, nearest = idx[inside], nearest[inside]
    is_finite[idx] = True
    st.X[act[idx]] = st.known[nearest]


def _finite_ok(lam_min, lam_max, moves, z_max, log_gnorm, loose, a_scale):
    """The finite test of :func:`_finite_test` from eigenvalues and a Newton step's moves."""
    scale = np.where(loose, LOOSE, 1.0)
    return (
        (lam_min > PD_RTOL * lam_max)
        & (moves <= scale * ZTOL * (1.0 + z_max))
        & (log_gnorm <= np.log(scale * GTOL * a_scale))
    )


def _record(st: _State, idx, X_new, z_old, alpha, moved):
    """Bookkeeping after a step: position, damping (Levenberg-Marquardt style), stalls."""
    st.Z_prev[idx] = z_old
    st.X[idx] = X_new
    st.decreased[idx] = moved
    st.nu[idx] = np.where(
        alpha >= 1.0,
        np.maximum(st.nu[idx] * 0.1, NU_MIN),
        np.minimum(st.nu[idx] * np.where(alpha > 0, 10.0, 100.0), NU_MAX),
    )
    st.stalls[idx] = np.where(moved, 0, st.stalls[idx] + 1)


def _plain_line_search(A, theta, z, e, neg, p, slope, concave):
    """Armijo backtracking, then doubling, on plain energy differences (fast path).

    E(trial) - E is summed row by row, and a row whose change is within the rounding of
    its own term (NOISE (1 + |z_i|) |e_i|, both ends) counts as unchanged, so the rounding
    of large rows cannot hide the real but tiny changes of saturated ones (as in
    :func:`_delta_energy`, without logarithms).

    After alpha is found for the whole step, its negative-curvature part p_neg (with
    slope s = g'p_neg and curvature kappa = p_neg' H p_neg < 0, in ``concave``) gets a
    doubling search of its own, beta >= alpha, for as long as each doubling lowers E at
    least as much as the quadratic model predicts (beta s + 1.5 beta^2 kappa): a tail or
    concave stretch, where one step length for all directions would hold a weight deep in
    a tail (rows at z = -15, next to converged ones) to the pace of the others; near a
    basin the true decrease falls behind the model and the doubling stops.  Returns
    (alpha, beta); alpha = 0 where no trial passed within PLAIN_BACKTRACK backtracks:
    the careful line search then takes over.
    """
    p_neg, s_neg, kappa = concave
    Ap = p @ A.T
    cap = _trust_cap(A, z, p, Ap)
    noise = (2.0 * NOISE) * (1.0 + np.abs(z)) * np.abs(e)
    alpha = np.minimum(1.0, cap)
    # the first trial on whole arrays (no copies): most steps end there
    dE, e_at, neg_at = _plain_change(z, e, neg, alpha[:, None] * Ap, noise, theta)
    accepted = (dE < 0) & (dE <= ARMIJO * alpha * slope)
    dE[~accepted] = 0.0
    todo = np.flatnonzero(~accepted)
    for _ in range(PLAIN_BACKTRACK - 1):
        if not todo.size:
            break
        alpha[todo] *= BACKTRACK
        d, et, nt = _plain_change(
            z[todo], e[todo], neg[todo], alpha[todo, None] * Ap[todo], noise[todo], theta
        )
        ok = (d < 0) & (d <= ARMIJO * alpha[todo] * slope[todo])
        accepted[todo[ok]] = True
        dE[todo[ok]] = d[ok]
        e_at[todo[ok]], neg_at[todo[ok]] = et[ok], nt[ok]
        todo = todo[~ok]
    alpha[~accepted] = 0.0
    full = accepted & (alpha == np.minimum(1.0, cap)) & (-dE > EXPAND_RATIO * 0.5 * -slope)
    idx = np.flatnonzero(full & (2.0 * alpha <= cap))
    for _ in range(MAX_EXPAND):
        if not idx.size:
            break
        trial = 2.0 * alpha[idx]
        d, et, nt = _plain_change(
            z[idx], e[idx], neg[idx], trial[:, None] * Ap[idx], noise[idx], theta
        )
        better = d < dE[idx]
        alpha[idx[better]] = trial[better]
        dE[idx[better]] = d[better]
        e_at[idx[better]], neg_at[idx[better]] = et[better], nt[better]
        idx = idx[better & (2.0 * trial <= cap[idx])]
    beta = alpha.copy()
    idx = np.flatnonzero(accepted & np.any(p_neg != 0, axis=1))
    if idx.size:  # each doubling of beta is judged against the point already reached
        Ap_neg = p_neg[idx] @ A.T
        base = z[idx] + alpha[idx, None] * (Ap[idx] - Ap_neg)
        ref, ref_neg = e_at[idx], neg_at[idx]  # rows p_neg leaves alone match bit for bit
        room = Z_TRUST * (1.0 + np.abs(z[idx]))
        pos = np.arange(idx.size)
        for _ in range(MAX_EXPAND):
            trial = 2.0 * beta[idx[pos]]
            zt = base[pos] + trial[:, None] * Ap_neg[pos]
            inside = np.all(np.abs(zt - z[idx[pos]]) <= room[pos], axis=1)
            pos, trial, zt = pos[inside], trial[inside], zt[inside]
            if not pos.size:
                break
            et, nt = _plain_excess(zt, theta)
            diff = et - ref[pos]
            scale = (2.0 * NOISE) * (1.0 + np.abs(zt)) * np.abs(ref[pos])
            d = np.where(np.abs(diff) <= scale, 0.0, diff).sum(axis=1) + 4.0 * (nt - ref_neg[pos])
            b = beta[idx[pos]]
            better = (d < 0) & (d <= b * s_neg[idx[pos]] + 1.5 * b * b * kappa[idx[pos]])
            k = idx[pos[better]]
            beta[k] = trial[better]
            ref[pos[better]], ref_neg[pos[better]] = et[better], nt[better]
            pos = pos[better]
    return alpha, beta


def _plain_change(z, e, neg, dz, noise, theta):
    """(E(z + dz) - E(z), row terms at z + dz) from plain row terms; changes within
    ``noise`` count as 0.

    A row that crosses 0 changes its excess by about 4 (counted by ``neg``), far above
    its noise, so it is never mistaken for rounding.
    """
    et, nt = _plain_excess(z + dz, theta)
    d = et - e
    return np.where(np.abs(d) <= noise, 0.0, d).sum(axis=1) + 4.0 * (nt - neg), et, nt


def _trust_cap(A, z, p, Ap=None):
    """Largest step length that moves no margin by more than Z_TRUST (1 + |z_i|).

    The quadratic model of (1 - theta)^2 holds over about one unit of z near 0 and, in
    the tails, over a fixed fraction of |z| (they are nearly scale-free there).  Without
    this trust region a concave stretch, doubled again and again, can leap out of the
    basin that a gradient flow would stay in.
    """
    Ap = p @ A.T if Ap is None else Ap
    reach = (np.abs(Ap) / (1.0 + np.abs(z))).max(axis=1)
    with np.errstate(divide="ignore"):
        return np.where(reach > 0, Z_TRUST / reach, np.inf)


def _step(A, theta, st: _State, idx, X, z, L, g, eig):
    """Take the fine part of the Newton step outright, line-search the rest from there."""
    lam, V, lam_max, coef = eig
    old = _excess(z, theta)
    fine, settled = _split(A, L, lam, V, lam_max, coef, old + (np.abs(z).max(axis=1),))
    base = X - _apply(V, np.where(fine, coef / np.where(fine, lam, 1.0), 0.0))
    shifted = np.flatnonzero(fine.any(axis=1))
    if shifted.size:  # the line search starts from the base point
        fresh = _excess(base[shifted] @ A.T, theta)
        old = tuple(o.copy() for o in old)
        for o, f in zip(old, fresh):
            o[shifted] = f
    p, gp = _newton_step(lam, V, lam_max, np.where(fine | settled, 0.0, coef), st.nu[idx], g)
    alpha = _line_search(A, theta, base, p, L, gp, old, _trust_cap(A, z, p))
    moved = (alpha > 0) | fine.any(axis=1)
    _record(st, idx, base + alpha[:, None] * p, z, alpha, moved)


def descend(A_tilde, starts, theta: Theta, *, max_iter=MAX_ITER, sat_tol=SAT_TOL, banned=None):
    """Descend every start at once until it is finite, parked at a face, or undecided.

    Parameters
    ----------
    A_tilde : (n, m) array
        Reduced matrix; it should have full column rank (see :func:`find_minima`).
    starts : (S, m) array
    theta : Theta
    max_iter : int or (S,) array
        Iteration budget per start.
    sat_tol : float
        A row is saturated once 1 - theta(|z_i|) <= sat_tol.
    banned : (P, n) int array, optional
        Patterns at which no run may park (faces already found not to be minima).

    Returns
    -------
    Runs
    """
    A = np.asarray(A_tilde, dtype=float)
    X = np.array(starts, dtype=float, ndmin=2)
    S, n = X.shape[0], A.shape[0]
    budget = np.broadcast_to(np.asarray(max_iter), (S,))
    banned = np.zeros((0, n), np.int8) if banned is None else np.asarray(banned, np.int8)
    banned = _pattern_hash(banned)
    st = _State(
        X,
        X @ A.T,
        np.zeros(S, np.int8),
        np.zeros((S, n), np.int8),
        np.zeros(S, np.int64),
        np.full(S, NU_START),
        np.zeros(S, bool),
        np.zeros(S, np.int64),
        np.zeros(S, np.int64),
        np.zeros((0, A.shape[1])),
    )
    pb = _Problem(
        A,
        _outer_rows(A),
        A * A,
        np.any(A != 0, axis=1),
        bool(np.all(np.any(A != 0, axis=1))),
        theta,
        saturation_threshold(theta, sat_tol),
        _linear_range(theta),
        float(np.max(np.linalg.norm(A, axis=1))),
        banned,
        _hessian_lipschitz(A, theta),
    )
    with pinned_blas():
        while True:
            act = np.flatnonzero(st.status == RUNNING)
            spent = act[st.iterations[act] >= budget[act]]
            st.status[spent] = UNDECIDED
            act = act[st.iterations[act] < budget[act]]
            if not act.size:
                break
            st.iterations[act] += 1
            for block in range(0, act.size, CHUNK):  # blocks small enough to stay in cache
                _iterate(pb, st, act[block : block + CHUNK])
    return Runs(st.X, st.status, st.sigma, st.iterations)


# --------------------------------------------------------------------------------------
# Rounds: judge parked runs by their faces, resume the rejected ones
# --------------------------------------------------------------------------------------


def _column_basis(A):
    """Orthonormal basis of the row space of A~: E depends on x only through it."""
    _, s, vt = np.linalg.svd(A, full_matrices=False)
    rank = int(np.sum(s > 1e-12 * s.max()))
    if rank == 0:
        raise ValueError("A~ is zero: E is constant")
    return vt[:rank].T


def _parked_groups(B, runs, idx, theta):
    """Bucket parked runs by pattern and (rounded) free-row limit; (labels, representatives)."""
    z = runs.x[idx] @ B.T
    sat = runs.sigma[idx] != 0
    key = np.where(sat, runs.sigma[idx], np.round(theta.value(z), 3))
    first, labels = _unique_rows(key)
    return labels, idx[first]


def _judge_parked(A, B, basis, runs, verdict, faces, known, theta, sat_tol):
    """Analyse each parked bucket once (all in one batch); return rejected patterns and runs.

    ``known`` maps every vertex pattern (all rows saturated: nothing else to tell runs
    apart) already found to be a minimum to its index in ``faces``, so that a pattern is
    judged once per call of find_minima, not once per round.
    """
    idx = np.flatnonzero((runs.status == PARKED) & (verdict < 0))
    if not idx.size:
        return [], idx
    labels, reps = _parked_groups(B, runs, idx, theta)
    cached = [
        known.get(runs.sigma[r].tobytes()) if np.all(runs.sigma[r] != 0) else None for r in reps
    ]
    todo = [g for g, c in enumerate(cached) if c is None]
    results = dict(
        zip(
            todo,
            analyse_faces(
                A, runs.sigma[reps[todo]], theta, runs.x[reps[todo]] @ basis.T, sat_tol=sat_tol
            ),
        )
    )
    rejected, resume = [], []
    for g, rep in enumerate(reps):
        members = idx[labels == g]
        if cached[g] is not None:
            verdict[members] = cached[g]
            continue
        res = results[g]
        if res.is_minimum:
            faces.append(res)
            verdict[members] = len(faces) - 1
            if np.all(res.sigma != 0):
                known[res.sigma.astype(np.int8).tobytes()] = len(faces) - 1
        else:
            rejected.append(runs.sigma[rep])
            resume.append(members)
    return rejected, np.concatenate(resume) if resume else np.zeros(0, np.int64)


def _descend_in_rounds(A, B, basis, U, theta, max_iter, max_rounds, resume_iter, sat_tol):
    runs = descend(B, U, theta, max_iter=max_iter, sat_tol=sat_tol)
    verdict = np.full(len(U), -1)
    faces: list = []
    known: dict = {}
    banned = np.zeros((0, A.shape[0]), np.int8)
    for round_ in range(max_rounds):
        rejected, resume = _judge_parked(A, B, basis, runs, verdict, faces, known, theta, sat_tol)
        if not resume.size or round_ == max_rounds - 1:
            break
        # A run parked on a face that is not a minimum resumes, with that pattern banned,
        # for at most resume_iter more iterations: most drift on along the face for ever.
        banned = np.unique(np.vstack([banned, np.array(rejected, np.int8)]), axis=0)
        budget = np.minimum(max_iter - runs.iterations[resume], resume_iter)
        more = descend(B, runs.x[resume], theta, max_iter=budget, sat_tol=sat_tol, banned=banned)
        runs.x[resume], runs.status[resume], runs.sigma[resume] = more.x, more.status, more.sigma
        runs.iterations[resume] += more.iterations
    return runs, verdict, faces


# --------------------------------------------------------------------------------------
# Merging and the table
# --------------------------------------------------------------------------------------


def _merge(points: np.ndarray) -> np.ndarray:
    """Labels joining points within MERGE_TOL (max norm, relative to the largest entry)."""
    if len(points) == 0:
        return np.zeros(0, np.int64)
    first, inverse = _unique_rows(np.round(points, Z_DECIMALS))
    reps = points[first]
    radius = MERGE_TOL * (1.0 + np.abs(reps).max())
    pairs = cKDTree(reps).query_pairs(radius, p=np.inf, output_type="ndarray")
    graph = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(len(reps),) * 2)
    _, joined = connected_components(graph, directed=False)
    return joined[inverse.ravel()]


def _unique_rows(R):
    """(first index, inverse) of the distinct rows of R, like np.unique(axis=0) but hashed.

    Rows are keyed by a 64-bit hash of their bytes; equal hashes are checked row by row
    (a collision, odds ~2^-64, falls back to np.unique).
    """
    R = np.ascontiguousarray(R, dtype=float) + 0.0  # -0.0 and 0.0 alike
    words = R.view(np.uint64).reshape(len(R), -1)
    weights = np.random.default_rng(0x5EED).integers(1, 2**63, words.shape[1], dtype=np.uint64)
    key = (words * weights).sum(axis=1, dtype=np.uint64)  # wraps mod 2^64
    _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    inverse = inverse.ravel()
    if not np.array_equal(R, R[first][inverse]):
        _, first, inverse = np.unique(R, axis=0, return_index=True, return_inverse=True)
        inverse = inverse.ravel()
    return first, inverse


def _finite_rows(A, B, basis, runs, theta, S):
    idx = np.flatnonzero(runs.status == FINITE)
    z = runs.x[idx] @ B.T
    labels = _merge(z)
    E = energy(B, runs.x[idx], theta)
    rows, run_label = [], np.full(S, -1)
    for lab in np.unique(labels):
        members = idx[labels == lab]
        best = members[np.argmin(E[labels == lab])]
        zb = B @ runs.x[best]
        rows.append(
            _row(
                float(energy(B, runs.x[best], theta)),
                False,
                members.size,
                S,
                basis @ runs.x[best],
                np.full(A.shape[1], np.nan),
                theta.value(zb),
                np.zeros(A.shape[0], np.int64),
            )
        )
        run_label[members] = len(rows) - 1
    return rows, run_label


def _infinite_rows(verdict, faces, S):
    if not faces:
        return [], np.full(S, -1)
    points = np.array([np.r_[10.0 * f.sigma, f.z_limit] for f in faces])
    labels = _merge(points)
    rows, face_row = [], np.full(len(faces), -1)
    counts = np.bincount(labels[verdict[verdict >= 0]], minlength=labels.max() + 1)
    for lab in np.unique(labels):
        group = np.flatnonzero(labels == lab)
        f = faces[group[0]]
        count = int(counts[lab])
        rows.append(_row(f.E_limit, True, count, S, f.x_base, f.direction, f.z_limit, f.sigma))
        face_row[group] = len(rows) - 1
    run_label = np.where(verdict >= 0, face_row[np.maximum(verdict, 0)], -1)
    return rows, run_label


def _row(E, at_infinity, count, S, x, direction, z_limit, saturated):
    return {
        "E": float(E),
        "at_infinity": bool(at_infinity),
        "basin_fraction": count / S,
        "n_starts": int(count),
        "x": [float(v) for v in x],
        "direction": [float(v) for v in direction],
        "z_limit": [float(v) for v in z_limit],
        "saturated": [int(v) for v in saturated],
    }


COLUMNS = [
    "E",
    "at_infinity",
    "basin_fraction",
    "n_starts",
    "x",
    "direction",
    "z_limit",
    "saturated",
]


def find_minima(
    A_tilde,
    theta,
    *,
    n_starts: int = 1000,
    seed=0,
    starts=None,
    r_min: float = 1e-2,
    r_max: float = 1e2,
    design: str = "mixed",
    max_iter: int = MAX_ITER,
    max_rounds: int = 3,
    resume_iter: int = RESUME_ITER,
    sat_tol: float = SAT_TOL,
    return_labels: bool = False,
):
    """Every local minimum of E(x) = sum_i (1 - theta((A~ x)_i))^2 reached from the starts.

    Parameters
    ----------
    A_tilde : (n, m) array
        Sign-reduced inputs (see :func:`landscape.reduce_signs`).
    theta : Theta or str
    n_starts, seed, r_min, r_max, design
        Starts from :func:`sample_starts` (seed: int or numpy Generator; design
        "mixed", "isotropic" or "per_weight"), unless ``starts`` (an (S, m) array) is
        given.
    max_iter : int
        Iteration budget per start, over all rounds.
    max_rounds : int
        Rounds of "judge parked runs, resume the rejected ones".
    resume_iter : int
        Iterations a resumed run gets per round.
    sat_tol : float
        A row is saturated (diverging) once 1 - theta(|z_i|) <= sat_tol.
    return_labels : bool
        Also return, per start, the row of the minimum it reached (-1: undecided).

    Returns
    -------
    pandas.DataFrame
        One row per minimum, sorted by E: ``E`` (the limit for minima at infinity),
        ``at_infinity``, ``basin_fraction`` (share of all starts), ``n_starts``, ``x``
        (the minimiser; at infinity the base of the ray x + t * direction), ``direction``
        (a unit direction realising the pattern, the one maximising the smallest
        saturated slope under |d|_inf <= 1; NaN for finite minima),
        ``z_limit`` (the point theta(A~ x) of clos TV), ``saturated`` (+1 / -1 / 0 per row).
        ``attrs`` holds ``n_starts``, ``n_undecided`` (budget exhausted, stalled, or
        parked on a face that is not a minimum: repeatedly, or in the last round),
        ``n_saturated_undecided`` (the undecided runs that end with every row saturated:
        saturated plateaus and non-minimal limits at infinity, see
        :func:`_saturated_count`), ``n_finite_runs`` and ``n_infinite_runs``; basin
        fractions sum to
        1 - n_undecided / n_starts.
    """
    theta = get_theta(theta) if isinstance(theta, str) else theta
    A = np.asarray(A_tilde, dtype=float)
    if A.ndim != 2 or not np.all(np.isfinite(A)):
        raise ValueError(f"A~ must be a finite n x m matrix; got shape {A.shape}")
    if starts is None:
        starts = sample_starts(A.shape[1], n_starts, seed, r_min, r_max, design)
    starts = np.asarray(starts, dtype=float)
    if starts.ndim != 2 or starts.shape[1] != A.shape[1] or not np.isfinite(starts).all():
        raise ValueError(f"starts must be a finite (S, {A.shape[1]}) array; got {starts.shape}")
    basis = _column_basis(A)  # descend in the row space: a rank-deficient A~ adds flat x
    B = A @ basis
    with pinned_blas():
        runs, verdict, faces = _descend_in_rounds(
            A, B, basis, starts @ basis, theta, max_iter, max_rounds, resume_iter, sat_tol
        )
    S = len(starts)
    fin_rows, fin_label = _finite_rows(A, B, basis, runs, theta, S)
    inf_rows, inf_label = _infinite_rows(verdict, faces, S)
    table = pd.DataFrame(fin_rows + inf_rows, columns=COLUMNS)
    labels = np.where(fin_label >= 0, fin_label, inf_label + len(fin_rows))
    labels[(fin_label < 0) & (inf_label < 0)] = -1
    order = np.lexsort((table["at_infinity"].to_numpy(), table["E"].to_numpy()))
    table = table.iloc[order].reset_index(drop=True)
    rank = np.empty(len(order) + 1, np.int64)  # old row -> new row; the extra slot maps -1
    rank[order] = np.arange(len(order))
    rank[-1] = -1
    labels = rank[labels]
    table.attrs.update(
        n_starts=S,
        n_undecided=int(np.sum(labels < 0)),
        n_saturated_undecided=_saturated_count(A, runs.x[labels < 0] @ basis.T, theta, sat_tol),
        n_finite_runs=int(np.sum(fin_label >= 0)),
        n_infinite_runs=int(np.sum(inf_label >= 0)),
    )
    return (table, labels) if return_labels else table


def _saturated_count(A, X, theta, sat_tol) -> int:
    """How many of the end points X have every row saturated (|z_i| >= z_far).

    An undecided run that ends so sits on a saturated plateau (|grad E| below 1e-14, E
    within sat_tol of 4 x the rows on the wrong side) or near a limit at infinity that
    is not a minimum but attracts the descent: a trap for backprop, not a minimum.
    """
    return int(np.all(np.abs(X @ A.T) >= saturation_threshold(theta, sat_tol), axis=1).sum())
