"""Every local minimum of E, finite and at infinity, by vectorised multistart descent.

S starts are descended at once as arrays of shape (S, m); each Python loop below runs
over iterations or line-search trials, never over starts.

* **Starts** spread over directions (uniform on the sphere) and over scales (radii
  log-uniform in [r_min, r_max]), since basins can sit at very different scales.
* **Descent** is a damped, saddle-free Newton method: the step is -V diag(1/((1 + nu)
  |lambda|)) V' g from the eigen-decomposition of the Hessian (batched ``eigh`` on
  (S, m, m)), nu a per-start Levenberg-Marquardt-style damping applied relative to each
  eigenvalue (so basins at scales 1000x apart are damped alike), then an Armijo
  backtracking line search, and step doubling while a full step beats the quadratic
  model (concave stretches, tails).  Directions whose Newton gain is below the rounding
  noise of E are stepped without a line search (quadratic convergence), and directions
  already converged are left alone, so their noise cannot veto a real decrease elsewhere.
* **Numerics at infinity.**  A start with every row deep in a tail forms gradient and
  Hessian scaled by exp(-L), L its largest log row weight (from theta's stable
  logarithms); energy differences are summed from per-row tail terms computed as
  logarithms.  So Newton steps and line searches stay exact where E is flat to within
  1e-300 (far starts on saturated plateaus); the Newton step is scale-invariant.
* **Endings.** (a) *finite*: Hessian positive definite and the Newton step (and gradient)
  negligible; (b) *parked at a face*: some rows saturated (|z_i| >= z_far, where
  1 - theta(z_far) = sat_tol), none of them moving back, E still decreasing, and the
  free rows' own Newton step negligible -- the run has reached the pattern of a limit at
  infinity; (c) *undecided*: budget exhausted or stalled.  Parked runs are judged
  exactly by :func:`faces.analyse_face` per distinct candidate (not per start); runs on a
  face that is not a minimum resume their descent with that pattern banned.

Duplicates are merged by their points in clos TV: finite minima by z = A~ x (scale-free,
and immune to the "subspace singularity" of a rank-deficient A~), minima at infinity by
their pattern and exact limit z.  See ``docs/minima.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd
from scipy.optimize import brentq
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from .faces import SAT_TOL, analyse_faces, saturation_threshold
from .landscape import energy
from .theta import Theta, get_theta

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
# Starts
# --------------------------------------------------------------------------------------


def sample_starts(m: int, n_starts: int, seed=0, r_min: float = 1e-2, r_max: float = 1e2):
    """n_starts points in R^m: unit directions uniform on the sphere, radii log-uniform.

    ``seed`` is an int or a numpy Generator.
    """
    if not (0 < r_min <= r_max and np.isfinite(r_max)):
        raise ValueError(f"need 0 < r_min <= r_max < inf; got r_min={r_min!r}, r_max={r_max!r}")
    if n_starts < 1 or m < 1:
        raise ValueError(f"need n_starts >= 1 and m >= 1; got {n_starts!r}, {m!r}")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    directions = rng.standard_normal((n_starts, m))
    norms = np.linalg.norm(directions, axis=1, keepdims=True)
    directions /= np.where(norms > 0, norms, 1.0)  # a zero draw has probability 0
    radii = np.exp(rng.uniform(np.log(r_min), np.log(r_max), n_starts))
    return directions * radii[:, None]


# --------------------------------------------------------------------------------------
# Scaled Newton system and stable energy differences
# --------------------------------------------------------------------------------------


def _scaled_weights(z, theta: Theta, live, z_lin):
    """(L, w, c): residual weights w = (1-theta) theta' and curvatures c, both times e^-L.

    Only ``live`` (nonzero) rows count: a zero row adds nothing to g or H.  A start with
    some live row inside |z| < z_lin has weights far above underflow, so L = 0 and plain
    values do.  A start whose every live row is deeper in a tail takes logarithms, with L
    its largest log weight or log |curvature|, so that its largest entry is 1; the Newton
    step -H^-1 g does not depend on the scale.
    """
    far = np.min(np.where(live, np.abs(z), np.inf), axis=1) >= z_lin
    L = np.zeros(len(z))
    w, c = np.zeros_like(z), np.zeros_like(z)
    near = ~far
    if near.any():
        zn = z[near]
        om, d1 = theta.one_minus(zn), theta.d1(zn)
        w[near] = np.where(live, om * d1, 0.0)
        c[near] = np.where(live, d1 * d1 - om * theta.d2(zn), 0.0)
    if far.any():
        L[far], w[far], c[far] = _log_scaled_weights(z[far], theta, live)
    return L, w, c


def _log_scaled_weights(z, theta: Theta, live):
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


def _grad_hess(A, w, c):
    """Scaled gradient -2 A' w and Hessian 2 A' diag(c) A for each start."""
    g = -2.0 * w @ A
    H = 2.0 * (A.T[None, :, :] * c[:, None, :]) @ A
    return g, H


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


def _apply(M, v):
    """M_k v_k for stacks of matrices (k, a, b) and vectors (k, b): batched matmul."""
    return (M @ v[:, :, None])[:, :, 0]


def _eig_parts(H, g):
    """eigh of each H, the largest |eigenvalue|, and g in the eigenbasis."""
    lam, V = np.linalg.eigh(H)
    lam_max = np.maximum(np.abs(lam[:, 0]), np.abs(lam[:, -1]))
    coef = _apply(np.swapaxes(V, 1, 2), g)
    return lam, V, lam_max, coef


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
    has a tiny but genuine curvature, and its Newton step must count.
    """
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


def _iterate(A, theta, st: _State, act, z_far, z_lin, a_scale, banned):
    """One iteration for the running starts ``act``: classify, then step the rest."""
    X = st.X[act]
    z = X @ A.T
    L, w, c = _scaled_weights(z, theta, np.any(A != 0, axis=1), z_lin)
    g, H = _grad_hess(A, w, c)
    lam, V, lam_max, coef = _eig_parts(H, g)
    loose = st.stalls[act] >= MAX_STALLS
    with np.errstate(divide="ignore"):
        log_gnorm = L + np.log(np.linalg.norm(g, axis=1))

    finite, polished = _finite_test(A, X, z, lam, V, lam_max, coef, log_gnorm, loose, a_scale)
    st.X[act[finite]] = polished[finite]
    st.status[act[finite]] = FINITE

    sat = np.abs(z) >= z_far
    sigma = (np.sign(z) * sat).astype(np.int8)
    outward = np.all((sigma * (z - st.Z_prev[act]) >= 0) | ~sat, axis=1)
    cand = np.flatnonzero(~finite & sat.any(axis=1) & ((outward & st.decreased[act]) | loose))
    if cand.size:
        conv = _free_converged(A, z[cand], w[cand], c[cand], ~sat[cand], loose[cand])
        park = cand[conv & ~_banned(sigma[cand], banned)]
        st.status[act[park]] = PARKED
        st.sigma[act[park]] = sigma[park]

    st.status[act[loose & (st.status[act] == RUNNING)]] = UNDECIDED  # stalled, unresolved
    move = np.flatnonzero(st.status[act] == RUNNING)
    if move.size:
        eig = (lam[move], V[move], lam_max[move], coef[move])
        _step(A, theta, st, act[move], X[move], z[move], L[move], g[move], eig)


def _trust_cap(A, z, p):
    """Largest step length that moves no margin by more than Z_TRUST (1 + |z_i|).

    The quadratic model of (1 - theta)^2 holds over about one unit of z near 0 and, in
    the tails, over a fixed fraction of |z| (they are nearly scale-free there).  Without
    this trust region a concave stretch, doubled again and again, can leap out of the
    basin that a gradient flow would stay in.
    """
    reach = (np.abs(p @ A.T) / (1.0 + np.abs(z))).max(axis=1)
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
    st.Z_prev[idx] = z
    st.X[idx] = base + alpha[:, None] * p
    st.decreased[idx] = moved
    st.nu[idx] = np.where(
        alpha >= 1.0,
        np.maximum(st.nu[idx] * 0.1, NU_MIN),
        np.minimum(st.nu[idx] * np.where(alpha > 0, 10.0, 100.0), NU_MAX),
    )
    st.stalls[idx] = np.where(moved, 0, st.stalls[idx] + 1)


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
    )
    z_far = saturation_threshold(theta, sat_tol)
    z_lin = _linear_range(theta)
    a_scale = float(np.max(np.linalg.norm(A, axis=1)))
    while True:
        act = np.flatnonzero(st.status == RUNNING)
        spent = act[st.iterations[act] >= budget[act]]
        st.status[spent] = UNDECIDED
        act = act[st.iterations[act] < budget[act]]
        if not act.size:
            break
        st.iterations[act] += 1
        _iterate(A, theta, st, act, z_far, z_lin, a_scale, banned)
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
    _, first, labels = np.unique(key, axis=0, return_index=True, return_inverse=True)
    return labels.ravel(), idx[first]


def _judge_parked(A, B, basis, runs, verdict, faces, theta, sat_tol):
    """Analyse each parked bucket once (all in one batch); return rejected patterns and runs."""
    idx = np.flatnonzero((runs.status == PARKED) & (verdict < 0))
    if not idx.size:
        return [], idx
    labels, reps = _parked_groups(B, runs, idx, theta)
    results = analyse_faces(A, runs.sigma[reps], theta, runs.x[reps] @ basis.T, sat_tol=sat_tol)
    rejected, resume = [], []
    for g, (rep, res) in enumerate(zip(reps, results)):
        members = idx[labels == g]
        if res.is_minimum:
            faces.append(res)
            verdict[members] = len(faces) - 1
        else:
            rejected.append(runs.sigma[rep])
            resume.append(members)
    return rejected, np.concatenate(resume) if resume else np.zeros(0, np.int64)


def _descend_in_rounds(A, B, basis, U, theta, max_iter, max_rounds, resume_iter, sat_tol):
    runs = descend(B, U, theta, max_iter=max_iter, sat_tol=sat_tol)
    verdict = np.full(len(U), -1)
    faces: list = []
    banned = np.zeros((0, A.shape[0]), np.int8)
    for round_ in range(max_rounds):
        rejected, resume = _judge_parked(A, B, basis, runs, verdict, faces, theta, sat_tol)
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
    _, first, inverse = np.unique(
        np.round(points, Z_DECIMALS), axis=0, return_index=True, return_inverse=True
    )
    reps = points[first]
    radius = MERGE_TOL * (1.0 + np.abs(reps).max())
    pairs = cKDTree(reps).query_pairs(radius, p=np.inf, output_type="ndarray")
    graph = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(len(reps),) * 2)
    _, joined = connected_components(graph, directed=False)
    return joined[inverse.ravel()]


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
    for lab in np.unique(labels):
        group = np.flatnonzero(labels == lab)
        f = faces[group[0]]
        count = int(np.isin(verdict, group).sum())
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
    n_starts, seed, r_min, r_max
        Starts from :func:`sample_starts` (seed: int or numpy Generator), unless
        ``starts`` (an (S, m) array) is given.
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
        parked on a face that is not a minimum in the last round), ``n_finite_runs`` and
        ``n_infinite_runs``; basin fractions sum to 1 - n_undecided / n_starts.
    """
    theta = get_theta(theta) if isinstance(theta, str) else theta
    A = np.asarray(A_tilde, dtype=float)
    if A.ndim != 2 or not np.all(np.isfinite(A)):
        raise ValueError(f"A~ must be a finite n x m matrix; got shape {A.shape}")
    if starts is None:
        starts = sample_starts(A.shape[1], n_starts, seed, r_min, r_max)
    starts = np.asarray(starts, dtype=float)
    if starts.ndim != 2 or starts.shape[1] != A.shape[1] or not np.isfinite(starts).all():
        raise ValueError(f"starts must be a finite (S, {A.shape[1]}) array; got {starts.shape}")
    basis = _column_basis(A)  # descend in the row space: a rank-deficient A~ adds flat x
    B = A @ basis
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
        n_finite_runs=int(np.sum(fin_label >= 0)),
        n_infinite_runs=int(np.sum(inf_label >= 0)),
    )
    return (table, labels) if return_labels else table
