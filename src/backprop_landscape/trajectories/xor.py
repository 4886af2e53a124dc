"""Batch backprop on XOR with one hidden layer of logistic units: the paper's Figure 5.

The network is 2-H-1 (default H = 2) with biases on the hidden and output units and the
logistic sigma(z) = 1 / (1 + e^-z) everywhere.  The loss is the plain sum of squares over
the four patterns, **without** a factor 1/2:

    E = sum_p (out_p - target_p)^2,   inputs (0,0), (0,1), (1,0), (1,1), targets 0, 1, 1, 0.

Full-batch gradient descent w <- w - eta grad E runs for all seeds at once: every array
carries a leading seed axis and each epoch is one fixed sequence of in-place numpy calls
on preallocated buffers (the arrays are tiny, so call overhead, not arithmetic, is the
cost).  Epoch k means the weights after k updates; epoch 0 is the initialisation.

Stable complements: 1 - sigma(z) is computed as sigma(-z), never by subtraction, both for
sigma' = sigma(z) sigma(-z) and for the output error |out - target| = sigma(-y' z) with
y' = +-1 the signed target.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy.special import expit

from .neuron import log_step_grid

INPUTS = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
TARGETS = np.array([0.0, 1.0, 1.0, 0.0])
SOLVED_TOLERANCE = 0.1  # a seed is solved when every |out - target| < 0.1


class XorResult(NamedTuple):
    """What :func:`xor_backprop` returns.

    weights : long DataFrame with columns seed, epoch, weight, value.
    energy : DataFrame with columns seed, epoch, E at the same epochs.
    summary : one row per seed: seed, E_final, max_abs_error, correct (every output on
        the right side of 0.5), solved (every |out - target| < SOLVED_TOLERANCE), stalled
        (not solved).
    """

    weights: pd.DataFrame
    energy: pd.DataFrame
    summary: pd.DataFrame


def weight_names(hidden: int = 2) -> list[str]:
    """Names of the parameters in the order of :func:`pack` / :func:`unpack`.

    W1_h{j}_in{i} (input i to hidden j), b1_h{j}, W2_out_h{j} (hidden j to output), b2_out.
    """
    names = [f"W1_h{j}_in{i}" for j in range(hidden) for i in range(2)]
    names += [f"b1_h{j}" for j in range(hidden)]
    names += [f"W2_out_h{j}" for j in range(hidden)]
    return names + ["b2_out"]


def unpack(params) -> tuple[np.ndarray, np.ndarray]:
    """Split parameters (S, 4H + 1) into the augmented layers used by the kernel.

    Returns W1 of shape (S, 3, H), rows (input 0, input 1, bias), and W2 of shape
    (S, H + 1, 1), rows (hidden 0..H-1, bias); both fresh C-contiguous arrays.
    """
    params = np.atleast_2d(np.asarray(params, dtype=float))
    S, P = params.shape
    H = (P - 1) // 4
    if P != 4 * H + 1 or H < 1:
        raise ValueError(f"expected 4H + 1 parameters per seed; got {P}")
    W1 = np.empty((S, 3, H))
    W1[:, :2, :] = params[:, : 2 * H].reshape(S, H, 2).transpose(0, 2, 1)
    W1[:, 2, :] = params[:, 2 * H : 3 * H]
    W2 = np.empty((S, H + 1, 1))
    W2[:, :H, 0] = params[:, 3 * H : 4 * H]
    W2[:, H, 0] = params[:, 4 * H]
    return W1, W2


def pack(W1, W2) -> np.ndarray:
    """Inverse of :func:`unpack`: parameters of shape (S, 4H + 1) in ``weight_names`` order."""
    S, _, H = W1.shape
    return np.concatenate(
        [W1[:, :2, :].transpose(0, 2, 1).reshape(S, 2 * H), W1[:, 2, :], W2[:, :, 0]], axis=1
    )


def initial_weights(seeds, hidden: int = 2, scale: float = 1.0) -> np.ndarray:
    """Parameters (S, 4H + 1) drawn uniformly in [-scale, scale].

    Seed s uses its own ``numpy.random.default_rng(s)`` and draws all 4H + 1 values at once
    in ``weight_names`` order, so a seed's start does not depend on the other seeds.
    """
    P = 4 * hidden + 1
    return np.stack([np.random.default_rng(s).uniform(-scale, scale, P) for s in seeds])


class BatchKernel:
    """Preallocated buffers for the forward and backward pass of S networks of width H.

    Shapes: a, h, hm, dh (S, 4, H) pre-activations, sigma, 1 - sigma, backpropagated
    error; z, u, q, r, d (S, 4, 1) at the output.  ``hidden`` (S, 4, H + 1) carries a
    constant last column of ones so the output bias rides along in one matmul.
    """

    def __init__(self, W1: np.ndarray, W2: np.ndarray):
        S, _, H = W1.shape
        self.W1, self.W2 = W1, W2  # updated in place
        self.X = np.hstack([INPUTS, np.ones((4, 1))])  # (4, 3), bias column
        self.XT = np.ascontiguousarray(self.X.T)
        self.neg_sign = -(2.0 * TARGETS - 1.0)[:, None]  # -y', shape (4, 1)
        self.a = np.empty((S, 4, H))
        self.hm = np.empty((S, 4, H))
        self.dh = np.empty((S, 4, H))
        self.hidden = np.ones((S, 4, H + 1))
        self.h = self.hidden[:, :, :H]  # view: sigma(a) is written straight into it
        self.hiddenT = self.hidden.transpose(0, 2, 1)
        self.w2_row = W2[:, None, :H, 0]  # view (S, 1, H) of the hidden-to-output weights
        self.z, self.u, self.q, self.r, self.d = (np.empty((S, 4, 1)) for _ in range(5))
        self.g1 = np.empty_like(W1)
        self.g2 = np.empty_like(W2)

    def gradient(self, coef: np.ndarray) -> None:
        """Fill g1, g2 with ``scale`` grad E, where coef = -2 y' scale (shape (4, 1)).

        Also leaves q = |out - target| for every pattern.
        """
        np.matmul(self.X, self.W1, out=self.a)
        expit(self.a, out=self.h)
        np.negative(self.a, out=self.a)
        expit(self.a, out=self.hm)  # 1 - sigma(a), stably
        np.matmul(self.hidden, self.W2, out=self.z)
        np.multiply(self.z, self.neg_sign, out=self.u)
        expit(self.u, out=self.q)  # |out - target| = sigma(-y' z)
        np.negative(self.u, out=self.u)
        expit(self.u, out=self.r)  # 1 - q, stably
        # dE/dz = 2 (out - target) out (1 - out) = -2 y' q^2 r
        np.multiply(self.q, self.q, out=self.d)
        np.multiply(self.d, self.r, out=self.d)
        np.multiply(self.d, coef, out=self.d)
        np.matmul(self.hiddenT, self.d, out=self.g2)
        # dE/da = dE/dz * w2 * sigma'(a)
        np.multiply(self.h, self.hm, out=self.dh)
        np.multiply(self.dh, self.d, out=self.dh)
        np.multiply(self.dh, self.w2_row, out=self.dh)
        np.matmul(self.XT, self.dh, out=self.g1)

    def step(self, coef: np.ndarray) -> None:
        """One batch update w <- w - eta grad E, with coef = -2 y' eta."""
        self.gradient(coef)
        np.subtract(self.W1, self.g1, out=self.W1)
        np.subtract(self.W2, self.g2, out=self.W2)

    def errors(self) -> np.ndarray:
        """|out - target| of shape (S, 4) at the current weights."""
        self.gradient(self._coef(1.0))
        return self.q[:, :, 0].copy()

    def _coef(self, scale: float) -> np.ndarray:
        return 2.0 * scale * self.neg_sign


def loss_and_gradient(params) -> tuple[np.ndarray, np.ndarray]:
    """E and grad E for parameters of shape (S, 4H + 1) (or (4H + 1,), treated as S = 1).

    Returns E of shape (S,) and the gradient (S, 4H + 1) in ``weight_names`` order.
    """
    kernel = BatchKernel(*unpack(params))
    kernel.gradient(kernel._coef(1.0))
    E = np.sum(np.square(kernel.q[:, :, 0]), axis=1)
    return E, pack(kernel.g1, kernel.g2)


def outputs(params) -> np.ndarray:
    """Network outputs sigma(z) of shape (S, 4) for the four inputs (for inspection)."""
    kernel = BatchKernel(*unpack(params))
    kernel.gradient(kernel._coef(1.0))
    return expit(kernel.z[:, :, 0])


def xor_backprop(
    seeds=20,
    hidden: int = 2,
    eta: float = 0.5,
    n_epochs: int = 1_000_000,
    scale: float = 1.0,
    per_decade: int = 30,
    record_epochs=None,
) -> XorResult:
    """Batch backprop on XOR for several seeds at once, recording weights on a log grid.

    Parameters
    ----------
    seeds : int or sequence of int
        An int S means seeds 0..S-1; each seed draws its start from its own generator.
    hidden : int
        Hidden width H.
    eta : float
        Learning rate.
    n_epochs : int
        Number of batch updates (an integral float such as 1e6 is accepted).
    scale : float
        Initial weights are uniform in [-scale, scale].
    per_decade : int
        Recorded epochs per factor of ten; each recorded epoch k < n_epochs also records
        k + 1 so that :func:`log_rule_diagnostic` is exact.
    record_epochs : array_like of int, optional
        Explicit epochs to record instead (in [0, n_epochs]); n_epochs is always added.

    Returns
    -------
    XorResult
        Long weight table, energies and per-seed summary.
    """
    seeds, n_epochs, epochs = _validate(seeds, hidden, eta, n_epochs, per_decade, record_epochs)
    W1, W2 = unpack(initial_weights(seeds, hidden, scale))
    params, E = _run(BatchKernel(W1, W2), eta, epochs)
    return _result(seeds, epochs, params, E)


def log_rule_diagnostic(weights: pd.DataFrame) -> pd.DataFrame:
    """The paper's t [w(t+1) - w(t)] at every recorded epoch t whose successor is recorded.

    Parameters
    ----------
    weights : DataFrame
        The long ``XorResult.weights`` table (seed, epoch, weight, value).

    Returns
    -------
    DataFrame
        Columns seed, weight, epoch, t_dw.
    """
    frame = weights.sort_values(["seed", "weight", "epoch"], kind="stable")
    nxt = frame.groupby(["seed", "weight"], sort=False)[["epoch", "value"]].shift(-1)
    keep = (nxt["epoch"] == frame["epoch"] + 1).to_numpy()
    out = frame.loc[keep, ["seed", "weight", "epoch"]].copy()
    out["t_dw"] = out["epoch"] * (nxt["value"].to_numpy()[keep] - frame["value"].to_numpy()[keep])
    return out.reset_index(drop=True)


def _run(kernel: BatchKernel, eta: float, epochs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Advance ``kernel`` to the last of ``epochs``, recording parameters and E at each.

    Returns parameters (R, S, 4H + 1) and E (R, S) for the R recorded epochs.
    """
    S = kernel.W1.shape[0]
    P = kernel.W1[0].size + kernel.W2[0].size
    params = np.empty((epochs.size, S, P))
    E = np.empty((epochs.size, S))
    coef = kernel._coef(eta)
    step = kernel.step  # bound once: the loop below is the hot path
    next_epoch, j = int(epochs[0]), 0
    for k in range(int(epochs[-1]) + 1):
        if k == next_epoch:
            params[j] = pack(kernel.W1, kernel.W2)
            E[j] = np.sum(np.square(kernel.errors()), axis=1)
            j += 1
            if j == epochs.size:
                break
            next_epoch = int(epochs[j])
        step(coef)
    return params, E


def _result(seeds, epochs, params, E) -> XorResult:
    """Assemble the long weight table, energies and summary from recorded arrays."""
    R, S, P = params.shape
    names = weight_names((P - 1) // 4)
    seed_col = np.asarray(seeds, dtype=np.int64)
    weights = pd.DataFrame(
        {
            "seed": np.repeat(seed_col, R * P),
            "epoch": np.tile(np.repeat(epochs, P), S),
            "weight": pd.Categorical(np.tile(names, R * S), categories=names),
            "value": params.transpose(1, 0, 2).ravel(),
        }
    )
    energy = pd.DataFrame(
        {"seed": np.repeat(seed_col, R), "epoch": np.tile(epochs, S), "E": E.T.ravel()}
    )
    return XorResult(weights, energy, _summary(seed_col, params[-1], E[-1]))


def _summary(seeds, final_params, final_E) -> pd.DataFrame:
    kernel = BatchKernel(*unpack(final_params))
    errors = kernel.errors()
    max_error = errors.max(axis=1)
    solved = max_error < SOLVED_TOLERANCE
    return pd.DataFrame(
        {
            "seed": seeds,
            "E_final": final_E,
            "max_abs_error": max_error,
            "correct": max_error < 0.5,
            "solved": solved,
            "stalled": ~solved,
        }
    )


def _validate(seeds, hidden, eta, n_epochs, per_decade, record_epochs):
    """Check arguments; return seeds as a list, n_epochs as int and the epochs to record."""
    seeds = list(range(seeds)) if np.ndim(seeds) == 0 else [int(s) for s in seeds]
    if not seeds:
        raise ValueError("need at least one seed")
    if int(hidden) != hidden or hidden < 1:
        raise ValueError(f"hidden must be a positive integer; got {hidden!r}")
    if not eta > 0:
        raise ValueError(f"eta must be > 0; got {eta!r}")
    if float(n_epochs) != int(n_epochs) or int(n_epochs) < 0:
        raise ValueError(f"n_epochs must be a non-negative integer; got {n_epochs!r}")
    n_epochs = int(n_epochs)
    if record_epochs is None:
        epochs = log_step_grid(n_epochs, per_decade, with_successor=True)
    else:
        epochs = np.asarray(record_epochs, dtype=np.int64).ravel()
        if epochs.size and (epochs.min() < 0 or epochs.max() > n_epochs):
            raise ValueError(f"record_epochs must lie in [0, {n_epochs}]")
        epochs = np.union1d(epochs, [n_epochs])  # the summary is taken at the last epoch
    return seeds, n_epochs, epochs
