"""Figure 5 at scale: the log rule over every weight of a network on a real data set.

Three panels for one (problem, network), first start:

(a) the paper's diagnostic t [w(t+1) - w(t)] of every weight against t along the gradient
    flow (thin lines, blue for the input layer, red for the output layer; symmetric-log
    y axis, so both signs and the tiny values of settled weights show), with the median
    and the 5-95 % band over all weights;
(b) the share of weights in log mode against t (t [w(t+1) - w(t)] flat within the
    configured tolerance over the decade before t), for the flow and for backprop, all
    weights and the output layer;
(c) what is learnt: the distribution (empirical CDF) of the signed output margins on the
    held-out rows for the network stopped at first correct classification, the
    extrapolated network and the network trained to t_max.

Like the other figure modules, no pyplot state is touched.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.collections import LineCollection

from . import new_figure

LAYER_COLORS = {1: "tab:blue", 2: "tab:red"}
METHOD_STYLES = {"flow": "-", "backprop": "--"}
KIND_COLORS = {
    "stopped": "tab:orange",
    "extrapolated": "tab:green",
    "horizon": "k",
    "start": "tab:gray",
    "plain": "tab:purple",
}


def scale_figure(
    flow: pd.DataFrame,
    log_modes: dict[str, pd.DataFrame],
    margins: pd.DataFrame,
    title: str = "",
    tol: float | None = None,
):
    """The figure from a long flow table, log-mode tables by method and margins table."""
    fig = new_figure(15.0, 4.4)
    ax_d, ax_share, ax_m = fig.subplots(1, 3)
    seed = int(flow["seed"].min())
    run = flow[(flow["seed"] == seed) & (flow["t"] > 0)]
    names = list(run["weight"].cat.categories)
    P = len(names)
    order = run.sort_values(["t", "weight"], kind="stable")
    t = order["t"].to_numpy()[::P]
    D = order["t_dw"].to_numpy().reshape(t.size, P)
    layer = np.array([2 if n.startswith(("W2_", "b2_")) else 1 for n in names])
    for k, (lw, alpha) in zip((1, 2), ((0.3, 0.2), (0.6, 0.6)), strict=True):
        cols = np.flatnonzero(layer == k)
        lines = LineCollection(
            [np.column_stack([t, D[:, j]]) for j in cols],
            colors=LAYER_COLORS[k],
            linewidths=lw,
            alpha=alpha,
            rasterized=True,
        )
        ax_d.add_collection(lines)
        ax_d.plot([], [], color=LAYER_COLORS[k], lw=1, label=f"layer {k} ({cols.size} weights)")
    lo, mid, hi = np.quantile(D, [0.05, 0.5, 0.95], axis=1)
    ax_d.fill_between(t, lo, hi, color="0.5", alpha=0.2, label="5-95 % of weights")
    ax_d.plot(t, mid, color="k", lw=1.2, label="median")
    ax_d.set_xscale("log")
    ax_d.set_yscale("symlog", linthresh=1e-3)
    ax_d.set_xlim(t[0], t[-1])
    ax_d.set_ylim(-1.5 * np.abs(D).max(), 1.5 * np.abs(D).max())
    ax_d.set(
        xlabel="t (gradient flow)",
        ylabel="t [w(t+1) - w(t)]",
        title=f"(a) every weight, start {seed}",
    )
    ax_d.legend(fontsize="x-small", loc="lower left")

    for method, modes in log_modes.items():
        m = modes[(modes["seed"] == seed) & (modes["t"] > 0)]
        style = METHOD_STYLES.get(method, "-")
        ax_share.plot(m["t"], m["share"], color="k", ls=style, label=f"{method}: all weights")
        ax_share.plot(
            m["t"],
            m["share_layer2"],
            color=LAYER_COLORS[2],
            ls=style,
            label=f"{method}: output layer",
        )
        ax_share.plot(
            m["t"],
            m["share_layer1"],
            color=LAYER_COLORS[1],
            ls=style,
            lw=0.8,
            label=f"{method}: input layer",
        )
    ax_share.set_xscale("log")
    ax_share.set_ylim(-0.02, 1.02)
    flat = f" (flat within {tol:g} over a decade)" if tol is not None else ""
    ax_share.set(
        xlabel="t", ylabel="share of weights in log mode", title=f"(b) weights in log mode{flat}"
    )
    ax_share.legend(fontsize="x-small")

    mine = margins[margins["seed"] == seed]
    split = "test" if (mine["split"] == "test").any() else "train"
    for kind in ("stopped", "extrapolated", "horizon"):
        values = np.sort(mine[(mine["kind"] == kind) & (mine["split"] == split)]["margin"])
        if values.size:
            ax_m.step(
                values,
                np.arange(1, values.size + 1) / values.size,
                where="post",
                color=KIND_COLORS[kind],
                label=kind,
            )
    ax_m.axvline(0.0, color="0.6", lw=0.8)
    ax_m.set(
        xlabel=f"signed output margin y z ({'held-out' if split == 'test' else 'training'} rows)",
        ylabel="share of rows",
        title="(c) what is learnt",
    )
    ax_m.legend(fontsize="x-small")
    if title:
        fig.suptitle(title)
    return fig
