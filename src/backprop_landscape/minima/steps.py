"""Steps of the batched descent: Newton directions and the line searches along them.

Stateless pieces of one iteration of :mod:`descent`, vectorised over starts:

* directions: a batched Cholesky test-and-solve for the clearly positive definite
  Hessians, ``eigh`` parts for the others, the damped saddle-free Newton step
  -V diag(1/((1 + nu)|lambda|)) V' g, and the split of eigen-directions into those
  stepped outright (a gain below the rounding of E), those left alone (converged) and
  those to line-search;
* line searches: Armijo backtracking, then step doubling while the decrease keeps
  growing, on plain per-row energy differences (fast path) or on differences summed
  from logarithms (careful path); a separate doubling search along the negative
  curvature part of a saddle-free step; all within a trust region in z.
"""

from __future__ import annotations

import numpy as np

from .kernels import NOISE, _delta_energy, _excess, _plain_excess

ZTOL = 1e-9  # finite: no Newton move beyond ZTOL (1 + max |z|); SETTLED ZTOL is noise
SETTLED = 1e-3  # eigen-directions whose step moves z by < SETTLED * ZTOL are left alone
PD_RTOL = 1e-13  # positive definite: smallest eigenvalue > PD_RTOL * largest |eigenvalue|
FLOOR_RTOL = 1e-15  # smallest |eigenvalue| used in a Newton step, relative
CHOL_RTOL = 1e-10  # Cholesky pivots below this times the largest diagonal: not 'clearly PD'
ARMIJO = 1e-4
RESOLUTION = 64 * np.finfo(float).eps  # decreases below this times (1 + E) cannot be seen
MAX_BACKTRACK = 25
BACKTRACK = 0.3  # step shrink factor per failed Armijo test
PLAIN_BACKTRACK = 5  # backtracks of the fast line search before the careful one takes over
MAX_EXPAND = 30
EXPAND_RATIO = 1.2  # try doubling when the decrease beats the model by this factor
Z_TRUST = 1.0  # a step moves no margin z_i by more than Z_TRUST (1 + |z_i|)
INWARD = 0.75  # ... and toward 0 by no more than INWARD (1 + |z_i|)


# --------------------------------------------------------------------------------------
# Newton directions
# --------------------------------------------------------------------------------------


def _apply(M, v):
    """M_k v_k for stacks of matrices (k, a, b) and vectors (k, b): batched matmul."""
    return (M @ v[:, :, None])[:, :, 0]


def _eig_parts(H, g):
    """eigh of each H, the largest |eigenvalue|, and g in the eigenbasis."""
    lam, V = np.linalg.eigh(H)
    lam_max = np.maximum(np.abs(lam[:, 0]), np.abs(lam[:, -1]))
    coef = _apply(np.swapaxes(V, 1, 2), g)
    return lam, V, lam_max, coef


def _floored(lam, lam_max):
    """|lambda|, floored at FLOOR_RTOL times the largest |eigenvalue| (and above 0)."""
    return np.maximum(np.abs(lam), (FLOOR_RTOL * lam_max + np.finfo(float).tiny)[:, None])


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


def _split(A, L, lam, V, lam_max, coef, old):
    """Classify eigen-directions: (fine, settled), boolean (k, m) arrays.

    *fine*: positive curvature and an undamped Newton gain below the rounding noise of
    the rows the direction moves (RESOLUTION times their |excess|, weighted by how much
    each moves).  A line search cannot see such a gain -- it would only compare rounding
    errors -- so the Newton step is taken as is: the last steps of quadratic convergence.
    *settled*: not fine, but the step would move no margin measurably (below SETTLED *
    ZTOL); stepping along it only adds noise.  Everything else is line-searched.
    """
    denom = _floored(lam, lam_max)
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
    denom = _floored(lam, lam_max)
    denom = denom * (1.0 + nu)[:, None]
    p = -_apply(V, coef / denom)
    gp = -np.sum(coef**2 / denom, axis=1)
    bad = ~np.isfinite(p).all(axis=1) | ((gp >= 0) & np.any(coef != 0, axis=1))
    if bad.any():
        p[bad] = -g[bad] / np.maximum(lam_max[bad], 1.0)[:, None]
        gp[bad] = np.sum(g[bad] * p[bad], axis=1)
    return p, gp


# --------------------------------------------------------------------------------------
# Line searches
# --------------------------------------------------------------------------------------


def _trust_cap(A, z, p, Ap=None):
    """Largest step length that moves no margin by more than Z_TRUST (1 + |z_i|), nor
    toward 0 by more than INWARD Z_TRUST (1 + |z_i|).

    The quadratic model of (1 - theta)^2 holds over about one unit of z near 0 and, in
    the tails, over a fixed fraction of |z| (they are nearly scale-free there).  Without
    this trust region a concave stretch, doubled again and again, can leap out of the
    basin that a gradient flow would stay in.  Moves toward 0 are held tighter: a row
    from z = 4 may come back to 0.25, not to -1, so that no single step carries a row
    from one side of its active region to the other -- across the barrier that the flow
    would have to climb (for the atan type-3 block, starts beyond x = 3.8 jumped to the
    other basin half the time; now the basins are the flow's).
    """
    Ap = p @ A.T if Ap is None else Ap
    reach = (np.abs(Ap) / _room(z, Ap)).max(axis=1)
    with np.errstate(divide="ignore"):
        return np.where(reach > 0, Z_TRUST / reach, np.inf)


def _room(z, dz):
    """Per-row scale of the trust region: 1 + |z|, times INWARD for moves toward 0."""
    return np.where(dz * z < 0, INWARD, 1.0) * (1.0 + np.abs(z))


def _take(terms, idx):
    return tuple(t[idx] for t in terms)


def _line_search(A, rows, X, p, L, gp, old, cap):
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
            _take(old, todo), _excess((X[todo] + alpha[todo, None] * p[todo]) @ A.T, rows)
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
    _expand(A, rows, X, p, old, alpha, log_dE, full & beat_model, cap)
    return alpha


def _expand(A, rows, X, p, old, alpha, log_dE, grow, cap):
    """Double alpha in place while E keeps decreasing further (tails, concave stretches)."""
    idx = np.flatnonzero(grow & (2.0 * alpha <= cap))
    for _ in range(MAX_EXPAND):
        if not idx.size:
            return
        trial = 2.0 * alpha[idx]
        sign, log_abs = _delta_energy(
            _take(old, idx), _excess((X[idx] + trial[:, None] * p[idx]) @ A.T, rows)
        )
        better = (sign < 0) & (log_abs > log_dE[idx])
        alpha[idx[better]] = trial[better]
        log_dE[idx[better]] = log_abs[better]
        idx = idx[better & (2.0 * trial <= cap[idx])]


def _plain_line_search(A, rows, z, e, neg, p, slope, concave):
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
    dE, e_at, neg_at = _plain_change(z, e, neg, alpha[:, None] * Ap, noise, rows)
    accepted = (dE < 0) & (dE <= ARMIJO * alpha * slope)
    dE[~accepted] = 0.0
    todo = np.flatnonzero(~accepted)
    for _ in range(PLAIN_BACKTRACK - 1):
        if not todo.size:
            break
        alpha[todo] *= BACKTRACK
        d, et, nt = _plain_change(
            z[todo], e[todo], neg[todo], alpha[todo, None] * Ap[todo], noise[todo], rows
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
            z[idx], e[idx], neg[idx], trial[:, None] * Ap[idx], noise[idx], rows
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
        pos = np.arange(idx.size)
        for _ in range(MAX_EXPAND):
            trial = 2.0 * beta[idx[pos]]
            zt = base[pos] + trial[:, None] * Ap_neg[pos]
            moved = zt - z[idx[pos]]
            room = Z_TRUST * _room(z[idx[pos]], moved)
            inside = np.all(np.abs(moved) <= room, axis=1)
            pos, trial, zt = pos[inside], trial[inside], zt[inside]
            if not pos.size:
                break
            et, nt = _plain_excess(zt, rows)
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


def _plain_change(z, e, neg, dz, noise, rows):
    """(E(z + dz) - E(z), row terms at z + dz) from plain row terms; changes within
    ``noise`` count as 0.

    A row that crosses 0 changes its limit by 4 t (carried exactly by the limit count
    ``neg``), so it is never mistaken for rounding.
    """
    et, nt = _plain_excess(z + dz, rows)
    d = et - e
    return np.where(np.abs(d) <= noise, 0.0, d).sum(axis=1) + 4.0 * (nt - neg), et, nt
