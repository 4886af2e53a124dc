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
   (:func:`cones.face_margins`).  For power tails (k = 0) a row at -1 always wins (z^-p
   against z^-2p).

This module holds the decision (:func:`analyse_faces`) and the reduced problem; the
linear programs on the faces' cones are in :mod:`cones`.  See ``docs/minima.md``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..models.neuron import energy, hessian, row_space
from ..models.tails import energy_tail, limit_is_minimum
from ..models.theta import Theta
from .cones import (
    MARGIN_TOL,
    _as_matrix,
    _as_patterns,
    face_directions,
    face_margins,
    face_slopes,
    pushable_rows,
    static_rows,
)
from .descent import FINITE, PARKED, descend
from .kernels import SAT_TOL
from .steps import PD_RTOL

RANK_RTOL = 1e-10  # singular values below this (relative) count as zero
MAX_DEPTH = 8  # refinements of one candidate (rows released or saturated in turn)


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
# (ii) the reduced problem on the free rows
# --------------------------------------------------------------------------------------


def reduced_minimum(
    A_tilde, sigma, theta: Theta, x0=None, *, sat_tol=SAT_TOL, targets=None
) -> ReducedMinimum:
    """Descend E_F from x0 in the row space of A~_F (E_F is constant along ker A~_F).

    Uses the batched descent of :mod:`descent` on the reduced matrix A~_F Q, Q an
    orthonormal basis of that row space, so a reduced minimum is nondegenerate there.
    """
    A = _as_matrix(A_tilde)
    sigma = _as_patterns(sigma, A.shape[0])[0]
    free = sigma == 0
    m = A.shape[1]
    x0 = np.zeros(m) if x0 is None else np.asarray(x0, dtype=float)
    Q = row_space(A[free], RANK_RTOL)
    n_free = int(free.sum())
    none = np.zeros(n_free, dtype=np.int64)
    t_free = _free_targets(targets, free)
    if Q.shape[1] == 0:  # every free row is zero: E_F = sum of t^2, constant
        E_free = float(n_free if t_free is None else np.sum(np.square(t_free)))
        return ReducedMinimum("finite", np.zeros(m), np.zeros(n_free), E_free, none)
    M = A[free] @ Q
    runs = descend(M, (Q.T @ x0)[None, :], theta, targets=t_free, sat_tol=sat_tol)
    banned = []
    for _ in range(MAX_DEPTH):
        if runs.status[0] != PARKED:
            break
        # parked with rows saturated: an escape only if some of them can diverge; rows
        # that no direction moves (deep in a tail at a finite point) are free rows here,
        # and the reduced descent goes on with that pattern barred
        escaped = runs.sigma[0].astype(np.int64)
        moving = np.where(static_rows(M, escaped), 0, escaped)
        if moving.any():
            return ReducedMinimum("escaped", Q @ runs.x[0], M @ runs.x[0], np.nan, moving)
        banned.append(escaped)
        runs = descend(M, runs.x, theta, targets=t_free, sat_tol=sat_tol, banned=np.array(banned))
    u = runs.x[0]
    z_free = M @ u
    if runs.status[0] == FINITE:
        E_free = float(energy(M, u, theta, t_free))
        return ReducedMinimum("finite", Q @ u, z_free, E_free, none)
    return ReducedMinimum("undecided", Q @ u, z_free, np.nan, none)


def _free_targets(targets, free):
    return None if targets is None else np.asarray(targets, dtype=float)[free]


def _reduced_is_minimum(A, sigma, reduced: ReducedMinimum, theta: Theta, targets=None) -> bool:
    """Hessian of E_F at x_base positive definite on the row space of A~_F."""
    free = sigma == 0
    Q = row_space(A[free], RANK_RTOL)
    if Q.shape[1] == 0:
        return True
    M = A[free] @ Q
    lam = np.linalg.eigvalsh(hessian(M, Q.T @ reduced.x_base, theta, _free_targets(targets, free)))
    return bool(lam[0] > PD_RTOL * max(abs(lam[-1]), np.finfo(float).tiny))


# --------------------------------------------------------------------------------------
# The whole decision
# --------------------------------------------------------------------------------------


def _ray_verdict(A, sigma, direction, theta, targets=None) -> bool | None:
    """Tail verdict along x_base + t d; None when the leading terms cancel exactly."""
    try:
        return bool(limit_is_minimum(face_slopes(A, sigma, direction), theta, targets))
    except ValueError:
        return None


def _ray_verdicts(A, sigmas, directions, theta, targets=None) -> list[bool | None]:
    """:func:`_ray_verdict` for many faces at once (the leading tail terms, vectorised).

    Faces whose leading terms come close to cancelling are handed to the exact
    one-at-a-time verdict, which refuses (None) when they cancel.
    """
    if not len(sigmas):
        return []
    slopes = np.where(sigmas != 0, np.asarray(directions) @ A.T, 0.0)
    tail = energy_tail(slopes, theta, targets)
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
        bool(t > 0) if ok else _ray_verdict(A, s, d, theta, targets)
        for t, ok, s, d in zip(total, clear, sigmas, directions)
    ]


@dataclass
class _Candidate:
    """A feasible face with its reduced minimum, waiting for the margin and push tests."""

    sigma: np.ndarray
    reduced: ReducedMinimum
    direction: np.ndarray
    ray: bool | None = None
    targets: np.ndarray | None = None  # the rows' targets t (None: hard)

    def result(self, theta, status, reason, margin=np.nan, is_minimum=False) -> FaceResult:
        z_limit = self.sigma.astype(float)
        z_limit[self.sigma == 0] = theta.value(self.reduced.z_free)
        if self.targets is None:
            E_limit = 4.0 * np.count_nonzero(self.sigma == -1) + self.reduced.E_free
        else:  # each saturated row at its limit: (1 - t)^2 at +1, (1 + t)^2 at -1
            t = self.targets
            at_limit = np.square(1.0 - self.sigma * t)[self.sigma != 0]
            E_limit = float(np.sum(at_limit)) + self.reduced.E_free
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


def analyse_faces(
    A_tilde, sigmas, theta: Theta, x0s=None, *, sat_tol=SAT_TOL, targets=None, depth=0
):
    """Decide, for each pattern sigma (reached near x0), whether it is a minimum at infinity.

    (i) The face by direction: rows of sigma that no direction of its cone moves
    (:func:`cones.static_rows`) are saturated at a finite point, not at infinity -- they
    become free rows of the reduced problem, and the refined pattern is analysed instead
    (a pattern with no row left that can diverge is no face: "infeasible"); LP
    feasibility and a direction of sigma (:func:`face_directions`).  (ii) Descend the
    reduced problem E_F from x0 -- if free rows saturate as well, the candidate is refined
    to the larger pattern and analysed again.  (iii) The limit must be approached from
    above along the face's own ray (tails), no row whose tail term subtracts may win in
    any direction of the cone (:func:`face_margins`), and no free hard row may be
    pushable to +1 (:func:`pushable_rows`).  ``targets`` are the rows' sign-flipped
    targets (None: hard); ``depth`` bounds the refinements (internal).

    Returns a list of :class:`FaceResult`, one per pattern.
    """
    A = _as_matrix(A_tilde)
    sigmas = _as_patterns(sigmas, A.shape[0])
    n, m = A.shape
    x0s = np.zeros((len(sigmas), m)) if x0s is None else np.array(x0s, dtype=float, ndmin=2)
    targets = None if targets is None or np.all(np.asarray(targets) == 1.0) else targets
    targets = None if targets is None else np.asarray(targets, dtype=float)
    feasible, directions = face_directions(A, sigmas)
    results: list[FaceResult | None] = [None] * len(sigmas)
    pending, refine = [], []
    vertex = np.all(sigmas != 0, axis=1)
    nothing = ReducedMinimum("finite", np.zeros(m), np.zeros(0), 0.0, np.zeros(0, np.int64))
    for f, sigma in enumerate(sigmas):
        if not feasible[f]:
            static = static_rows(A, sigma)
            released = np.where(static, 0, sigma)
            if static.any() and np.any(released != 0) and depth < MAX_DEPTH:
                refine.append((f, released, x0s[f]))
            else:
                results[f] = _infeasible(sigma, n, m)
            continue
        if vertex[f]:  # every row saturated: E_F = 0, nothing to descend
            pending.append((f, _Candidate(sigma, nothing, directions[f], targets=targets)))
            continue
        reduced = reduced_minimum(A, sigma, theta, x0s[f], sat_tol=sat_tol, targets=targets)
        cand = _Candidate(sigma, reduced, directions[f], targets=targets)
        if reduced.status == "escaped":
            refined = sigma.copy()
            refined[sigma == 0] = reduced.escaped
            if depth < MAX_DEPTH:
                refine.append((f, refined, reduced.x_base))
            else:
                results[f] = cand.result(theta, "undecided", "the refinements did not settle")
            continue
        if reduced.status == "undecided":
            results[f] = cand.result(theta, "undecided", "the reduced descent did not settle")
        elif not _reduced_is_minimum(A, sigma, reduced, theta, targets):
            results[f] = cand.result(theta, "saddle", "the reduced problem has no minimum there")
        else:
            pending.append((f, cand))
    rays = _ray_verdicts(
        A,
        np.array([c.sigma for _, c in pending]).reshape(-1, n),
        [c.direction for _, c in pending],
        theta,
        targets,
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
            A,
            [r[1] for r in refine],
            theta,
            [r[2] for r in refine],
            sat_tol=sat_tol,
            targets=targets,
            depth=depth + 1,
        )
        for (f, _, _), res in zip(refine, sub):
            results[f] = res
    _decide_pending(A, theta, waiting, results, targets)
    return results


def _decide_pending(A, theta, pending, results, targets=None) -> None:
    """Margins for every pending face at once, then the push test for the survivors."""
    if not pending:
        return
    sigmas = np.array([c.sigma for _, c in pending])
    directions = np.array([c.direction for _, c in pending])
    margins, witnesses = face_margins(A, sigmas, directions, theta, targets)
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
            tie = bool(_ray_verdict(A, cand.sigma, witness, theta, targets))
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
        found = pushable_rows(A, np.array([survivors[j][1].sigma for j in partial]), targets)
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


def analyse_face(
    A_tilde, sigma, theta: Theta, x0=None, *, sat_tol=SAT_TOL, targets=None
) -> FaceResult:
    """:func:`analyse_faces` for a single pattern."""
    x0s = None if x0 is None else np.asarray(x0, dtype=float)[None, :]
    sigmas = np.asarray(sigma)[None, :]
    return analyse_faces(A_tilde, sigmas, theta, x0s, sat_tol=sat_tol, targets=targets)[0]
