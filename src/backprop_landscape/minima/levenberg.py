"""Levenberg-Marquardt on grad E = 0 from many starts at once, and refinement.

The first two steps of the stationary-point search of a network
(:func:`..stationary.find_stationary_points`); S starts are arrays (S, P), and every
Python loop here runs over iterations, never over starts.

* **Starts** (:func:`sample_starts`): the design of :mod:`.starts` (half isotropic
  directions, half "per weight", radii log-uniform and stratified) at the scales of a
  network's weights, [0.1, 10] by default.
* **Search** (:func:`solve_gradient_system`): a Levenberg-Marquardt solve of the
  gradient system grad E = 0 with the exact Hessian H as Jacobian.  The merit is
  ||grad E||^2, so saddles and maxima attract as much as minima do.  The step solves
  (H^2 + mu I) step = -H grad E (one batched LU solve; an eigendecomposition per start
  and iteration would cost ten times more); mu is a per-start damping (times the largest
  diagonal entry of H^2), lowered after each accepted step and raised after each
  rejected one, and no step moves a weight by more than TRUST (1 + max |w|).  A run ends
  *converged* when every component of grad E is within LOOSE of its rounding level,
  *diverged* when some unit is saturated to double precision on every sample
  (|pre-activation| >= z_far, see ``models.activations``: it acts as a constant and its
  weights' gradient is below rounding) or the weights pass X_MAX -- ||grad E|| also
  tends to 0 along such runs, so without this test they would pass for stationary
  points -- and *stalled* when the damping is at its maximum (a nonzero local minimum
  of ||grad E||^2, where Hess E is singular along grad E), when ||grad E||^2 has not
  halved in PROGRESS_WINDOW iterations (too slow to finish), or the budget is spent.
* **Refinement** (:func:`refine`): Newton steps with the pseudo-inverse (eigenvalues
  below ZERO_RTOL of the largest left out, so degenerate directions stay put), the best
  of several step multiples, until every |dE/dw_k| <= ROUND times its rounding level:
  the gradient that summing its terms and rounding w (relative to max |w|) produce
  (``Network.gradient_rounding``).  Points that do not get there are not reported.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..models.network import Network
from .starts import sample_starts as _design_starts

RUNNING, CONVERGED, DIVERGED, STALLED = 0, 1, 2, 3
STATUS_NAMES = {
    RUNNING: "running",
    CONVERGED: "converged",
    DIVERGED: "diverged",
    STALLED: "stalled",
}

MAX_ITER = 150  # Levenberg-Marquardt iterations per start
LOOSE = 1e6  # the search hands a run to refinement at LOOSE x rounding level
ROUND = 100.0  # refined: ||grad E|| <= ROUND x rounding level
REFINE_ITER = 100  # Newton iterations of the refinement (linear convergence at singular points)
REFINE_ALPHAS = np.array([4.0, 3.0, 2.0, 1.5, 1.0, 0.5, 0.25, 2.0**-3, 2.0**-5, 2.0**-8, 2.0**-11])
ZERO_RTOL = 1e-8  # |lambda| <= ZERO_RTOL (max |lambda| or the terms' size) is zero
NU_START, NU_MIN, NU_MAX = 1e-3, 1e-12, 1e8  # LM damping, relative to max diag(H^2)
NU_DOWN, NU_UP = 0.3, 10.0
DIVERGE_EVERY = 5  # iterations between the (forward-pass) tests for divergence
PROGRESS_WINDOW, PROGRESS_RATIO = 25, 0.5  # stalled: ||grad E||^2 fell < 2x in 25 iterations
TRUST = 1.0  # no step moves a weight by more than TRUST (1 + max |w|)
X_MAX = 1e4  # weights beyond this: diverged (for units that never saturate, e.g. linear)


def sample_starts(P: int, n_starts: int, seed=0, r_min: float = 0.1, r_max: float = 10.0):
    """n_starts parameter vectors in R^P spread over directions and over scales.

    :func:`.starts.sample_starts` with its default ``"mixed"`` design at a network's
    scales: the first half isotropic directions, the rest "per weight" (each coordinate
    an independent sign and a log-uniform magnitude over r_max / r_min, then normalised:
    one weight can be near 10 while another is near 0.01, as at the points where an
    output weight vanishes and its unit's input weights are free); radii log-uniform in
    [r_min, r_max]; all stratified.  ``seed`` is an int or a numpy Generator.
    """
    return _design_starts(P, n_starts, seed, r_min, r_max)


@dataclass
class Runs:
    """Per-start outcome of :func:`solve_gradient_system` (arrays over starts)."""

    x: np.ndarray  # (S, P) end point
    status: np.ndarray  # (S,) CONVERGED / DIVERGED / STALLED
    iterations: np.ndarray  # (S,)
    # set by stationary.find_stationary_points when it also descends every start
    descents: object = None  # limits.Descents
    descent_rows: np.ndarray | None = None  # (S,) each descent's row in its table, or -1


def _diverged(net: Network, U, X) -> np.ndarray:
    """Some unit saturated to double precision on every sample, or weights beyond X_MAX."""
    return (net.unit_saturation(X, U) >= 1.0) | (np.abs(X).max(axis=1) > X_MAX)


def _at_rounding(G, tol, factor: float) -> np.ndarray:
    """|dE/dw_k| <= factor * tol_k for every component k: shape (S,)."""
    return np.all(np.abs(G) <= factor * tol, axis=1)


def _lm_step(Hs, G, nu):
    """Solve (H^2 + mu I) step = -H g for every start; mu = nu * max diag(H^2).

    mu relative to the largest diagonal entry (not to the trace) keeps it above the
    rounding of that entry, so the matrix stays nonsingular in floating point even when
    H is rank deficient (two identical units, a dead unit).  Should LU still meet an
    exact zero pivot somewhere in the batch, the batch is redone by eigendecomposition.
    """
    P = Hs.shape[1]
    H2 = np.matmul(Hs, Hs)  # H' H, H being symmetric
    diag = np.arange(P)
    mu = nu * np.maximum(H2[:, diag, diag].max(axis=1), 1e-300)
    H2[:, diag, diag] += mu[:, None]
    rhs = -np.einsum("spq,sq->sp", Hs, G)
    try:
        return np.linalg.solve(H2, rhs[:, :, None])[:, :, 0]
    except np.linalg.LinAlgError:
        lam, V = np.linalg.eigh(Hs)
        gt = np.einsum("spk,sp->sk", V, G)
        return np.einsum("spk,sk->sp", V, -lam * gt / (lam * lam + mu[:, None]))


def solve_gradient_system(net: Network, U, y, starts, max_iter: int = MAX_ITER) -> Runs:
    """Levenberg-Marquardt on grad E = 0 from every start at once (see the module doc).

    Parameters
    ----------
    net : Network
    U, y : array_like
        Inputs (n, m) and targets (n,) in the output's coding.
    starts : array_like, shape (S, P)
    max_iter : int

    Returns
    -------
    Runs
        End points, statuses and iteration counts.
    """
    U, y = net.check_data(U, y)
    X = np.array(starts, dtype=float, copy=True)
    S, P = X.shape
    status = np.full(S, RUNNING)
    iterations = np.zeros(S, dtype=np.int64)
    _, G, Hs, scale = net.kernel(X, U, y, 2, with_scale=True)
    phi = np.einsum("sp,sp->s", G, G)
    nu = np.full(S, NU_START)
    status[_diverged(net, U, X)] = DIVERGED
    phi_then = phi.copy()  # ||grad E||^2 at the last progress check
    for it in range(max_iter):
        act = np.flatnonzero(status == RUNNING)
        if not act.size:
            break
        iterations[act] += 1
        Ha = Hs[act]
        step = _lm_step(Ha, G[act], nu[act])
        limit = TRUST * (1.0 + np.abs(X[act]).max(axis=1))
        step /= np.maximum(1.0, np.abs(step).max(axis=1) / limit)[:, None]
        Xt = X[act] + step
        _, Gt, Ht, st = net.kernel(Xt, U, y, 2, with_scale=True)
        phit = np.einsum("sp,sp->s", Gt, Gt)
        ok = phit < phi[act]
        good = act[ok]
        X[good], G[good], Hs[good], scale[good], phi[good] = (
            Xt[ok],
            Gt[ok],
            Ht[ok],
            st[ok],
            phit[ok],
        )
        nu[act] = np.where(ok, np.maximum(nu[act] * NU_DOWN, NU_MIN), nu[act] * NU_UP)
        if good.size:
            tol = net.rounding_level(X[good], Hs[good], scale[good])
            status[good[_at_rounding(G[good], tol, LOOSE)]] = CONVERGED
            if it % DIVERGE_EVERY == 0:  # a terminal state: checking now and then suffices
                still = good[status[good] == RUNNING]
                status[still[_diverged(net, U, X[still])]] = DIVERGED
        status[act[(nu[act] > NU_MAX) & (status[act] == RUNNING)]] = STALLED
        if (it + 1) % PROGRESS_WINDOW == 0:
            # too slow to finish within the budget: a nonzero minimum of ||grad E||^2
            # approached, or a stationary point at infinity crept towards
            slow = (status == RUNNING) & (phi > PROGRESS_RATIO * phi_then)
            status[slow] = STALLED
            phi_then = phi.copy()
    running = np.flatnonzero(status == RUNNING)
    status[running[_diverged(net, U, X[running])]] = DIVERGED
    status[status == RUNNING] = STALLED
    return Runs(X, status, iterations)


def _tolerance_floor(tol):
    """Rounding levels with a floor (1e-20 of the largest, and 1e-300): safe to divide by."""
    return np.maximum(tol, np.maximum(1e-20 * tol.max(axis=1, keepdims=True), 1e-300))


def refine(net: Network, U, y, X, n_iter: int = REFINE_ITER):
    """Newton steps with the pseudo-inverse until ||grad E|| is at rounding level.

    Eigenvalues below ZERO_RTOL of the largest are left out, so a point on a manifold of
    stationary points is not pushed along it.  Each step is scaled by the best of
    REFINE_ALPHAS (all tried at once, by the largest ratio |dE/dw_k| / rounding level of
    w_k at the current point): near a singular stationary set --
    where branches of it cross, as near W = 0 for XOR -- the plain Newton step
    overshoots, and multiples above 1 recover the speed that a root of higher
    multiplicity costs Newton's method.

    Returns
    -------
    X : ndarray (S, P)
        Refined points (a step is kept only if it lowers the largest ratio of a component
        of grad E to its rounding level).
    grad_norm, grad_tol : ndarray (S,)
        ||grad E|| and the norm of its rounding level (``Network.gradient_rounding``).
    refined : ndarray of bool (S,)
        Every |dE/dw_k| <= ROUND times its own rounding level (so grad_norm <= ROUND *
        grad_tol as well).
    """
    U, y = net.check_data(U, y)
    X = np.array(X, dtype=float, copy=True)
    S, P = X.shape
    _, G, Hs, scale = net.kernel(X, U, y, 2, with_scale=True)
    norm = np.linalg.norm(G, axis=1)
    tol = net.rounding_level(X, Hs, scale)
    active = ~_at_rounding(G, tol, ROUND)
    K = len(REFINE_ALPHAS)
    for _ in range(n_iter):
        act = np.flatnonzero(active)
        if not act.size:
            break
        lam, V = np.linalg.eigh(Hs[act])
        big = np.abs(lam) > ZERO_RTOL * np.abs(lam).max(axis=1, keepdims=True)
        inv = np.where(big, 1.0 / np.where(big, lam, 1.0), 0.0)
        step = -np.einsum("spk,sk->sp", V, inv * np.einsum("spk,sp->sk", V, G[act]))
        limit = TRUST * (1.0 + np.abs(X[act]).max(axis=1))
        step /= np.maximum(1.0, np.abs(step).max(axis=1) / limit)[:, None]
        trials = X[act][:, None, :] + REFINE_ALPHAS[None, :, None] * step[:, None, :]
        Gt = net.kernel(trials.reshape(-1, P), U, y, 1)[1].reshape(len(act), K, P)
        # measured against the rounding level, component by component (the test that
        # ends refinement): in norm, the output weights' gradient, already at its
        # rounding level, would hide a unit's weights that still have far to go
        weight = 1.0 / _tolerance_floor(tol[act])
        nt = np.abs(Gt * weight[:, None, :]).max(axis=2)
        best = np.argmin(nt, axis=1)
        ok = nt[np.arange(len(act)), best] < np.abs(G[act] * weight).max(axis=1)
        good = act[ok]
        active[act[~ok]] = False  # no trial gets closer to rounding level: as far as it goes
        if not good.size:
            continue
        X[good] = trials[ok, best[ok]]
        _, G[good], Hs[good], scale[good] = net.kernel(X[good], U, y, 2, with_scale=True)
        norm[good] = np.linalg.norm(G[good], axis=1)
        tol[good] = net.rounding_level(X[good], Hs[good], scale[good])
        active[good] = ~_at_rounding(G[good], tol[good], ROUND)
    return X, norm, np.linalg.norm(tol, axis=1), _at_rounding(G, tol, ROUND)
