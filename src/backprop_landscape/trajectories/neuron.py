"""Gradient flow and discrete backprop on E(x) = sum_i (t_i - theta((A~ x)_i))^2.

t are the sign-flipped targets (None: the paper's hard targets, all 1); with soft targets
a row's error has a finite minimum, so weights need not diverge.

* Gradient flow dx/dt = -grad E(x) is integrated in the log time s = log(1 + t).  Weights
  that diverge do so like log t (exponential tails) or a power of t (power tails), so in s
  the right-hand side tends to a constant and an adaptive solver reaches t = 1e12 in a few
  hundred steps.
* Backprop x_{k+1} = x_k - eta grad E(x_k) is simulated step by step, one numpy update per
  step for all seeds at once; step k is time t = k eta.

Both return wide DataFrames with one row per (seed, sample): seed, [step,] t, x1..xm, E,
norm_x, norm_grad; or, with ``as_frame=False``, the same columns as numpy arrays (a job
that only writes them never loads pandas, 0.3 s).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..grids import as_count as _as_count
from ..grids import log_step_grid, log_time_grid
from ..models.neuron import energy, gradient, hessian
from ..models.theta import Theta

if TYPE_CHECKING:
    import pandas as pd

# LSODA switches between Adams (non-stiff) and BDF (stiff) by itself.  In s the system is
# dx/ds = -e^s grad E: along saturated rows the Jacobian -e^s Hess E stays O(1), but rows
# that settle at a finite margin (non-separable problems) give eigenvalues ~ -e^s, up to
# -1e12, which explicit methods cannot step past.  Measured to t = 1e12 from one start on
# n=100, m=10 (tanh / atan), rtol=1e-9, atol=1e-12:
#   separable:      LSODA 0.03 / 0.02 s, BDF 0.06 / 0.07 s, Radau (analytic Jacobian)
#                   0.12 / 0.16 s, RK45 0.33 / 0.25 s, DOP853 0.36 / 0.26 s;
#   non-separable:  LSODA 0.01 / 0.03 s, Radau 0.13 / 0.20 s, DOP853 43 s to reach only
#                   t = 1e4 (3.7e6 evaluations).
# All finishing methods agree to ~1e-8 relative.  LSODA is the fastest on both kinds.
DEFAULT_METHOD = "LSODA"


def gradient_flow(
    A_tilde,
    x0,
    theta: Theta,
    t_max: float = 1e12,
    t_eval=None,
    rtol: float = 1e-9,
    atol: float = 1e-12,
    method: str = DEFAULT_METHOD,
    seeds=None,
    targets=None,
    as_frame: bool = True,
) -> pd.DataFrame | tuple[dict, dict]:
    """Integrate dx/dt = -grad E(x) from ``x0`` in the log time s = log(1 + t).

    In s the system is dx/ds = -(1 + t) grad E(x) = -e^s grad E(x), with Jacobian
    -e^s Hess E(x) (used by the implicit methods).  Several starts (``x0`` of shape (S, m))
    are stacked into one system of size S m and solved in a single call; the Jacobian is
    then block diagonal.

    Parameters
    ----------
    A_tilde : array_like, shape (n, m)
        Reduced matrix with rows y^i u^i.
    x0 : array_like, shape (m,) or (S, m)
        Starting point(s).
    theta : Theta
        The sigmoid.
    t_max : float
        Final time when ``t_eval`` is None.
    t_eval : array_like, optional
        Sample times, increasing, >= 0; default ``log_time_grid(t_max)``.  Integration stops
        at the last of them.
    rtol, atol : float
        Solver tolerances (in the variables x, per unit of s).
    method : str
        Any ``scipy.integrate.solve_ivp`` method; the default LSODA is the fastest we found
        and handles the stiff, non-separable case.
    seeds : array_like of int, optional
        Labels for the starts; default 0..S-1.
    targets : array_like, optional
        The rows' sign-flipped targets (None: hard targets, all 1).
    as_frame : bool
        False: return ``(columns, attrs)``, the frame's columns as numpy arrays and what
        would be its attrs.

    Returns
    -------
    pandas.DataFrame
        Columns seed, t, x1..xm, E, norm_x, norm_grad; one row per (seed, t), seed-major.
        ``attrs["solver"]`` holds the method, nfev, njev and nlu.
    """
    A_tilde = np.asarray(A_tilde, dtype=float)
    X0 = _as_starts(x0, A_tilde.shape[1])
    S, m = X0.shape
    t_eval = log_time_grid(t_max) if t_eval is None else np.asarray(t_eval, dtype=float)
    if t_eval.ndim != 1 or t_eval.size == 0 or t_eval[0] < 0 or t_eval[-1] <= 0:
        raise ValueError(f"t_eval must be a 1-d array of times >= 0 ending above 0; got {t_eval}")
    if np.any(np.diff(t_eval) <= 0):
        raise ValueError("t_eval must be strictly increasing")
    s_eval = np.log1p(t_eval)

    def rhs(s, y):
        return -np.exp(s) * gradient(A_tilde, y.reshape(S, m), theta, targets).ravel()

    def jac(s, y):
        blocks = -np.exp(s) * hessian(A_tilde, y.reshape(S, m), theta, targets)
        return _block_diagonal(blocks)

    # Explicit methods warn when given a Jacobian, so pass it only to the implicit ones.
    options = {} if method in ("RK23", "RK45", "DOP853") else {"jac": jac}
    # lazy: scipy.integrate loads scipy.optimize (0.4 s), which backprop jobs never use
    from scipy.integrate import solve_ivp

    sol = solve_ivp(
        rhs,
        (0.0, float(s_eval[-1])),
        X0.ravel(),
        method=method,
        t_eval=s_eval,
        rtol=rtol,
        atol=atol,
        **options,
    )
    if sol.status != 0:
        raise RuntimeError(f"gradient flow stopped before t={t_eval[-1]:.6g}: {sol.message}")
    X = sol.y.reshape(S, m, -1).transpose(0, 2, 1)  # (S, samples, m)
    columns = _trajectory_columns(A_tilde, X, theta, _seed_labels(seeds, S), {"t": t_eval}, targets)
    solver = {"method": method, "nfev": int(sol.nfev), "njev": int(sol.njev), "nlu": int(sol.nlu)}
    return _returned(columns, {"solver": solver}, as_frame)


def backprop(
    A_tilde,
    x0,
    theta: Theta,
    eta: float,
    n_steps: int,
    record_steps=None,
    seeds=None,
    targets=None,
    as_frame: bool = True,
) -> pd.DataFrame | tuple[dict, dict]:
    """Discrete gradient descent x_{k+1} = x_k - eta grad E(x_k), all seeds at once.

    Parameters
    ----------
    A_tilde : array_like, shape (n, m)
        Reduced matrix.
    x0 : array_like, shape (m,) or (S, m)
        Starting point of each seed.
    theta : Theta
        The sigmoid.
    eta : float
        Learning rate (> 0); step k is time t = k eta.
    n_steps : int
        Number of updates.
    record_steps : array_like of int, optional
        Step indices in [0, n_steps] to record (x_k after k updates); n_steps is always
        added.  Default ``log_step_grid(n_steps)``.
    seeds : array_like of int, optional
        Labels for the starts; default 0..S-1.
    targets : array_like, optional
        The rows' sign-flipped targets (None: hard targets, all 1).
    as_frame : bool
        False: return ``(columns, {})``, the frame's columns as numpy arrays.

    Returns
    -------
    pandas.DataFrame
        Columns seed, step, t, x1..xm, E, norm_x, norm_grad; seed-major.
    """
    A_tilde = np.asarray(A_tilde, dtype=float)
    X = _as_starts(x0, A_tilde.shape[1]).copy()
    if not eta > 0:
        raise ValueError(f"eta must be > 0; got {eta!r}")
    n_steps = _as_count(n_steps, "n_steps")
    if record_steps is None:
        steps = log_step_grid(n_steps)
    else:
        steps = np.asarray(record_steps, dtype=np.int64).ravel()
        if steps.size and (steps.min() < 0 or steps.max() > n_steps):
            raise ValueError(f"record_steps must lie in [0, {n_steps}]; got {steps!r}")
        steps = np.union1d(steps, [n_steps])
    S, m = X.shape
    samples = np.empty((S, steps.size, m))
    j = 0
    for k in range(int(steps[-1]) + 1):
        if k == steps[j]:
            samples[:, j] = X
            j += 1
            if j == steps.size:
                break
        X -= eta * gradient(A_tilde, X, theta, targets)
    columns = {"step": steps.astype(np.int64), "t": steps * float(eta)}
    columns = _trajectory_columns(A_tilde, samples, theta, _seed_labels(seeds, S), columns, targets)
    return _returned(columns, {}, as_frame)


def t_times_increment(t, w, axis: int = 0) -> np.ndarray:
    """The log-rule diagnostic t [w(t+1) - w(t)], approximated by t dw/dt = dw/d(log t).

    For a weight growing like a + b log t this tends to b; for a bounded weight to 0.  From
    samples on a log grid the derivative dw/d(log t) is taken by second-order differences
    on the non-uniform grid log t (``numpy.gradient``); t dw/dt differs from the discrete
    increment by O(t w'') = O(dw/d(log t) / t), negligible in the tail.  Entries at t = 0
    are 0 (t dw/dt vanishes there).  Exact discrete increments, when w(t+1) is recorded,
    are better taken directly (see ``xor.log_rule_diagnostic``).

    Parameters
    ----------
    t : array_like, shape (T,)
        Increasing sample times >= 0; at least three positive ones.
    w : array_like
        Samples, with the time axis ``axis`` of length T.
    axis : int
        Time axis of ``w``.

    Returns
    -------
    numpy.ndarray
        Same shape as ``w``.
    """
    t = np.asarray(t, dtype=float)
    w = np.moveaxis(np.asarray(w, dtype=float), axis, 0)
    if t.ndim != 1 or t.shape[0] != w.shape[0]:
        raise ValueError(f"t has shape {t.shape} but w has {w.shape[0]} samples along axis")
    positive = t > 0
    if np.count_nonzero(positive) < 3 or np.any(np.diff(t) <= 0):
        raise ValueError("t must be increasing with at least three positive samples")
    out = np.zeros_like(w)
    out[positive] = np.gradient(w[positive], np.log(t[positive]), axis=0, edge_order=2)
    return np.moveaxis(out, 0, axis)


def _trajectory_columns(A_tilde, X, theta: Theta, seeds, columns: dict, targets=None) -> dict:
    """Wide columns from samples X of shape (S, T, m) and per-sample columns of length T."""
    S, T, m = X.shape
    grad = gradient(A_tilde, X, theta, targets)
    data = {"seed": np.repeat(seeds, T)}
    data.update({name: np.tile(values, S) for name, values in columns.items()})
    data.update({f"x{j + 1}": X[..., j].ravel() for j in range(m)})
    data["E"] = energy(A_tilde, X, theta, targets).ravel()
    data["norm_x"] = np.linalg.norm(X, axis=-1).ravel()
    data["norm_grad"] = np.linalg.norm(grad, axis=-1).ravel()
    return data


def _returned(columns: dict, attrs: dict, as_frame: bool) -> pd.DataFrame | tuple[dict, dict]:
    """The frame of ``columns`` with ``attrs``, or (columns, attrs) as they are."""
    if not as_frame:
        return columns, attrs
    import pandas as pd

    frame = pd.DataFrame(columns)
    frame.attrs.update(attrs)
    return frame


def _block_diagonal(blocks: np.ndarray) -> np.ndarray:
    """Dense block-diagonal matrix from blocks of shape (S, m, m)."""
    S, m, _ = blocks.shape
    if S == 1:
        return blocks[0]
    out = np.zeros((S, m, S, m))
    out[np.arange(S), :, np.arange(S), :] = blocks
    return out.reshape(S * m, S * m)


def _as_starts(x0, m: int) -> np.ndarray:
    """x0 as a float array of shape (S, m)."""
    X0 = np.atleast_2d(np.asarray(x0, dtype=float))
    if X0.ndim != 2 or X0.shape[1] != m:
        raise ValueError(f"x0 must have shape (m,) or (S, m) with m={m}; got {np.shape(x0)}")
    if not np.all(np.isfinite(X0)):
        raise ValueError("x0 must be finite")
    return X0


def _seed_labels(seeds, S: int) -> np.ndarray:
    labels = np.arange(S) if seeds is None else np.asarray(seeds, dtype=np.int64)
    if labels.shape != (S,):
        raise ValueError(f"seeds must have one label per start ({S}); got shape {labels.shape}")
    return labels
