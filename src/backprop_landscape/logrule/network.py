"""The log rule per weight of a network: growth laws, log mode, and the layers' norms.

Input: a network trajectory (``trajectories.network``), i.e. every weight w_k at
log-spaced times t with the paper's diagnostic D_k = t [w_k(t+1) - w_k(t)] (exact:
-t grad E for the flow, -k eta grad E for backprop).

* **Growth law per weight**: :func:`growth_many.fit_growth_many` on the last ``decades``
  decades, with the exact D as the slopes (a weight that moved by less than
  ``tables.DIVERGENCE_TOL`` max(1, |w|) over them is settled: law ``bounded``, coef its
  last value, as ``tables.growth_laws`` treats a settled norm); the row says the layer
  and unit of the weight (coordinates ``W1_h{j}_in{i}``, ``W1_h{j}_bias``,
  ``W2_out_h{j}``, ``b2_out``), and rows ``norm``, ``norm_layer1``, ``norm_layer2``
  fit the norms of all weights and of each layer.
* **Log mode**: weight k is in log mode at t when its diagnostic is flat over the decade
  before t, max_{t/10 <= t' <= t} |D_k(t') - D_k(t)| <= tol |D_k(t)|, and not negligible,
  |D_k(t)| >= floor (a weight whose D has decayed below the floor has settled: in the
  rest of a 10^12 horizon it moves by less than 28 floor).  A weight converging to a
  finite value has D -> 0 exponentially fast and never qualifies; a weight growing like
  a + c log t qualifies as soon as the correction to its D is below tol.  The share of
  weights in log mode, per layer, and the quantiles of D over all weights at every t
  form the table behind "Figure 5 at scale".
"""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd

from .growth_many import fit_growth_many
from .tables import DIVERGENCE_TOL

#: Defaults of the log-mode test (config ``scale.log_mode_tol``, ``scale.log_mode_floor``).
LOG_MODE_TOL = 0.1
LOG_MODE_FLOOR = 1e-3
LOG_MODE_DECADES = 1.0
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
_NAME = re.compile(r"^(?P<kind>W1|b1|W2|b2)_(?P<unit>h\d+|out)(?:_(?P<input>in\d+|bias|h\d+))?$")


def describe_weight(name: str) -> dict:
    """layer (1 or 2), unit (h{j} or out) and input (in{i}, bias or h{j}) of a weight."""
    match = _NAME.match(name)
    if match is None:
        raise ValueError(f"{name!r} is not a network weight name")
    layer = 1 if match["kind"] in ("W1", "b1") else 2
    source = match["input"] or "bias"
    return {"layer": layer, "unit": match["unit"], "input": source}


def log_mode(
    t,
    D,
    tol: float = LOG_MODE_TOL,
    floor: float = LOG_MODE_FLOOR,
    decades: float = LOG_MODE_DECADES,
) -> np.ndarray:
    """Which series are in log mode at each time: bool (T, K) for D of shape (T, K).

    True at t_i when the samples with t_i / 10**decades <= t <= t_i all lie within
    tol |D(t_i)| of D(t_i) and |D(t_i)| >= floor; False while the window reaches back
    before the first positive sample (the decade is not yet seen).
    """
    t = np.asarray(t, dtype=float)
    D = np.asarray(D, dtype=float)
    if D.ndim == 1:
        D = D[:, None]
    if D.shape[0] != t.size or np.any(np.diff(t) <= 0):
        raise ValueError("t must be strictly increasing with one row of D per time")
    if not (tol > 0 and floor >= 0 and decades > 0):
        raise ValueError(f"need tol > 0, floor >= 0, decades > 0; got {tol}, {floor}, {decades}")
    out = np.zeros(D.shape, dtype=bool)
    positive = np.flatnonzero(t > 0)
    if positive.size == 0:
        return out
    first = t[positive[0]]
    for i in positive:
        lo = t[i] / 10.0**decades
        if lo < first * (1 - 1e-12):
            continue
        j = int(np.searchsorted(t, lo * (1 - 1e-12)))
        window = D[j : i + 1]
        level = np.abs(D[i])
        spread = np.max(np.abs(window - D[i]), axis=0)
        out[i] = (level >= floor) & (spread <= tol * level)
    return out


def _tail_change(t, W, decades):
    """|w(t_end) - w(t_end / 10**decades)| per column, interpolated on log t."""
    start = t[-1] / 10.0**decades
    x = np.log(t)
    i = int(np.clip(np.searchsorted(t, start), 1, t.size - 1))
    frac = (math.log(start) - x[i - 1]) / (x[i] - x[i - 1])
    w_start = W[i - 1] + frac * (W[i] - W[i - 1])
    return np.abs(W[-1] - w_start)


def growth_rows(
    t,
    W,
    D,
    names,
    *,
    decades: float = 2.0,
    tol: float = LOG_MODE_TOL,
    floor: float = LOG_MODE_FLOOR,
) -> pd.DataFrame:
    """One row per weight and per norm for one run: growth law, coefficient, log mode.

    Parameters
    ----------
    t : (T,) times (zero allowed first; laws use t > 0); W, D : (T, P) weights and their
    diagnostic; names : the P weight names.

    Columns: coordinate, layer, unit, input, law, coef, coef_stderr, theory_law (""),
    theory_coef (NaN: nothing is predicted for a network), t_dw_tail (D at the end from a
    line through D over the tail), t_dw_drift (its change per decade), t_dw_end (the
    exact D at the last sample), diverging (moved by more than
    ``tables.DIVERGENCE_TOL`` max(1, |w|) over the tail), w_end, log_mode_end (in log
    mode at the last sample), t_log_mode (the time from which it stays in log mode to
    the end, NaN if not in log mode at the end).
    """
    t = np.asarray(t, dtype=float)
    keep = t > 0
    t, W, D = t[keep], np.asarray(W)[keep], np.asarray(D)[keep]
    modes = log_mode(t, D, tol, floor)
    fits = fit_growth_many(t, W, decades=decades, slopes=D)
    stays = np.flip(np.cumprod(np.flip(modes, axis=0), axis=0), axis=0).astype(bool)
    first = np.where(stays.any(axis=0), t[np.argmax(stays, axis=0)], np.nan)
    change = _tail_change(t, W, decades)
    diverging = change > DIVERGENCE_TOL * np.maximum(1.0, np.abs(W[-1]))
    # A weight that no longer moves is settled, as in tables.growth_laws: law bounded at
    # its last value (a fit would pick among laws that all reproduce a constant).
    tail = t >= t[-1] / 10.0**decades
    frame = pd.DataFrame([describe_weight(n) for n in names])
    frame.insert(0, "coordinate", list(names))
    frame = frame.assign(
        law=np.where(diverging, fits["law"].astype(str), "bounded"),
        coef=np.where(diverging, fits["coef"], W[-1]),
        coef_stderr=np.where(diverging, fits["coef_stderr"], np.std(W[tail], axis=0)),
        theory_law="",
        theory_coef=np.nan,
        t_dw_tail=fits["t_dw_tail"],
        t_dw_drift=fits["t_dw_drift"],
        t_dw_end=D[-1],
        diverging=diverging,
        w_end=W[-1],
        log_mode_end=modes[-1],
        t_log_mode=np.where(modes[-1], first, np.nan),
    )
    layers = np.array([describe_weight(n)["layer"] for n in names])
    norms = {
        "norm": np.linalg.norm(W, axis=1),
        "norm_layer1": np.linalg.norm(W[:, layers == 1], axis=1),
        "norm_layer2": np.linalg.norm(W[:, layers == 2], axis=1),
    }
    N = np.column_stack(list(norms.values()))
    norm_fits = fit_growth_many(t, N, decades=decades)
    rows = pd.DataFrame(
        {
            "coordinate": list(norms),
            "layer": [0, 1, 2],
            "unit": "",
            "input": "",
            "law": norm_fits["law"].astype(str),
            "coef": norm_fits["coef"],
            "coef_stderr": norm_fits["coef_stderr"],
            "theory_law": "",
            "theory_coef": np.nan,
            "t_dw_tail": norm_fits["t_dw_tail"],
            "t_dw_drift": norm_fits["t_dw_drift"],
            "t_dw_end": np.gradient(N, np.log(t), axis=0, edge_order=2)[-1],
            "diverging": _tail_change(t, N, decades) > DIVERGENCE_TOL * np.maximum(1.0, N[-1]),
            "w_end": N[-1],
            "log_mode_end": False,
            "t_log_mode": np.nan,
        }
    )
    return pd.concat([rows, frame], ignore_index=True)


def log_mode_rows(t, D, names, *, tol: float = LOG_MODE_TOL, floor: float = LOG_MODE_FLOOR):
    """Per time: the share of weights in log mode (all, per layer) and D's quantiles.

    Columns t, share, share_layer1, share_layer2, n_log, n_settled (|D| < floor),
    q05, q25, q50, q75, q95 of D over all weights, and abs_q50 (median |D|).
    """
    t = np.asarray(t, dtype=float)
    D = np.asarray(D, dtype=float)
    modes = log_mode(t, D, tol, floor)
    layers = np.array([describe_weight(n)["layer"] for n in names])
    q = np.quantile(D, QUANTILES, axis=1)
    out = {
        "t": t,
        "share": modes.mean(axis=1),
        "share_layer1": modes[:, layers == 1].mean(axis=1),
        "share_layer2": modes[:, layers == 2].mean(axis=1),
        "n_log": modes.sum(axis=1),
        "n_settled": (np.abs(D) < floor).sum(axis=1),
    }
    out |= {f"q{round(100 * p):02d}": q[k] for k, p in enumerate(QUANTILES)}
    out["abs_q50"] = np.median(np.abs(D), axis=1)
    return pd.DataFrame(out)


def network_tables(
    weights: pd.DataFrame,
    *,
    decades: float = 2.0,
    tol: float = LOG_MODE_TOL,
    floor: float = LOG_MODE_FLOOR,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(growth rows, log-mode rows) of a long weight table, every seed; ``seed`` first."""
    names = list(weights["weight"].cat.categories)
    laws, modes = [], []
    for seed, run in weights.groupby("seed", sort=True, observed=True):
        t = np.unique(run["t"].to_numpy())
        P = len(names)
        order = run.sort_values(["t", "weight"], kind="stable")
        W = order["value"].to_numpy().reshape(t.size, P)
        D = order["t_dw"].to_numpy().reshape(t.size, P)
        laws.append(
            growth_rows(t, W, D, names, decades=decades, tol=tol, floor=floor).assign(
                seed=int(seed)
            )
        )
        modes.append(log_mode_rows(t, D, names, tol=tol, floor=floor).assign(seed=int(seed)))
    laws, modes = pd.concat(laws, ignore_index=True), pd.concat(modes, ignore_index=True)
    return (laws[["seed", *laws.columns[:-1]]], modes[["seed", *modes.columns[:-1]]])
