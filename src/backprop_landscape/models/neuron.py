"""The error surface E(x) = sum_i (1 - theta((A~ x)_i))^2 after the sign-flip reduction.

A~ = diag(y) A has the rows y^i u^i; since theta is odd, (theta(u.x) - y)^2 equals
(1 - theta(y u.x))^2 for y = +-1, so the target becomes e = (1, ..., 1).

Every function takes ``X`` of shape (..., m) and broadcasts over the leading axes, so
many starts or seeds are evaluated in one call; :func:`evaluator` gives E and its
gradient together, for loops that need both at every step.
"""

from __future__ import annotations

import numpy as np

from .theta import Theta


def reduce_signs(A, y):
    """Return A~ = diag(y) A, checking that y holds only -1 and +1."""
    A = np.asarray(A, dtype=float)
    y = np.asarray(y)
    if A.ndim != 2 or y.shape != (A.shape[0],):
        raise ValueError(f"A must be n x m and y of length n; got A{A.shape}, y{y.shape}")
    bad = ~np.isin(y, (-1, 1))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"labels must be -1 or +1; y[{i}] = {y[i].item()!r}")
    return A * y[:, None].astype(float)


def margins(A_tilde, X):
    """z = A~ x for every x in X: shape (..., n)."""
    return np.asarray(X, dtype=float) @ np.asarray(A_tilde, dtype=float).T


def energy(A_tilde, X, theta: Theta):
    """E(x) = sum_i (1 - theta(z_i))^2."""
    return np.sum(np.square(theta.one_minus(margins(A_tilde, X))), axis=-1)


def residual_weights(A_tilde, X, theta: Theta):
    """(1 - theta(z)) * theta'(z): the factor shared by the gradient and the lemma."""
    z = margins(A_tilde, X)
    return theta.one_minus(z) * theta.d1(z)


def gradient(A_tilde, X, theta: Theta):
    """grad E(x) = -2 A~' [(1 - theta(z)) theta'(z)]."""
    return -2.0 * residual_weights(A_tilde, X, theta) @ np.asarray(A_tilde, dtype=float)


def evaluator(A_tilde, theta: Theta):
    """A function X (S, m) -> (E (S,), grad E (S, m)) on a fixed A~, for descent loops.

    One pass over the margins per call: z and 1 - theta(z) serve both E and its gradient,
    and A~' is laid out contiguously once for all calls.  The values agree with
    :func:`energy` and :func:`gradient` to rounding, not bit for bit: BLAS may round the
    product with a contiguous A~' differently from the one with the transposed view.
    """
    A = np.asarray(A_tilde, dtype=float)
    AT = np.ascontiguousarray(A.T)

    def evaluate(X):
        z = X @ AT
        one_minus = theta.one_minus(z)
        E = np.sum(np.square(one_minus), axis=1)
        return E, (-2.0 * one_minus * theta.d1(z)) @ A

    return evaluate


def hessian(A_tilde, X, theta: Theta):
    """Hess E(x) = 2 A~' diag(c(z)) A~, c = theta'^2 - (1 - theta) theta'' (theta.curvature)."""
    A_tilde = np.asarray(A_tilde, dtype=float)
    z = margins(A_tilde, X)
    return 2.0 * np.einsum("...i,ij,ik->...jk", theta.curvature(z), A_tilde, A_tilde)


def hessian_lipschitz(A_tilde, theta: Theta) -> float | None:
    """L with ||H(x) - H(y)|| <= L ||x - y|| for all x, y: H = 2 sum_i c(a_i . x) a_i a_i'.

    L = 2 sup |c'| sum_i ||a_i||^3; None when theta gives no bound on |c'|
    (``theta.curvature_slope_bound``: theta'' not continuous).
    """
    bound = theta.curvature_slope_bound
    if bound is None:
        return None
    A = np.asarray(A_tilde, dtype=float)
    return 2.0 * bound * float(np.sum(np.linalg.norm(A, axis=1) ** 3))


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


def ray_limit(A_tilde, direction, base, theta: Theta) -> float:
    """lim E(base + r * direction) as r -> +inf.

    Rows with (A~ d)_i > 0 saturate at theta = +1 (error 0), rows with (A~ d)_i < 0 at
    theta = -1 (error 4); rows with (A~ d)_i == 0 keep their value at ``base``.
    """
    A_tilde = np.asarray(A_tilde, dtype=float)
    slope = A_tilde @ np.asarray(direction, dtype=float)
    flat = slope == 0
    z_flat = A_tilde[flat] @ np.asarray(base, dtype=float)
    return float(4.0 * np.count_nonzero(slope < 0) + np.sum(np.square(theta.one_minus(z_flat))))


def energy_above_ray_limit(A_tilde, direction, base, r, theta: Theta):
    """E(base + r d) - lim_{r->inf} E(base + r d), for an array of r, without cancellation.

    A row that tends to theta = -1 contributes (1 - theta)^2 - 4 = -(1 + theta)(3 - theta),
    written with the stable 1 + theta; a row that tends to +1 contributes (1 - theta)^2;
    a row orthogonal to d contributes nothing.
    """
    A_tilde = np.asarray(A_tilde, dtype=float)
    slope = A_tilde @ np.asarray(direction, dtype=float)
    offset = A_tilde @ np.asarray(base, dtype=float)
    z = offset + np.multiply.outer(np.asarray(r, dtype=float), slope)
    one_minus = theta.one_minus(z)
    rising = np.square(one_minus)
    falling = -theta.one_plus(z) * (2.0 + one_minus)
    terms = np.where(slope > 0, rising, np.where(slope < 0, falling, 0.0))
    return np.sum(terms, axis=-1)
