"""Many small linear programs at once: a vectorised dual simplex, and stacked HiGHS calls.

The face analysis (:mod:`cones`) solves thousands of tiny LPs of one shape per
multistart run; one call per LP would cost more in overhead than in arithmetic.

* :func:`solve_lp_batch`: L LPs  max c.x  s.t.  G x <= h,  lo <= x <= hi  (one shape, lo
  and hi finite) by a dual simplex in active-set form vectorised over the LPs.  Its
  results are certificates for the caller to check (a feasible vertex; multipliers for
  any objective at that vertex), not verdicts.
* :func:`solve_lp_blocks`: groups of LP blocks  max x[-1]  s.t.  M x <= b,  lo <= x <= hi,
  stacked block-diagonally into few HiGHS calls (bounds may be infinite); the fallback
  for whatever the batch cannot certify.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MAX_LP_ROWS = 1500  # rows per stacked HiGHS call
LP_TOL = 1e-9  # batched LPs: a unit-norm constraint may be violated by this much
LP_PERTURB = 1e-10  # relative perturbation of the objective (no zero multipliers)
LP_PIVOT = 1e-11  # smallest pivot (relative) the dual ratio test accepts


# --------------------------------------------------------------------------------------
# A vectorised dual simplex
# --------------------------------------------------------------------------------------


@dataclass
class LPBatch:
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


def solve_lp_batch(c, G, h, lo, hi, *, max_iter=None, start=None) -> LPBatch:
    """Solve L small LPs  max c.x  s.t.  G x <= h,  lo <= x <= hi  (lo, hi finite) at once.

    Dual simplex in active-set form, vectorised over the LPs: start at the vertex of the
    box that maximises c (dual feasible), then repeatedly bring in the most violated
    constraint and drop the basis constraint picked by the dual ratio test, until the
    vertex is feasible (optimal) or no constraint can leave (infeasible).  c is perturbed
    by ~1e-10 relative so that no multiplier is ever 0: the dual objective then falls at
    every step and the method cannot cycle.  Results are certificates, checked by the
    callers: a feasible x, and multipliers inverse^T c of the *unperturbed* objective.

    Parameters
    ----------
    c : (L, w) array
        Objectives, maximised.
    G : (L, r, w) array
    h : (L, r) array
        Constraints G x <= h of each LP.
    lo, hi : (w,) or (L, w) arrays
        Finite bounds on x.
    max_iter : int, optional
        Dual simplex iterations (all LPs step together); default 3 (r + 2w).
    start : (L, w) int array, optional
        A first basis per LP (indices into [G; I; -I]) whose rows span c with
        nonnegative weights; c is then perturbed within that cone (multipliers c's own
        plus 1e-10 relative), so the start is dual feasible.  LPs whose start is
        near-singular, or does not span c so, start from the box.

    Returns
    -------
    LPBatch
        Per LP the final vertex, its basis and the inverse of the basis matrix, the
        unit-norm constraints, and the status (0 optimal, 1 infeasible, 2 unfinished).
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
    return LPBatch(x, basis, inverse, rows, rhs, status)


def _safe_inverse(N):
    """Inverses of the stacked basis matrices N (k, w, w)."""
    try:
        return np.linalg.inv(N)
    except np.linalg.LinAlgError:  # a near-singular basis: pseudo-inverse, caught by checks
        return np.linalg.pinv(N)


# --------------------------------------------------------------------------------------
# Blocks of LPs stacked into HiGHS calls
# --------------------------------------------------------------------------------------


@dataclass
class LPBlocks:
    """k independent LP blocks of one shape: max x[-1] s.t. M x <= b, lo <= x <= hi."""

    M: np.ndarray  # (k, r, w)
    b: np.ndarray  # (k, r)
    lo: np.ndarray  # (w,)
    hi: np.ndarray  # (w,)


def solve_lp_blocks(groups: list[LPBlocks]) -> list[np.ndarray]:
    """Solve every block  max x[-1]  s.t.  M x <= b,  lo <= x <= hi  of every group by HiGHS.

    Blocks share no variable, so maximising the sum of their last variables optimises
    each one: blocks are stacked block-diagonally, MAX_LP_ROWS rows per HiGHS call.  A
    call that reports infeasibility is split into its blocks, so one infeasible block
    does not hide the others' solutions.

    Parameters
    ----------
    groups : list of LPBlocks
        Blocks of one shape (k, r, w) per group; bounds may be infinite.

    Returns
    -------
    list of (k, w) arrays
        One per group: the optimal x of each block, NaN for an infeasible block.

    Raises
    ------
    RuntimeError
        When HiGHS fails otherwise (e.g. an unbounded block).
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
            _solve_stacked(groups, batch, out)
            batch, rows = [], 0
        batch.append((g, sl))
        rows += size
    if batch:
        _solve_stacked(groups, batch, out)
    return out


def _solve_stacked(groups, batch, out):
    """One HiGHS call for the (group, slice of blocks) pairs in ``batch``, into ``out``."""
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
    from scipy.optimize import linprog  # lazy: most jobs never solve one
    from scipy.sparse import coo_matrix

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
                _solve_stacked(groups, [single], out)
        return  # a lone infeasible block keeps its NaN row
    if res.status != 0:
        raise RuntimeError(f"stacked LP failed: {res.message}")
    col0 = 0
    for g, sl in batch:
        k, _, w = groups[g].M[sl].shape
        out[g][sl] = res.x[col0 : col0 + k * w].reshape(k, w)
        col0 += k * w
