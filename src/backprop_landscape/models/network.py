"""A network with one hidden layer: E, its gradient and its Hessian, exactly and in batches.

Model (notation of DESIGN.md).  Inputs u^p in R^m are the rows of U (n x m), targets
y^p, p = 1..n.  Hidden unit j = 1..H has input weights W_j (a row of W, H x m), bias b_j
(if ``hidden_bias``) and activation f; the output unit has weights v (H), bias c (if
``output_bias``) and activation g:

    a_pj = W_j . u^p + b_j,   h_pj = f(a_pj),   z_p = sum_j v_j h_pj + c,   out_p = g(z_p),

    E = sum_p (out_p - y_p)^2 + lambda * sum_k mask_k w_k^2.

No factor 1/2 (as in the paper and in ``trajectories.xor``).  The decay mask covers every
weight and bias, or the weights only when ``decay_biases`` is False.  ``hidden = 0`` is
the network without a hidden layer, out_p = g(x . u^p + c): the paper's perceptron (with
g = tanh, no bias and y = +-1 it is ``models.neuron``'s E after the sign-flip reduction).
A data set whose inputs already carry a column of ones is used with the bias flags off.

Parameter vector (``names``), in the order of ``trajectories.xor.weight_names``:
W (row by row: unit j, then input i), b, v, c -- so the XOR network of Figure 5 is
``Network(m=2, hidden=2)`` with the same vector.

Target coding.  Targets are given in the output unit's own range: in [0, 1] for a
logistic output, in [-1, 1] for tanh, atan and erf, anything for a linear output.  The
project's labels are +-1 (DESIGN.md) and soft labels lie in (-1, 1);
:meth:`Network.code_targets` maps them affinely to the output's range: for a logistic
output y -> (1 + y) / 2 (so +1 -> 1, -1 -> 0, +-0.8 -> 0.9 / 0.1), for the others y is
kept.  A hard target equal to a bound of the range is reached only at infinity.

Numerics.  Every function takes parameters of shape (S, P) (or (P,)) and evaluates all S
networks in one pass of batched matrix products.  Residuals out - y are formed from the
activation's stable gaps (``activations.Activation.residual``), so outputs deep in
saturation keep their tiny errors (no 1 - sigmoid by subtraction), and every derivative
of f and g is a product of such gaps: far in saturation values underflow quietly to 0,
never to inf or nan.

Derivatives.  With delta_p = 2 r_p g'(z_p), kappa_p = 2 (g'(z_p)^2 + r_p g''(z_p)) and
J_p = dz_p / dw,

    grad E = sum_p delta_p J_p + 2 lambda mask * w,
    Hess E = sum_p kappa_p J_p J_p' + sum_p delta_p d^2 z_p / dw^2 + 2 lambda diag(mask),

where J_p = (v_j f'(a_pj) u~^p for each unit j, h_p, 1) with u~^p = (u^p, 1) the input
augmented by the bias input, and the only nonzero second derivatives of z_p are
d^2 z_p / dW~_j dW~_j = v_j f''(a_pj) u~^p u~^p' and d^2 z_p / dv_j dW~_j = f'(a_pj) u~^p.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from .activations import Activation, get_activation


@dataclass(frozen=True)
class Network:
    """A one-hidden-layer network: architecture, activations and weight decay.

    Parameters
    ----------
    m : int
        Number of inputs (columns of U).
    hidden : int
        Number of hidden units H; 0 means no hidden layer (the inputs feed the output).
    hidden_activation, output_activation : str
        Names from ``activations.ACTIVATION_NAMES`` (logistic, tanh, linear, atan, erf).
    hidden_bias, output_bias : bool
        Whether the hidden units and the output unit have a bias.
    decay : float
        lambda >= 0 of the penalty lambda * ||w||^2.
    decay_biases : bool
        Whether the penalty covers the biases too (default) or the weights only.
    """

    m: int
    hidden: int = 2
    hidden_activation: str = "logistic"
    output_activation: str = "logistic"
    hidden_bias: bool = True
    output_bias: bool = True
    decay: float = 0.0
    decay_biases: bool = True

    def __post_init__(self):
        if int(self.m) != self.m or self.m < 1:
            raise ValueError(f"m must be a positive integer; got {self.m!r}")
        if int(self.hidden) != self.hidden or self.hidden < 0:
            raise ValueError(f"hidden must be a non-negative integer; got {self.hidden!r}")
        if not (np.isfinite(self.decay) and self.decay >= 0):
            raise ValueError(f"decay must be a finite number >= 0; got {self.decay!r}")
        get_activation(self.hidden_activation)  # validates the names
        get_activation(self.output_activation)

    # ----------------------------------------------------------------------------------
    # layout
    # ----------------------------------------------------------------------------------

    @property
    def f(self) -> Activation:
        return get_activation(self.hidden_activation)

    @property
    def g(self) -> Activation:
        return get_activation(self.output_activation)

    @property
    def m_aug(self) -> int:
        """Inputs of a hidden unit counting the bias input (m + 1 with a bias)."""
        return self.m + int(self.hidden_bias)

    @property
    def n_params(self) -> int:
        H = self.hidden
        if H == 0:
            return self.m + int(self.output_bias)
        return H * self.m_aug + H + int(self.output_bias)

    @cached_property
    def names(self) -> list[str]:
        """Parameter names in vector order (those of ``trajectories.xor.weight_names``)."""
        H, m = self.hidden, self.m
        if H == 0:
            names = [f"W2_out_in{i}" for i in range(m)]
        else:
            names = [f"W1_h{j}_in{i}" for j in range(H) for i in range(m)]
            names += [f"b1_h{j}" for j in range(H)] if self.hidden_bias else []
            names += [f"W2_out_h{j}" for j in range(H)]
        return names + (["b2_out"] if self.output_bias else [])

    @cached_property
    def decay_mask(self) -> np.ndarray:
        """1.0 for each parameter the penalty covers, 0.0 for the others."""
        mask = np.ones(self.n_params)
        if not self.decay_biases:
            is_bias = np.array([name.startswith(("b1_", "b2_")) for name in self.names])
            mask[is_bias] = 0.0
        return mask

    @cached_property
    def _slices(self) -> dict[str, slice]:
        H, m = self.hidden, self.m
        if H == 0:
            out = {"v": slice(0, m)}
            k = m
        else:
            out = {"W": slice(0, H * m)}
            k = H * m
            if self.hidden_bias:
                out["b"] = slice(k, k + H)
                k += H
            out["v"] = slice(k, k + H)
            k += H
        if self.output_bias:
            out["c"] = slice(k, k + 1)
        return out

    @cached_property
    def _augmented_position(self) -> np.ndarray:
        """Vector position of each column of the augmented Jacobian (W~_0, .., W~_H-1, v, c).

        Internally a hidden unit's weights and bias form one block W~_j of m_aug entries,
        so its second derivatives are one outer product of u~; this maps that order back
        to the vector order W, b, v, c.
        """
        H, m, ma = self.hidden, self.m, self.m_aug
        if H == 0:
            return np.arange(self.n_params)
        sl = self._slices
        pos = np.empty(self.n_params, dtype=np.intp)
        for j in range(H):
            pos[j * ma : j * ma + m] = sl["W"].start + j * m + np.arange(m)
            if self.hidden_bias:
                pos[j * ma + m] = sl["b"].start + j
        pos[H * ma : H * ma + H] = sl["v"].start + np.arange(H)
        if self.output_bias:
            pos[-1] = sl["c"].start
        return pos

    def unpack(self, params) -> dict[str, np.ndarray]:
        """Split parameters (S, P) into W (S, H, m), b (S, H), v (S, H) or (S, m), c (S,).

        Absent biases come back as zeros, so every formula can use them.
        """
        params = self._as_batch(params)
        S, H, m = params.shape[0], self.hidden, self.m
        sl = self._slices
        parts = {"v": params[:, sl["v"]]}
        if H > 0:
            parts["W"] = params[:, sl["W"]].reshape(S, H, m)
            parts["b"] = params[:, sl["b"]] if self.hidden_bias else np.zeros((S, H))
        parts["c"] = params[:, sl["c"].start] if self.output_bias else np.zeros(S)
        return parts

    def pack(self, W=None, b=None, v=None, c=None) -> np.ndarray:
        """Inverse of :meth:`unpack`: parameters (S, P) from the parts (biases may be omitted)."""
        v = np.atleast_2d(np.asarray(v, dtype=float))
        S = v.shape[0]
        pieces = []
        if self.hidden > 0:
            pieces.append(np.asarray(W, dtype=float).reshape(S, self.hidden * self.m))
            if self.hidden_bias:
                pieces.append(np.asarray(b, dtype=float).reshape(S, self.hidden))
        pieces.append(v)
        if self.output_bias:
            pieces.append(np.asarray(c, dtype=float).reshape(S, 1))
        return np.concatenate(pieces, axis=1)

    def code_targets(self, labels) -> np.ndarray:
        """Targets in the output's range from labels on the paper's scale [-1, 1].

        Logistic output: (1 + y) / 2; tanh, atan, erf and linear outputs: y unchanged.
        """
        y = np.asarray(labels, dtype=float)
        if self.output_activation == "logistic":
            return 0.5 * (1.0 + y)
        return y.copy()

    def check_data(self, U, y) -> tuple[np.ndarray, np.ndarray]:
        """U as (n, m) floats and y as (n,) floats inside the output's closed range."""
        U = np.asarray(U, dtype=float)
        y = np.asarray(y, dtype=float)
        if U.ndim != 2 or U.shape[1] != self.m or y.shape != (U.shape[0],):
            raise ValueError(
                f"U must be n x {self.m} and y of length n; got U{U.shape}, y{y.shape}"
            )
        g = self.g
        if g.bounded:
            bad = (y < g.lo) | (y > g.hi) | ~np.isfinite(y)
            if bad.any():
                i = int(np.flatnonzero(bad)[0])
                raise ValueError(
                    f"targets of a {g.name} output must lie in [{g.lo:g}, {g.hi:g}]; "
                    f"y[{i}] = {y[i].item()!r} (code +-1 labels with Network.code_targets)"
                )
        return U, y

    # ----------------------------------------------------------------------------------
    # E and its derivatives
    # ----------------------------------------------------------------------------------

    def outputs(self, params, U) -> np.ndarray:
        """out_p of shape (S, n) (or (n,) for one parameter vector)."""
        params, single = self._batch_flag(params)
        U = np.asarray(U, dtype=float)
        state = self._forward(params, U)
        out = self.g.value(state["z"])
        return out[0] if single else out

    def residuals(self, params, U, y) -> np.ndarray:
        """out_p - y_p of shape (S, n), from the stable gaps."""
        params, single = self._batch_flag(params)
        U, y = self.check_data(U, y)
        r = self.g.residual(self._forward(params, U)["z"], y)
        return r[0] if single else r

    def energy(self, params, U, y) -> np.ndarray:
        """E of shape (S,) (a float for one parameter vector)."""
        return self.evaluate(params, U, y, order=0)[0]

    def gradient(self, params, U, y) -> np.ndarray:
        """grad E of shape (S, P)."""
        return self.evaluate(params, U, y, order=1)[1]

    def hessian(self, params, U, y) -> np.ndarray:
        """Hess E of shape (S, P, P)."""
        return self.evaluate(params, U, y, order=2)[2]

    def evaluate(self, params, U, y, order: int = 2):
        """(E, grad E, Hess E) in one pass; entries beyond ``order`` are None.

        Shapes (S,), (S, P), (S, P, P), or (), (P,), (P, P) for one parameter vector.
        """
        params, single = self._batch_flag(params)
        U, y = self.check_data(U, y)
        E, G, Hs = self.kernel(params, U, y, order)
        if single:
            return E[0], None if G is None else G[0], None if Hs is None else Hs[0]
        return E, G, Hs

    def gradient_rounding(self, params, U, y) -> np.ndarray:
        """The size of each component of grad E that rounding alone produces: (S, P).

        eps * (sum_p |delta_p J_p| + 2 lambda |w|  +  |Hess E| 1 max|w|): the first term
        bounds the error of summing the gradient's terms, the second the change of the
        gradient when w moves by rounding of its largest entry (a point within
        eps max |w| of a stationary point is one, to double precision).  A stationary
        point is resolved to rounding level when every |dE/dw_k| is a modest multiple of
        its entry.  (Compared component by component, not in norm: where a unit
        saturates, its weights' terms and Hessian rows are tiny, and a norm would let
        their uncancelled gradient hide behind the large terms of the output weights.)
        """
        params = self._as_batch(params)
        U, y = self.check_data(U, y)
        _, _, Hs, scale = self.kernel(params, U, y, 2, with_scale=True)
        return self.rounding_level(params, Hs, scale)

    def hessian_scale(self, params, U, y) -> np.ndarray:
        """The size of the terms that make up Hess E: shape (S,).

        sum_p |kappa_p| ||J_p||^2 + sum_p |delta_p| ||d^2 z_p / dw^2|| + 2 lambda, with the
        second-derivative blocks bounded by sum_j |v_j f''(a_pj)| ||u~_p||^2 + 2 |f'(a_pj)|
        ||u~_p||.  An eigenvalue is zero, to the precision the Hessian is known, when it
        is a tiny fraction of this -- even where every eigenvalue is tiny because the
        terms cancel (at W = 0, v = 0 of a tanh unit the Hessian vanishes while its terms
        do not).
        """
        params = self._as_batch(params)
        U, y = self.check_data(U, y)
        state = self._forward(params, U)
        z, g = state["z"], self.g
        r = g.residual(z, y)
        g1 = g.d1(z)
        delta = 2.0 * r * g1
        kappa = 2.0 * (g1 * g1 + r * g.d2(z))
        J, Ua = self._jacobian(params, state)
        total = np.einsum("sn,snk->s", np.abs(kappa), J * J)
        if self.hidden > 0:
            norm_u = np.linalg.norm(Ua, axis=1)  # (n,)
            v = np.abs(state["parts"]["v"])[:, None, :]
            second = v * np.abs(self.f.d2(state["a"])) * (norm_u**2)[None, :, None]
            second = second + 2.0 * np.abs(state["f1"]) * norm_u[None, :, None]
            total = total + np.einsum("sn,snh->s", np.abs(delta), second)
        return total + 2.0 * self.decay * self.decay_mask.max(initial=0.0)

    @staticmethod
    def rounding_level(params, Hs, scale) -> np.ndarray:
        """:meth:`gradient_rounding` from the kernel's Hessian and term magnitudes."""
        moved = np.abs(Hs).sum(axis=2) * np.abs(params).max(axis=1, keepdims=True)
        return np.finfo(float).eps * (scale + moved)

    def preactivations(self, params, U) -> tuple[np.ndarray | None, np.ndarray]:
        """(a, z): hidden pre-activations (S, n, H) (None without a hidden layer), output (S, n)."""
        state = self._forward(self._as_batch(params), np.asarray(U, dtype=float))
        return state.get("a"), state["z"]

    def saturation_depth(self, params, U) -> np.ndarray:
        """max over units and samples of |pre-activation| / z_far: shape (S,).

        At 1 or more some unit is saturated to double precision on some sample
        (``activations.Activation.z_far``).
        """
        a, z = self.preactivations(params, U)
        depth = np.abs(z).max(axis=1) / self.g.z_far
        if a is not None and a.size:
            depth = np.maximum(depth, np.abs(a).max(axis=(1, 2)) / self.f.z_far)
        return depth

    def unit_saturation(self, params, U) -> np.ndarray:
        """max over units of min over samples of |pre-activation| / z_far: shape (S,).

        At 1 or more some unit -- a hidden unit or the output -- is saturated to double
        precision on *every* sample: it acts as a constant, its weights' gradient terms
        are all below rounding, and the point is on its way to infinity.  (A unit
        saturated on some samples only is normal at finite stationary points: a steep
        unit whose transition lies between two samples.)
        """
        a, z = self.preactivations(params, U)
        depth = np.abs(z).min(axis=1) / self.g.z_far
        if a is not None and a.size:
            depth = np.maximum(depth, np.abs(a).min(axis=1).max(axis=1) / self.f.z_far)
        return depth

    def kernel(self, params, U, y, order: int = 2, with_scale: bool = False):
        """The batch kernel behind :meth:`evaluate`, without its checks.

        For loops that call it many times: ``params`` must be a float array (S, P) and
        U, y the arrays :meth:`check_data` returns.  Returns (E, grad E, Hess E), entries
        beyond ``order`` None; with ``with_scale`` (and order >= 1) a fourth array, the
        magnitudes sum_p |delta_p J_p| + 2 lambda mask |w| of the gradient's terms, shape
        (S, P) (see :meth:`gradient_rounding`).
        """
        S, P = params.shape
        state = self._forward(params, U)
        z = state["z"]
        g = self.g
        r = g.residual(z, y)
        lam, mask = self.decay, self.decay_mask
        E = np.einsum("sn,sn->s", r, r)
        if lam:
            E = E + lam * (params * params) @ mask
        if order == 0:
            return (E, None, None, None) if with_scale else (E, None, None)

        g1 = g.d1(z)
        delta = 2.0 * r * g1  # dE/dz_p
        J, Ua = self._jacobian(params, state)  # (S, n, P) in augmented order, u~ (n, m_aug)
        G = np.empty((S, P))
        G[:, self._augmented_position] = np.einsum("sn,snk->sk", delta, J)
        if lam:
            G += 2.0 * lam * mask * params
        scale = None
        if with_scale:
            scale = np.empty((S, P))
            scale[:, self._augmented_position] = np.einsum("sn,snk->sk", np.abs(delta), np.abs(J))
            if lam:
                scale += 2.0 * lam * mask * np.abs(params)
        if order == 1:
            return (E, G, None, scale) if with_scale else (E, G, None)

        kappa = 2.0 * (g1 * g1 + r * g.d2(z))  # d^2 E / dz_p^2
        Ha = np.matmul(J.transpose(0, 2, 1) * kappa[:, None, :], J)  # Gauss-Newton part
        if self.hidden > 0:
            self._add_second_order(Ha, state, delta, Ua)
        Ha = 0.5 * (Ha + Ha.transpose(0, 2, 1))  # exactly symmetric (BLAS rounds J'kJ unevenly)
        pos = self._augmented_position
        Hs = np.empty((S, P, P))
        Hs[:, pos[:, None], pos[None, :]] = Ha
        if lam:
            Hs[:, np.arange(P), np.arange(P)] += 2.0 * lam * mask
        return (E, G, Hs, scale) if with_scale else (E, G, Hs)

    def _forward(self, params, U) -> dict[str, np.ndarray]:
        """Pre-activations and hidden values: a (S, n, H), h (S, n, H), z (S, n)."""
        parts = self.unpack(params)
        if self.hidden == 0:
            return {"z": parts["v"] @ U.T + parts["c"][:, None], "parts": parts, "U": U}
        a = np.matmul(U, parts["W"].transpose(0, 2, 1)) + parts["b"][:, None, :]
        h = self.f.value(a)
        z = np.einsum("snh,sh->sn", h, parts["v"]) + parts["c"][:, None]
        return {"a": a, "h": h, "z": z, "parts": parts, "U": U}

    def _augmented_inputs(self, U) -> np.ndarray:
        if self.hidden == 0:
            return np.hstack([U, np.ones((len(U), 1))]) if self.output_bias else U
        return np.hstack([U, np.ones((len(U), 1))]) if self.hidden_bias else U

    def _jacobian(self, params, state):
        """J_p = dz_p / dw in the augmented order (W~_0, .., W~_H-1, v, c): (S, n, P)."""
        S = params.shape[0]
        Ua = self._augmented_inputs(state["U"])
        n = Ua.shape[0]
        if self.hidden == 0:
            return np.broadcast_to(Ua, (S, n, Ua.shape[1])), Ua
        H, ma = self.hidden, self.m_aug
        f1 = self.f.d1(state["a"])
        state["f1"] = f1
        vf1 = f1 * state["parts"]["v"][:, None, :]  # dz/da_pj
        pieces = [(vf1[:, :, :, None] * Ua[None, :, None, :]).reshape(S, n, H * ma)]
        pieces.append(state["h"])
        if self.output_bias:
            pieces.append(np.ones((S, n, 1)))
        return np.concatenate(pieces, axis=2), Ua

    def _add_second_order(self, Ha, state, delta, Ua) -> None:
        """Add sum_p delta_p d^2 z_p / dw^2 to the augmented Hessian Ha in place."""
        S = Ha.shape[0]
        H, ma = self.hidden, self.m_aug
        n = Ua.shape[0]
        v = state["parts"]["v"]
        f2 = self.f.d2(state["a"])
        T = (delta[:, :, None] * f2 * v[:, None, :]).transpose(0, 2, 1)  # (S, H, n)
        outer = (Ua[:, :, None] * Ua[:, None, :]).reshape(n, ma * ma)
        block = np.matmul(T, outer).reshape(S, H, ma, ma)  # d^2 / dW~_j dW~_j
        cross = np.matmul((delta[:, :, None] * state["f1"]).transpose(0, 2, 1), Ua)  # (S, H, ma)
        rows, cols, vrows, vcols = self._second_order_index
        P = Ha.shape[1]
        flat = Ha.reshape(S, P * P)
        flat[:, rows * P + cols] += block.reshape(S, -1)
        flat[:, vrows * P + vcols] += cross.reshape(S, -1)
        flat[:, vcols * P + vrows] += cross.reshape(S, -1)

    @cached_property
    def _second_order_index(self):
        """Augmented row/column indices of the unit blocks and of the v_j - W~_j blocks."""
        H, ma = self.hidden, self.m_aug
        j, a, b = np.meshgrid(np.arange(H), np.arange(ma), np.arange(ma), indexing="ij")
        rows, cols = (j * ma + a).ravel(), (j * ma + b).ravel()
        j2, a2 = np.meshgrid(np.arange(H), np.arange(ma), indexing="ij")
        return rows, cols, (H * ma + j2).ravel(), (j2 * ma + a2).ravel()

    def _as_batch(self, params) -> np.ndarray:
        params = np.atleast_2d(np.asarray(params, dtype=float))
        if params.ndim != 2 or params.shape[1] != self.n_params:
            raise ValueError(
                f"expected parameters of shape (S, {self.n_params}) for {self!r}; "
                f"got {params.shape}"
            )
        return params

    def _batch_flag(self, params):
        single = np.ndim(params) == 1
        return self._as_batch(params), single
