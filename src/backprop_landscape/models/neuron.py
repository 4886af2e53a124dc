"""The error surface E(x) = sum_i (theta((A~ x)_i) - t_i)^2 after the sign-flip reduction.

A~ has the rows sign(y^i) u^i and t_i = |y^i| (sign(0) = +1); since theta is odd,
(theta(u.x) - y)^2 equals (theta(sign(y) u.x) - |y|)^2, so every target is >= 0.  For
the paper's hard targets y = +-1 the target vector is e = (1, ..., 1) and each row's
error is (1 - theta(z_i))^2; soft targets |y| < 1 (practitioners' +-0.8, or 0.1/0.9 for
a logistic unit) are reached at a finite margin theta^-1(t).

Every function takes ``X`` of shape (..., m) and broadcasts over the leading axes, so
many starts or seeds are evaluated in one call; ``targets`` is the vector t (None: all
ones, the hard targets, computed exactly as before soft targets existed).
:func:`evaluator` gives E and its gradient together, for loops that need both at every
step.
"""

from __future__ import annotations

import numpy as np

from .theta import Theta


def reduce_signs(A, y):
    """Return A~ = diag(y) A, checking that y holds only -1 and +1 (hard targets).

    Soft targets need their magnitudes too: use :func:`reduce_problem`.
    """
    A = np.asarray(A, dtype=float)
    y = np.asarray(y)
    if A.ndim != 2 or y.shape != (A.shape[0],):
        raise ValueError(f"A must be n x m and y of length n; got A{A.shape}, y{y.shape}")
    bad = ~np.isin(y, (-1, 1))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"labels must be -1 or +1; y[{i}] = {y[i].item()!r} (soft targets: reduce_problem)"
        )
    return A * y[:, None].astype(float)


def reduce_problem(A, y):
    """The sign-flip reduction for hard or soft targets: (A~, t), or (A~, None) if hard.

    Row i of A~ is sign(y_i) u^i (sign(0) = +1) and t_i = |y_i|.  Targets must lie in
    [-1, 1]; when every |y_i| is 1 the targets are the paper's e and None is returned for
    t, so that every function below takes its hard-target path bit for bit.
    """
    A = np.asarray(A, dtype=float)
    y = np.asarray(y, dtype=float)
    if A.ndim != 2 or y.shape != (A.shape[0],):
        raise ValueError(f"A must be n x m and y of length n; got A{A.shape}, y{y.shape}")
    bad = ~(np.isfinite(y) & (np.abs(y) <= 1.0))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"targets must lie in [-1, 1]; y[{i}] = {y[i].item()!r}")
    sign = np.where(y < 0, -1.0, 1.0)
    t = np.abs(y)
    return A * sign[:, None], (None if np.all(t == 1.0) else t)


def is_hard(targets) -> bool:
    """Whether ``targets`` (None or a vector t) are the paper's hard targets e."""
    return targets is None or bool(np.all(np.asarray(targets) == 1.0))


def row_limits(targets, n: int):
    """(L+, L-): each row's error in the limits theta -> +1 and -1, (1 - t)^2 and (1 + t)^2."""
    t = np.ones(n) if targets is None else np.asarray(targets, dtype=float)
    return np.square(1.0 - t), np.square(1.0 + t)


def margins(A_tilde, X):
    """z = A~ x for every x in X: shape (..., n)."""
    return np.asarray(X, dtype=float) @ np.asarray(A_tilde, dtype=float).T


def energy(A_tilde, X, theta: Theta, targets=None):
    """E(x) = sum_i (t_i - theta(z_i))^2 (t = 1 if ``targets`` is None)."""
    return np.sum(np.square(theta.residual(margins(A_tilde, X), targets)), axis=-1)


def residual_weights(A_tilde, X, theta: Theta, targets=None):
    """(t - theta(z)) * theta'(z): the factor shared by the gradient and the lemma."""
    residual, d1 = theta.residual_and_d1(margins(A_tilde, X), targets)
    return residual * d1


def gradient(A_tilde, X, theta: Theta, targets=None):
    """grad E(x) = -2 A~' [(t - theta(z)) theta'(z)]."""
    return -2.0 * residual_weights(A_tilde, X, theta, targets) @ np.asarray(A_tilde, dtype=float)


def evaluator(A_tilde, theta: Theta, targets=None):
    """A function X (S, m) -> (E (S,), grad E (S, m)) on a fixed A~, for descent loops.

    One pass over the margins per call: z and t - theta(z) serve both E and its gradient,
    and A~' is laid out contiguously once for all calls.  The values agree with
    :func:`energy` and :func:`gradient` to rounding, not bit for bit: BLAS may round the
    product with a contiguous A~' differently from the one with the transposed view.
    """
    A = np.asarray(A_tilde, dtype=float)
    AT = np.ascontiguousarray(A.T)

    def evaluate(X):
        z = X @ AT
        residual, d1 = theta.residual_and_d1(z, targets)
        # np.add.reduce is what np.sum calls, without its Python wrapper (~1e5 calls a run)
        E = np.add.reduce(np.square(residual), axis=1)
        return E, (-2.0 * residual * d1) @ A

    return evaluate


def hessian(A_tilde, X, theta: Theta, targets=None):
    """Hess E(x) = 2 A~' diag(c(z)) A~, c = theta'^2 - (t - theta) theta'' (theta.curvature)."""
    A_tilde = np.asarray(A_tilde, dtype=float)
    z = margins(A_tilde, X)
    c = theta.curvature(z, targets)
    return 2.0 * np.einsum("...i,ij,ik->...jk", c, A_tilde, A_tilde)


def hessian_lipschitz(A_tilde, theta: Theta, targets=None) -> float | None:
    """L with ||H(x) - H(y)|| <= L ||x - y|| for all x, y: H = 2 sum_i c_i(a_i . x) a_i a_i'.

    L = 2 sum_i sup |c_i'| ||a_i||^3, with sup |c_i'| <= sup |c'| + (1 - t_i) sup |theta'''|
    (c' = 3 theta' theta'' - (t - theta) theta'''); None when theta gives no bound
    (``theta.curvature_slope_bound``: theta'' not continuous).
    """
    bound = theta.curvature_slope_bound
    if bound is None:
        return None
    A = np.asarray(A_tilde, dtype=float)
    cubes = np.linalg.norm(A, axis=1) ** 3
    if is_hard(targets):
        return 2.0 * bound * float(np.sum(cubes))
    slack = 1.0 - np.asarray(targets, dtype=float)
    return 2.0 * float(np.sum((bound + slack * theta.d3_bound) * cubes))


def row_space(A_tilde, rtol: float) -> np.ndarray:
    """Orthonormal basis (columns, shape (m, rank)) of the row space of A~.

    E depends on x only through its projection on this space: moving along ker A~
    changes no margin.  Singular values up to ``rtol`` times the largest count as zero
    (each caller chooses its own tolerance).  No rows: an empty basis.
    """
    A = np.asarray(A_tilde, dtype=float)
    if A.shape[0] == 0:
        return np.zeros((A.shape[1], 0))
    _, s, vt = np.linalg.svd(A, full_matrices=False)
    rank = int(np.sum(s > rtol * max(s.max(initial=0.0), np.finfo(float).tiny)))
    return vt[:rank].T


def ray_limit(A_tilde, direction, base, theta: Theta, targets=None) -> float:
    """lim E(base + r * direction) as r -> +inf.

    Rows with (A~ d)_i > 0 saturate at theta = +1 (error (1 - t_i)^2, 0 for hard
    targets), rows with (A~ d)_i < 0 at theta = -1 (error (1 + t_i)^2, 4 for hard
    targets); rows with (A~ d)_i == 0 keep their value at ``base``.
    """
    A_tilde = np.asarray(A_tilde, dtype=float)
    slope = A_tilde @ np.asarray(direction, dtype=float)
    flat = slope == 0
    z_flat = A_tilde[flat] @ np.asarray(base, dtype=float)
    if is_hard(targets):
        rising, falling = 0.0, 4.0 * np.count_nonzero(slope < 0)
        free = np.sum(np.square(theta.one_minus(z_flat)))
    else:
        t = np.asarray(targets, dtype=float)
        plus, minus = row_limits(t, len(t))
        rising, falling = np.sum(plus[slope > 0]), np.sum(minus[slope < 0])
        free = np.sum(np.square(theta.residual(z_flat, t[flat])))
    return float(falling + rising + free)


def energy_above_ray_limit(A_tilde, direction, base, r, theta: Theta, targets=None):
    """E(base + r d) - lim_{r->inf} E(base + r d), for an array of r, without cancellation.

    With u = 1 - theta and v = 1 + theta (both stable), a row that tends to theta = +1
    contributes (u - (1 - t))^2 - (1 - t)^2 = u (u - 2 (1 - t)) (u^2 for hard targets;
    negative far out for a soft one: its error rises toward the limit), a row that tends
    to -1 contributes ((1 + t) - v)^2 - (1 + t)^2 = -v (2 t + u), and a row orthogonal to
    d contributes nothing.
    """
    A_tilde = np.asarray(A_tilde, dtype=float)
    slope = A_tilde @ np.asarray(direction, dtype=float)
    offset = A_tilde @ np.asarray(base, dtype=float)
    z = offset + np.multiply.outer(np.asarray(r, dtype=float), slope)
    one_minus = theta.one_minus(z)
    if is_hard(targets):
        rising = np.square(one_minus)
        falling = -theta.one_plus(z) * (2.0 + one_minus)
    else:
        t = np.asarray(targets, dtype=float)
        rising = one_minus * (one_minus - 2.0 * (1.0 - t))
        falling = -theta.one_plus(z) * (2.0 * t + one_minus)
    terms = np.where(slope > 0, rising, np.where(slope < 0, falling, 0.0))
    return np.sum(terms, axis=-1)
