"""E, grad E and Hess E of a one-hidden-layer network at scale, by matrix products.

:class:`NetworkKernel` evaluates the network of :class:`models.network.Network`
(parameter order there: W unit by unit, b, v, c) on fixed data -- hundreds of samples,
tens of inputs and hidden units, about a thousand weights -- on preallocated arrays, and
never forms the per-sample Jacobian for the gradient (``Network.kernel`` forms it, which
costs n P per call; here the gradient costs two products U W' and dA' U).  Its values
are those of ``Network.evaluate`` (tested), with the same stable residuals.  The
Gauss-Newton part of the Hessian is two dsyrk updates; a logistic or tanh unit's value
and slope come from one exponential (:func:`value_and_slope`).
"""

from __future__ import annotations

import numpy as np
from scipy.linalg.blas import dsyrk

from .network import Network


class NetworkKernel:
    """E, grad E and Hess E of a :class:`Network` on fixed data, by matrix products.

    Parameters
    ----------
    net : Network
        The architecture (any activations, biases optional, weight decay included).
    U : array_like, shape (n, m)
        Inputs (rows are samples).
    y : array_like, shape (n,)
        Targets in the output's range (``Network.code_targets``).
    """

    def __init__(self, net: Network, U, y):
        self.net = net
        self.U, self.y = net.check_data(U, y)
        self.n, self.P, self.H = self.U.shape[0], net.n_params, net.hidden
        if self.H < 1:
            raise ValueError("NetworkKernel needs a hidden layer (hidden >= 1)")
        self.Ua = net._augmented_inputs(self.U)  # (n, m_aug): u~ = (u, 1) with a hidden bias
        self.UaT = np.ascontiguousarray(self.Ua.T)
        index = net.unpack(np.arange(self.P, dtype=float)[None, :])
        self._W = index["W"][0].astype(np.intp)  # (H, m) positions of W
        self._b = index["b"][0].astype(np.intp) if net.hidden_bias else None
        self._v = index["v"][0].astype(np.intp)
        self._c = int(index["c"][0]) if net.output_bias else None
        self._pos = net._augmented_position  # augmented order -> vector order
        self._identity = bool(np.array_equal(self._pos, np.arange(self.P)))
        self._views = self._identity and not net.hidden_bias
        self.mask = net.decay_mask
        self.f, self.g = net.f, net.g
        # Hard targets of a logistic or tanh output: the fast path of output_terms.
        self._side = self.sides(self.y)
        g = self.g
        hard = g.bounded and bool(np.all((self.y == g.lo) | (self.y == g.hi)))
        self._hard = {"logistic": 1, "tanh": 2}.get(g.name) if hard else None

    # -- pieces -------------------------------------------------------------------------

    def _split(self, X):
        """W~ (S, H, m_aug) (bias as last column), v (S, H), c (S,).

        Views of X when the network has no hidden bias (the data carry the bias column):
        then W is X's first H m entries, unit by unit, and nothing is copied.
        """
        S = X.shape[0]
        if self._views:
            Hm = self.H * self.net.m
            c = X[:, self._c] if self._c is not None else np.zeros(S)
            return X[:, :Hm].reshape(S, self.H, self.net.m), X[:, Hm : Hm + self.H], c
        Wt = np.empty((S, self.H, self.Ua.shape[1]))
        Wt[:, :, : self.net.m] = X[:, self._W]
        if self._b is not None:
            Wt[:, :, -1] = X[:, self._b]
        c = X[:, self._c] if self._c is not None else np.zeros(S)
        return Wt, X[:, self._v], c

    def forward(self, X):
        """(a (S, n, H), h (S, n, H), z (S, n)) for parameters X (S, P)."""
        Wt, v, c = self._split(X)
        a = np.matmul(self.Ua, Wt.transpose(0, 2, 1))
        h = self.f.value(a)
        z = np.matmul(h, v[:, :, None])[:, :, 0] + c[:, None]
        return a, h, z

    def output_terms(self, z):
        """(r, g'(z)) at the output: residuals out - y and the output's slope, (S, n).

        For hard targets of a logistic or tanh output (the bounds of its range, as the
        data sets' labels are coded) both come from one exponential of -|z|, like
        :func:`value_and_slope`; otherwise from the activation's stable methods.
        """
        if self._hard is None:
            return self.g.residual(z, self.y), self.g.d1(z)
        k = self._hard  # 1 for logistic, 2 for tanh (tanh(z) = 2 sigma(2z) - 1)
        u = self._side * z  # the target's side times z
        e = np.exp(-k * np.abs(u))
        d = 1.0 + e
        gap = np.where(u >= 0, e, 1.0) / d  # sigma(-k u): distance to the target / range
        slope = e / (d * d)
        if k == 2:
            return -2.0 * self._side * gap, 4.0 * slope
        return -self._side * gap, slope

    def energy_gradient(self, X):
        """E (S,) and grad E (S, P) of parameters X (S, P)."""
        X = np.atleast_2d(X)
        S = X.shape[0]
        Wt, v, c = self._split(X)
        if S == 1:  # plain 2-d products: the hot path of backprop and of the flow
            a = (self.Ua @ Wt[0].T)[None]
            h, f1 = value_and_slope(self.f, a)
            z = (h[0] @ v[0] + c[0])[None]
        else:
            a = np.matmul(self.Ua, Wt.transpose(0, 2, 1))
            h, f1 = value_and_slope(self.f, a)
            z = np.matmul(h, v[:, :, None])[:, :, 0] + c[:, None]
        r, g1 = self.output_terms(z)
        delta = 2.0 * r * g1  # dE/dz (S, n)
        E = np.einsum("sn,sn->s", r, r)
        G = np.empty_like(X)
        # dE/dW~_ji = sum_p delta_p v_j f'(a_pj) u~_pi = v_j [f'(a)' (delta u~)]_ji
        if S == 1:
            G[0, self._v] = delta[0] @ h[0]
            gW = (f1[0].T @ (delta[0][:, None] * self.Ua))[None]
        else:
            G[:, self._v] = np.matmul(delta[:, None, :], h)[:, 0, :]
            gW = np.matmul(f1.transpose(0, 2, 1), delta[:, :, None] * self.Ua)  # (S, H, ma)
        gW *= v[:, :, None]
        if self._c is not None:
            G[:, self._c] = delta.sum(axis=1)
        G[:, self._W] = gW[:, :, : self.net.m]
        if self._b is not None:
            G[:, self._b] = gW[:, :, -1]
        if self.net.decay:
            E = E + self.net.decay * (X * X) @ self.mask
            G += 2.0 * self.net.decay * self.mask * X
        return E, G

    def hessian(self, x) -> np.ndarray:
        """Hess E (P, P) at one parameter vector x (P,).

        The Gauss-Newton part sum_p kappa_p J_p J_p' is two symmetric rank-k updates
        (BLAS dsyrk, half the work of a general product), one for the samples with
        kappa_p > 0 and one for those with kappa_p < 0; the second-order part is a
        product of size H m_aug^2 n.
        """
        X = np.asarray(x, dtype=float).reshape(1, self.P)
        Wt, v, c = self._split(X)
        a = self.Ua @ Wt[0].T  # (n, H)
        h, f1 = value_and_slope(self.f, a)
        z = h @ v[0] + c[0]
        g = self.g
        r, g1 = self.output_terms(z[None])
        r, g1 = r[0], g1[0]
        delta = 2.0 * r * g1
        kappa = 2.0 * (g1 * g1 + r * g.d2(z))
        n, H, ma = self.n, self.H, self.Ua.shape[1]
        J = np.empty((n, self.P))  # augmented order: W~_0 .. W~_H-1, v, c
        J[:, : H * ma] = ((f1 * v[0])[:, :, None] * self.Ua[:, None, :]).reshape(n, H * ma)
        J[:, H * ma : H * ma + H] = h
        if self._c is not None:
            J[:, -1] = 1.0
        Ha = np.zeros((self.P, self.P), order="F")
        for sign in (1.0, -1.0):
            rows = kappa > 0 if sign > 0 else kappa < 0
            if rows.any():
                B = np.sqrt(sign * kappa[rows])[:, None] * J[rows]
                Ha = dsyrk(sign, B, beta=1.0, c=Ha, trans=1, lower=0, overwrite_c=1)
        # Second-order part: v_j f''(a_pj) u~ u~' within unit j, f'(a_pj) u~ between v_j, W~_j.
        T = (delta[:, None] * self.f.d2(a) * v[0][None, :]).T  # (H, n)
        blocks = np.matmul(T[:, None, :] * self.UaT[None, :, :], self.Ua)  # (H, ma, ma)
        cross = (delta[:, None] * f1).T @ self.Ua  # (H, ma)
        for j in range(H):
            s = slice(j * ma, (j + 1) * ma)
            Ha[s, s] += np.triu(blocks[j])
            Ha[s, H * ma + j] += cross[j]
        full = Ha + Ha.T  # the lower triangle of Ha is zero
        full[np.diag_indices(self.P)] = np.diagonal(Ha)
        Ha = full
        if not self._identity:
            out = np.empty_like(Ha)
            out[np.ix_(self._pos, self._pos)] = Ha
            Ha = out
        if self.net.decay:
            Ha[np.diag_indices(self.P)] += 2.0 * self.net.decay * self.mask
        return np.ascontiguousarray(Ha)

    def margins(self, X, U=None, y=None):
        """Signed output margins y~_p z_p (S, n), y~ = +-1 the side of the target.

        y~ = +1 for a target in the upper half of the output's range, -1 otherwise; a
        sample is classified correctly when its margin is > 0 (z on the target's side of
        the output's midpoint, which is z = 0 for logistic and tanh alike).
        """
        U = self.U if U is None else np.asarray(U, dtype=float)
        y = self.y if y is None else np.asarray(y, dtype=float)
        side = self.sides(y)
        _, z = self.net.preactivations(np.atleast_2d(X), U)
        return z * side[None, :]

    def sides(self, y) -> np.ndarray:
        g = self.g
        mid = 0.5 * (g.lo + g.hi) if g.bounded else 0.0
        return np.where(np.asarray(y, dtype=float) >= mid, 1.0, -1.0)


def value_and_slope(f, a):
    """f(a) and f'(a) together, for a hidden layer's pre-activations.

    For the logistic unit both come from one exponential, e = exp(-|a|):
    sigma(a) = 1/(1+e) or e/(1+e) by the sign of a, sigma'(a) = e/(1+e)^2 -- no 1 - sigma
    by subtraction, and far in saturation e underflows quietly to 0.  For tanh,
    tanh'(a) = 4 e/(1+e)^2 with e = exp(-2|a|).  Other activations use their own methods.
    (scipy's expit costs ten times numpy's exp; this is the hot path of backprop.)
    """
    if f.name == "logistic":
        e = np.abs(a)
        np.negative(e, out=e)
        np.exp(e, out=e)  # e = exp(-|a|), in (0, 1]
        d = e + 1.0
        np.reciprocal(d, out=d)  # 1 / (1 + e) = sigma(|a|)
        e *= d  # e / (1 + e) = sigma(-|a|)
        h = np.where(a >= 0, d, e)
        e *= d  # sigma(|a|) sigma(-|a|) = sigma'(a)
        return h, e
    if f.name == "tanh":
        e = np.abs(a)
        e *= -2.0
        np.exp(e, out=e)  # exp(-2|a|)
        d = e + 1.0
        np.reciprocal(d, out=d)
        e *= d
        e *= d
        e *= 4.0  # 4 e / (1 + e)^2 = tanh'(a)
        return np.tanh(a), e
    return f.value(a), f.d1(a)
