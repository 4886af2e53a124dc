"""Minimum-energy paths between minima (m >= 2): a nudged elastic band, then its saddle.

Everything here works on batches and knows E only through two callbacks,

    evaluate(X (N, m)) -> (E (N,), grad E (N, m)),      hessian(X (N, m)) -> (N, m, m),

(:func:`neuron_model` for the neuron's reduced problem, :func:`network_model` for a
``Network``), so one call evaluates every image of every band.  Bands are arrays of shape
(pairs, images, m).

1. **Band** (:func:`relax_bands`).  Images start on the straight segment between the two
   end points, which stay fixed.  Each interior image moves along the part of -grad E
   perpendicular to the band's tangent (the upwind tangent of Henkelman and Jonsson 2000,
   J. Chem. Phys. 113, 9978); after every step the images are redistributed to equal arc
   length along the polygon (the string method's reparametrisation, E, Ren and
   Vanden-Eijnden 2007, in place of springs: nothing to tune).  After ``n_iter`` steps
   the highest image *climbs*: it moves along -grad E with the tangent component
   reversed and is held fixed while the two halves are redistributed.  Steps are
   dt grad, dt = 1 / (largest Hessian eigenvalue on the band), and no image moves more
   than a quarter of the images' spacing per step.
2. **Saddle** (:func:`refine_saddles`).  The highest image is refined on grad E = 0 by
   eigenvector following: in the Hessian's eigenbasis the step is -g_k / |lambda_k| on
   every mode but the lowest and +g_1 / |lambda_1| on the lowest (uphill along it); at a
   point of index 1 this *is* Newton's step, so convergence is quadratic.  Of the step's
   multiples 2, 1, 1/2, ..., 1/64 (one call) the one with the smallest |grad E| is kept,
   while |grad E| decreases.
3. **Confirmation** (:func:`confirm_saddles`).  Index 1: exactly one Hessian eigenvalue
   below -1e-8 of the largest |lambda|, none within it.  Then both points saddle +- eps v
   (v the unstable eigenvector, eps = 1e-3 (1 + |saddle|)) are descended
   (:func:`descend_points`, saddle-free Newton with a line search, batched) and each end
   must match one of the two minima, the two ends different ones.

Any path gives an upper bound on the barrier (the lowest possible maximum of E along a
path); a confirmed index-1 saddle whose two descents end in the two minima is the top of
a minimum-energy path between them, and its E is the barrier along that path exactly (to
rounding).  Whether a path through other minima is lower is the disconnectivity graph's
question (:func:`barriers.disconnectivity`).
"""

from __future__ import annotations

import numpy as np

from ..models.neuron import evaluator
from ..models.neuron import hessian as neuron_hessian

INDEX_RTOL = 1e-8  # |lambda| below this times max |lambda| counts as zero
PUSH = 1e-3  # saddle +- PUSH (1 + |saddle|) v are descended into the two minima
MATCH_RTOL = 1e-5  # a descent's end is minimum a when within MATCH_RTOL (1 + |x_a|)
REFINE_ALPHAS = 2.0 ** np.arange(1, -7, -1)
DESCENT_ALPHAS = 2.0 ** np.arange(2, -14, -1)


def neuron_model(A_tilde, theta, targets=None):
    """(evaluate, hessian) callbacks for the neuron's E on the reduced problem (A~, t)."""
    A = np.asarray(A_tilde, dtype=float)
    return evaluator(A, theta, targets), lambda X: neuron_hessian(A, X, theta, targets)


def network_model(net, U, y):
    """(evaluate, hessian) callbacks for a ``Network``'s E on data (U, y), batched."""
    U, y = net.check_data(U, y)

    def evaluate(X):
        E, G, _ = net.kernel(np.asarray(X, dtype=float), U, y, 1)
        return E, G

    return evaluate, lambda X: net.kernel(np.asarray(X, dtype=float), U, y, 2)[2]


# --------------------------------------------------------------------------------------
# The band
# --------------------------------------------------------------------------------------


def _tangents(path, E):
    """Unit upwind tangents at the interior images: (P, K - 2, m)."""
    fwd = path[:, 2:] - path[:, 1:-1]
    bwd = path[:, 1:-1] - path[:, :-2]
    e_next, e_here, e_prev = E[:, 2:], E[:, 1:-1], E[:, :-2]
    up = ((e_next > e_here) & (e_here > e_prev))[..., None]
    down = ((e_next < e_here) & (e_here < e_prev))[..., None]
    big = np.maximum(np.abs(e_next - e_here), np.abs(e_prev - e_here))[..., None]
    small = np.minimum(np.abs(e_next - e_here), np.abs(e_prev - e_here))[..., None]
    mixed = np.where((e_next > e_prev)[..., None], fwd * big + bwd * small, fwd * small + bwd * big)
    tau = np.where(up, fwd, np.where(down, bwd, mixed))
    norm = np.linalg.norm(tau, axis=2, keepdims=True)
    chord = fwd + bwd  # at an exact tie of energies the mixed tangent may vanish
    tau = np.where(norm > 0, tau, chord)
    norm = np.linalg.norm(tau, axis=2, keepdims=True)
    return tau / np.where(norm > 0, norm, 1.0)


def _redistribute(path, pinned=None):
    """Images moved to equal arc length along the polygon; ends (and ``pinned``) kept.

    ``pinned`` (P,) is an interior image index per band held in place, the two halves
    either side of it redistributed separately (the climbing image).
    """
    P, K, _ = path.shape
    seg = np.linalg.norm(np.diff(path, axis=1), axis=2)
    cum = np.concatenate([np.zeros((P, 1)), np.cumsum(seg, axis=1)], axis=1)
    total = cum[:, -1:]
    j = np.arange(K)[None, :].astype(float)
    if pinned is None:
        target = total * j / (K - 1)
    else:
        pin = pinned[:, None].astype(float)
        at = np.take_along_axis(cum, pinned[:, None], axis=1)
        target = np.where(j <= pin, at * j / pin, at + (total - at) * (j - pin) / (K - 1 - pin))
    idx = np.clip(np.sum(cum[:, None, :] <= target[:, :, None], axis=2) - 1, 0, K - 2)
    lo = np.take_along_axis(cum, idx, axis=1)
    length = np.take_along_axis(seg, idx, axis=1)
    w = np.clip((target - lo) / np.where(length > 0, length, 1.0), 0.0, 1.0)[..., None]
    a = np.take_along_axis(path, idx[..., None], axis=1)
    b = np.take_along_axis(path, idx[..., None] + 1, axis=1)
    new = a + w * (b - a)
    new[:, 0], new[:, -1] = path[:, 0], path[:, -1]
    if pinned is not None:
        rows = np.arange(P)
        new[rows, pinned] = path[rows, pinned]
    return new


def _time_steps(hessian, path):
    """dt per band: 1 / the largest |Hessian eigenvalue| over its images."""
    P, K, m = path.shape
    lam = np.linalg.eigvalsh(hessian(path.reshape(-1, m)))
    top = np.abs(lam).max(axis=1).reshape(P, K).max(axis=1)
    return 1.0 / np.maximum(top, 1e-300)


def relax_bands(
    evaluate, hessian, starts, ends, n_images: int = 17, n_iter: int = 300, climb_iter: int = 300
):
    """Relax one band per pair (starts[p] -> ends[p]) and let its highest image climb.

    Returns ``(path (P, K, m), E (P, K), top (P,))``: the relaxed images, their energies,
    and the index of each band's highest interior image (the climbing image).
    """
    starts = np.atleast_2d(np.asarray(starts, dtype=float))
    ends = np.atleast_2d(np.asarray(ends, dtype=float))
    P, m = starts.shape
    K = int(n_images)
    if K < 3:
        raise ValueError(f"a band needs at least 3 images; got {n_images}")
    s = np.linspace(0.0, 1.0, K)[None, :, None]
    path = starts[:, None, :] * (1.0 - s) + ends[:, None, :] * s
    rows = np.arange(P)
    E, G = (a.reshape(P, K, *a.shape[1:]) for a in evaluate(path.reshape(-1, m)))
    dt = _time_steps(hessian, path)
    top = np.argmax(E[:, 1:-1], axis=1) + 1
    for it in range(n_iter + climb_iter):
        climbing = it >= n_iter
        if it % 50 == 49:
            dt = _time_steps(hessian, path)
        tau = _tangents(path, E)
        inner = G[:, 1:-1]
        along = np.sum(inner * tau, axis=2, keepdims=True)
        force = -(inner - along * tau)
        if climbing:
            top = np.argmax(E[:, 1:-1], axis=1) + 1
            c = top - 1
            force[rows, c] = -(inner[rows, c] - 2.0 * along[rows, c] * tau[rows, c])
        step = dt[:, None, None] * force
        spacing = np.linalg.norm(ends - starts, axis=1) / (K - 1)
        cap = 0.25 * np.maximum(spacing, 1e-300)[:, None]
        norm = np.linalg.norm(step, axis=2)
        step *= (cap / np.maximum(norm, cap))[..., None]
        path[:, 1:-1] += step
        path = _redistribute(path, top if climbing else None)
        E, G = (a.reshape(P, K, *a.shape[1:]) for a in evaluate(path.reshape(-1, m)))
    top = np.argmax(E[:, 1:-1], axis=1) + 1
    return path, E, top


# --------------------------------------------------------------------------------------
# The saddle, and its confirmation
# --------------------------------------------------------------------------------------


def _modal_step(G, H, lowest_up: bool):
    """Eigenvector-following (lowest_up) or saddle-free Newton step, with eigen-pairs."""
    lam, V = np.linalg.eigh(H)
    scale = np.maximum(np.abs(lam).max(axis=1, keepdims=True), 1e-300)
    size = np.maximum(np.abs(lam), 1e-12 * scale)
    if lowest_up:
        size[:, 0] = -size[:, 0]
    step = -np.einsum("spk,sk->sp", V, np.einsum("spk,sp->sk", V, G) / size)
    return step, lam, V


def refine_saddles(evaluate, hessian, X, n_iter: int = 60):
    """Index-1 saddles from points near them, by eigenvector following (module doc).

    Returns ``(X (S, m), grad_norm (S,), eigenvalues (S, m), unstable (S, m))``: the
    points, ||grad E|| there, the Hessian's eigenvalues (ascending) and the eigenvector
    of the lowest one.
    """
    X = np.array(np.atleast_2d(X), dtype=float, copy=True)
    S, m = X.shape
    K = len(REFINE_ALPHAS)
    _, G = evaluate(X)
    gnorm = np.linalg.norm(G, axis=1)
    active = np.ones(S, bool)
    for _ in range(n_iter):
        act = np.flatnonzero(active & (gnorm > 0))
        if not act.size:
            break
        step, _, _ = _modal_step(G[act], hessian(X[act]), lowest_up=True)
        limit = 0.5 * (1.0 + np.abs(X[act]).max(axis=1))
        step /= np.maximum(1.0, np.abs(step).max(axis=1) / limit)[:, None]
        trials = X[act][:, None, :] + REFINE_ALPHAS[None, :, None] * step[:, None, :]
        _, Gt = evaluate(trials.reshape(-1, m))
        nt = np.linalg.norm(Gt, axis=1).reshape(len(act), K)
        best = np.argmin(nt, axis=1)
        ok = nt[np.arange(len(act)), best] < gnorm[act]
        active[act[~ok]] = False
        good = act[ok]
        X[good] = trials[ok, best[ok]]
        G[good] = Gt.reshape(len(act), K, m)[ok, best[ok]]
        gnorm[good] = np.linalg.norm(G[good], axis=1)
    lam, V = np.linalg.eigh(hessian(X))
    return X, gnorm, lam, V[:, :, 0]


def hessian_index(eigenvalues) -> tuple[np.ndarray, np.ndarray]:
    """(index, nullity) from ascending eigenvalues (S, m), zero below INDEX_RTOL max|lambda|."""
    lam = np.atleast_2d(eigenvalues)
    zero = INDEX_RTOL * np.maximum(np.abs(lam).max(axis=1, keepdims=True), 1e-300)
    return np.sum(lam < -zero, axis=1), np.sum(np.abs(lam) <= zero, axis=1)


def descend_points(evaluate, hessian, X, n_iter: int = 300, patience: int = 5):
    """Saddle-free Newton descent of every row of X at once; returns (X, E).

    Step -V diag(1 / |lambda|) V' g (negative curvature descended, not climbed), no
    coordinate moving more than 1 + max |x|, the best of DESCENT_ALPHAS (one call); a
    point stops after ``patience`` iterations without a decrease.
    """
    X = np.array(np.atleast_2d(X), dtype=float, copy=True)
    S, m = X.shape
    K = len(DESCENT_ALPHAS)
    E, G = evaluate(X)
    idle = np.zeros(S, np.int64)
    for _ in range(n_iter):
        act = np.flatnonzero(idle < patience)
        if not act.size:
            break
        step, _, _ = _modal_step(G[act], hessian(X[act]), lowest_up=False)
        limit = 1.0 + np.abs(X[act]).max(axis=1)
        step /= np.maximum(1.0, np.abs(step).max(axis=1) / limit)[:, None]
        trials = X[act][:, None, :] + DESCENT_ALPHAS[None, :, None] * step[:, None, :]
        Et, Gt = evaluate(trials.reshape(-1, m))
        Et = Et.reshape(len(act), K)
        best = np.argmin(Et, axis=1)
        ok = Et[np.arange(len(act)), best] < E[act]
        good = act[ok]
        X[good] = trials[ok, best[ok]]
        E[good] = Et[ok, best[ok]]
        G[good] = Gt.reshape(len(act), K, m)[ok, best[ok]]
        idle[good] = 0
        idle[act[~ok]] += 1
    return X, E


def near(X, targets, rtol: float = MATCH_RTOL) -> np.ndarray:
    """Whether each X[k] lies within rtol (1 + |targets[k]|) of targets[k] (Euclidean)."""
    X, targets = np.atleast_2d(X), np.atleast_2d(targets)
    scale = 1.0 + np.linalg.norm(targets, axis=1)
    return np.linalg.norm(X - targets, axis=1) <= rtol * scale


def confirm_saddles(evaluate, hessian, saddles, unstable, is_a, is_b, n_iter: int = 300):
    """Descend from saddle +- eps v; confirmed when one end is minimum a, the other b.

    ``is_a(X, p)`` and ``is_b(X, p)`` say whether points X (N, m) are at pair p's (arrays
    (N,)) minimum a or b.  Returns ``(confirmed (S,), ends (S, 2, m))``.
    """
    S, m = saddles.shape
    eps = PUSH * (1.0 + np.linalg.norm(saddles, axis=1))[:, None]
    starts = np.concatenate([saddles + eps * unstable, saddles - eps * unstable])
    ends, _ = descend_points(evaluate, hessian, starts, n_iter=n_iter)
    plus, minus = ends[:S], ends[S:]
    p = np.arange(S)
    ok = (is_a(plus, p) & is_b(minus, p)) | (is_b(plus, p) & is_a(minus, p))
    return ok, np.stack([plus, minus], axis=1)


def band_barriers(evaluate, hessian, starts, ends, is_a=None, is_b=None, **band):
    """Barrier between starts[p] and ends[p] for every pair p: band, saddle, confirmation.

    ``is_a`` / ``is_b`` (see :func:`confirm_saddles`) default to :func:`near` the start and
    end points.  Returns a dict of arrays over pairs: ``E_band`` (the highest image),
    ``saddle`` (S, m), ``E_saddle``, ``grad_norm``, ``index``, ``nullity``,
    ``confirmed`` (index 1, nullity 0, descents into both minima), ``E_barrier``
    (E_saddle when confirmed, else the band's highest E: an upper bound), ``path`` and
    ``path_E`` (the relaxed bands).
    """
    starts = np.atleast_2d(np.asarray(starts, dtype=float))
    ends = np.atleast_2d(np.asarray(ends, dtype=float))
    if is_a is None:
        is_a = lambda X, p: near(X, starts[p])  # noqa: E731
    if is_b is None:
        is_b = lambda X, p: near(X, ends[p])  # noqa: E731
    path, path_E, top = relax_bands(evaluate, hessian, starts, ends, **band)
    rows = np.arange(len(starts))
    guess = path[rows, top]
    saddle, gnorm, lam, unstable = refine_saddles(evaluate, hessian, guess)
    E_saddle = evaluate(saddle)[0]
    index, nullity = hessian_index(lam)
    confirmed, _ = confirm_saddles(evaluate, hessian, saddle, unstable, is_a, is_b)
    confirmed &= (index == 1) & (nullity == 0)
    E_band = path_E.max(axis=1)
    return {
        "E_band": E_band,
        "saddle": saddle,
        "E_saddle": E_saddle,
        "grad_norm": gnorm,
        "index": index,
        "nullity": nullity,
        "confirmed": confirmed,
        "E_barrier": np.where(confirmed, E_saddle, E_band),
        "path": path,
        "path_E": path_E,
    }
