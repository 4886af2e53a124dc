"""The disconnectivity graph of a landscape: minima as leaves, joined at barrier energies.

Input: the tree of :func:`minima.barriers.disconnectivity`.  Each minimum is a leaf at
its E (filled circle; an open circle for a minimum at infinity; the global minimum a
star), each merge a horizontal bar at the barrier's energy joining the vertical lines of
its two superbasins; leaves are ordered so that no lines cross.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from . import new_figure, save_figure


def leaf_positions(tree: pd.DataFrame) -> np.ndarray:
    """x position of every node: leaves 0, 1, 2, ... in depth-first order, merges centred."""
    E = tree["E"].to_numpy(dtype=float)
    lowest = tree["lowest"].to_numpy()
    children = tree["children"].tolist()
    x = np.full(len(tree), np.nan)
    roots = [i for i in range(len(tree)) if tree["parent"].iloc[i] < 0]
    roots.sort(key=lambda i: (E[lowest[i]], i))
    count = 0
    for r in roots:
        stack, order = [r], []
        while stack:  # depth first, the branch with the lower minimum first
            node = stack.pop()
            order.append(node)
            kids = sorted(children[node], key=lambda c: (E[lowest[c]], c))
            stack.extend(reversed(kids))
        for node in order:
            if not children[node]:
                x[node] = count
                count += 1
        for node in reversed(order):
            if children[node]:
                x[node] = float(np.mean([x[c] for c in children[node]]))
    return x


def draw_tree(ax, tree: pd.DataFrame, title: str = "", labels=None, legend: bool = True):
    """Draw one tree on ``ax``; ``labels`` (one per minimum, optional) under the leaves."""
    E = tree["E"].to_numpy(dtype=float)
    parent = tree["parent"].to_numpy()
    leaf = tree["leaf"].to_numpy(bool)
    far = tree["at_infinity"].to_numpy(bool)
    x = leaf_positions(tree)
    finite_E = E[np.isfinite(E)]
    span = float(np.ptp(finite_E)) if finite_E.size else 1.0
    top = float(finite_E.max()) + 0.08 * max(span, 1e-12) if finite_E.size else 1.0
    for node in range(len(tree)):
        end = E[parent[node]] if parent[node] >= 0 else top
        ax.plot([x[node], x[node]], [E[node], end], color="0.3", lw=1.0)
        kids = tree["children"].iloc[node]
        if len(kids):
            ax.plot([x[kids[0]], x[kids[1]]], [E[node], E[node]], color="0.3", lw=1.0)
    ids = np.flatnonzero(leaf)
    glob = ids[np.argmin(E[ids])] if ids.size else None
    fin, inf = ids[~far[ids]], ids[far[ids]]
    ax.plot(x[fin], E[fin], "o", color="C0", ms=5, label="finite minimum")
    ax.plot(x[inf], E[inf], "o", mfc="white", mec="C1", ms=6, label="minimum at infinity")
    if glob is not None:
        ax.plot([x[glob]], [E[glob]], "*", color="C3", ms=12, label="global minimum")
    if labels is not None:
        for i in ids:
            ax.annotate(
                str(labels[i]),
                (x[i], E[i]),
                xytext=(0, -12),
                textcoords="offset points",
                ha="center",
                fontsize=7,
            )
    ax.set_xticks([])
    ax.set_ylabel("E")
    ax.set_title(title or "disconnectivity graph", fontsize=9)
    if legend:
        ax.legend(loc="best", fontsize=7)


def disconnectivity_figure(
    tree: pd.DataFrame,
    title: str = "",
    paths: Iterable[str | Path] = (),
    labels=None,
):
    """Draw one tree; save it to ``paths`` if any; return the figure."""
    fig = new_figure(6.4, 4.8)
    draw_tree(fig.add_subplot(), tree, title, labels)
    save_figure(fig, paths)
    return fig


def disconnectivity_panels(trees, titles, paths: Iterable[str | Path] = ()):
    """One panel per tree (up to four per row), the legend on the first; saved, returned."""
    n = max(len(trees), 1)
    cols = min(n, 4)
    rows = -(-n // cols)
    fig = new_figure(4.0 * cols, 3.4 * rows)
    for k, (tree, title) in enumerate(zip(trees, titles, strict=True)):
        draw_tree(fig.add_subplot(rows, cols, k + 1), tree, title, legend=k == 0)
    fig.suptitle("Disconnectivity graphs: minima joined at their lowest barriers")
    save_figure(fig, paths)
    return fig
