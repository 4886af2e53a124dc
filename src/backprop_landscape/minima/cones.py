"""The linear programs on a face's cone of directions, many faces at a time.

A pattern sigma (+1 / -1 on the saturated rows S, 0 on the free rows F) has the cone of
directions d with sigma_k a_k . d > 0 on S and A~_F d = 0.  Three questions about it are
linear programs (see :mod:`faces` for what the answers mean):

(i) is the cone non-empty, and which direction realises it best
    (:func:`face_directions`);
(iii) by how much can a row at -1 outlive every row at +1 along a direction of the cone
    (:func:`face_margins`);
    and can a free row be pushed to +infinity with the others fixed
    (:func:`pushable_rows`).

Nothing is evaluated at a large x.  The many small LPs of a multistart run are solved
together by the vectorised dual simplex of :mod:`lp`; every verdict rests on a
certificate checked here (a feasible point, or nonnegative multipliers), and whatever
the batch cannot certify goes to HiGHS.
"""

from __future__ import annotations

import numpy as np

from ..models.theta import Theta
from .lp import LP_TOL, LPBlocks, solve_lp_batch, solve_lp_blocks

MARGIN_TOL = 1e-7  # margins 1 - psi / f within this of zero are ties
TAU_TOL = 1e-9  # LP slopes below this times the largest row 1-norm count as zero
LP_DUAL_TOL = 1e-9  # multipliers above -LP_DUAL_TOL (relative) count as nonnegative
BOX = 1e6  # margin LPs run in |d|_inf <= BOX / min ||a_k||; a certificate may not use it


# --------------------------------------------------------------------------------------
# Patterns and their cones
# --------------------------------------------------------------------------------------


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


def _row_scale(A) -> float:
    return float(np.max(np.sum(np.abs(A), axis=1)))


def face_slopes(A_tilde, sigma, direction) -> np.ndarray:
    """s = A~ d with the free rows' slopes set to exactly 0 (they are 0 up to rounding)."""
    A = _as_matrix(A_tilde)
    sigma = _as_patterns(sigma, A.shape[0])[0]
    return np.where(sigma != 0, A @ np.asarray(direction, dtype=float), 0.0)


def _free_rows(A, free):
    """A~_F d = 0 written as the row pairs +-a_k . d <= 0 (zero rows elsewhere); (n, 2, m)."""
    pair = np.stack([A, -A], axis=1)
    return np.where(free[:, None, None], pair, 0.0)


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


# --------------------------------------------------------------------------------------
# (i) feasibility and a direction
# --------------------------------------------------------------------------------------


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
    sol = solve_lp_batch(c, G, h, lo, hi)
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
    grp = LPBlocks(
        np.array(blocks),
        np.zeros((len(blocks), 2 * n)),
        np.r_[-np.ones(m), -np.inf],
        np.r_[np.ones(m), 1.0],
    )
    x = solve_lp_blocks([grp])[0]
    return np.where(np.isnan(x), -np.inf, x)


# --------------------------------------------------------------------------------------
# (iii) margins of the rows at -1; free rows that can be pushed
# --------------------------------------------------------------------------------------


def tail_sides(sigmas, targets=None):
    """(plus, minus): the saturated rows whose tail terms add to E near the limit, and
    those whose terms subtract.

    A hard row at +1 adds (1 - theta)^2 ~ C^2 e^(-2 k z^q); a row at -1 subtracts
    (1 + theta)(3 - theta) ~ 4 C e^(-k |z|^q), and so does a soft row at +1 (its error
    (t - theta)^2 climbs to (1 - t)^2 from below: -2 (1 - t) C e^(-k z^q)).  Every
    "minus" row decays at the slower rate k, every "plus" row at 2k.
    """
    sigmas = np.asarray(sigmas)
    if targets is None:
        return sigmas == 1, sigmas == -1
    hard = np.asarray(targets) == 1.0
    return (sigmas == 1) & hard, (sigmas == -1) | ((sigmas == 1) & ~hard)


def face_margins(A_tilde, sigmas, directions, theta: Theta, targets=None):
    """By how much some row at -1 beats every row at +1, per feasible pattern.

    With soft targets "rows at -1" are all the rows whose tail terms subtract, soft rows
    at +1 included, and "rows at +1" the hard rows at +1 (:func:`tail_sides`).

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
    plus, minus = tail_sides(sigmas, targets)
    has_minus = np.any(minus, axis=1)
    if theta.tail.k == 0:
        margins[has_minus] = np.inf
        witnesses[has_minus] = directions[has_minus]
        return margins, witnesses
    faces = np.flatnonzero(has_minus)
    if faces.size:
        factor = 2.0 ** (1.0 / theta.tail.q)
        margins[faces], witnesses[faces] = _lp_margins(
            A, sigmas[faces], directions[faces], factor, plus[faces], minus[faces]
        )
    return margins, witnesses


def _lp_margins(A, sigmas, directions, factor, plus, minus):
    """:func:`face_margins` for faces with a row at -1: rounds of batched LPs."""
    k, n = sigmas.shape
    m = A.shape[1]
    g = sigmas[:, :, None] * A[None]  # (k, n, m)
    free = sigmas == 0
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
        sol = solve_lp_batch(
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
                psi_i, d = _highs_margin(A, sigmas[f], i, plus[f])
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


def _highs_margin(A, sigma, i, plus):
    """psi_i of :func:`face_margins` by HiGHS, without a box: (psi, minimiser)."""
    g = sigma[:, None] * A
    sat, free = sigma != 0, sigma == 0
    from scipy.optimize import linprog  # lazy: most jobs never solve one

    res = linprog(
        g[i],
        A_ub=-g[sat],
        b_ub=-plus[sat].astype(float),
        A_eq=A[free] if free.any() else None,
        b_eq=np.zeros(int(free.sum())) if free.any() else None,
        bounds=[(None, None)] * A.shape[1],
        method="highs",
    )
    if res.status != 0:
        raise RuntimeError(f"margin LP failed: {res.message}")
    return float(res.fun), res.x


def pushable_rows(A_tilde, sigmas, targets=None) -> list[np.ndarray]:
    """Per pattern, the free hard rows that a direction pushes to +inf with the others fixed.

    One block per free nonzero row i: max tau s.t. a_i . d >= tau, A~_{F minus i} d = 0,
    sigma_S A~_S d >= 0, |d|_inf <= 1, tau <= 1; row i is pushable iff tau > 0.  Such a
    row would lower E by its whole error (1 - theta)^2 > 0, so the face is not a minimum.
    (At a critical point x* of E_F this cannot happen: grad E_F(x*) . d = -2 w_i a_i . d < 0.)
    A soft row is never asked: at a critical point it could only be pushable if it sat
    at its own target (theta = t, error 0), and pushing it would raise its error.
    """
    A = _as_matrix(A_tilde)
    sigmas = _as_patterns(sigmas, A.shape[0])
    n, m = A.shape
    hard = np.ones(n, bool) if targets is None else np.asarray(targets) == 1.0
    groups, owners = [], []
    for sigma in sigmas:
        sat = sigma != 0
        rows = [i for i in np.flatnonzero(~sat & hard) if np.any(A[i] != 0)]
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
            LPBlocks(
                M.reshape(len(rows), 2 * n, m + 1),
                np.zeros((len(rows), 2 * n)),
                np.r_[-np.ones(m), -np.inf],
                np.r_[np.ones(m), 1.0],
            )
        )
    solved = iter(solve_lp_blocks(groups)) if groups else iter(())
    tol = TAU_TOL * _row_scale(A)
    return [rows[next(solved)[:, -1] > tol] if rows.size else rows for rows in owners]


def static_rows(A_tilde, sigma) -> np.ndarray:
    """The saturated rows of ``sigma`` that no direction of its cone moves: (n,) bool.

    A path along which the free rows stay bounded and the saturated rows keep their signs
    has its direction d in the closed cone sigma_k a_k . d >= 0 (k in S), A~_F d = 0.  A
    row k of S whose slope is 0 on the whole cone (an *implicit equality*) cannot diverge,
    however deep in its tail it sits: it is saturated at a finite point, and stays a free
    row of the reduced problem.  One LP finds them all: max sum_k s_k subject to
    sigma_k a_k . d >= s_k, 0 <= s_k <= 1 (k in S), A~_F d = 0, d free.  The cone is a
    cone, so every row that some direction moves reaches s_k = 1 at the optimum (a sum of
    such directions, scaled, moves them all at once) and every implicit equality has
    s_k = 0.
    """
    A = _as_matrix(A_tilde)
    sigma = np.asarray(sigma)
    sat, free = sigma != 0, sigma == 0
    k, m = int(sat.sum()), A.shape[1]
    if k == 0:
        return np.zeros(len(sigma), dtype=bool)
    rows = np.flatnonzero(sat)
    G = np.zeros((k, m + k))
    G[:, :m] = -(sigma[sat, None] * A[sat])
    G[np.arange(k), m + np.arange(k)] = 1.0
    from scipy.optimize import linprog  # lazy: most jobs never solve one

    res = linprog(
        np.r_[np.zeros(m), -np.ones(k)],
        A_ub=G,
        b_ub=np.zeros(k),
        A_eq=np.c_[A[free], np.zeros((int(free.sum()), k))] if free.any() else None,
        b_eq=np.zeros(int(free.sum())) if free.any() else None,
        bounds=[(None, None)] * m + [(0.0, 1.0)] * k,
        method="highs",
    )
    if res.status != 0:
        raise RuntimeError(f"static-row LP failed: {res.message}")
    out = np.zeros(len(sigma), dtype=bool)
    out[rows[res.x[m:] < 0.5]] = True
    return out
