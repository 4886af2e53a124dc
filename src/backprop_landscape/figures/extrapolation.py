"""Figure of open question 4: does log-rule extrapolation speed up backprop?

One panel per problem shows E against steps for plain backprop (solid) and for backprop
with extrapolation (dashed, a dot at every accepted jump), one representative run per
theta (the run with the median speedup); a star marks where plain backprop would reach
the target when that is estimated from its E(t) tail.  The last panel plots, for every
run, the steps with extrapolation against the steps of plain backprop.

Inputs are the aggregate table and the traces of :func:`extrapolation.compare`; like
:mod:`plotting`, no pyplot state is touched.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import new_figure

COLORS = {"tanh": "tab:blue", "atan": "tab:orange", "erf": "tab:green", "softsign": "tab:red"}
XOR_COLORS = {"solved": "tab:purple", "stalled": "tab:gray"}


def representative(runs: pd.DataFrame) -> int:
    """Seed of the run with the median speedup (median of the lower half on ties); the
    first seed if no run has one."""
    ranked = runs.dropna(subset=["speedup"]).sort_values(["speedup", "seed"])
    if ranked.empty:
        return int(runs["seed"].min())
    return int(ranked["seed"].iloc[(len(ranked) - 1) // 2])


def extrapolation_figure(table: pd.DataFrame, traces: dict[tuple[str, str], pd.DataFrame]):
    """The figure for the aggregate ``table`` and the ``traces`` of each (problem, theta)."""
    problems = list(dict.fromkeys(table["problem"]))
    n_panels = len(problems) + 1
    cols = min(n_panels, 3)
    rows = -(-n_panels // cols)
    fig = new_figure(4.6 * cols, 3.6 * rows)
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    for ax in axes[n_panels:]:
        ax.set_visible(False)
    for ax, problem in zip(axes, problems, strict=False):
        jobs = table[table["problem"] == problem]
        for theta, runs in jobs.groupby("theta", sort=False):
            trace = traces.get((problem, theta))
            if trace is None:
                continue
            if problem == "xor":
                _xor_runs(ax, runs, trace)
            else:
                _run(ax, runs, trace, representative(runs), COLORS.get(theta, "k"), theta)
        ax.axhline(jobs["target"].iloc[0], color="k", lw=0.8, ls=":", label="target")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set(title=problem, xlabel="steps (evaluations of E and grad E)", ylabel="E")
        ax.legend(fontsize="x-small")
    steps_ax = axes[len(problems)]
    _steps_panel(steps_ax, table)
    handles, labels = steps_ax.get_legend_handles_labels()
    if n_panels < axes.size:  # the legend gets the spare panel
        axes[n_panels].set_visible(True)
        axes[n_panels].axis("off")
        axes[n_panels].legend(handles, labels, loc="center left", fontsize="small")
    else:
        steps_ax.legend(handles, labels, fontsize="xx-small", ncol=2)
    fig.suptitle("Backprop with log-rule extrapolation (dashed) against plain backprop (solid)")
    return fig


def _run(ax, runs, trace, seed, color, label):
    """Plain and extrapolated E(step) of one run, jumps as dots, estimated reach as a star."""
    row = runs[runs["seed"] == seed].iloc[0]
    for method, style in (("plain", "-"), ("extrapolated", "--")):
        run = trace[(trace["method"] == method) & (trace["seed"] == seed) & (trace["step"] > 0)]
        ax.plot(run["step"], run["E"], style, color=color, lw=1.2, label=f"{label} {method}")
        if method == "extrapolated":
            jumps = run[run["event"] == "jump"]
            ax.plot(jumps["step"], jumps["E"], "o", color=color, ms=3)
        elif row["plain_estimated"] and np.isfinite(row["steps_plain"]):
            ax.plot(
                [run["step"].iloc[-1], row["steps_plain"]],
                [run["E"].iloc[-1], row["target"]],
                ":",
                color=color,
                lw=1,
            )
            ax.plot(row["steps_plain"], row["target"], "*", color=color, ms=8, mfc="none")


def _xor_runs(ax, runs, trace):
    """XOR: the median solved seed and, if there is one, the first stalled seed."""
    solved = runs[runs["solved"].astype(bool)]
    if len(solved):
        _run(ax, solved, trace, representative(solved), XOR_COLORS["solved"], "solved seed")
    stalled = runs[~runs["solved"].astype(bool)]
    if len(stalled):
        seed = int(stalled["seed"].min())
        _run(ax, stalled, trace, seed, XOR_COLORS["stalled"], f"stalled seed {seed}")


def _steps_panel(ax, table):
    """Steps with extrapolation against plain steps; hollow: plain steps estimated."""
    markers = dict(zip(dict.fromkeys(table["problem"]), "osD^vP<>", strict=False))
    finite = np.r_[table["steps_extrapolated"], table["steps_plain"], 10.0]
    top = np.nanmax(finite[np.isfinite(finite)]) * 2
    for (problem, theta), runs in table.groupby(["problem", "theta"], sort=False):
        color = COLORS.get(theta, XOR_COLORS["solved"])
        marker = markers[problem]
        for estimated, face in ((False, color), (True, "none")):
            part = runs[runs["plain_estimated"] == estimated]
            done = part[part["reached_extrapolated"]]
            ax.scatter(
                done["steps_plain"],
                done["steps_extrapolated"],
                s=18,
                marker=marker,
                edgecolors=color,
                facecolors=face,
                lw=0.8,
            )
            missed = part[~part["reached_extrapolated"] & np.isfinite(part["steps_plain"])]
            ax.scatter(
                missed["steps_plain"],
                np.full(len(missed), top),
                s=18,
                marker="x",
                color=color,
                lw=0.8,
            )
        ax.scatter([], [], marker=marker, color=color, s=18, label=f"{problem} {theta}")
    values = np.r_[table["steps_plain"], table["steps_extrapolated"]]
    values = values[np.isfinite(values) & (values > 0)]
    lo, hi = (values.min() / 3, values.max() * 3) if values.size else (1.0, 10.0)
    line = np.array([lo, hi])
    for factor, style in ((1, "-"), (10, "--"), (1000, ":")):
        label = "no saving" if factor == 1 else f"{factor}x fewer steps"
        ax.plot(line, line / factor, style, color="k", lw=0.7, label=label)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set(xlim=(lo, hi), ylim=(lo, hi), title="steps to the target, every run")
    ax.set(
        xlabel="plain backprop (hollow: estimated)", ylabel="with extrapolation (x: not reached)"
    )
