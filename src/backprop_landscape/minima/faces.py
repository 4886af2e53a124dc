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
   tail exp(-k |s_i t|^q) outlives their exp(-2k (s_j t)^q).  Whether such a d exists is
   a linear program over one polyhedron per face, with one objective per row at -1
   (:func:`face_margins`).  For power tails (k = 0) a row at -1 always wins (z^-p
   against z^-2p).

Nothing is evaluated at a large x.  The many small linear programs of a multistart run are
solved together by a vectorised dual simplex (:func:`_lp_batch`); every verdict rests on
a certificate checked afterwards (a feasible point, or nonnegative multipliers), and
whatever the batch cannot certify goes to HiGHS.  See ``docs/minima.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy.optimize import brentq, linprog
from scipy.sparse import coo_matrix

from ..models.neuron import energy, hessian
from ..models.tails import energy_tail, limit_is_minimum
from ..models.theta import Theta

SAT_TOL = 1e-6  # a row is saturated once 1 - theta(|z|) <= SAT_TOL
RANK_RTOL = 1e-10  # singular values below this (relative) count as zero
MARGIN_TOL = 1e-7  # margins 1 - psi / f within this of zero are ties
TAU_TOL = 1e-9  # LP slopes below this times the largest row 1-norm count as zero
PD_RTOL = 1e-13  # Hessian eigenvalues must exceed this times the largest one (~500 eps)
MAX_LP_ROWS = 1500  # rows per stacked HiGHS call
LP_TOL = 1e-9  # batched LPs: a unit-norm constraint may be violated by this much
LP_DUAL_TOL = 1e-9  # multipliers above -LP_DUAL_TOL (relative) count as nonnegative
LP_PERTURB = 1e-10  # relative perturbation of the objective (no zero multipliers)
LP_PIVOT = 1e-11  # smallest pivot (relative) the dual ratio test accepts
BOX = 1e6  # margin LPs run in |d|_inf <= BOX / min ||a_k||; a certificate may not use it


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
        max over rows i at -1 of 1 - psi_i / 2^(1/q) (see :func:`face_margins`): > 0, a
        ray on which E approaches the limit from below (for a rejected face, the first
        positive margin found); < 0, the rows at +1 dominate near the limit; -inf with
        no row at -1.
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
# Many small LPs at once: a vectorised dual simplex
# --------------------------------------------------------------------------------------


@dataclass
class _LPBatch:
    """Solutions of a batch of LPs  max c.x  s.t.  G x <= h,  lo <= x <= hi.

    ``rows`` / ``rhs`` are the constraints [G; I; -I] with every row scaled to unit norm
    (rows r .. r+w-1 are the upper bounds, r+w .. r+2w-1 the lower ones); ``basis`` holds
    the w constraints active at the vertex ``x`` and ``inverse`` the inverse of their
    matrix, so the multipliers of any objective c at that vertex are inverse^T c.
    ``status``: 0 optimal, 1 infeasible, 2 unfinished (iteration limit).
    """

    x: np.ndarray
    basis: np.ndarray
    inverse: np.ndarray
    rows: np.ndarray
    rhs: np.ndarray
    status: np.ndarray

    def multipliers(self, c: np.ndarray) -> np.ndarray:
        """Multipliers of objectives c, shape (L, ..., w), at each LP's final vertex."""
        c = np.asarray(c, dtype=float)
        flat = c.reshape(len(c), -1, c.shape[-1])
        lam = np.einsum("lba,lkb->lka", self.inverse, flat)
        return lam.reshape(c.shape)

    def violation(self) -> np.ndarray:
        """Largest violation of a (unit-norm) constraint at x, per LP."""
        return np.max(np.einsum("lrw,lw->lr", self.rows, self.x) - self.rhs, axis=1)


def _lp_batch(c, G, h, lo, hi, *, max_iter=None, start=None) -> _LPBatch:
    """Solve L small LPs  max c.x  s.t.  G x <= h,  lo <= x <= hi  (lo, hi finite) at once.

    Dual simplex in active-set form, vectorised over the LPs: start at the vertex of the
    box that maximises c (dual feasible), then repeatedly bring in the most violated
    constraint and drop the basis constraint picked by the dual ratio test, until the
    vertex is feasible (optimal) or no constraint can leave (infeasible).  c is perturbed
    by ~1e-10 relative so that no multiplier is ever 0: the dual objective then falls at
    every step and the method cannot cycle.  Results are certificates, checked by the
    callers: a feasible x, and multipliers inverse^T c of the *unperturbed* objective.

    ``start`` (L, w), optional: a first basis per LP (indices into [G; I; -I]) whose rows
    span c with nonnegative weights; c is then perturbed within that cone (multipliers
    c's own plus 1e-10 relative), so the start is dual feasible.  LPs whose start is
    near-singular start from the box.
    """
    c = np.asarray(c, dtype=float)
    G = np.asarray(G, dtype=float)
    L, r, w = G.shape
    eye = np.broadcast_to(np.eye(w), (L, w, w))
    rows = np.concatenate([G, eye, -eye], axis=1)
    rhs = np.concatenate(
        [np.asarray(h, dtype=float), np.broadcast_to(hi, (L, w)), -np.broadcast_to(lo, (L, w))],
        axis=1,
    )
    norms = np.linalg.norm(rows, axis=2)
    norms = np.where(norms > 0, norms, 1.0)
    rows = rows / norms[..., None]
    rhs = rhs / norms
    rng = np.random.default_rng(0)  # fixed: verdicts must not depend on call order
    scale = np.abs(c).max(axis=1, keepdims=True)
    scale = np.where(scale > 0, scale, 1.0)
    sign = np.where(c != 0, np.sign(c), rng.choice([-1.0, 1.0], size=c.shape))
    c_pert = c + sign * scale * LP_PERTURB * rng.uniform(1.0, 2.0, c.shape)
    basis = np.where(c_pert > 0, r + np.arange(w), r + w + np.arange(w))
    if start is not None:
        N = np.take_along_axis(rows, start[:, :, None], axis=1)
        s = np.linalg.svd(N, compute_uv=False)
        good = s[:, -1] > 1e-8 * s[:, 0]
        if good.any():
            inv = np.linalg.inv(N[good])
            lam = np.einsum("kba,kb->ka", inv, c[good])
            size = np.abs(lam).max(axis=1, keepdims=True)
            good[good] = np.all(lam >= -1e-12 * size, axis=1)
        if good.any():
            N = N[good]
            bump = scale[good] * LP_PERTURB * rng.uniform(1.0, 2.0, (int(good.sum()), w))
            c_pert[good] = c[good] + np.einsum("kab,ka->kb", N, bump)
            basis[good] = start[good]
    x = np.zeros((L, w))
    inverse = np.broadcast_to(np.eye(w), (L, w, w)).copy()
    status = np.full(L, 2)
    act = np.arange(L)  # the unfinished LPs, and their data compacted to them
    R, H, Bs, C = rows, rhs, basis.copy(), c_pert
    for _ in range(max_iter or 3 * (r + 2 * w)):
        N = np.take_along_axis(R, Bs[:, :, None], axis=1)
        inv = _safe_inverse(N)
        xa = np.einsum("kab,kb->ka", inv, np.take_along_axis(H, Bs, axis=1))
        x[act], inverse[act], basis[act] = xa, inv, Bs
        viol = np.einsum("krw,kw->kr", R, xa) - H
        enter = np.argmax(viol, axis=1)
        go = viol[np.arange(act.size), enter] > LP_TOL
        lam = np.einsum("kba,kb->ka", inv, C)
        alpha = np.einsum("kba,kb->ka", inv, R[np.arange(act.size), enter])
        eligible = alpha > LP_PIVOT * np.maximum(np.abs(alpha).max(axis=1, keepdims=True), 1.0)
        ratio = np.where(eligible, np.maximum(lam, 0.0) / np.where(eligible, alpha, 1.0), np.inf)
        leave = np.argmin(ratio, axis=1)
        stuck = go & ~eligible.any(axis=1)
        status[act[~go]] = 0
        status[act[stuck]] = 1
        Bs[np.arange(act.size), leave] = np.where(go, enter, Bs[np.arange(act.size), leave])
        keep = go & ~stuck
        if not keep.all():
            if not keep.any():
                break
            act, R, H, Bs, C = act[keep], R[keep], H[keep], Bs[keep], C[keep]
    return _LPBatch(x, basis, inverse, rows, rhs, status)


def _safe_inverse(N):
    try:
        return np.linalg.inv(N)
    except np.linalg.LinAlgError:  # a near-singular basis: pseudo-inverse, caught by checks
        return np.linalg.pinv(N)


# --------------------------------------------------------------------------------------
# (i) feasibility and a direction; (iii) margins of the rows at -1; free rows
# --------------------------------------------------------------------------------------


def _cone_rows(A, sigmas, slope_col: bool):
    """Rows of the face cones as constraints  row . (d[, tau]) <= 0, shape (k, 2n, w).

    Saturated row k: -sigma_k a_k . d (+ tau if ``slope_col``) <= 0.  Free row k: the pair
    +-a_k . d <= 0 (A~_F d = 0), its second half in rows n .. 2n-1 (zero rows elsewhere,
    which callers give a right-hand side of 1).
    """
    k, n = sigmas.shape
    m = A.shape[1]
    sat = sigmas != 0
    first = np.where(sat[:, :, None], -(sigmas[:, :, None] * A[None]), A[None])
    second = np.where(sat[:, :, None], 0.0, -A[None])
    M = np.concatenate([first, second], axis=1)
    if slope_col:
        tau = np.concatenate([sat, np.zeros((k, n), bool)], axis=1).astype(float)
        M = np.concatenate([M, tau[:, :, None]], axis=2)
    return M.reshape(k, 2 * n, m + slope_col)


def face_directions(A_tilde, sigmas) -> tuple[np.ndarray, np.ndarray]:
    """(feasible, unit direction) per pattern; NaN directions where infeasible.

    One LP per pattern: max tau s.t. sigma_k a_k . d >= tau on S, A~_F d = 0,
    |d|_inf <= 1, tau <= 1.  The pattern is feasible iff tau > 0.  All patterns are
    solved together by the vectorised dual simplex; a feasible (d, tau) is its own
    certificate, and every pattern it does not certify is re-solved by HiGHS.
    """
    A = _as_matrix(A_tilde)
    sigmas = _as_patterns(sigmas, A.shape[0])
    n, m = A.shape
    k = len(sigmas)
    scale = _row_scale(A)
    G = _cone_rows(A, sigmas, True)
    h = np.zeros((k, 2 * n))
    h[:, n:] = np.where(sigmas != 0, 1.0, 0.0)  # zero rows: 0 <= 1
    c = np.zeros((k, m + 1))
    c[:, -1] = 1.0
    lo, hi = np.r_[-np.ones(m), -(scale + 1.0)], np.r_[np.ones(m), 1.0]
    sol = _lp_batch(c, G, h, lo, hi)
    x = sol.x
    certified = (sol.violation() <= 10 * LP_TOL) & (x[:, -1] > TAU_TOL * scale)
    unsure = np.flatnonzero(~certified)
    if unsure.size:  # infeasible or unfinished here: HiGHS decides
        x = x.copy()
        x[unsure] = _highs_directions(A, sigmas[unsure])
    feasible = x[:, -1] > TAU_TOL * scale
    d = x[:, :-1]
    norms = np.linalg.norm(d, axis=1, keepdims=True)
    return feasible, np.where(feasible[:, None], d / np.where(norms > 0, norms, 1.0), np.nan)


def _highs_directions(A, sigmas) -> np.ndarray:
    """The direction LPs of :func:`face_directions`, by HiGHS (stacked blocks)."""
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
    return np.where(np.isnan(x), -np.inf, x)


def face_margins(A_tilde, sigmas, directions, theta: Theta):
    """By how much some row at -1 beats every row at +1, per feasible pattern.

    With g_k = sigma_k a_k (so the face's cone is g_k . d > 0 on S, A~_F d = 0) and
    f = 2^(1/q), a row i at -1 outlives every row at +1 along d when g_i . d < f g_j . d
    for all j at +1.  Scaling d so that the slowest row at +1 has slope 1, the smallest
    such ratio over the whole cone is the LP

        psi_i = min g_i . d   s.t.   g_j . d >= 1 (sigma_j = +1),
                                      g_k . d >= 0 (sigma_k = -1),   A~_F d = 0,

    and row i wins along some ray iff psi_i < f.  All rows at -1 share this polyhedron
    D: only the objective changes.  The margin of the face is max_i (1 - psi_i / f):
    > 0, a ray on which E approaches its limit from below (not a minimum); < 0 for every
    row, the rows at +1 dominate everywhere near the limit; |margin| <= MARGIN_TOL, a tie.

    Method: per face, solve the LP of its most dangerous row at -1 (smallest slope along
    ``directions`` relative to the slowest row at +1), inside a large box (the
    vectorised dual simplex needs one); its optimal vertex d* then settles every row at -1
    whose multipliers at d* are nonnegative (d* is optimal for it too) -- usually all of
    them.  Unsettled rows get their own LP in the next round.  A row is called safe only on
    a dual certificate that does not use the box (valid on all of D); a primal point with
    g_i . d < f min_j g_j . d is a witness by itself.  Anything the batch cannot certify
    is re-solved by HiGHS without the box.

    Returns (margin, witness) per pattern: the witness is a direction of the open cone
    along which the winning row beats every row at +1 (or, for a tie, the tying
    direction); -inf / NaN with no row at -1, +inf / the face direction for power tails
    (k = 0, a row at -1 always wins).  For a face that is not a minimum the margin is the
    first positive one found, not necessarily the largest.
    """
    A = _as_matrix(A_tilde)
    sigmas = _as_patterns(sigmas, A.shape[0])
    directions = np.array(directions, dtype=float, ndmin=2)
    k, m = len(sigmas), A.shape[1]
    margins, witnesses = np.full(k, -np.inf), np.full((k, m), np.nan)
    has_minus = np.any(sigmas == -1, axis=1)
    if theta.tail.k == 0:
        margins[has_minus] = np.inf
        witnesses[has_minus] = directions[has_minus]
        return margins, witnesses
    faces = np.flatnonzero(has_minus)
    if faces.size:
        factor = 2.0 ** (1.0 / theta.tail.q)
        margins[faces], witnesses[faces] = _lp_margins(A, sigmas[faces], directions[faces], factor)
    return margins, witnesses


def _lp_margins(A, sigmas, directions, factor):
    """:func:`face_margins` for faces with a row at -1: rounds of batched LPs."""
    k, n = sigmas.shape
    m = A.shape[1]
    g = sigmas[:, :, None] * A[None]  # (k, n, m)
    plus, minus, free = sigmas == 1, sigmas == -1, sigmas == 0
    slopes = np.einsum("knm,km->kn", g, directions)
    slowest = np.min(np.where(plus, slopes, np.inf), axis=1)
    danger = np.where(minus, slopes / np.where(np.isfinite(slowest), slowest, 1.0)[:, None], np.inf)
    # a first basis: the row's own constraint and the m - 1 rows at +1 that grow slowest
    # along the face's direction (the optimal vertex usually has them at slope 1)
    norm_slopes = slopes / np.maximum(np.linalg.norm(g, axis=2), 1e-300)
    slowest_rows = np.argsort(np.where(plus, norm_slopes, np.inf), axis=1)[:, : m - 1]
    todo = minus.copy()
    margin = np.full(k, -np.inf)
    witness = np.full((k, m), np.nan)
    decided = np.zeros(k, dtype=bool)  # a positive margin is known: not a minimum
    box = BOX / max(float(np.min(np.linalg.norm(A[np.any(A != 0, axis=1)], axis=1))), 1e-300)
    G = _cone_rows(A, sigmas, False)
    h = np.zeros((k, 2 * n))
    h[:, :n] = np.where(plus, -1.0, 0.0)
    h[:, n:] = np.where(free, 0.0, 1.0)
    # basis entries that are equalities (free-row pairs) carry multipliers of either sign
    either = np.concatenate([free, free], axis=1)
    for _ in range(n + 1):
        open_ = np.flatnonzero(~decided & todo.any(axis=1))
        if not open_.size:
            break
        row = np.argmin(np.where(todo[open_], danger[open_], np.inf), axis=1)
        objective = -g[open_, row]
        sol = _lp_batch(
            objective, G[open_], h[open_], -box, box, start=_margin_start(row, slowest_rows[open_])
        )
        feasible = (sol.status == 0) & (sol.violation() <= 10 * LP_TOL)
        # every row at -1 of the face, judged at this vertex
        lam = sol.multipliers(-g[open_])  # (o, n, m): multipliers of each row's objective
        b = np.take_along_axis(sol.rhs, sol.basis, axis=1)  # (o, m)
        psi = -np.einsum("oim,om->oi", lam, b)  # min g_i . d, if the vertex is optimal
        kind = np.where(sol.basis >= 2 * n, 2, 0)  # 0 inequality, 1 equality, 2 box
        eq = np.take_along_axis(either[open_], np.minimum(sol.basis, 2 * n - 1), axis=1)
        kind = np.where((sol.basis < 2 * n) & eq, 1, kind)
        size = np.maximum(np.abs(lam).max(axis=2, keepdims=True), 1.0)
        tol = LP_DUAL_TOL * size
        ok_ineq = np.where(kind[:, None, :] == 0, lam >= -tol, True)
        ok_box = np.where(kind[:, None, :] == 2, np.abs(lam) <= tol, True)
        optimal = feasible[:, None] & np.all(ok_ineq & ok_box, axis=2)  # (o, n)
        value = np.einsum("onm,om->on", g[open_], sol.x)  # g_i . d* (primal)
        lowest = np.min(np.where(plus[open_], value, np.inf), axis=1)  # min_j g_j . d*
        wins = (
            feasible[:, None] & minus[open_] & (value < factor * lowest[:, None] * (1 - MARGIN_TOL))
        )
        for o, f in enumerate(open_):
            if wins[o].any():  # a primal witness: not a minimum
                i = int(np.flatnonzero(wins[o])[np.argmin(value[o, wins[o]])])
                margin[f] = 1.0 - value[o, i] / (factor * lowest[o])
                witness[f] = _nudge(g[f], plus[f], sol.x[o], directions[f], i, factor)
                decided[f] = True
                continue
            settled = optimal[o] & minus[f] & todo[f]
            if settled.any():
                margin[f] = max(margin[f], float(np.max(1.0 - psi[o, settled] / factor)))
                tying = settled & (np.abs(1.0 - psi[o] / factor) <= MARGIN_TOL)
                if tying.any():
                    witness[f] = sol.x[o]
                todo[f] &= ~settled
            if todo[f, row[o]]:  # its own LP did not settle it: HiGHS, without the box
                i = int(row[o])
                psi_i, d = _highs_margin(A, sigmas[f], i)
                todo[f, i] = False
                margin[f] = max(margin[f], 1.0 - psi_i / factor)
                if psi_i < factor * (1 - MARGIN_TOL):
                    witness[f] = _nudge(g[f], plus[f], d, directions[f], i, factor)
                    decided[f] = True
                elif abs(1.0 - psi_i / factor) <= MARGIN_TOL:
                    witness[f] = d
    if np.any(todo & ~decided[:, None]):
        raise RuntimeError("margin LPs did not settle every row at -1")
    return margin, witness


def _margin_start(row, slowest):
    """Start bases for the margin LPs: the row's own constraint and the slowest rows at +1.

    Faces with fewer than m - 1 rows at +1 (or a repeat of the row) start from the box.
    """
    start = np.concatenate([row[:, None], slowest], axis=1)
    return start


def _nudge(g, plus, d, direction, i, factor):
    """Move a winning point d of the closed cone into the open cone, keeping the win.

    d + eta * direction, with eta small enough that row i still beats every row at +1.
    """
    s, s0 = g @ d, g @ direction
    gap = factor * np.min(s[plus], initial=np.inf) - s[i]
    if not np.isfinite(gap):  # no row at +1: any direction of the cone wins
        return direction
    spread = factor * np.max(np.abs(s0[plus]), initial=0.0) + abs(s0[i])
    eta = 0.5 * gap / max(spread, 1e-300)
    out = d + eta * direction
    return out / np.linalg.norm(out)


def _highs_margin(A, sigma, i):
    """psi_i of :func:`face_margins` by HiGHS, without a box: (psi, minimiser)."""
    g = sigma[:, None] * A
    sat, free = sigma != 0, sigma == 0
    res = linprog(
        g[i],
        A_ub=-g[sat],
        b_ub=-(sigma[sat] == 1).astype(float),
        A_eq=A[free] if free.any() else None,
        b_eq=np.zeros(int(free.sum())) if free.any() else None,
        bounds=[(None, None)] * A.shape[1],
        method="highs",
    )
    if res.status != 0:
        raise RuntimeError(f"margin LP failed: {res.message}")
    return float(res.fun), res.x


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


def _ray_verdicts(A, sigmas, directions, theta) -> list[bool | None]:
    """:func:`_ray_verdict` for many faces at once (the leading tail terms, vectorised).

    Faces whose leading terms come close to cancelling are handed to the exact
    one-at-a-time verdict, which refuses (None) when they cancel.
    """
    if not len(sigmas):
        return []
    slopes = np.where(sigmas != 0, np.asarray(directions) @ A.T, 0.0)
    tail = energy_tail(slopes, theta)
    live = np.isfinite(tail.log_coef)
    rate = np.where(live, tail.rate, np.inf)
    low = rate.min(axis=1, keepdims=True)
    lead = live & (rate <= low + 1e-14 * np.abs(low))
    power = np.where(lead, tail.power, np.inf)
    lead &= power <= power.min(axis=1, keepdims=True) + 1e-12 * (
        1 + np.abs(power.min(axis=1, keepdims=True))
    )
    coef = np.where(lead, tail.log_coef, -np.inf)
    top = coef.max(axis=1, keepdims=True)
    with np.errstate(invalid="ignore"):
        total = np.sum(np.where(lead, tail.sign * np.exp(coef - top), 0.0), axis=1)
    count = lead.sum(axis=1)
    clear = live.any(axis=1) & (np.abs(total) > 1e-6 * np.maximum(count, 1))
    return [
        bool(t > 0) if ok else _ray_verdict(A, s, d, theta)
        for t, ok, s, d in zip(total, clear, sigmas, directions)
    ]


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
    vertex = np.all(sigmas != 0, axis=1)
    nothing = ReducedMinimum("finite", np.zeros(m), np.zeros(0), 0.0, np.zeros(0, np.int64))
    for f, sigma in enumerate(sigmas):
        if not feasible[f]:
            results[f] = _infeasible(sigma, n, m)
            continue
        if vertex[f]:  # every row saturated: E_F = 0, nothing to descend
            pending.append((f, _Candidate(sigma, nothing, directions[f])))
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
        else:
            pending.append((f, cand))
    rays = _ray_verdicts(
        A,
        np.array([c.sigma for _, c in pending]).reshape(-1, n),
        [c.direction for _, c in pending],
        theta,
    )
    waiting = []
    for (f, cand), ray in zip(pending, rays):
        cand.ray = ray
        if ray is False:
            results[f] = cand.result(
                theta, "not_minimum", "along the face's own ray E approaches its limit from below"
            )
        else:
            waiting.append((f, cand))
    if refine:
        sub = analyse_faces(
            A, [r[1] for r in refine], theta, [r[2] for r in refine], sat_tol=sat_tol
        )
        for (f, _, _), res in zip(refine, sub):
            results[f] = res
    _decide_pending(A, theta, waiting, results)
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
    # vertex faces have no free row to push
    partial = [j for j, (_, c, _) in enumerate(survivors) if np.any(c.sigma == 0)]
    pushed = [np.zeros(0, np.int64)] * len(survivors)
    if partial:
        found = pushable_rows(A, np.array([survivors[j][1].sigma for j in partial]))
        for j, rows in zip(partial, found):
            pushed[j] = rows
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
