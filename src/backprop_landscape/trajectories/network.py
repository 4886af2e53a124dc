"""Gradient flow and full-batch backprop of a network with one hidden layer, at scale.

The network is :class:`models.network.Network` (notation and parameter order there:
W unit by unit, b, v, c), on a data set of realistic size -- hundreds of samples, tens
of inputs and hidden units, about a thousand weights.

The kernel of E, grad E and Hess E is ``models.network_kernel.NetworkKernel``.

* :func:`gradient_flow` integrates dw/dt = -grad E in the log time s = log(1 + t) with
  an implicit solver of ``scipy.integrate.solve_ivp`` and the exact Hessian as Jacobian,
  one start at a time (the system of S starts is block diagonal; one solve per start
  keeps each LU at P x P and each start's step sizes its own).
* :func:`backprop` runs w <- w - eta grad E for all starts at once (one batched kernel
  call per epoch).

Both record every weight at log-spaced times, with the paper's diagnostic
t [w(t+1) - w(t)], which for the flow is t dw/dt = -t grad E(w(t)) exactly and for
backprop k [w_{k+1} - w_k] = -k eta grad E(w_k) exactly (the gradient is computed anyway),
and per-sample summaries (E, norms, errors on the training and held-out rows, margins).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..grids import as_count, log_step_grid, log_time_grid
from ..models.network import Network
from ..models.network_kernel import NetworkKernel
from ..seeds import derived_seed

#: The implicit method of the flow (any of solve_ivp's; the Hessian is its Jacobian).
#: Measured on breast cancer, 30-32-1 logistic, one start to t = 1e12 (rtol 1e-6, atol
#: 1e-8, benchmarks/bench_scale.py): LSODA needs about 100 Hessians and as many LU
#: factorisations, BDF about 25 Hessians but 100 LUs and more steps, Radau 3x the time;
#: explicit methods are held to steps of ~1e-2 in s by (1 + t) lambda_max(Hess) ~ 200.
DEFAULT_METHOD = "LSODA"


# --------------------------------------------------------------------------------------
# Starts
# --------------------------------------------------------------------------------------


def initial_weights(net: Network, starts: int, scale: float, *parts) -> np.ndarray:
    """Starts (S, P): every weight into a unit ~ N(0, scale^2 / fan_in), biases 0.

    fan_in is the unit's number of inputs (m for a hidden unit, H for the output); the
    generator is seeded by ``parts`` (problem, network, config seed), so a start does not
    depend on the other starts' count... of the same job only through its index.
    """
    rng = np.random.default_rng(derived_seed(*parts))
    S, P = int(starts), net.n_params
    X = np.zeros((S, P))
    index = net.unpack(np.arange(P, dtype=float)[None, :])
    W = index["W"][0].astype(np.intp).ravel()
    v = index["v"][0].astype(np.intp)
    X[:, W] = rng.standard_normal((S, W.size)) * scale / math.sqrt(net.m)
    X[:, v] = rng.standard_normal((S, v.size)) * scale / math.sqrt(net.hidden)
    return X


def learning_rate(kernel: NetworkKernel, X0, fraction: float) -> float:
    """fraction x 2 / lambda_max: a backprop step that is stable at every start of X0.

    lambda_max is the largest eigenvalue of Hess E over the starts (S, P); plain gradient
    descent is linearly stable near x only for eta < 2 / lambda_max(Hess E(x)).  Along a
    flow that drives weights to infinity lambda_max falls like 1/t, so a rate stable at
    the start stays stable.
    """
    if not 0 < fraction < 1:
        raise ValueError(f"fraction must lie in (0, 1); got {fraction!r}")
    top = max(np.linalg.eigvalsh(kernel.hessian(x))[-1] for x in np.atleast_2d(X0))
    if not top > 0:
        raise ValueError("Hess E has no positive eigenvalue at the starts: no step scale")
    return float(fraction * 2.0 / top)


# --------------------------------------------------------------------------------------
# Gradient flow and backprop
# --------------------------------------------------------------------------------------


@dataclass
class Trajectory:
    """Recorded samples of S runs at T times; what :func:`gradient_flow` and
    :func:`backprop` return.

    t : (T,) times (flow time; for backprop t = k eta); step : (T,) epochs k or None;
    X : (S, T, P) weights; D : (S, T, P) the diagnostic t [w(t+1) - w(t)] (exactly
    -t grad E for the flow and -k eta grad E for backprop); E : (S, T);
    solver : per-run solver statistics (flow) or {} ; seconds : wall time per run.
    """

    t: np.ndarray
    step: np.ndarray | None
    X: np.ndarray
    D: np.ndarray
    E: np.ndarray
    solver: list
    seconds: list


def gradient_flow(
    kernel: NetworkKernel,
    x0,
    t_max: float = 1e12,
    per_decade: int = 10,
    t_eval=None,
    rtol: float = 1e-6,
    atol: float = 1e-8,
    method: str = DEFAULT_METHOD,
) -> Trajectory:
    """Integrate dw/dt = -grad E(w) in s = log(1 + t) from each start of ``x0`` (S, P).

    In s the system is dw/ds = -e^s grad E(w), Jacobian -e^s Hess E(w) (exact, from
    :meth:`NetworkKernel.hessian`).  Samples at ``t_eval`` (default
    ``log_time_grid(t_max, per_decade)``).  A solver failure raises with the time reached.
    """
    X0 = np.atleast_2d(np.asarray(x0, dtype=float))
    t_eval = log_time_grid(t_max, per_decade=per_decade) if t_eval is None else np.asarray(t_eval)
    s_eval = np.log1p(t_eval)
    S, T, P = X0.shape[0], t_eval.size, kernel.P
    X = np.empty((S, T, P))
    solver, seconds = [], []
    for i in range(S):
        counts = {"nfev": 0, "njev": 0}

        def rhs(s, w, counts=counts):
            counts["nfev"] += 1
            return -math.exp(s) * kernel.energy_gradient(w[None, :])[1][0]

        def jac(s, w, counts=counts):
            counts["njev"] += 1
            return -math.exp(s) * kernel.hessian(w)

        # lazy: scipy.integrate loads scipy.optimize (0.4 s), which backprop jobs never use
        from scipy.integrate import solve_ivp

        start = time.perf_counter()
        sol = solve_ivp(
            rhs,
            (0.0, float(s_eval[-1])),
            X0[i],
            method=method,
            t_eval=s_eval,
            jac=jac,
            rtol=rtol,
            atol=atol,
        )
        seconds.append(time.perf_counter() - start)
        if sol.status != 0:
            reached = math.expm1(sol.t[-1]) if sol.t.size else 0.0
            raise RuntimeError(
                f"gradient flow of start {i} stopped at t = {reached:.3g} "
                f"(before {t_eval[-1]:.3g}): {sol.message}"
            )
        X[i] = sol.y.T
        solver.append({"method": method, "nlu": int(sol.nlu), **counts})
    E, G = kernel.energy_gradient(X.reshape(S * T, P))
    D = -t_eval[None, :, None] * G.reshape(S, T, P)
    return Trajectory(t_eval, None, X, D, E.reshape(S, T), solver, seconds)


def backprop(
    kernel: NetworkKernel, x0, eta: float, epochs: int, per_decade: int = 10
) -> Trajectory:
    """w_{k+1} = w_k - eta grad E(w_k) for every start at once, recorded on a log grid.

    Epoch k is time t = k eta; the recorded epochs are ``log_step_grid(epochs,
    per_decade)``, and at each the diagnostic k [w_{k+1} - w_k] = -k eta grad E(w_k).
    """
    if not eta > 0:
        raise ValueError(f"eta must be > 0; got {eta!r}")
    epochs = as_count(epochs, "epochs")
    X = np.array(np.atleast_2d(np.asarray(x0, dtype=float)))
    S, P = X.shape
    steps = log_step_grid(epochs, per_decade)
    rec_X = np.empty((S, steps.size, P))
    rec_D = np.empty((S, steps.size, P))
    rec_E = np.empty((S, steps.size))
    evaluate = kernel.energy_gradient
    start = time.perf_counter()
    j = 0
    for k in range(epochs + 1):
        E, G = evaluate(X)
        if k == steps[j]:
            if not np.all(np.isfinite(E)):
                raise FloatingPointError(
                    f"backprop diverged by epoch {k} (E = {E.tolist()}): eta = {eta!r} is "
                    "too large (it must stay below 2 / the largest eigenvalue of Hess E)"
                )
            rec_X[:, j], rec_D[:, j], rec_E[:, j] = X, -k * eta * G, E
            j += 1
            if j == steps.size:
                break
        X -= eta * G
    seconds = [(time.perf_counter() - start) / S] * S
    return Trajectory(steps * float(eta), steps, rec_X, rec_D, rec_E, [{}] * S, seconds)


# --------------------------------------------------------------------------------------
# Tables
# --------------------------------------------------------------------------------------


def weights_frame(traj: Trajectory, names, seeds=None) -> pd.DataFrame:
    """Long table: seed, [step,] t, weight (categorical, ``Network.names``), value, t_dw."""
    S, T, P = traj.X.shape
    seeds = np.arange(S) if seeds is None else np.asarray(seeds, dtype=np.int64)
    data = {"seed": np.repeat(seeds, T * P)}
    if traj.step is not None:
        data["step"] = np.tile(np.repeat(traj.step.astype(np.int64), P), S)
    data["t"] = np.tile(np.repeat(traj.t, P), S)
    data["weight"] = pd.Categorical.from_codes(np.tile(np.arange(P), S * T), categories=list(names))
    data["value"] = traj.X.ravel()
    data["t_dw"] = traj.D.ravel()
    return pd.DataFrame(data)


def weight_names(net: Network, bias_column: bool = True) -> list[str]:
    """``Network.names``, with the input that is the data's bias column called ``bias``.

    W1_h{j}_in{i} (input i into hidden unit j), W1_h{j}_bias (the last input, a column of
    ones, when ``bias_column``), b1_h{j} (a hidden bias of the network itself),
    W2_out_h{j} (hidden unit j into the output), b2_out.
    """
    last = f"_in{net.m - 1}"
    names = list(net.names)
    if bias_column and net.hidden > 0:
        names = [
            n[: -len(last)] + "_bias" if n.startswith("W1_") and n.endswith(last) else n
            for n in names
        ]
    return names


def build_network(name: str, m: int) -> Network:
    """The network called ``name`` (``problems.names.parse_network``) on m inputs whose
    last is a bias column: no hidden biases of its own, an output bias, one activation
    throughout, the name's weight decay.  Targets are the problem's (hard or soft from a
    data file), so a name's own target level is refused rather than ignored."""
    from ..problems.names import parse_network

    spec = parse_network(name)
    if spec["target"] != 1.0:
        raise ValueError(
            f"{name!r}: a network trained on a data set takes the problem's targets; "
            "drop the _soft suffix (soft targets come from the data file)"
        )
    act = spec["activation"]
    return Network(
        m=int(m),
        hidden=spec["hidden"],
        hidden_activation=act,
        output_activation=act,
        hidden_bias=False,
        output_bias=True,
        decay=spec["decay"],
    )


def arrays_from_frame(weights: pd.DataFrame) -> dict:
    """seed -> (t (T,), X (T, P), D (T, P)) from a long weight table (:func:`weights_frame`)."""
    P = len(weights["weight"].cat.categories)
    out = {}
    for seed, run in weights.groupby("seed", sort=True, observed=True):
        order = run.sort_values(["t", "weight"], kind="stable")
        t = order["t"].to_numpy()[::P]
        out[int(seed)] = (
            t,
            order["value"].to_numpy().reshape(t.size, P),
            order["t_dw"].to_numpy().reshape(t.size, P),
        )
    return out


def samples_frame(traj: Trajectory, kernel: NetworkKernel, names, test=None, seeds=None):
    """Per (seed, sample): t, [step,] E, norms (all, per layer), |grad E|, train and
    held-out errors (misclassified rows), E on the held-out rows, smallest margins.

    ``test``: (U_test, y_test) in the output's coding, or None.
    """
    S, T, P = traj.X.shape
    seeds = np.arange(S) if seeds is None else np.asarray(seeds, dtype=np.int64)
    flat = traj.X.reshape(S * T, P)
    layer1 = np.array([n.startswith(("W1_", "b1_")) for n in names])
    E, G = kernel.energy_gradient(flat)
    margins = kernel.margins(flat)
    data = {"seed": np.repeat(seeds, T)}
    if traj.step is not None:
        data["step"] = np.tile(traj.step.astype(np.int64), S)
    data |= {
        "t": np.tile(traj.t, S),
        "E": E,
        "norm": np.linalg.norm(flat, axis=1),
        "norm_layer1": np.linalg.norm(flat[:, layer1], axis=1),
        "norm_layer2": np.linalg.norm(flat[:, ~layer1], axis=1),
        "norm_grad": np.linalg.norm(G, axis=1),
        "train_errors": (margins <= 0).sum(axis=1),
        "margin_min": margins.min(axis=1),
    }
    if test is not None and len(test[1]):
        U_test, y_test = test
        tm = kernel.margins(flat, U_test, y_test)
        r = kernel.net.residuals(flat, U_test, y_test)
        data |= {
            "test_errors": (tm <= 0).sum(axis=1),
            "E_test": np.einsum("sn,sn->s", r, r),
            "test_margin_min": tm.min(axis=1),
        }
    return pd.DataFrame(data)
