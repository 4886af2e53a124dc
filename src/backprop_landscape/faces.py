"""Minima at infinity as faces of the cube [-1, 1]^n, decided exactly.

A descending path with ||x|| -> inf ends at a point of clos TV.  Its rows split into the
*saturated* rows S, where (A~ x)_i -> sigma_i * inf and theta -> sigma_i = +-1, and the
*free* rows F, which stay bounded.  Such a limit exists exactly when the pattern sigma is
feasible: some direction d has sigma_i a_i . d > 0 on S and A~_F d = 0 (a linear program).
The limit point is then (sigma on S, theta(A~_F x*) on F), with

    E_limit = 4 #{i in S: sigma_i = -1} + E_F(x*),   E_F(x) = sum_{i in F} (1 - theta(a_i . x))^2,

and it is a local minimum of E on clos TV (Sontag's "local minimum at infinity") when

1. x* is a local minimum of the reduced problem E_F (which only sees x modulo ker A~_F);
2. no nearby point does better.  Near the limit E - E_limit is, to leading order,
   sum_{sigma_j = +1} (1 - theta(z_j))^2 - sum_{sigma_i = -1} (1 + theta(z_i))(3 - theta(z_i)):
   rows at +1 add tail terms, rows at -1 subtract them (see :mod:`tails`).  For
   1 - theta ~ C z^-p exp(-k z^q) with k > 0, a row i at -1 beats every row at +1 along a
   direction d of the face's cone when 2^(1/q) s_j + s_i > 0 for all j (s = A~ d): its
   tail exp(-k |s_i t|^q) outlives their exp(-2k (s_j t)^q).  Whether such a d exists is a
   linear program per row at -1 (:func:`face_margins`).  For power tails (k = 0) a row at
   -1 always wins (z^-p against z^-2p).

Nothing is evaluated at a large x.  The many small linear programs of a multistart run are
solved together: independent blocks, each maximising its own last variable, stacked
block-diagonally into one HiGHS call per few thousand rows.  See ``docs/minima.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy.linalg import null_space
from scipy.optimize import brentq, linprog
from scipy.sparse import coo_matrix

from .landscape import energy, hessian
from .tails import limit_is_minimum
from .theta import Theta

SAT_TOL = 1e-6  # a row is saturated once 1 - theta(|z|) <= SAT_TOL
RANK_RTOL = 1e-10  # singular values below this (relative) count as zero
MARGIN_TOL = 1e-7  # LP margins within this of zero are ties (slopes are normalised to >= 1)
TAU_TOL = 1e-9  # LP slopes below this times the largest row 1-norm count as zero
CHECK_TOL = 1e-7  # constraint slack allowed when re-checking a pruned LP's solution
PD_RTOL = 1e-13  # Hessian eigenvalues must exceed this times the largest one (~500 eps)
MAX_LP_ROWS = 1500  # rows per stacked LP
PRUNE_CONE, PRUNE_BEAT = 3, 2  # pruned margin LPs keep this many times m rows of each kind
SAMPLES = 64  # random directions per face tried before its margin LPs
FIRST_ROWS = 2  # rows at -1 per face whose margin LPs are solved in the first pass


@dataclass(frozen=True)
class FaceResult:
    """Verdict on a candidate minimum at infinity.

    Attributes
    ----------
    sigma : ndarray of int
        The (possibly refined) pattern: +1 / -1 on saturated rows, 0 on free rows.
    status : str
        ``"minimum"``; ``"infeasible"`` (no direction realises sigma); ``"saddle"`` (the
        reduced problem has no local minimum there); ``"not_minimum"`` (nearby points of
        clos TV have lower E); ``"tie"`` (leading tail rates tie along some ray: decided by
        the tails' coefficients along that ray only); ``"undecided"`` (the reduced
        descent did not settle).
    is_minimum : bool
    E_limit : float
        Exact limiting E (NaN when infeasible).
    z_limit : ndarray
        The limit point in clos TV: sigma on S, theta(A~_F x_base) on F.
    x_base, direction : ndarray
        A ray x_base + t * direction (t -> inf) that reaches the limit; direction is a unit
        vector maximising the smallest saturated slope under |d|_inf <= 1.
    ray_from_above : bool or None
        Tail verdict (:func:`tails.limit_is_minimum`) along that ray.
    margin : float
        Largest LP margin of a row at -1 (> 0: a ray on which E approaches from below).
    reason : str
    """

    sigma: np.ndarray
    status: str
    is_minimum: bool
    E_limit: float
    z_limit: np.ndarray
    x_base: np.ndarray
    direction: np.ndarray
    ray_from_above: bool | None
    margin: float
    reason: str


@dataclass(frozen=True)
class ReducedMinimum:
    """Outcome of descending the reduced problem E_F from a start.

    ``status`` is ``"finite"`` (x_base is a local minimum of E_F, PD on the row space of
    A~_F), ``"escaped"`` (some free rows saturate too: ``escaped`` holds their signs,
    0 elsewhere, one entry per free row) or ``"undecided"``.
    """

    status: str
    x_base: np.ndarray
    z_free: np.ndarray
    E_free: float
    escaped: np.ndarray


# --------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------


@lru_cache(maxsize=64)
def _threshold(theta: Theta, sat_tol: float) -> float:
    target = np.log(sat_tol)
    hi = 1.0
    while theta.log_one_minus(hi) > target:
        hi *= 2.0
    return float(brentq(lambda z: theta.log_one_minus(z) - target, 0.0, hi, xtol=1e-12))


def saturation_threshold(theta: Theta, sat_tol: float = SAT_TOL) -> float:
    """z_far with 1 - theta(z_far) = sat_tol: beyond it a row counts as saturated.

    For the default 1e-6: tanh 7.25, erf 3.46, atan 6.4e5, softsign 1e6.
    """
    if not 0.0 < sat_tol < 1.0:
        raise ValueError(f"sat_tol must lie in (0, 1); got {sat_tol!r}")
    return _threshold(theta, float(sat_tol))


def _as_matrix(A_tilde) -> np.ndarray:
    A = np.asarray(A_tilde, dtype=float)
    if A.ndim != 2 or not np.all(np.isfinite(A)):
        raise ValueError(f"A~ must be a finite n x m matrix; got shape {A.shape}")
    return A


def _as_patterns(sigmas, n: int) -> np.ndarray:
    sigmas = np.array(sigmas, ndmin=2)
    if sigmas.shape[1:] != (n,) or not np.isin(sigmas, (-1, 0, 1)).all():
        raise ValueError(f"each sigma must hold -1, 0 or +1 for each of the {n} rows")
    if not np.all(np.any(sigmas != 0, axis=1)):
        raise ValueError("a sigma saturates no row: that is a finite point, not a face")
    return sigmas.astype(np.int64)


def _row_space(M: np.ndarray) -> np.ndarray:
    """Orthonormal basis (columns) of the row space of M; shape (m, rank)."""
    if M.shape[0] == 0:
        return np.zeros((M.shape[1], 0))
    _, s, vt = np.linalg.svd(M, full_matrices=False)
    rank = int(np.sum(s > RANK_RTOL * max(s.max(initial=0.0), np.finfo(float).tiny)))
    return vt[:rank].T


def _row_scale(A) -> float:
    return float(np.max(np.sum(np.abs(A), axis=1)))


def face_slopes(A_tilde, sigma, direction) -> np.ndarray:
    """s = A~ d with the free rows' slopes set to exactly 0 (they are 0 up to rounding)."""
    A = _as_matrix(A_tilde)
    sigma = _as_patterns(sigma, A.shape[0])[0]
    return np.where(sigma != 0, A @ np.asarray(direction, dtype=float), 0.0)


# --------------------------------------------------------------------------------------
# Many small LPs in one call
# --------------------------------------------------------------------------------------


@dataclass
class _Group:
    """k independent LP blocks of one shape: max x[-1] s.t. M x <= b, lo <= x <= hi."""

    M: np.ndarray  # (k, r, w)
    b: np.ndarray  # (k, r)
    lo: np.ndarray  # (w,)
    hi: np.ndarray  # (w,)


def _solve_groups(groups: list[_Group]) -> list[np.ndarray]:
    """Solve every block of every group; return per group a (k, w) array (NaN: infeasible).

    Blocks share no variable, so maximising the sum of their last variables optimises
    each one: blocks are stacked block-diagonally, MAX_LP_ROWS rows per HiGHS call.
    """
    pieces = []  # (group index, slice of its blocks)
    for g, grp in enumerate(groups):
        k, r, _ = grp.M.shape
        step = max(1, MAX_LP_ROWS // max(r, 1))
        pieces += [(g, slice(s, min(s + step, k))) for s in range(0, k, step)]
    out = [np.full(grp.M.shape[::2], np.nan) for grp in groups]
    batch, rows = [], 0
    for g, sl in pieces:
        size = groups[g].M[sl].shape[0] * groups[g].M.shape[1]
        if batch and rows + size > MAX_LP_ROWS:
            _solve_batch(groups, batch, out)
            batch, rows = [], 0
        batch.append((g, sl))
        rows += size
    if batch:
        _solve_batch(groups, batch, out)
    return out


def _solve_batch(groups, batch, out):
    rows, cols, data, b, lo, hi, c = [], [], [], [], [], [], []
    row0 = col0 = 0
    for g, sl in batch:
        grp = groups[g]
        M = grp.M[sl]
        k, r, w = M.shape
        kk, rr, ww = np.nonzero(M)
        rows.append(row0 + kk * r + rr)
        cols.append(col0 + kk * w + ww)
        data.append(M[kk, rr, ww])
        b.append(grp.b[sl].ravel())
        lo.append(np.tile(grp.lo, k))
        hi.append(np.tile(grp.hi, k))
        c.append(np.tile(np.r_[np.zeros(w - 1), -1.0], k))
        row0, col0 = row0 + k * r, col0 + k * w
    A_ub = coo_matrix(
        (np.concatenate(data), (np.concatenate(rows), np.concatenate(cols))), shape=(row0, col0)
    ).tocsr()
    res = linprog(
        np.concatenate(c),
        A_ub=A_ub,
        b_ub=np.concatenate(b),
        bounds=np.c_[np.concatenate(lo), np.concatenate(hi)],
        method="highs",
        options={"presolve": False},  # the blocks are tiny and already clean
    )
    if res.status == 2:  # some block is infeasible: find it by solving the blocks apart
        singles = [(g, slice(j, j + 1)) for g, sl in batch for j in range(sl.start, sl.stop)]
        if len(singles) > 1:
            for single in singles:
                _solve_batch(groups, [single], out)
        return  # a lone infeasible block keeps its NaN row
    if res.status != 0:
        raise RuntimeError(f"face LP failed: {res.message}")
    col0 = 0
    for g, sl in batch:
        k, _, w = groups[g].M[sl].shape
        out[g][sl] = res.x[col0 : col0 + k * w].reshape(k, w)
        col0 += k * w


def _free_rows(A, free):
    """A~_F d = 0 written as the row pairs +-a_k . d <= 0 (zero rows elsewhere); (n, 2, m)."""
    pair = np.stack([A, -A], axis=1)
    return np.where(free[:, None, None], pair, 0.0)


# --------------------------------------------------------------------------------------
# (i) feasibility and a direction; (iii) margins of the rows at -1; free rows
# --------------------------------------------------------------------------------------


def face_directions(A_tilde, sigmas) -> tuple[np.ndarray, np.ndarray]:
    """(feasible, unit direction) per pattern; NaN directions where infeasible.

    One block per pattern: max tau s.t. sigma_k a_k . d >= tau on S, A~_F d = 0,
    |d|_inf <= 1, tau <= 1.  The pattern is feasible iff tau > 0.
    """
    A = _as_matrix(A_tilde)
    sigmas = _as_patterns(sigmas, A.shape[0])
    n, m = A.shape
    blocks = []
    for sigma in sigmas:
        sat = sigma != 0
        rows = _free_rows(A, ~sat)  # (n, 2, m)
        rows[sat, 0] = -(sigma[sat, None] * A[sat])
        tau = np.zeros((n, 2, 1))
        tau[sat, 0] = 1.0
        blocks.append(np.concatenate([rows, tau], axis=2).reshape(2 * n, m + 1))
    grp = _Group(
        np.array(blocks),
        np.zeros((len(blocks), 2 * n)),
        np.r_[-np.ones(m), -np.inf],
        np.r_[np.ones(m), 1.0],
    )
    x = _solve_groups([grp])[0]
    feasible = x[:, -1] > TAU_TOL * _row_scale(A)
    d = x[:, :-1]
    norms = np.linalg.norm(d, axis=1, keepdims=True)
    return feasible, np.where(feasible[:, None], d / np.where(norms > 0, norms, 1.0), np.nan)


def _margin_group(A, sigma, direction, factor, minus, prune):
    """Blocks max t s.t. t <= factor s_j + s_i (sigma_j = +1), sigma_k s_k >= 1 (k in S),
    A~_F d = 0, t <= 1, one per row i in ``minus``; optionally keeping only the cone and
    beat rows that bind first along ``direction`` (a relaxation: an upper bound on t).
    """
    m = A.shape[1]
    sat, plus = sigma != 0, np.flatnonzero(sigma == 1)
    cone = np.flatnonzero(sat)
    if prune:
        g = sigma[cone, None] * A[cone]
        cone = cone[np.argsort(g @ direction / np.linalg.norm(g, axis=1))[: PRUNE_CONE * m]]
        plus = plus[np.argsort(A[plus] @ direction)[: PRUNE_BEAT * m]]
    free = _free_rows(A, ~sat)[~sat].reshape(-1, m)
    k = minus.size
    M_cone = np.c_[-(sigma[cone, None] * A[cone]), np.zeros(cone.size)]
    M_free = np.c_[free, np.zeros(len(free))]
    M_beat = np.concatenate(
        [-(factor * A[plus][None, :, :] + A[minus][:, None, :]), np.ones((k, plus.size, 1))], axis=2
    )
    M = np.concatenate(
        [
            np.broadcast_to(M_cone, (k,) + M_cone.shape),
            np.broadcast_to(M_free, (k,) + M_free.shape),
            M_beat,
        ],
        axis=1,
    )
    b = np.r_[-np.ones(cone.size), np.zeros(len(free) + plus.size)]
    return _Group(
        M, np.broadcast_to(b, (k, b.size)), np.full(m + 1, -np.inf), np.r_[np.full(m, np.inf), 1.0]
    )


def _violated(A, sigma, x, factor, minus) -> np.ndarray:
    """Which solutions x = (d, t), one per row at -1, break a constraint of the full LP."""
    d, t = x[:, :-1], x[:, -1]
    s = d @ A.T  # (k, n)
    sat = sigma != 0
    scale = CHECK_TOL * np.maximum(1.0, np.abs(s).max(axis=1))
    cone_bad = np.any((sigma[sat] * s[:, sat]) < 1.0 - scale[:, None], axis=1)
    free_bad = np.any(np.abs(s[:, ~sat]) > scale[:, None], axis=1)
    beat = factor * s[:, sigma == 1] + s[np.arange(len(minus)), minus][:, None]
    beat_bad = np.any(t[:, None] > beat + scale[:, None], axis=1)
    return cone_bad | free_bad | beat_bad


def _sampled_witnesses(A, sigmas, directions, factor, n_samples=SAMPLES):
    """Cheap rejections before any LP: random directions in each face's open cone.

    Directions d = d0 + r K u (d0 the face's direction, K a basis of ker A~_F, u Gaussian,
    r from 0.03 to 3) that keep sigma_k s_k > 0 on S are rescaled so min sigma_k s_k = 1,
    i.e. into the margin LP's feasible set, and scored by max_i min_j factor s_j + s_i.
    A positive score is an exact witness (a ray on which E approaches from below); a
    non-positive one proves nothing, and the LP decides.  Returns (score, d) per face.
    """
    rng = np.random.default_rng(0)  # fixed: the verdicts must not depend on call order
    radii = np.geomspace(0.03, 3.0, n_samples)[:, None]
    out = []
    for sigma, d0 in zip(sigmas, directions):
        sat, plus, minus = sigma != 0, sigma == 1, sigma == -1
        K = null_space(A[~sat]) if (~sat).any() else np.eye(A.shape[1])
        d = d0 + radii * (rng.standard_normal((n_samples, K.shape[1])) @ K.T)
        s = d @ A.T
        lowest = np.min(sigma[sat] * s[:, sat], axis=1)
        ok = lowest > 0
        if not ok.any() or not plus.any():
            out.append((-np.inf, None))
            continue
        s, d = s[ok] / lowest[ok, None], d[ok] / lowest[ok, None]
        score = factor * s[:, plus].min(axis=1) + s[:, minus].max(axis=1)
        best = int(np.argmax(score))
        out.append((min(float(score[best]), 1.0), d[best]))
    return out


def face_margins(A_tilde, sigmas, directions, theta: Theta):
    """Largest margin by which a row at -1 beats every row at +1, per feasible pattern.

    Per row i at -1 the block LP

        max t  s.t.  t <= 2^(1/q) s_j + s_i  (sigma_j = +1),
                     sigma_k s_k >= 1 (k in S),  A~_F d = 0,  t <= 1,   s = A~ d.

    The constraint set is the face's cone scaled so that every saturated row grows at
    least at unit rate -- "near the limit point" for all saturated rows at once.  t > 0:
    along d the -1 row's tail outlives every +1 row's, so E approaches the limit from
    below (not a minimum); t < 0 for every such row: the +1 rows dominate everywhere near
    the limit.  Returns (margin, witness d) per pattern: -inf / None with no row at -1,
    +inf for power tails (k = 0).  The LPs are first solved with only the rows that bind
    first along ``directions`` (a relaxation, so a negative optimum is final); a positive
    one is re-checked against every row and re-solved in full if it breaks one.
    """
    A = _as_matrix(A_tilde)
    sigmas = _as_patterns(sigmas, A.shape[0])
    k, m = len(sigmas), A.shape[1]
    margins, witnesses = np.full(k, -np.inf), np.full((k, m), np.nan)
    has_minus = np.any(sigmas == -1, axis=1)
    if theta.tail.k == 0:
        margins[has_minus] = np.inf
        witnesses[has_minus] = np.asarray(directions)[has_minus]
        return margins, witnesses
    factor = 2.0 ** (1.0 / theta.tail.q)
    faces = np.flatnonzero(has_minus)
    directions = np.asarray(directions, dtype=float)
    found = _sampled_witnesses(A, sigmas[faces], directions[faces], factor)
    for f, (t, d) in zip(faces, found):
        if t > MARGIN_TOL:
            margins[f], witnesses[f] = t, d
    faces = faces[~(margins[faces] > MARGIN_TOL)]
    # Rows at -1 in order of danger along the face's direction (least saturated first):
    # one LP each for the first few settles most faces that are not minima.
    order = {f: _by_danger(A, sigmas[f], directions[f]) for f in faces}
    for rows in (lambda f: order[f][:FIRST_ROWS], lambda f: order[f][FIRST_ROWS:]):
        todo = [f for f in faces if not margins[f] > MARGIN_TOL and len(rows(f))]
        solved = _margin_lps(A, [(sigmas[f], directions[f], rows(f)) for f in todo], factor)
        for f, x in zip(todo, solved):
            best = int(np.argmax(x[:, -1]))
            if margins[f] == -np.inf or x[best, -1] > margins[f]:
                margins[f], witnesses[f] = x[best, -1], x[best, :-1]
    return margins, witnesses


def _by_danger(A, sigma, direction) -> np.ndarray:
    """Rows at -1 sorted by their slope along ``direction``, least saturated first."""
    minus = np.flatnonzero(sigma == -1)
    return minus[np.argsort(-(A[minus] @ direction))]


def _margin_lps(A, jobs, factor) -> list[np.ndarray]:
    """Solve the margin blocks of each job (sigma, direction, rows at -1); exact optima.

    Pruned LPs first; an optimum >= -MARGIN_TOL whose solution breaks a dropped row is
    re-solved with every row (a negative optimum of the relaxation is already final).
    """
    if not jobs:
        return []
    solved = _solve_groups([_margin_group(A, s, d, factor, rows, True) for s, d, rows in jobs])
    redo = [
        j
        for j, ((sigma, _, rows), x) in enumerate(zip(jobs, solved))
        if np.any((x[:, -1] >= -MARGIN_TOL) & _violated(A, sigma, x, factor, rows))
    ]
    full = (
        _solve_groups([_margin_group(A, jobs[j][0], None, factor, jobs[j][2], False) for j in redo])
        if redo
        else []
    )
    for j, x in zip(redo, full):
        solved[j] = x
    for x in solved:
        if np.isnan(x[:, -1]).any():
            raise RuntimeError("margin LP infeasible for a pattern found feasible")
    return solved


def pushable_rows(A_tilde, sigmas) -> list[np.ndarray]:
    """Per pattern, the free rows that a direction pushes to +inf with the others fixed.

    One block per free nonzero row i: max tau s.t. a_i . d >= tau, A~_{F minus i} d = 0,
    sigma_S A~_S d >= 0, |d|_inf <= 1, tau <= 1; row i is pushable iff tau > 0.  Such a
    row would lower E by its whole error (1 - theta)^2 > 0, so the face is not a minimum.
    (At a critical point x* of E_F this cannot happen: grad E_F(x*) . d = -2 w_i a_i . d < 0.)
    """
    A = _as_matrix(A_tilde)
    sigmas = _as_patterns(sigmas, A.shape[0])
    n, m = A.shape
    groups, owners = [], []
    for sigma in sigmas:
        sat = sigma != 0
        rows = [i for i in np.flatnonzero(~sat) if np.any(A[i] != 0)]
        owners.append(np.array(rows, np.int64))
        if not rows:
            continue
        base = _free_rows(A, ~sat)
        base[sat, 0] = -(sigma[sat, None] * A[sat])
        M = np.zeros((len(rows), n, 2, m + 1))
        M[..., :m] = base
        for b, i in enumerate(rows):
            M[b, i] = 0.0
            M[b, i, 0] = np.r_[-A[i], 1.0]
        groups.append(
            _Group(
                M.reshape(len(rows), 2 * n, m + 1),
                np.zeros((len(rows), 2 * n)),
                np.r_[-np.ones(m), -np.inf],
                np.r_[np.ones(m), 1.0],
            )
        )
    solved = iter(_solve_groups(groups)) if groups else iter(())
    tol = TAU_TOL * _row_scale(A)
    return [rows[next(solved)[:, -1] > tol] if rows.size else rows for rows in owners]


# --------------------------------------------------------------------------------------
# (ii) the reduced problem on the free rows
# --------------------------------------------------------------------------------------


def reduced_minimum(A_tilde, sigma, theta: Theta, x0=None, *, sat_tol=SAT_TOL) -> ReducedMinimum:
    """Descend E_F from x0 in the row space of A~_F (E_F is constant along ker A~_F).

    Uses the batched descent of :mod:`multistart` on the reduced matrix A~_F Q, Q an
    orthonormal basis of that row space, so a reduced minimum is nondegenerate there.
    """
    from .multistart import FINITE, PARKED, descend  # multistart imports this module

    A = _as_matrix(A_tilde)
    sigma = _as_patterns(sigma, A.shape[0])[0]
    free = sigma == 0
    m = A.shape[1]
    x0 = np.zeros(m) if x0 is None else np.asarray(x0, dtype=float)
    Q = _row_space(A[free])
    n_free = int(free.sum())
    none = np.zeros(n_free, dtype=np.int64)
    if Q.shape[1] == 0:  # every free row is zero: E_F = #F, constant
        return ReducedMinimum("finite", np.zeros(m), np.zeros(n_free), float(n_free), none)
    M = A[free] @ Q
    runs = descend(M, (Q.T @ x0)[None, :], theta, sat_tol=sat_tol)
    u = runs.x[0]
    z_free = M @ u
    if runs.status[0] == FINITE:
        return ReducedMinimum("finite", Q @ u, z_free, float(energy(M, u, theta)), none)
    if runs.status[0] == PARKED:
        return ReducedMinimum("escaped", Q @ u, z_free, np.nan, runs.sigma[0].astype(np.int64))
    return ReducedMinimum("undecided", Q @ u, z_free, np.nan, none)


def _reduced_is_minimum(A, sigma, reduced: ReducedMinimum, theta: Theta) -> bool:
    """Hessian of E_F at x_base positive definite on the row space of A~_F."""
    free = sigma == 0
    Q = _row_space(A[free])
    if Q.shape[1] == 0:
        return True
    M = A[free] @ Q
    lam = np.linalg.eigvalsh(hessian(M, Q.T @ reduced.x_base, theta))
    return bool(lam[0] > PD_RTOL * max(abs(lam[-1]), np.finfo(float).tiny))


# --------------------------------------------------------------------------------------
# The whole decision
# --------------------------------------------------------------------------------------


def _ray_verdict(A, sigma, direction, theta) -> bool | None:
    """Tail verdict along x_base + t d; None when the leading terms cancel exactly."""
    try:
        return bool(limit_is_minimum(face_slopes(A, sigma, direction), theta))
    except ValueError:
        return None


@dataclass
class _Candidate:
    """A feasible face with its reduced minimum, waiting for the margin and push tests."""

    sigma: np.ndarray
    reduced: ReducedMinimum
    direction: np.ndarray
    ray: bool | None = None

    def result(self, theta, status, reason, margin=np.nan, is_minimum=False) -> FaceResult:
        z_limit = self.sigma.astype(float)
        z_limit[self.sigma == 0] = theta.value(self.reduced.z_free)
        E_limit = 4.0 * np.count_nonzero(self.sigma == -1) + self.reduced.E_free
        return FaceResult(
            self.sigma,
            status,
            is_minimum,
            float(E_limit),
            z_limit,
            self.reduced.x_base,
            self.direction,
            self.ray,
            float(margin),
            reason,
        )


def _infeasible(sigma, n, m) -> FaceResult:
    nan = np.full(m, np.nan)
    return FaceResult(
        sigma,
        "infeasible",
        False,
        np.nan,
        np.full(n, np.nan),
        nan,
        nan,
        None,
        np.nan,
        "no direction realises the pattern",
    )


def analyse_faces(A_tilde, sigmas, theta: Theta, x0s=None, *, sat_tol=SAT_TOL):
    """Decide, for each pattern sigma (reached near x0), whether it is a minimum at infinity.

    (i) LP feasibility of sigma (:func:`face_directions`); (ii) descend the reduced problem
    E_F from x0 -- if free rows saturate as well, the candidate is refined to the larger
    pattern and analysed again; (iii) the limit must be approached from above along the
    face's own ray (tails), no row at -1 may win in any direction of the cone
    (:func:`face_margins`), and no free row may be pushable to +1 (:func:`pushable_rows`).

    Returns a list of :class:`FaceResult`, one per pattern.
    """
    A = _as_matrix(A_tilde)
    sigmas = _as_patterns(sigmas, A.shape[0])
    n, m = A.shape
    x0s = np.zeros((len(sigmas), m)) if x0s is None else np.array(x0s, dtype=float, ndmin=2)
    feasible, directions = face_directions(A, sigmas)
    results: list[FaceResult | None] = [None] * len(sigmas)
    pending, refine = [], []
    for f, sigma in enumerate(sigmas):
        if not feasible[f]:
            results[f] = _infeasible(sigma, n, m)
            continue
        reduced = reduced_minimum(A, sigma, theta, x0s[f], sat_tol=sat_tol)
        if reduced.status == "escaped":
            refined = sigma.copy()
            refined[sigma == 0] = reduced.escaped
            refine.append((f, refined, reduced.x_base))
            continue
        cand = _Candidate(sigma, reduced, directions[f])
        if reduced.status == "undecided":
            results[f] = cand.result(theta, "undecided", "the reduced descent did not settle")
        elif not _reduced_is_minimum(A, sigma, reduced, theta):
            results[f] = cand.result(theta, "saddle", "the reduced problem has no minimum there")
        elif (ray := _ray_verdict(A, sigma, directions[f], theta)) is False:
            cand.ray = ray
            results[f] = cand.result(
                theta, "not_minimum", "along the face's own ray E approaches its limit from below"
            )
        else:
            cand.ray = ray
            pending.append((f, cand))
    if refine:
        sub = analyse_faces(
            A, [r[1] for r in refine], theta, [r[2] for r in refine], sat_tol=sat_tol
        )
        for (f, _, _), res in zip(refine, sub):
            results[f] = res
    _decide_pending(A, theta, pending, results)
    return results


def _decide_pending(A, theta, pending, results) -> None:
    """Margins for every pending face at once, then the push test for the survivors."""
    if not pending:
        return
    sigmas = np.array([c.sigma for _, c in pending])
    margins, witnesses = face_margins(A, sigmas, np.array([c.direction for _, c in pending]), theta)
    survivors = []
    for (f, cand), margin, witness in zip(pending, margins, witnesses):
        if margin > MARGIN_TOL:
            results[f] = cand.result(
                theta,
                "not_minimum",
                "a row at -1 outlives every row at +1 along a ray of the face's cone",
                margin,
            )
        elif margin >= -MARGIN_TOL:
            # The rates tie along the witness ray: the tails' coefficients decide there;
            # other rays of the cone are not examined (a non-generic case).
            tie = bool(_ray_verdict(A, cand.sigma, witness, theta))
            results[f] = cand.result(
                theta,
                "tie",
                "leading tail rates tie along a ray of the "
                "cone; decided by the tails along that ray only",
                margin,
                tie,
            )
        else:
            survivors.append((f, cand, margin))
    if not survivors:
        return
    pushed = pushable_rows(A, np.array([c.sigma for _, c, _ in survivors]))
    for (f, cand, margin), rows in zip(survivors, pushed):
        if rows.size:
            results[f] = cand.result(
                theta, "not_minimum", f"free rows {rows.tolist()} can be pushed to +1", margin
            )
        else:
            results[f] = cand.result(
                theta,
                "minimum",
                "approached from above in every direction of the face",
                margin,
                True,
            )


def analyse_face(A_tilde, sigma, theta: Theta, x0=None, *, sat_tol=SAT_TOL) -> FaceResult:
    """:func:`analyse_faces` for a single pattern."""
    x0s = None if x0 is None else np.asarray(x0, dtype=float)[None, :]
    return analyse_faces(A_tilde, np.asarray(sigma)[None, :], theta, x0s, sat_tol=sat_tol)[0]
