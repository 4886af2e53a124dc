"""Open question 4 at scale: does the log rule extrapolate a real network's learning?

The report asks whether the log rule "can be usefully employed to extrapolate from
limited learning", and warns (Section 3) that a network stopped when it classifies
correctly may not show "what precisely the network has learnt".  For a network on a
real data set (``trajectories.network``; held-out rows kept apart) this module measures
three things, per start, from the gradient flow of that start to t_max (the network
"trained for the full horizon"):

1. **Jumps from limited learning** (:func:`jump_scan`).  From the flow's state at t0
   (each decade), every weight is moved along its own log rule, w + D(t0) log K with
   D = t dw/dt = -t grad E (the paper's "increase these values while preserving whatever
   proportions are needed"), K = ``jump_factor``; the landing point's E is compared
   with E(t0) (is the jump an improvement at all?) and with the flow's own E at K t0 (is
   it as good as learning for that long?), and its held-out error with the flow's.
2. **The race** (:func:`race`): plain backprop against backprop with log-rule jumps
   (``extrapolation.descend``, its detection and safeguard), both from the flow's state
   at ``t_start`` (limited learning; virtual time t_start / eta, the detection window
   filled from the flow's history, so log mode may be detected at once), to the target
   E = E_flow(t_target).  Plain backprop follows the flow (eta is small), so when it
   cannot reach the target within ``budget`` its steps are estimated as
   (t_target - t_start) / eta, marked estimated, with the measured gap between its E and
   the flow's at the end of its budget.
3. **What is learnt** (:func:`network_rows`): held-out error, E, and the distribution of
   the signed output margins y~ z (train and held-out rows) of the network stopped at
   first correct classification (the first flow sample with every training row on the
   right side of the output's midpoint; if that never happens, the first with as few
   wrong rows as at t_max -- column ``stopped_rule``), of the limited-learning state,
   of the two race results, and of the horizon network; with each network's angle to
   the horizon network and the share of held-out rows it classifies as the horizon
   network does.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..models.network_kernel import NetworkKernel
from ..problems.separability import angle_to
from .extrapolation import Settings, paired_descents

KINDS = ("stopped", "start", "plain", "extrapolated", "horizon")
MARGIN_QUANTILES = (0.0, 0.1, 0.5)


def nearest_index(t, value: float) -> int:
    """Index of the sample of t (> 0) nearest to ``value`` in log t."""
    t = np.asarray(t, dtype=float)
    positive = np.flatnonzero(t > 0)
    return int(positive[np.argmin(np.abs(np.log(t[positive]) - math.log(value)))])


def stopped_index(train_errors) -> tuple[int, str]:
    """First sample with no training row wrong, else with as few as at the end."""
    errors = np.asarray(train_errors)
    if (errors == 0).any():
        return int(np.argmax(errors == 0)), "all correct"
    return int(np.argmax(errors <= errors[-1])), "final error count"


def describe(kernel: NetworkKernel, x, test) -> dict:
    """E, errors and margin quantiles of one network on the training and held-out rows."""
    x = np.asarray(x, dtype=float)[None, :]
    E = float(kernel.energy_gradient(x)[0][0])
    train = kernel.margins(x)[0]
    out = {"E_train": E, "train_errors": int((train <= 0).sum()), "norm": float(np.linalg.norm(x))}
    out |= {
        f"train_margin_q{round(100 * q):02d}": float(np.quantile(train, q))
        for q in MARGIN_QUANTILES
    }
    if test is not None and len(test[1]):
        U, y = test
        margins = kernel.margins(x, U, y)[0]
        r = kernel.net.residuals(x[0], U, y)
        out |= {
            "E_test": float(r @ r),
            "test_errors": int((margins <= 0).sum()),
            "test_error_rate": float(np.mean(margins <= 0)),
        }
        out |= {
            f"test_margin_q{round(100 * q):02d}": float(np.quantile(margins, q))
            for q in MARGIN_QUANTILES
        }
    return out


def jump_scan(kernel: NetworkKernel, t, X, D, factor: float, test=None) -> pd.DataFrame:
    """Log-rule jumps w + D(t0) log K from the flow's state at every decade t0.

    Only t0 with K t0 within the flow's last sample are used.  Columns t0, K, E_t0,
    E_jump, E_flow (the flow's E at K t0), improved (E_jump < E_t0), ratio (E_jump /
    E_flow: below 1 the jump is better than learning K times as long), test_errors_jump,
    test_errors_flow, angle (between the jumped and the flow's weights at K t0).
    """
    t = np.asarray(t, dtype=float)
    rows = []
    K = float(factor)
    lo, hi = math.ceil(math.log10(t[t > 0][0])), math.floor(math.log10(t[-1] / K))
    for decade in range(lo, hi + 1):
        i = nearest_index(t, 10.0**decade)
        j = nearest_index(t, t[i] * K)
        jumped = X[i] + D[i] * math.log(K)
        E = kernel.energy_gradient(np.stack([X[i], jumped, X[j]]))[0]
        row = {
            "t0": float(t[i]),
            "K": K,
            "E_t0": float(E[0]),
            "E_jump": float(E[1]),
            "E_flow": float(E[2]),
            "improved": bool(E[1] < E[0]),
            "ratio": float(E[1] / E[2]) if E[2] > 0 else math.nan,
            "angle": float(angle_to(jumped[None, :], X[j])[0]),
        }
        if test is not None and len(test[1]):
            margins = kernel.margins(np.stack([jumped, X[j]]), *test)
            row["test_errors_jump"] = int((margins[0] <= 0).sum())
            row["test_errors_flow"] = int((margins[1] <= 0).sum())
        rows.append(row)
    return pd.DataFrame(rows)


def race(
    kernel: NetworkKernel,
    t,
    X,
    D,
    E,
    *,
    eta: float,
    t_start: float,
    t_target: float,
    budget: int,
    settings: Settings,
    per_decade: int = 20,
    seed: int = 0,
):
    """Plain backprop against log-rule jumps from the flow's state at t_start (see module).

    Returns (row dict, trace DataFrame, plain Descent, extrapolated Descent).
    """
    t = np.asarray(t, dtype=float)
    i0 = nearest_index(t, t_start)
    it = nearest_index(t, t_target)
    if it <= i0:
        raise ValueError(f"t_target = {t_target:g} must lie beyond t_start = {t_start:g}")
    target = float(E[it])
    tau0 = t[i0] / eta
    half = settings.window_decades / 2.0
    history = []
    for back in (2 * half, half):
        k = nearest_index(t, t[i0] / 10.0**back)
        if k < i0:
            history.append((np.array([t[k] / eta]), D[k][None, :], np.array([E[k]])))
    common = {"per_decade": per_decade, "seeds": [seed], "t_virtual0": tau0}
    x0 = X[i0][None, :]
    plain, fast = paired_descents(
        kernel.energy_gradient, x0, eta, target, budget, settings, history=history, **common
    )
    t_hit = t[i0:][np.argmax(E[i0:] <= target)]
    estimated = not bool(plain.reached[0])
    steps_plain = float(plain.steps[0]) if not estimated else (t_hit - t[i0]) / eta
    # How closely plain backprop follows the flow: E at the end of its run against the
    # flow's E at the same time (interpolated on log-log axes).
    t_end = eta * float(plain.t_virtual[0])
    E_flow_end = float(np.exp(np.interp(math.log(t_end), np.log(t[t > 0]), np.log(E[t > 0]))))
    both = bool(plain.reached[0] and fast.reached[0])
    row = {
        "seed": int(seed),
        "target": target,
        "t_start": float(t[i0]),
        "t_target": float(t[it]),
        "eta": float(eta),
        "steps_plain": steps_plain,
        "plain_estimated": estimated,
        "reached_plain": bool(plain.reached[0]),
        "plain_flow_gap": float(plain.E[0] / E_flow_end - 1.0),
        "steps_extrapolated": float(fast.steps[0]),
        "reached_extrapolated": bool(fast.reached[0]),
        "stalled": bool(fast.stalled[0]),
        "steps_saved": steps_plain - float(fast.steps[0]),
        "speedup": steps_plain / max(float(fast.steps[0]), 1.0),
        "E_end_plain": float(plain.E[0]),
        "E_end_extrapolated": float(fast.E[0]),
        "n_jumps": int(fast.n_jumps[0]),
        "n_rejected": int(fast.n_rejected[0]),
        "n_plain": int(fast.n_plain[0]),
        "detected_at": float(fast.detected_at[0]),
        "exponent": float(fast.exponent[0]),
        "t_virtual": float(fast.t_virtual[0]),
        "angle_to_plain": float(angle_to(fast.x, plain.x)[0]) if both else math.nan,
        "norm_ratio": float(np.linalg.norm(fast.x) / np.linalg.norm(plain.x)) if both else math.nan,
    }
    trace = pd.concat(
        [plain.trace.assign(method="plain"), fast.trace.assign(method="extrapolated")],
        ignore_index=True,
    )
    trace = trace[["method", *[c for c in trace.columns if c != "method"]]]
    return row, trace, plain, fast


def network_rows(kernel: NetworkKernel, t, X, states: dict, test=None) -> pd.DataFrame:
    """One row per network kind (``KINDS``): time, errors, margins, agreement with horizon.

    ``states`` maps kind -> (t, x, note) for the race's kinds; the stopped, start and
    horizon networks are taken from the flow samples (t, X) by the caller as well.
    """
    horizon = states["horizon"][1]
    rows = []
    side_h = None
    if test is not None and len(test[1]):
        side_h = kernel.margins(horizon[None, :], *test)[0] > 0
    for kind in KINDS:
        if kind not in states:
            continue
        time, x, note = states[kind]
        row = {"kind": kind, "t": float(time), "note": note} | describe(kernel, x, test)
        row["angle_to_horizon"] = float(angle_to(np.asarray(x)[None, :], horizon)[0])
        if side_h is not None:
            side = kernel.margins(np.asarray(x)[None, :], *test)[0] > 0
            row["test_agreement"] = float(np.mean(side == side_h))
        rows.append(row)
    return pd.DataFrame(rows)


def margins_frame(kernel: NetworkKernel, states: dict, test=None) -> pd.DataFrame:
    """Long table kind, split (train or test), row, margin for every network kind."""
    frames = []
    for kind, (_, x, _) in states.items():
        x = np.asarray(x)[None, :]
        parts = [("train", kernel.margins(x)[0])]
        if test is not None and len(test[1]):
            parts.append(("test", kernel.margins(x, *test)[0]))
        for split, m in parts:
            frames.append(
                pd.DataFrame({"kind": kind, "split": split, "row": np.arange(m.size), "margin": m})
            )
    return pd.concat(frames, ignore_index=True)


def network_experiment(
    kernel: NetworkKernel,
    runs: dict,
    *,
    eta: float,
    t_start: float,
    t_target: float,
    budget: int,
    settings: Settings,
    jump_factor: float,
    per_decade: int = 20,
    test=None,
) -> dict[str, pd.DataFrame]:
    """Scan, race and network comparison for every start of a flow.

    ``runs``: seed -> (t, X, D) of the flow (``trajectories.network.arrays_from_frame``).
    Returns tables ``race`` (one row per seed), ``trace``, ``networks``, ``margins`` and
    ``scan``, each with a ``seed`` column.
    """
    tables = {"race": [], "trace": [], "networks": [], "margins": [], "scan": []}
    for seed, (t, X, D) in runs.items():
        E = kernel.energy_gradient(X)[0]
        errors = (kernel.margins(X) <= 0).sum(axis=1)
        row, trace, plain, fast = race(
            kernel,
            t,
            X,
            D,
            E,
            eta=eta,
            t_start=t_start,
            t_target=t_target,
            budget=budget,
            settings=settings,
            per_decade=per_decade,
            seed=seed,
        )
        i_stop, rule = stopped_index(errors)
        i0 = nearest_index(t, t_start)
        states = {
            "stopped": (t[i_stop], X[i_stop], rule),
            "start": (t[i0], X[i0], "flow at t_start"),
            "plain": (
                eta * plain.t_virtual[0],
                plain.x[0],
                "plain backprop at the target"
                if plain.reached[0]
                else "plain backprop at the end of its budget",
            ),
            "extrapolated": (
                eta * fast.t_virtual[0],
                fast.x[0],
                "extrapolated at the target"
                if fast.reached[0]
                else "extrapolated run's last state",
            ),
            "horizon": (t[-1], X[-1], "flow at t_max"),
        }
        nets = network_rows(kernel, t, X, states, test)
        for kind in ("stopped", "extrapolated", "horizon", "plain"):
            match = nets[nets["kind"] == kind]
            for column in ("test_errors", "test_error_rate", "train_errors"):
                if column in match:
                    row[f"{column}_{kind}"] = match[column].iloc[0]
        row["t_stopped"] = float(t[i_stop])
        row["stopped_rule"] = rule
        tables["race"].append(pd.DataFrame([row]))
        tables["trace"].append(trace)
        tables["networks"].append(nets.assign(seed=seed))
        tables["margins"].append(margins_frame(kernel, states, test).assign(seed=seed))
        tables["scan"].append(jump_scan(kernel, t, X, D, jump_factor, test).assign(seed=seed))
    out = {}
    for name, frames in tables.items():
        frame = pd.concat(frames, ignore_index=True)
        out[name] = frame[["seed", *[c for c in frame.columns if c != "seed"]]]
    return out
