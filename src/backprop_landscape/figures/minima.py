"""Figures of open questions 1 and 2 from the ``minima_counts`` table.

* :func:`minima_count_figure`: the number of local minima against m on a log axis, finite
  minima and minima at infinity apart for random labels (every seed, with Chao1's
  estimate of the total), and the ``product`` family and the Auer-Herbster-Warmuth
  construction (``ahw``, m = d) found beside their predictions from exact blocks.
* :func:`task_minima_figure`: structured tasks beside the same inputs with shuffled
  labels: the number of minima and the share of starts that reach the global minimum.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..minima.counts import prediction_table
from . import new_figure

KINDS = {"n_finite": ("finite", "o"), "n_at_infinity": ("at infinity", "s")}


def _theta_axes(thetas, rows: int = 1, width: float = 3.8, height: float = 3.3):
    fig = new_figure(width * len(thetas), height * rows)
    axes = fig.subplots(rows, len(thetas), squeeze=False)
    return fig, axes


def _seed_band(ax, group: pd.DataFrame, column: str, color, marker, label):
    """Median over seeds as a line, each seed as a faint dot (log axis: zeros are dropped)."""
    positive = group[group[column] > 0]
    ax.scatter(positive["m"], positive[column], s=10, color=color, alpha=0.35, marker=marker)
    median = group.groupby("m")[column].median()
    median = median[median > 0]
    ax.plot(median.index, median.to_numpy(), color=color, marker=marker, label=label)


FAMILIES = {"product": ("C3", "^", "product"), "ahw": ("C2", "D", "ahw (AHW 1996)")}


def minima_count_figure(counts: pd.DataFrame, thetas: list[str]):
    """Count of minima against m (log y), one panel per theta."""
    fig, axes = _theta_axes(thetas)
    predicted = prediction_table(counts)
    for ax, theta in zip(axes[0], thetas, strict=True):
        rows = counts[counts["theta"] == theta]
        random = rows[rows["family"] == "random"]
        if len(random):
            n = ", ".join(str(v) for v in sorted(random["n"].unique()))
            for column, (kind, marker) in KINDS.items():
                _seed_band(ax, random, column, "C0", marker, f"random labels n={n}: {kind}")
            estimate = random.groupby("m")["n_estimated"].median()
            ax.plot(estimate.index, estimate.to_numpy(), ":", color="C0", lw=1,
                    label="random labels: Chao1 total")  # fmt: skip
        for family, (color, marker, label) in FAMILIES.items():
            found = rows[rows["family"] == family]
            if len(found):
                _seed_band(ax, found, "n_minima", color, marker, f"{label}: found")
            law = predicted[(predicted["theta"] == theta) & (predicted["family"] == family)]
            if len(law):
                law = law.groupby("m")["predicted"].max()
                ax.plot(law.index, law.to_numpy(), "--", color=color, lw=1,
                        label=f"{label}: predicted")  # fmt: skip
        ax.set_yscale("log")
        ax.set(title=f"theta = {theta}", xlabel="m (weights)", ylabel="local minima found")
    axes[0][0].legend(fontsize="x-small")
    fig.suptitle("Open question 1: how many local minima?")
    return fig


def task_minima_figure(counts: pd.DataFrame, thetas: list[str]):
    """Structured tasks against shuffled labels: minima found and global-basin share."""
    tasks = counts[counts["family"] == "task"]
    names = list(dict.fromkeys(tasks["task"]))
    fig, axes = _theta_axes(thetas, rows=2)
    x = np.arange(len(names))
    for col, theta in enumerate(thetas):
        rows = tasks[tasks["theta"] == theta]
        for row, (column, label) in enumerate(
            [("n_minima", "local minima found"), ("global_basin", "share of starts at global min")]
        ):
            ax = axes[row][col]
            for offset, shuffled, color in ((-0.18, False, "C2"), (0.18, True, "C7")):
                part = rows[rows["shuffled"] == shuffled]
                means = part.groupby("task")[column].mean().reindex(names)
                ax.bar(
                    x + offset,
                    means.to_numpy(),
                    width=0.36,
                    color=color,
                    label="shuffled labels" if shuffled else "structured",
                )
                for i, name in enumerate(names):
                    values = part.loc[part["task"] == name, column]
                    ax.scatter(np.full(len(values), x[i] + offset), values, s=8, color="k")
            ax.set_xticks(x, names)
            ax.set(ylabel=label)
            if row == 0:
                ax.set_title(f"theta = {theta}")
    axes[0][0].legend(fontsize="x-small")
    fig.suptitle("Open question 2: are structured tasks simpler than random labels?")
    return fig
