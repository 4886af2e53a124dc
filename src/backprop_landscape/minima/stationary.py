"""Every stationary point of a network's E, by index; limits at infinity and plateaus.

S starts are handled at once as arrays (S, P); every Python loop below runs over
iterations, probes or classes of points, never over starts.

* **Starts** (:func:`sample_starts`) spread over directions and over scales, as the
  neuron's are: half isotropic directions, half "per weight" (each weight its own
  log-uniform magnitude and sign), radii log-uniform in [r_min, r_max], stratified.
* **Search** (:func:`solve_gradient_system`): a Levenberg-Marquardt solve of the
  gradient system grad E = 0 with the exact Hessian H as Jacobian.  The merit is
  ||grad E||^2, so saddles and maxima attract as much as minima do.  The step solves
  (H^2 + mu I) step = -H grad E (one batched LU solve; an eigendecomposition per start
  and iteration would cost ten times more); mu is a per-start damping (times the largest
  diagonal entry of H^2), lowered after each accepted step and raised after each
  rejected one, and no step moves a weight by more than 1 + max |w|.  A run ends
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
  (``Network.gradient_rounding``).  Points that do not get there are not reported
  (counted in ``attrs["n_unrefined"]``).
* **Classification** (:func:`classify`): eigenvalues of the Hessian; zero when |lambda|
  <= ZERO_RTOL times the larger of max |lambda| and the size of the Hessian's terms
  (``Network.hessian_scale``).  index = #negative, nullity = #zero.  Nondegenerate:
  index 0 minimum, index P maximum, otherwise saddle.  Degenerate with a negative
  eigenvalue: degenerate-saddle.  Degenerate with none: decided by probing
  (:func:`probe_descent`): a degenerate-saddle if a descending path leaves it, else a
  degenerate-minimum ("no descending path found").
* **Classes** (:mod:`.symmetry`): E and the outputs on the samples are invariant under
  the symmetry group.  Nondegenerate points with equal invariants and index merge when
  an image of one is the other; each class's ``class_size`` is the orbit size of its
  representative.  Degenerate points lie on sets of stationary points of positive
  dimension (a unit with v_j = 0 leaves W_j free, for example), along which the index
  may change, so all degenerate points with the same E and outputs are one row: index
  and nullity of its representative (a point of least index; a probed minimum if there
  is one), ``index_max`` the largest index seen on it, ``n_points`` the distinct points
  found, ``class_size`` the orbit size of the representative point.  It is a
  degenerate-minimum when one of its index-0 points (up to PROBE_POINTS, spread over
  the set) has no descending path.
* **Limits at infinity** (:func:`analyse_limits`): diverging runs are scaled back if
  they are saturated beyond analysis and followed by a saddle-free Newton descent until
  they settle; the pattern of saturated (unit, sample) pairs, the limit E with
  saturated values replaced by their limits, and the verdict: *plateau* when probing
  finds a path that leaves the limit descending below it, *minimum-at-infinity* when
  none is found.

See ``docs/networks.md`` for what a count of found points can and cannot show.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd
from scipy import special
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from ..models.network import Network
from .symmetry import orbit_sizes, symmetry_classes, symmetry_distance

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
SAME_RTOL = 1e-6  # points (and invariants) closer than this, relative, are one
KINDS = ("minimum", "saddle", "maximum", "degenerate-saddle", "degenerate-minimum")

# probing of degenerate points and of limits
PROBE_RADII = (1e-3, 1e-2, 1e-1)  # probe distances, times 1 + max |w|
PROBE_RANDOM = 8  # random directions per point (within the null space, and in all of R^P)
PROBE_ITER = 60  # descent iterations from each probe point
PROBE_POINTS = 4  # index-0 points probed per degenerate set, spread over it
DROP_RTOL = 1e-8  # a probe descends when it reaches E* - DROP_RTOL (1 + |E*|)
RISE_RTOL = 1e-10  # ... after rising at most RISE_RTOL (1 + |E*|) on the way out
SEGMENT = 9  # points at which the segment from the point to a probe point is checked

# descent (probes and limits)
ALPHAS = 2.0 ** np.arange(3, -13, -1)  # line-search trials, all evaluated at once
FLOOR_RTOL = 1e-10  # smallest |lambda| a saddle-free Newton step divides by, relative
FOLLOW_ITER = 400  # iterations to follow a diverging run
SETTLE_ITER = 5  # ... it has settled after this many iterations without a visible decrease
SETTLE_RTOL = 1e-12  # ... or once E is this close (relative) to the E of its limit
LIMIT_GAP = 1e-6  # a (unit, sample) pair whose gap is below this (of the range) is saturated
LIMIT_RADII = (1e-2, 1e-1, 0.3)  # probe distances around a settled run, times 1 + max |w|
PULL_GAP = 1e-8  # runs saturated deeper than this gap are scaled back before being followed

COLUMNS = [
    "problem",
    "model",
    "E",
    "index",
    "degenerate",
    "kind",
    "class_size",
    "grad_norm",
    "grad_tol",
    "nullity",
    "index_max",
    "n_starts",
    "n_points",
    "eig_min",
    "eig_max",
    "depth",
    "x",
    "outputs",
]
LIMIT_COLUMNS = [
    "problem",
    "model",
    "kind",
    "E_limit",
    "E_end",
    "n_runs",
    "n_patterns",
    "runs",
    "hidden_pattern",
    "output_pattern",
    "norm_end",
    "probe_drop",
    "probe_rise",
    "x_end",
]


# --------------------------------------------------------------------------------------
# Starts
# --------------------------------------------------------------------------------------


def sample_starts(P: int, n_starts: int, seed=0, r_min: float = 0.1, r_max: float = 10.0):
    """n_starts parameter vectors in R^P spread over directions and over scales.

    The first half have isotropic directions, the rest "per weight" directions (each
    coordinate an independent sign and a log-uniform magnitude over r_max / r_min, then
    normalised: one weight can be near 10 while another is near 0.01, as at the points
    where an output weight vanishes and its unit's input weights are free).  Radii are
    log-uniform in [r_min, r_max].  All draws are stratified (Latin hypercube).  ``seed``
    is an int or a numpy Generator.  (The same design as ``minima.multistart``'s, written
    here for parameter vectors.)
    """
    if not (0 < r_min <= r_max and np.isfinite(r_max)):
        raise ValueError(f"need 0 < r_min <= r_max < inf; got r_min={r_min!r}, r_max={r_max!r}")
    if n_starts < 1 or P < 1:
        raise ValueError(f"need n_starts >= 1 and P >= 1; got {n_starts!r}, {P!r}")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    n_iso = n_starts // 2
    lo, hi = np.log(r_min), np.log(r_max)
    U = _latin_hypercube(n_iso, P + 1, rng)
    directions = special.ndtri(U[:, 1:])
    directions /= np.maximum(np.linalg.norm(directions, axis=1, keepdims=True), 1e-300)
    isotropic = directions * np.exp(lo + (hi - lo) * U[:, :1])
    W = _latin_hypercube(n_starts - n_iso, 2 * P + 1, rng)
    shape = np.where(W[:, P : 2 * P] < 0.5, -1.0, 1.0) * np.exp((lo - hi) * W[:, :P])
    shape /= np.linalg.norm(shape, axis=1, keepdims=True)
    per_weight = shape * np.exp(lo + (hi - lo) * W[:, 2 * P :])
    return np.concatenate([isotropic, per_weight])


def _latin_hypercube(n: int, d: int, rng) -> np.ndarray:
    """n points in (0, 1)^d, one in each of n equal slices of every coordinate."""
    slices = np.argsort(rng.random((d, n)), axis=1).T
    return (slices + rng.uniform(size=(n, d))) / n


# --------------------------------------------------------------------------------------
# Search and refinement
# --------------------------------------------------------------------------------------


@dataclass
class Runs:
    """Per-start outcome of :func:`solve_gradient_system` (arrays over starts)."""

    x: np.ndarray  # (S, P) end point
    status: np.ndarray  # (S,) CONVERGED / DIVERGED / STALLED
    iterations: np.ndarray  # (S,)


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


def refine(net: Network, U, y, X, n_iter: int = REFINE_ITER):
    """Newton steps with the pseudo-inverse until ||grad E|| is at rounding level.

    Eigenvalues below ZERO_RTOL of the largest are left out, so a point on a manifold of
    stationary points is not pushed along it.  Each step is scaled by the best of
    REFINE_ALPHAS (all tried at once, by ||grad E||): near a singular stationary set --
    where branches of it cross, as near W = 0 for XOR -- the plain Newton step
    overshoots, and multiples above 1 recover the speed that a root of higher
    multiplicity costs Newton's method.

    Returns
    -------
    X : ndarray (S, P)
        Refined points (a step is kept only if it lowers ||grad E||).
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
        nt = np.linalg.norm(Gt, axis=2)
        best = np.argmin(nt, axis=1)
        ok = nt[np.arange(len(act)), best] < norm[act]
        good = act[ok]
        active[act[~ok]] = False  # no trial lowers ||grad E||: as far as it goes
        if not good.size:
            continue
        X[good] = trials[ok, best[ok]]
        _, G[good], Hs[good], scale[good] = net.kernel(X[good], U, y, 2, with_scale=True)
        norm[good] = np.linalg.norm(G[good], axis=1)
        tol[good] = net.rounding_level(X[good], Hs[good], scale[good])
        active[good] = ~_at_rounding(G[good], tol[good], ROUND)
    return X, norm, np.linalg.norm(tol, axis=1), _at_rounding(G, tol, ROUND)


def _zero_level(net: Network, U, y, X, lam) -> np.ndarray:
    """|lambda| at or below which an eigenvalue counts as zero: shape (S,).

    ZERO_RTOL times the larger of max |lambda| and the size of the Hessian's terms
    (``Network.hessian_scale``): relative to max |lambda| alone, a point where the whole
    Hessian nearly vanishes (a highly degenerate one) would see its rounding-level
    eigenvalues as a full spectrum.
    """
    scale = np.maximum(np.abs(lam).max(axis=1), net.hessian_scale(X, U, y))
    return ZERO_RTOL * np.maximum(scale, 1e-300)


def classify(net: Network, U, y, X):
    """Index, nullity and the eigenvalue range of the Hessian at each point.

    Returns
    -------
    dict of arrays (S,)
        ``index`` (#lambda < -zero), ``nullity`` (#|lambda| <= zero), ``eig_min``,
        ``eig_max`` and ``kind`` before probing: minimum, saddle, maximum,
        degenerate-saddle, or "degenerate" (positive semidefinite with zero eigenvalues:
        to be probed).  Zero: see :func:`_zero_level`.
    """
    Hs = net.hessian(X, U, y).reshape(-1, net.n_params, net.n_params)
    lam = np.linalg.eigvalsh(Hs)
    zero = _zero_level(net, U, y, X, lam)
    index = np.count_nonzero(lam < -zero[:, None], axis=1)
    nullity = np.count_nonzero(np.abs(lam) <= zero[:, None], axis=1)
    P = net.n_params
    kind = np.where(
        nullity == 0,
        np.where(index == 0, "minimum", np.where(index == P, "maximum", "saddle")),
        np.where(index > 0, "degenerate-saddle", "degenerate"),
    ).astype(object)
    return {
        "index": index,
        "nullity": nullity,
        "eig_min": lam[:, 0],
        "eig_max": lam[:, -1],
        "kind": kind,
    }


# --------------------------------------------------------------------------------------
# Descent and probing
# --------------------------------------------------------------------------------------


def descend(net: Network, U, y, X, n_iter: int, return_history: bool = False, settle=None):
    """Saddle-free Newton descent of E from every row of X at once.

    Step -V diag(1 / max(|lambda|, floor)) V' grad E (negative curvature is descended,
    not climbed), at most TRUST (1 + max |w|) in any weight, then the best of the
    line-search trials ALPHAS (all evaluated in one call); a point stays put when no
    trial lowers E.  A point stops after SETTLE_ITER iterations without a decrease, or,
    with ``settle`` (a function of the points returning the E they are heading to),
    once its E is within SETTLE_RTOL (1 + |limit|) of that limit and its last step
    gained no more than that (the free part has stopped moving too).

    Returns
    -------
    X : ndarray (S, P)
    E : ndarray (S,)
    idle : ndarray (S,)
        Consecutive iterations at the end without a decrease.
    """
    U, y = net.check_data(U, y)
    X = np.array(X, dtype=float, copy=True)
    S, P = X.shape
    E = net.kernel(X, U, y, 0)[0]
    idle = np.zeros(S, dtype=np.int64)
    K = len(ALPHAS)
    history = [X.copy()] if return_history else None
    for _ in range(n_iter):
        act = np.flatnonzero(idle < SETTLE_ITER)
        if not act.size:
            break
        _, G, Hs = net.kernel(X[act], U, y, 2)
        lam, V = np.linalg.eigh(Hs)
        floor = FLOOR_RTOL * np.maximum(np.abs(lam).max(axis=1, keepdims=True), 1e-300)
        step = -np.einsum(
            "spk,sk->sp", V, np.einsum("spk,sp->sk", V, G) / np.maximum(np.abs(lam), floor)
        )
        limit = TRUST * (1.0 + np.abs(X[act]).max(axis=1))
        step /= np.maximum(1.0, np.abs(step).max(axis=1) / limit)[:, None]
        trials = X[act][:, None, :] + ALPHAS[None, :, None] * step[:, None, :]
        Et = net.kernel(trials.reshape(-1, P), U, y, 0)[0].reshape(-1, K)
        best = np.argmin(Et, axis=1)
        Eb = Et[np.arange(len(act)), best]
        ok = Eb < E[act]
        good = act[ok]
        E_before = E[good]
        X[good] = trials[ok, best[ok]]
        E[good] = Eb[ok]
        idle[good] = 0
        idle[act[~ok]] += 1
        if settle is not None and good.size:
            # at its limit to rounding, and the last step gained no more than that: done
            limit = settle(X[good])
            unit = SETTLE_RTOL * (1.0 + np.abs(limit))
            gain = (E_before - E[good]) <= unit
            near = np.abs(E[good] - limit) <= unit
            idle[good[near & gain]] = SETTLE_ITER
        if return_history:
            history.append(X.copy())
    if return_history:
        return X, E, idle, np.stack(history)
    return X, E, idle


def _probe_points(X, bases, rng, radii):
    """Probe points around each x: +-null vectors, random null and random full directions.

    Returns the probe points (Q, P) and the index of the point each belongs to (Q,).
    """
    points, owner = [], []
    for i, (x, N) in enumerate(zip(X, bases)):
        P = len(x)
        dirs = [N.T, -N.T] if N.shape[1] else []
        if N.shape[1]:
            comb = N @ rng.normal(size=(N.shape[1], PROBE_RANDOM))
            dirs.append((comb / np.linalg.norm(comb, axis=0)).T)
        full = rng.normal(size=(PROBE_RANDOM, P))
        dirs.append(full / np.linalg.norm(full, axis=1, keepdims=True))
        D = np.concatenate(dirs)
        r = np.asarray(radii) * (1.0 + np.abs(x).max())
        pts = x[None, None, :] + r[:, None, None] * D[None, :, :]
        points.append(pts.reshape(-1, P))
        owner.append(np.full(len(D) * len(r), i))
    return np.concatenate(points), np.concatenate(owner)


def probe_descent(net: Network, U, y, X, seed=0, radii=PROBE_RADII, reference=None):
    """Whether a descending path leaves each point (degenerate or at a limit).

    Probe points y = x + t d go out along the Hessian's null directions (both signs),
    random combinations of them and random directions, at distances t in ``radii``
    times 1 + max |x|; each is descended (:func:`descend`) for PROBE_ITER iterations.
    A probe *descends* when E on the segment from x to y climbs by at most
    RISE_RTOL (1 + |E(x)|) and the descent ends at or below E_ref - DROP_RTOL
    (1 + |E_ref|), E_ref = ``reference`` (default E(x); the limit E for a run heading
    to infinity): the segment, then the descent, is a path out of x along which E never
    climbs more than rounding-sized slivers and ends clearly lower.  A probe that
    climbed more may have crossed a barrier into another basin and counts for nothing
    -- so along directions of positive curvature only the shortest probes can count,
    and a descent that starts along a null direction is what the probes look for.

    Parameters
    ----------
    net : Network
    U, y : array_like
    X : array_like, shape (S, P)
        The points to probe.
    seed : int or Generator
        For the random directions.
    radii : sequence of float
        Probe distances, relative to 1 + max |x|.
    reference : array_like (S,), optional
        The E a probe must get clearly below.

    Returns
    -------
    descends : ndarray of bool (S,)
    drop : ndarray (S,)
        E_ref minus the lowest E reached by a valid probe (0 when none descends).
    rise : ndarray (S,)
        The climb on the way out of that probe.
    """
    U, y = net.check_data(U, y)
    X = np.atleast_2d(np.asarray(X, dtype=float))
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    E0 = net.energy(X, U, y)
    Hs = net.hessian(X, U, y)
    lam, V = np.linalg.eigh(Hs)
    zero = _zero_level(net, U, y, X, lam)
    bases = [V[i][:, np.abs(lam[i]) <= zero[i]] for i in range(len(X))]
    Y, owner = _probe_points(X, bases, rng, radii)
    t = np.linspace(0.0, 1.0, SEGMENT)
    seg = X[owner][:, None, :] + t[None, :, None] * (Y - X[owner])[:, None, :]
    Eseg = net.energy(seg.reshape(-1, X.shape[1]), U, y).reshape(len(Y), SEGMENT)
    rise = np.maximum(Eseg.max(axis=1) - E0[owner], 0.0)
    ref = E0 if reference is None else np.asarray(reference, dtype=float)
    unit = 1.0 + np.abs(ref[owner])
    low = rise <= RISE_RTOL * unit  # only these can count: descend them alone
    drop = np.zeros(len(Y))
    if low.any():
        _, Eend, _ = descend(net, U, y, Y[low], PROBE_ITER)
        drop[low] = ref[owner[low]] - Eend
    valid = low & (drop >= DROP_RTOL * unit)
    best_drop = np.zeros(len(X))
    best_rise = np.zeros(len(X))
    for i in range(len(X)):  # over points, not probes
        mine = np.flatnonzero((owner == i) & valid)
        if mine.size:
            k = mine[np.argmax(drop[mine])]
            best_drop[i], best_rise[i] = drop[k], rise[k]
    return best_drop > 0, best_drop, best_rise


# --------------------------------------------------------------------------------------
# The table of stationary points
# --------------------------------------------------------------------------------------


def _components(key, tol: float) -> np.ndarray:
    """Connected components of rows of ``key`` within ``tol`` of each other (max norm).

    Rows are first snapped to a grid 1000 times finer than ``tol`` (a cell's rows are
    within tol of each other, so merging them first changes no component): on a
    manifold of stationary points thousands of rows agree to rounding, and pairing them
    all would cost their number squared.
    """
    N = len(key)
    if N == 0:
        return np.zeros(0, dtype=np.int64)
    cells = np.round(key / (1e-3 * tol)).astype(np.int64)
    _, first, inverse = np.unique(cells, axis=0, return_index=True, return_inverse=True)
    inverse = inverse.ravel()
    pairs = cKDTree(key[first]).query_pairs(tol, p=np.inf, output_type="ndarray")
    K = len(first)
    graph = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(K, K))
    return connected_components(graph, directed=False)[1][inverse]


def _invariant_groups(E, outputs, degenerate, index) -> np.ndarray:
    """Group points whose E and outputs agree to SAME_RTOL, degenerate points apart.

    E and the outputs on the samples are invariant under the symmetry group, so images
    of one point always share a group; a tolerance (not rounding) keeps values near a
    rounding boundary together.  Nondegenerate points are grouped by their index too;
    degenerate ones are not, since the index changes along a set of stationary points
    (where a branch crosses it, or where a unit saturates).
    """
    if len(E) == 0:
        return np.zeros(0, dtype=np.int64)
    key = np.column_stack([E, outputs])
    key = key / (1.0 + np.abs(key).max())
    index = np.where(degenerate, -1, index)
    key = np.column_stack([key, degenerate * 10.0, index * 10.0])  # far apart unless equal
    return _components(key, SAME_RTOL)


def _distinct(X) -> np.ndarray:
    """Labels of distinct points (max norm within SAME_RTOL (1 + max |x|))."""
    return _components(X / (1.0 + np.abs(X).max()), SAME_RTOL)


def find_stationary_points(
    net: Network,
    U,
    y,
    n_starts: int = 2000,
    seed=0,
    starts=None,
    r_min: float = 0.1,
    r_max: float = 10.0,
    max_iter: int = MAX_ITER,
    problem: str = "",
    model: str = "",
    return_runs: bool = False,
):
    """Every stationary point the search reaches, one row per class (see the module doc).

    Parameters
    ----------
    net : Network
    U, y : array_like
        Inputs (n, m) and targets (n,) in the output unit's coding
        (``Network.code_targets``).
    n_starts, seed, r_min, r_max :
        The start design (:func:`sample_starts`), unless ``starts`` (S, P) is given.
    max_iter : int
        Levenberg-Marquardt iterations per start.
    problem, model : str
        Written into the table's first two columns.
    return_runs : bool
        Also return the per-start :class:`Runs` and each start's row in the table (-1
        when the run diverged, stalled or was not refined).

    Returns
    -------
    DataFrame
        Columns ``COLUMNS``: problem, model, E, index, degenerate, kind, class_size,
        grad_norm (at the representative), grad_tol (the norm of its rounding level),
        nullity, index_max (largest index on a degenerate set; the index otherwise),
        n_starts (starts that ended in the class), n_points (distinct points found),
        eig_min, eig_max (Hessian spectrum at the representative), depth (its deepest
        saturation, |pre-activation| / z_far: near 1 it is resolved only to double
        precision), x (the representative, a list), outputs (on the samples).  Sorted
        by E, then index.  ``attrs``: n_starts, n_converged, n_diverged, n_stalled,
        n_unrefined, group_size.
    """
    U, y = net.check_data(U, y)
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    if starts is None:
        starts = sample_starts(net.n_params, n_starts, rng, r_min, r_max)
    starts = np.atleast_2d(np.asarray(starts, dtype=float))
    runs = solve_gradient_system(net, U, y, starts, max_iter)
    conv = np.flatnonzero(runs.status == CONVERGED)
    Xr, gnorm, gtol, refined = refine(net, U, y, runs.x[conv])
    keep = conv[refined]
    Xk, gnorm, gtol = Xr[refined], gnorm[refined], gtol[refined]
    table, labels = _table(net, U, y, Xk, gnorm, gtol, rng, problem, model)
    table.attrs.update(
        n_starts=len(starts),
        n_converged=len(conv),
        n_diverged=int(np.count_nonzero(runs.status == DIVERGED)),
        n_stalled=int(np.count_nonzero(runs.status == STALLED)),
        n_unrefined=int(np.count_nonzero(~refined)),
        group_size=len(net.symmetry_group[0]) if net.hidden else 1,
    )
    if not return_runs:
        return table
    start_rows = np.full(len(starts), -1)
    start_rows[keep] = labels
    return table, runs, start_rows


def _spread(X, members, first, k: int) -> np.ndarray:
    """Up to k of ``members`` far apart from each other (farthest-point order from ``first``).

    A set of stationary points can be a minimum along one stretch and a saddle along
    another (where another branch crosses it); probing points spread over the set, not
    the k best refined (which crowd where runs converge fastest), sees both.
    """
    chosen = [first]
    dist = np.abs(X[members] - X[first]).max(axis=1)
    while len(chosen) < min(k, len(members)) and dist.max() > SAME_RTOL:
        nxt = int(np.argmax(dist))
        chosen.append(members[nxt])
        dist = np.minimum(dist, np.abs(X[members] - X[members[nxt]]).max(axis=1))
    return np.array(chosen)


def _table(net, U, y, X, gnorm, gtol, rng, problem, model):
    """Classify and merge refined points; returns the table and each point's row.

    Nondegenerate points: one row per symmetry class (within a group of equal
    invariants and index).  Degenerate points: one row per group of equal E and outputs
    -- a set of stationary points; its representative is a point of smallest index, and
    it is a degenerate-minimum when some index-0 point of it (up to PROBE_POINTS of
    them, spread over the set, are probed) has no descending path, otherwise a
    degenerate-saddle.
    """
    if len(X) == 0:
        return pd.DataFrame(columns=COLUMNS), np.zeros(0, dtype=np.int64)
    E = net.energy(X, U, y)
    out = net.outputs(X, U)
    c = classify(net, U, y, X)
    degenerate = c["nullity"] > 0
    groups = _invariant_groups(E, out, degenerate, c["index"])
    quality = gnorm / np.maximum(gtol, 1e-300)
    row_of = np.empty(len(X), dtype=np.int64)
    rows, probes = [], []
    for g in np.unique(groups):  # over groups of refined points, not starts
        members = np.flatnonzero(groups == g)
        if not degenerate[members[0]]:
            # many starts reach the same point: compare distinct points only (the
            # comparison under the group is quadratic in their number)
            same = _distinct(X[members])
            _, first, inverse = np.unique(same, return_index=True, return_inverse=True)
            sub = symmetry_classes(net, X[members[first]], SAME_RTOL)[inverse.ravel()]
            for k in range(sub.max() + 1):
                cls = members[sub == k]
                row_of[cls] = len(rows)
                rows.append((cls[np.argmin(quality[cls])], cls))
            continue
        lowest = members[c["index"][members] == c["index"][members].min()]
        rep = lowest[np.argmin(quality[lowest])]
        if c["index"][rep] == 0:  # index-0 points, spread over the set, are probed
            probes.append((len(rows), _spread(X, lowest, rep, PROBE_POINTS)))
        row_of[members] = len(rows)
        rows.append((rep, members))
    reps = np.array([rep for rep, _ in rows])
    kind = c["kind"][reps].copy()
    if probes:
        candidates = np.concatenate([pts for _, pts in probes])
        descends, _, _ = probe_descent(net, U, y, X[candidates], rng)
        k = 0
        for row, pts in probes:  # over probed sets, not points
            stays = np.flatnonzero(~descends[k : k + len(pts)])
            kind[row] = "degenerate-minimum" if stays.size else "degenerate-saddle"
            if stays.size:  # represent the set by a point that is a minimum
                reps[row] = pts[stays[0]]
            k += len(pts)
    sizes = orbit_sizes(net, X[reps]) if net.hidden else np.ones(len(reps), dtype=np.int64)
    n_points = [len(np.unique(_distinct(X[cls]))) for _, cls in rows]
    table = pd.DataFrame(
        {
            "problem": problem,
            "model": model,
            "E": E[reps],
            "index": c["index"][reps],
            "degenerate": degenerate[reps],
            "kind": kind,
            "class_size": sizes,
            "grad_norm": gnorm[reps],
            "grad_tol": gtol[reps],
            "nullity": c["nullity"][reps],
            "index_max": [int(c["index"][cls].max()) for _, cls in rows],
            "n_starts": [len(cls) for _, cls in rows],
            "n_points": n_points,
            "eig_min": c["eig_min"][reps],
            "eig_max": c["eig_max"][reps],
            "depth": net.saturation_depth(X[reps], U),
            "x": [list(map(float, X[r])) for r in reps],
            "outputs": [list(map(float, out[r])) for r in reps],
        },
        columns=COLUMNS,
    )
    order = np.lexsort((table["index"].to_numpy(), table["E"].to_numpy()))
    new_row = np.empty(len(order), dtype=np.int64)
    new_row[order] = np.arange(len(order))
    return table.iloc[order].reset_index(drop=True), new_row[row_of]


def match_points(net: Network, U, y, table: pd.DataFrame, X) -> np.ndarray:
    """The row of ``table`` each stationary point of X belongs to, or -1.

    The rule that built the table: a nondegenerate point matches a nondegenerate row
    with the same E, outputs on the samples and index (to SAME_RTOL) when one of its
    images under the symmetry group lies within SAME_RTOL of the row's representative;
    a degenerate point matches the degenerate row with the same E and outputs (it may
    lie anywhere on that row's set of stationary points).  Used to check another search
    against this one.
    """
    U, y = net.check_data(U, y)
    X = np.atleast_2d(np.asarray(X, dtype=float))
    out = np.full(len(X), -1, dtype=np.int64)
    if len(X) == 0 or len(table) == 0:
        return out
    c = classify(net, U, y, X)
    degenerate = c["nullity"] > 0
    mine = np.column_stack([net.energy(X, U, y), net.outputs(X, U)])
    rows = np.column_stack([table["E"].to_numpy(), np.array(table["outputs"].tolist())])
    scale = 1.0 + np.maximum(np.abs(mine).max(), np.abs(rows).max())
    close = np.abs(mine[:, None, :] - rows[None, :, :]).max(axis=2) <= SAME_RTOL * scale
    row_degenerate = table["degenerate"].to_numpy().astype(bool)
    close &= degenerate[:, None] == row_degenerate[None, :]
    close &= degenerate[:, None] | (c["index"][:, None] == table["index"].to_numpy()[None, :])
    reps = np.array(table["x"].tolist())
    for i, k in zip(*np.nonzero(close)):  # over candidate pairs of found points
        if out[i] >= 0:
            continue
        if row_degenerate[k] or symmetry_distance(net, X[i], reps[k])[0, 0] <= SAME_RTOL:
            out[i] = k
    return out


# --------------------------------------------------------------------------------------
# Limits at infinity and plateaus
# --------------------------------------------------------------------------------------


@cache
def _z_saturated(activation) -> float:
    """|z| at which a unit's gap is LIMIT_GAP of its range: beyond it the pair is saturated."""
    return activation.z_at_gap(LIMIT_GAP)


def saturation_pattern(net: Network, U, X):
    """Which hidden units saturate on which samples, and which outputs, at each point.

    A (sample, unit) pair is saturated, +1 or -1 by the sign of its pre-activation,
    when the unit's gap there is below LIMIT_GAP of its range -- its value then differs
    from the limit by less than E can resolve along a descent -- and free (0) otherwise.

    Returns
    -------
    hidden : ndarray of int (S, n, H)
    output : ndarray of int (S, n)
    """
    a, z = net.preactivations(X, U)
    S, n = z.shape
    out = np.zeros((S, n), dtype=np.int64)
    if net.g.bounded:
        zs = _z_saturated(net.g)
        out = np.where(np.abs(z) >= zs, np.sign(z), 0).astype(np.int64)
    hid = np.zeros((S, n, max(net.hidden, 0)), dtype=np.int64)
    if a is not None and net.f.bounded:
        zs = _z_saturated(net.f)
        hid = np.where(np.abs(a) >= zs, np.sign(a), 0).astype(np.int64)
    return hid, out


def limit_energy(net: Network, U, y, X):
    """E with every saturated pair replaced by its limit: shape (S,).

    Saturated hidden values become the bound they tend to (lo or hi), the output is
    recomputed from them, and saturated outputs become their bounds; the free parts keep
    their values at X.  This is the E of the limit the point is heading to, without the
    tails that the point still carries.  (With weight decay no run diverges, and the
    penalty at X is added as it is.)
    """
    U, y = net.check_data(U, y)
    X = np.atleast_2d(np.asarray(X, dtype=float))
    hid, out = saturation_pattern(net, U, X)
    a, z = net.preactivations(X, U)
    if a is not None:
        parts = net.unpack(X)
        h = net.f.value(a)
        if net.f.bounded:
            h = np.where(hid != 0, net.f.limit(hid), h)
        z = np.einsum("snh,sh->sn", h, parts["v"]) + parts["c"][:, None]
    o = net.g.value(z)
    if net.g.bounded:
        o = np.where(out != 0, net.g.limit(out), o)
    E = np.sum(np.square(o - y), axis=1)
    if net.decay:
        E = E + net.decay * (X * X) @ net.decay_mask
    return E


def _canonical_patterns(net: Network, hid) -> np.ndarray:
    """A label per run for its hidden saturation pattern up to the symmetry group.

    A unit's pattern is its column of signs over the samples; a flip (when it is a
    symmetry) negates the column, so each column is signed to make its first nonzero
    entry +1, and a permutation reorders the columns, so they are sorted.  Two runs get
    the same label exactly when some group element maps one pattern onto the other.
    """
    S, n, H = hid.shape
    if H == 0:
        return np.zeros(S, dtype=np.int64)
    cols = hid.transpose(0, 2, 1).reshape(S * H, n)
    if net.flips_are_symmetries:
        first = np.take_along_axis(cols, np.argmax(cols != 0, axis=1)[:, None], axis=1)
        cols = cols * np.where(first < 0, -1, 1)
    _, ids = np.unique(cols, axis=0, return_inverse=True)
    ids = np.sort(ids.reshape(S, H), axis=1)
    return np.unique(ids, axis=0, return_inverse=True)[1].ravel()


def _pattern_strings(hid, out):
    """Readable patterns: hidden as one group of H signs per sample, output as n signs."""
    sym = np.array([".", "+", "-"])  # index 0 free, 1 for +1, -1 (last) for -1
    hidden = [" ".join("".join(sym[row]) for row in h) for h in hid]
    output = ["".join(sym[o]) for o in out]
    return hidden, output


def pull_back(net: Network, U, X, depth: float | None = None) -> np.ndarray:
    """Scale runs that are saturated beyond analysis back toward the origin.

    Past gaps of about 1e-8 the changes of E along a descent fall below its rounding and
    gradients underflow, so a run the search stopped at z_far cannot be followed or
    probed from there.  Each row whose saturation depth exceeds ``depth`` (default: a
    gap of PULL_GAP) is multiplied by the factor that brings it to that depth, found by
    a few secant steps (hidden pre-activations scale exactly, the output nearly so).
    """
    X = np.array(np.atleast_2d(X), dtype=float, copy=True)
    if depth is None:
        bounded = [f for f in (net.f, net.g) if f.bounded]
        if not bounded:
            return X
        depth = min(_z_pull(f) / f.z_far for f in bounded)
    for _ in range(4):  # over refinements of the factor, not runs
        d = net.saturation_depth(X, U)
        over = d > depth * (1.0 + 1e-3)
        if not over.any():
            break
        X[over] *= (depth / d[over])[:, None]
    return X


@cache
def _z_pull(activation) -> float:
    return activation.z_at_gap(PULL_GAP)


def analyse_limits(
    net: Network,
    U,
    y,
    X,
    runs=None,
    problem: str = "",
    model: str = "",
    seed=0,
    follow_iter: int = FOLLOW_ITER,
):
    """Follow diverging runs until they settle and say what each approaches.

    Each row of X (the end of a run: backprop's last weights, or a diverged run of the
    search) is scaled back if it is saturated beyond analysis (:func:`pull_back`) and
    descended (:func:`descend`) until E stops decreasing visibly.  Then:

    * a run that has stopped at a finite stationary point (||grad E|| at rounding level,
      no pair saturated) is ``finite``;
    * otherwise its *limit* is described by the saturated pairs
      (:func:`saturation_pattern`) and the limit E (:func:`limit_energy`), and the runs
      with the same limit E, the same limiting outputs on the samples and the same
      hidden pattern up to the symmetry group (permuted units, flipped signs) form one
      row (global minima at infinity, E_limit <= DROP_RTOL, are one row per limiting
      output whatever their hidden patterns; ``n_patterns`` counts them);
    * the row's first run is probed (:func:`probe_descent` from the settled point, radii
      LIMIT_RADII): a *plateau* when some probe path rises by at most RISE_RTOL (1 + E)
      and then descends below E_limit - DROP_RTOL (1 + E_limit), otherwise a
      *minimum-at-infinity* -- no descending path found near the limit.  A limit with
      E_limit <= DROP_RTOL is a global minimum at infinity (E >= 0) and is not probed.

    Parameters
    ----------
    net : Network
    U, y : array_like
        Inputs (n, m) and targets (n,) in the output's coding.
    X : array_like, shape (S, P)
        End points of the runs.
    runs : sequence, optional
        A label per run (seeds, say); default 0..S-1.
    problem, model : str
    seed : int or Generator
        For the probes' random directions.
    follow_iter : int
        Descent iterations to follow each run.

    Returns
    -------
    DataFrame
        Columns ``LIMIT_COLUMNS``: problem, model, kind (finite, plateau,
        minimum-at-infinity), E_limit, E_end (E at the settled point), n_runs,
        n_patterns (distinct hidden patterns up to symmetry among them), runs (labels),
        hidden_pattern (per sample, one of + - . per hidden unit: saturated high, low,
        free), output_pattern, norm_end (max |w| there), probe_drop and probe_rise
        (E_limit minus the lowest E a valid probe reached, 0 if none, and the climb on
        its way out), x_end.  Sorted by E_limit.
    """
    U, y = net.check_data(U, y)
    X = np.atleast_2d(np.asarray(X, dtype=float))
    labels = list(range(len(X))) if runs is None else list(runs)
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    Xe, Ee, _ = descend(
        net, U, y, pull_back(net, U, X), follow_iter, settle=lambda Z: limit_energy(net, U, y, Z)
    )
    hid, out = saturation_pattern(net, U, Xe)
    saturated = (hid != 0).any(axis=(1, 2)) | (out != 0).any(axis=1)
    _, gnorm, gtol, refined = refine(net, U, y, Xe, n_iter=0)
    finite = ~saturated & refined
    E_lim = np.where(finite, Ee, limit_energy(net, U, y, Xe))
    o = net.outputs(Xe, U)
    if net.g.bounded:
        o = np.where(out != 0, net.g.limit(out), o)
    pattern = _canonical_patterns(net, hid)
    # global minima at infinity (E_limit ~ 0, see below) differ only in how the units
    # saturate, and there are many ways; they are one row per limiting output
    lowest = ~finite & (E_lim <= DROP_RTOL)
    groups = _invariant_groups(E_lim, o, finite.astype(np.int64), np.where(lowest, -1, pattern))
    hidden_s, output_s = _pattern_strings(hid, out)
    rows = []
    for g in np.unique(groups):  # over distinct limits, not runs
        members = np.flatnonzero(groups == g)
        rep = members[0]
        rows.append({"rep": rep, "members": members})
    reps = np.array([r["rep"] for r in rows])
    kind = np.where(finite[reps], "finite", "").astype(object)
    drop = np.zeros(len(reps))
    rise = np.zeros(len(reps))
    # E >= 0 everywhere, so a limit within DROP_RTOL of 0 is a global minimum at infinity:
    # no probe could find DROP_RTOL below it, and probing it would only cost time
    floor = ~finite[reps] & (E_lim[reps] <= DROP_RTOL)
    kind[floor] = "minimum-at-infinity"
    probe = np.flatnonzero(~finite[reps] & ~floor)
    if probe.size:
        _, drop[probe], rise[probe] = probe_descent(
            net, U, y, Xe[reps[probe]], rng, radii=LIMIT_RADII, reference=E_lim[reps[probe]]
        )
        kind[probe] = np.where(drop[probe] > 0, "plateau", "minimum-at-infinity")
    table = pd.DataFrame(
        {
            "problem": problem,
            "model": model,
            "kind": kind,
            "E_limit": E_lim[reps],
            "E_end": Ee[reps],
            "n_runs": [len(r["members"]) for r in rows],
            "n_patterns": [len(np.unique(pattern[r["members"]])) for r in rows],
            "runs": [[labels[i] for i in r["members"]] for r in rows],
            "hidden_pattern": [hidden_s[i] for i in reps],
            "output_pattern": [output_s[i] for i in reps],
            "norm_end": np.abs(Xe[reps]).max(axis=1),
            "probe_drop": drop,
            "probe_rise": rise,
            "x_end": [list(map(float, Xe[i])) for i in reps],
        },
        columns=LIMIT_COLUMNS,
    )
    return table.sort_values("E_limit", kind="stable").reset_index(drop=True)
