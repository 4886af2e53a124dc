"""Figure of open question 3: P(global minimum reached) against evaluations, per method.

Input is the aggregate table of :func:`relaxation.relaxation_experiment` with ``problem``
and ``theta`` columns in front; like :mod:`plotting`, no pyplot state is touched.
"""

from __future__ import annotations

import pandas as pd

from . import new_figure

#: Colour and label of each method.
METHOD_STYLES = {
    "multistart": {"color": "tab:blue", "label": "multistart L-BFGS-B"},
    "annealing": {"color": "tab:red", "label": "simulated annealing (dual_annealing)"},
    "hopping": {"color": "tab:green", "label": "basin hopping"},
}


def _panel_title(panel: pd.DataFrame, problem: str, theta: str) -> str:
    first = panel.iloc[0]
    where = "at infinity" if first["minima_at_infinity"] else "finite"
    if first["E_global_source"] != "find_minima":
        where = "found by search"
    return (
        f"{problem}, {theta}\nE_global = {first['E_global']:.6g} ({where}), "
        f"tol = {first['tol']:.2g}, box |x| <= {first['box_halfwidth']:.3g}"
    )


def relaxation_figure(table: pd.DataFrame, width: float = 5.0, height: float = 3.8):
    """One panel per (problem, theta): P(global) against the budget B (log axis).

    Each method is a step line of the share of repeats whose best E is within tol of
    E_global after B evaluations, with its 95 % Wilson band.
    """
    panels = list(table.groupby(["problem", "theta"], sort=False))
    if not panels:
        raise ValueError("the relaxation table is empty")
    cols = min(len(panels), 2)
    rows = -(-len(panels) // cols)
    fig = new_figure(width * cols, height * rows)
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    for ax in axes[len(panels) :]:
        ax.set_visible(False)
    for ax, ((problem, theta), panel) in zip(axes, panels, strict=False):
        for method, curve in panel.groupby("method", sort=False):
            style = METHOD_STYLES.get(method, {"color": None, "label": method})
            curve = curve.sort_values("budget")
            ax.step(curve["budget"], curve["p_global"], where="post", lw=1.5, **style)
            ax.fill_between(
                curve["budget"],
                curve["p_low"],
                curve["p_high"],
                step="post",
                color=style["color"],
                alpha=0.15,
                lw=0,
            )
        ax.set_xscale("log")
        ax.set_ylim(-0.02, 1.02)
        ax.set(
            title=_panel_title(panel, problem, theta),
            xlabel="evaluations B (E and grad E count one each)",
            ylabel="P(E_best <= E_global + tol)",
        )
        ax.title.set_fontsize("small")
        ax.grid(True, which="major", alpha=0.3)
    axes[0].legend(fontsize="small", loc="upper left")
    n_repeats = int(table["n_repeats"].iloc[0])
    fig.suptitle(f"Is relaxation worth it? Reaching the global minimum ({n_repeats} repeats)")
    return fig
