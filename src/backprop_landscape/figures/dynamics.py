"""Figures of Section 3: trajectories on a log-t axis, the log-rule diagnostic t dw/dt,
the paper's Figure 5 (XOR) and the angle to the max-margin direction.

Inputs are the wide trajectory frames of :mod:`trajectories` (seed, t, x1..xm, norm_x, ...)
and the tables of :mod:`logrule`; like :mod:`plotting`, no pyplot state is touched.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..logrule.tables import weight_columns
from ..trajectories.neuron import t_times_increment
from . import new_figure


def _grid(n_panels: int, width: float = 4.2, height: float = 3.2):
    cols = min(n_panels, 3)
    rows = -(-n_panels // cols)
    fig = new_figure(width * cols, height * rows)
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    for ax in axes[n_panels:]:
        ax.set_visible(False)
    return fig, axes


def _positive(run: pd.DataFrame) -> pd.DataFrame:
    return run[run["t"] > 0]


def trajectories_figure(flows: dict[str, pd.DataFrame], theta_name: str):
    """||x(t)|| against log t, one panel per problem, one line per start."""
    fig, axes = _grid(len(flows))
    for ax, (problem, flow) in zip(axes, flows.items(), strict=False):
        for seed, run in _positive(flow).groupby("seed"):
            ax.plot(run["t"], run["norm_x"], lw=1, label=f"start {seed}")
        ax.set_xscale("log")
        ax.set(title=problem, xlabel="t", ylabel="||x(t)||")
    axes[0].legend(fontsize="small")
    fig.suptitle(f"Gradient flow, theta = {theta_name}: weights grow without bound")
    return fig


def log_rule_figure(flows: dict[str, pd.DataFrame], laws: dict[str, pd.DataFrame], theta_name: str):
    """t d||x||/dt against log t (flat for the log rule), with the predicted constant.

    ``laws`` holds each problem's growth laws of the flow (a growth-laws job's table).
    """
    fig, axes = _grid(len(flows))
    for ax, (problem, flow) in zip(axes, flows.items(), strict=False):
        for seed, run in _positive(flow).groupby("seed"):
            t = run["t"].to_numpy()
            ax.plot(t, t_times_increment(t, run["norm_x"].to_numpy()), lw=1, label=f"start {seed}")
        theory = laws[problem][laws[problem]["coordinate"] == "norm"]
        if len(theory) and theory["theory_law"].iloc[0] == "log":
            ax.axhline(theory["theory_coef"].iloc[0], color="k", ls="--", lw=1, label="predicted")
        ax.set_xscale("log")
        ax.set(title=problem, xlabel="t", ylabel="t d||x||/dt")
    axes[0].legend(fontsize="small")
    fig.suptitle(f"The log-rule diagnostic, theta = {theta_name}")
    return fig


def xor_figure(trajectory: pd.DataFrame, seeds: pd.DataFrame):
    """Figure 5: t [w(t+1) - w(t)] against t for every weight, one solved and one stalled seed."""
    picks = []
    for flag, label in (("solved", "solved"), ("stalled", "stalled")):
        chosen = seeds[seeds[flag]]
        if len(chosen):
            picks.append((int(chosen["seed"].iloc[0]), label))
    fig, axes = _grid(max(len(picks), 1), width=5.5, height=4.0)
    for ax, (seed, label) in zip(axes, picks, strict=False):
        run = trajectory[(trajectory["seed"] == seed) & (trajectory["epoch"] > 0)]
        epochs = run["epoch"].to_numpy()
        pairs = np.flatnonzero(np.diff(epochs) == 1)  # recorded t and t + 1
        for weight in weight_columns(run):
            w = run[weight].to_numpy()
            ax.plot(epochs[pairs], epochs[pairs] * (w[pairs + 1] - w[pairs]), lw=1, label=weight)
        ax.set_xscale("log")
        ax.set(title=f"XOR, seed {seed} ({label})", xlabel="t (epochs)", ylabel="t [w(t+1) - w(t)]")
        ax.legend(fontsize="x-small", ncol=2)
    return fig


def margin_angle_figure(angles: dict[tuple[str, str], pd.DataFrame], thetas: list[str]):
    """Angle between x(t) and the max-margin direction against log t, one panel per theta."""
    fig, axes = _grid(len(thetas))
    for ax, theta in zip(axes, thetas, strict=False):
        for (problem, name), frame in angles.items():
            if name != theta or frame.empty:
                continue
            seed0 = frame[(frame["seed"] == frame["seed"].min()) & (frame["t"] > 0)]
            ax.plot(seed0["t"], seed0["angle"], lw=1, label=problem)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set(title=f"theta = {theta}", xlabel="t", ylabel="angle to max-margin w (rad)")
        ax.legend(fontsize="x-small")
    return fig
