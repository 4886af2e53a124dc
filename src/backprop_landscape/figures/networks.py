"""The figure of open question 1 in neurons, from the ``network_counts`` table.

:func:`network_counts_figure`: against the number H of hidden units, for each problem
(columns) and each regime of targets and weight decay (rows), the classes of stationary
points found by kind -- finite minima, minima at infinity, plateaus, saddles -- on a
symlog axis (zero stays visible).
"""

from __future__ import annotations

import pandas as pd

from . import new_figure

KINDS = {
    "n_finite_minima": ("finite minima", "C0", "o"),
    "n_minima_at_infinity": ("minima at infinity", "C3", "s"),
    "n_plateaus": ("plateaus", "C2", "^"),
    "n_saddles": ("saddles", "0.45", "x"),
}


def regime_label(target: float, decay: float) -> str:
    """ "hard targets" or "targets +-0.8", with its decay."""
    targets = "hard targets" if target == 1.0 else f"targets +-{target:g}"
    return f"{targets}, decay {decay:g}" if decay else f"{targets}, no decay"


def network_counts_figure(counts: pd.DataFrame):
    """Classes of stationary points and limits against H, by problem and regime."""
    problems = list(dict.fromkeys(counts["problem"]))
    regimes = list(dict.fromkeys(zip(counts["target"], counts["decay"], strict=True)))
    activations = list(dict.fromkeys(counts["activation"]))
    fig = new_figure(3.2 * len(problems), 2.9 * len(regimes))
    axes = fig.subplots(len(regimes), len(problems), squeeze=False, sharex=True)
    styles = ["-", "--", ":", "-."]
    for i, (target, decay) in enumerate(regimes):
        for j, problem in enumerate(problems):
            ax = axes[i][j]
            rows = counts[
                (counts["problem"] == problem)
                & (counts["target"] == target)
                & (counts["decay"] == decay)
            ]
            for k, activation in enumerate(activations):
                mine = rows[rows["activation"] == activation].sort_values("hidden")
                for column, (label, color, marker) in KINDS.items():
                    ax.plot(
                        mine["hidden"],
                        mine[column],
                        color=color,
                        marker=marker,
                        ls=styles[k % len(styles)],
                        label=f"{label} ({activation})" if len(activations) > 1 else label,
                    )
            ax.set_yscale("symlog", linthresh=1)
            ax.set_ylim(bottom=0)
            ax.set_title(f"{problem}\n{regime_label(target, decay)}", fontsize="small")
            if i == len(regimes) - 1:
                ax.set_xlabel("H (hidden units)")
            if j == 0:
                ax.set_ylabel("classes found")
    axes[0][0].legend(fontsize="x-small")
    fig.suptitle("Open question 1 in neurons: stationary points and limits against H")
    return fig
