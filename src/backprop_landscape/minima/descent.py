"""The batched descent: damped, saddle-free Newton from every start at once, with its endings.

S starts are descended at once as arrays of shape (S, m), in blocks of CHUNK starts that
stay in cache; each Python loop below runs over iterations, blocks or line-search
trials, never over starts.

* **Descent** is a damped, saddle-free Newton method.  The Hessian is Jacobi-scaled
  (each weight by its own curvature scale), so weights whose rows sit at very different
  depths of the tails are resolved alike.  Fast path, for most steps: plain row terms, a
  Cholesky Newton step (for an indefinite Hessian the saddle-free step
  -V diag(1/((1 + nu)|lambda|)) V' g from ``eigh``), nu a per-start Levenberg-Marquardt
  damping, then Armijo backtracking and step doubling on energy differences summed row
  by row (a row's change within its own rounding counts as none); the step's
  negative-curvature part gets a doubling search of its own while it beats the quadratic
  model.  Every step stays within a trust region (no margin moves by more than
  1 + |z_i|).  The steps and line searches are in :mod:`steps`, the row terms in
  :mod:`kernels`.
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
  again and again (PATIENCE iterations) on a pattern it may not park at (``banned``).

Whether a parked run's face is a minimum is not decided here: see :mod:`faces` and
:mod:`search`.  See ``docs/minima.md``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from threadpoolctl import threadpool_limits

from ..models.neuron import hessian_lipschitz
from ..models.theta import Theta
from .hashing import _pattern_hash, _unique_rows
from .kernels import (
    SAT_TOL,
    RowTerms,
    _excess,
    _grad_hess,
    _log_scaled_weights,
    _outer_rows,
    _plain_rows,
    saturation_threshold,
)
from .steps import (
    PD_RTOL,
    ZTOL,
    _apply,
    _cholesky_solve,
    _eig_parts,
    _line_search,
    _newton_step,
    _plain_line_search,
    _split,
    _trust_cap,
)

RUNNING, FINITE, PARKED, UNDECIDED = 0, 1, 2, 3

MAX_ITER = 200  # iterations per start, shared by all rounds
GTOL = 1e-8  # finite: ||grad E|| <= GTOL * max_i ||a_i||
LOOSE = 1e4  # a stalled run (no decrease representable) is judged with tolerances x LOOSE
FINITE_ZTOL = 1e-7  # finite: the Newton step moves every z_i by <= this (1 + |z_i|)
LOOSE_ZTOL = 1e-5  # ... and a stalled run's by <= this (1 + |z_i|)
PARK_ZTOL = 1e-6  # parked: the free rows' Newton step moves their z by <= this, relative
NULL_RTOL = 1e-9  # eigenvectors moving free margins less than this (relative) span ker A~_F
NU_START, NU_MIN, NU_MAX = 1e-3, 1e-15, 1e8  # damping: each |eigenvalue| times (1 + nu)
MAX_STALLS = 3
KNOWN_RTOL = 1e-7  # finite minimisers closer than this (relative) are one (capture)
CAPTURE_SAFETY = 0.99  # a known minimum must lie this well inside the uniqueness ball
CHUNK = 1024  # starts per block within an iteration (arrays stay in cache, no mmap churn)
PATIENCE = 5  # iterations a resumed run may stay parked on a rejected face


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
# State, tests and bookkeeping
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


@dataclass
class _Problem:
    """What every iteration needs about A~ and theta."""

    A: np.ndarray
    AA: np.ndarray  # outer products of the rows, (n, m^2)
    A2: np.ndarray  # squared entries, for the Jacobi scaling
    live: np.ndarray  # nonzero rows
    all_live: bool
    theta: Theta
    rows: RowTerms  # theta with the rows' targets, for the row kernels
    z_far: float
    z_lin: float
    a_scale: float
    banned: np.ndarray
    lipschitz: float | None  # of the Hessian (None: theta'' not continuous, no capture)


def _finite_test(A, X, z, lam, V, lam_max, coef, log_gnorm, loose, a_scale, far):
    """Positive definite Hessian, negligible gradient, and a Newton step that moves no
    margin z_i by much (:func:`_moves_small`): (mask, Newton-polished x).

    The step is measured in z = A~ x, not in x, so that basins at very different scales
    of x are held to the same standard.
    """
    pd_ = lam[:, 0] > PD_RTOL * lam_max
    p0 = -_apply(V, coef / np.where(pd_[:, None], lam, 1.0))
    small = _moves_small(p0 @ A.T, z, loose, far)
    ok = _finite_ok(lam[:, 0], lam_max, small, log_gnorm, loose, a_scale)
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


def _moves_small(dz, z, loose, far=None):
    """The Newton step's margin moves dz are negligible.

    Every |dz_i| <= FINITE_ZTOL (1 + |z_i|), each margin on its own scale, so that a row
    with a huge input (a margin of 1e7) cannot loosen the test of all the others, nor a
    row deep in its tail at a finite point hold it up.  Starts whose every row is deep
    in a tail (``far``) are held instead to max |dz| <= ZTOL (1 + max |z|): on a saturated
    plateau the Newton step of a Gaussian tail, 1/(4 z), shrinks faster than z grows, and
    only a common absolute scale tells it from convergence.  Stalled runs (``loose``) get
    LOOSE_ZTOL, or LOOSE ZTOL.
    """
    a, abs_z = np.abs(dz), np.abs(z)
    own = np.where(loose, LOOSE_ZTOL, FINITE_ZTOL)[:, None] * (1.0 + abs_z)
    common = np.where(loose, LOOSE, 1.0) * ZTOL * (1.0 + abs_z.max(axis=1))
    per_row = np.all(a <= own, axis=1)
    if far is None:
        return per_row
    return np.where(far, a.max(axis=1) <= common, per_row)


def _finite_ok(lam_min, lam_max, small_moves, log_gnorm, loose, a_scale):
    """The three criteria of the finite test (:func:`_finite_test`), from the extreme
    eigenvalues, whether the Newton step's moves are small (:func:`_moves_small`) and
    log ||g||."""
    scale = np.where(loose, LOOSE, 1.0)
    return (
        (lam_min > PD_RTOL * lam_max) & small_moves & (log_gnorm <= np.log(scale * GTOL * a_scale))
    )


def _banned(patterns, banned_hashes):
    if banned_hashes.size == 0:
        return np.zeros(len(patterns), dtype=bool)
    return np.isin(_pattern_hash(patterns), banned_hashes)


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


# --------------------------------------------------------------------------------------
# One iteration, and the descent
# --------------------------------------------------------------------------------------


def _iterate(pb: _Problem, st: _State, act):
    """One iteration for the running starts ``act``: tests, then a step for the rest.

    The fast path serves most steps: plain row terms, a Newton step from the
    Jacobi-scaled Hessian (Cholesky; for an indefinite Hessian the saddle-free step from
    ``eigh``) and a line search on plain per-row energy differences.  Starts whose every
    row is deep in a tail, and those whose plain line search sees no decrease, take the
    careful path (:func:`_step`): logarithmic row terms, per-direction splitting, energy
    differences summed from logarithms.
    """
    A = pb.A
    X = st.X[act]
    z = X @ A.T
    abs_z = np.abs(z)
    w, c, e, neg = _plain_rows(z, pb.rows)
    L = np.zeros(len(act))
    far = np.min(abs_z if pb.all_live else np.where(pb.live, abs_z, np.inf), axis=1) >= pb.z_lin
    if far.any():  # every row deep in a tail: weights from logarithms, scaled by e^-L
        L[far], w[far], c[far] = _log_scaled_weights(z[far], pb.rows, pb.live)
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
    loose = st.stalls[act] >= MAX_STALLS
    dz_newton = p_newton @ A.T
    moves = np.abs(dz_newton).max(axis=1)
    with np.errstate(divide="ignore"):
        log_gnorm = L + np.log(np.linalg.norm(g, axis=1))

    # the finite test: eigenvalues where Newton converges, eigh where saddle-free steps
    # (indefinite Hessian) or the careful path (far starts) need the eigenvectors anyway
    near = np.flatnonzero(pd & ~far & (moves <= 10.0 * LOOSE * ZTOL * (1.0 + abs_z.max(axis=1))))
    is_finite = np.zeros(len(act), dtype=bool)
    if near.size:
        lam = np.linalg.eigvalsh(Hs[near])
        lam_max = np.maximum(np.abs(lam[:, 0]), np.abs(lam[:, -1]))
        ok = _finite_ok(
            lam[:, 0],
            lam_max,
            _moves_small(dz_newton[near], z[near], loose[near]),
            log_gnorm[near],
            loose[near],
            pb.a_scale,
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
        far[ei],
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
            pb.rows,
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
        _step(A, pb.rows, st, act[slow], X[slow], z[slow], L[slow], g[slow], parts)


def _step(A, rows, st: _State, idx, X, z, L, g, eig):
    """Take the fine part of the Newton step outright, line-search the rest from there."""
    lam, V, lam_max, coef = eig
    old = _excess(z, rows)
    fine, settled = _split(A, L, lam, V, lam_max, coef, old + (np.abs(z).max(axis=1),))
    base = X - _apply(V, np.where(fine, coef / np.where(fine, lam, 1.0), 0.0))
    shifted = np.flatnonzero(fine.any(axis=1))
    if shifted.size:  # the line search starts from the base point
        fresh = _excess(base[shifted] @ A.T, rows)
        old = tuple(o.copy() for o in old)
        for o, f in zip(old, fresh):
            o[shifted] = f
    p, gp = _newton_step(lam, V, lam_max, np.where(fine | settled, 0.0, coef), st.nu[idx], g)
    alpha = _line_search(A, rows, base, p, L, gp, old, _trust_cap(A, z, p))
    moved = (alpha > 0) | fine.any(axis=1)
    _record(st, idx, base + alpha[:, None] * p, z, alpha, moved)


def descend(
    A_tilde,
    starts,
    theta: Theta,
    *,
    targets=None,
    max_iter=MAX_ITER,
    sat_tol=SAT_TOL,
    banned=None,
):
    """Descend every start at once until it is finite, parked at a face, or undecided.

    Parameters
    ----------
    A_tilde : (n, m) array
        Reduced matrix; it should have full column rank (see :func:`find_minima`).
    starts : (S, m) array
    theta : Theta
    targets : (n,) array, optional
        The rows' sign-flipped targets t (None: the hard targets, all 1).
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
        RowTerms(theta, targets),
        saturation_threshold(theta, sat_tol),
        theta.linear_range,
        float(np.max(np.linalg.norm(A, axis=1))),
        banned,
        hessian_lipschitz(A, theta, targets),
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
