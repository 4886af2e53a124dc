"""Classification of stationary points by index, and probing for descending paths.

* **Classification** (:func:`classify`): eigenvalues of the Hessian; zero when |lambda|
  <= ZERO_RTOL times the larger of max |lambda| and the size of the Hessian's terms
  (``Network.hessian_scale``).  index = #negative, nullity = #zero.  Nondegenerate:
  index 0 minimum, index P maximum, otherwise saddle.  Degenerate with a negative
  eigenvalue: degenerate-saddle.  Degenerate with none: decided by probing.
* **Descent** (:func:`descend`): saddle-free Newton steps with a line search, for all
  points at once -- the probes' descent, and the way diverging runs are followed to
  their limits (:mod:`.limits`).
* **Probing** (:func:`probe_descent`): probe points along the Hessian's null
  directions, random combinations of them and random directions, each descended; a
  point is left by a descending path when some probe climbs no more than RISE_RTOL on
  its way out and ends DROP_RTOL below the point (or below the limit it approaches).
  No such probe: a degenerate-minimum, "no descending path found" -- evidence, not
  proof (docs/networks.md).
"""

from __future__ import annotations

import numpy as np

from ..models.network import Network
from .levenberg import TRUST, ZERO_RTOL

KINDS = ("minimum", "saddle", "maximum", "degenerate-saddle", "degenerate-minimum")

# probing of degenerate points and of limits
PROBE_RADII = (1e-3, 1e-2, 1e-1)  # probe distances, times 1 + max |w|
PROBE_RANDOM = 8  # random directions per point (within the null space, and in all of R^P)
PROBE_ITER = 60  # descent iterations from each probe point
DROP_RTOL = 1e-8  # a probe descends when it reaches E* - DROP_RTOL (1 + |E*|)
RISE_RTOL = 1e-10  # ... after rising at most RISE_RTOL (1 + |E*|) on the way out
SEGMENT = 9  # points at which the segment from the point to a probe point is checked

# descent (probes and limits)
ALPHAS = 2.0 ** np.arange(3, -13, -1)  # line-search trials, all evaluated at once
FLOOR_RTOL = 1e-10  # smallest |lambda| a saddle-free Newton step divides by, relative
SETTLE_ITER = 5  # ... it has settled after this many iterations without a visible decrease
SETTLE_RTOL = 1e-12  # ... or once E is this close (relative) to the E of its limit


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
