"""Figures of the paper (Figures 1-4) and the bifurcation diagram of the type-3 example.

Every function builds a :class:`matplotlib.figure.Figure` on matplotlib's Agg canvas
(:func:`backprop_landscape.figures.new_figure`); ``save_figure`` writes it with fixed
metadata, so the same tables give the same bytes.

The critical points come from the tables of :mod:`backprop_landscape.minima.critical1d`
(columns ``x, E, kind, at_infinity``); a point at infinity has ``x = +-inf`` and its
limiting ``E``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.transforms import blended_transform_factory

from ..models.neuron import energy
from ..models.theta import Theta
from . import new_figure

#: Marker styles of a local minimum and a local maximum.
STYLES = {
    "min": {"marker": "o", "color": "tab:blue", "label": "local minimum"},
    "max": {"marker": "^", "color": "tab:red", "label": "local maximum"},
}
#: Largest |(A~ x)_i| on the drawn part of the curve TV; the limit points close it.
IMAGE_Z_MAX = 1e6


def _split(critical: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(finite critical points, critical points at infinity)."""
    at_infinity = critical["at_infinity"].to_numpy(dtype=bool)
    return critical[~at_infinity], critical[at_infinity]


def plot_energy(
    ax, A_tilde, theta: Theta, critical: pd.DataFrame, x_max: float | None = None
) -> None:
    """Draw E(x) of a one-weight problem with its critical points (Figures 1 and 2).

    Parameters
    ----------
    ax : matplotlib Axes
    A_tilde : array (n, 1)
        The sign-reduced data matrix.
    theta : Theta
    critical : DataFrame
        Columns x, E, kind, at_infinity; rows at x = +-inf give the limits of E.
    x_max : float, optional
        Half-width of the plotted x range; by default twice the largest finite
        critical point, at least 4.
    """
    finite, infinite = _split(critical)
    if x_max is None:
        x_max = max(4.0, 2.0 * float(np.max(np.abs(finite["x"].to_numpy()), initial=0.0)))
    x = np.linspace(-x_max, x_max, 2001)
    ax.plot(x, energy(A_tilde, x[:, None], theta), color="black", lw=1.5, label="E(x)")

    for kind, style in STYLES.items():
        rows = finite[finite["kind"] == kind]
        if not rows.empty:
            ax.plot(rows["x"], rows["E"], ls="none", ms=7, zorder=3, **style)
        # A critical point at infinity: the limit of E, drawn at the edge of the range.
        rows = infinite[infinite["kind"] == kind]
        for x_inf, e_inf in zip(rows["x"], rows["E"], strict=True):
            side = math.copysign(1.0, x_inf)
            ax.axhline(e_inf, color=style["color"], ls=":", lw=1)
            ax.plot(
                side * x_max,
                e_inf,
                marker=">" if side > 0 else "<",
                color=style["color"],
                ms=9,
                clip_on=False,
                zorder=3,
                label=f"{style['label']} at x = {'+' if side > 0 else '-'}inf",
            )
    ax.set_xlim(-x_max, x_max)
    ax.set_xlabel("x")
    ax.set_ylabel("E(x)")
    ax.legend(fontsize="small")


def image_curve(A_tilde, theta: Theta, num: int = 4001) -> np.ndarray:
    """Points of clos TV = clos {T(v x)} for a one-weight problem, shape (num + 2, n).

    x runs over a sinh-spaced grid until |v_i x| reaches :data:`IMAGE_Z_MAX`; the two
    limit points T(v x) as x -> -inf and +inf (coordinates -+sign(v_i)) close the curve.
    """
    A_tilde = np.asarray(A_tilde, dtype=float)
    if A_tilde.ndim != 2 or A_tilde.shape[1] != 1:
        raise ValueError(f"the image TV is drawn for m = 1 only; got A~ of shape {A_tilde.shape}")
    v = A_tilde[:, 0]
    scale = np.max(np.abs(v))
    if scale == 0:
        return np.zeros((2, v.size))
    x = np.sinh(np.linspace(-1.0, 1.0, num) * np.arcsinh(IMAGE_Z_MAX)) / scale
    inner = theta.value(np.multiply.outer(x, v))
    return np.vstack([-np.sign(v), inner, np.sign(v)])


def image_point(v, theta: Theta, x: float) -> np.ndarray:
    """T(v x), or its limit sign(v) sign(x) when x is infinite."""
    v = np.asarray(v, dtype=float)
    if math.isinf(x):
        return np.sign(v) * math.copysign(1.0, x)
    return theta.value(v * x)


def plot_image(ax, A_tilde, theta: Theta, critical: pd.DataFrame) -> None:
    """Draw the curve TV in the square [-1, 1]^2 with its critical points (Figures 3, 4).

    A local minimum of E is a point of clos TV locally nearest to e = (1, 1); the
    dashed circle around e through it has radius dist = sqrt(E).
    """
    A_tilde = np.asarray(A_tilde, dtype=float)
    if A_tilde.shape != (2, 1):
        raise ValueError(f"the image TV is drawn for n = 2, m = 1; got A~ of shape {A_tilde.shape}")
    v = A_tilde[:, 0]
    ax.plot([-1, 1, 1, -1, -1], [-1, -1, 1, 1, -1], color="0.6", lw=0.8)
    curve = image_curve(A_tilde, theta)
    ax.plot(curve[:, 0], curve[:, 1], color="black", lw=1.5, label="clos TV")
    ax.plot(1, 1, marker="*", color="tab:green", ms=14, ls="none", label="target e = (1, 1)")

    for kind, style in STYLES.items():
        rows = critical[critical["kind"] == kind]
        if rows.empty:
            continue
        points = np.array([image_point(v, theta, x) for x in rows["x"]])
        ax.plot(points[:, 0], points[:, 1], ls="none", ms=8, zorder=3, **style)
        if kind == "min":
            for e_value in rows["E"]:
                radius = math.sqrt(max(float(e_value), 0.0))
                t = np.linspace(0.0, 2.0 * np.pi, 361)
                ax.plot(
                    1 + radius * np.cos(t),
                    1 + radius * np.sin(t),
                    color=style["color"],
                    ls="--",
                    lw=0.8,
                )
    ax.set_xlim(-1.15, 1.15)
    ax.set_ylim(-1.15, 1.15)
    ax.set_aspect("equal")
    ax.set_xlabel(r"$\theta(v_1 x)$")
    ax.set_ylabel(r"$\theta(v_2 x)$")
    ax.legend(fontsize="small", loc="best")


def energy_figure(A_tilde, theta: Theta, critical: pd.DataFrame, title: str = "") -> Figure:
    """Figure 1 (type 2) or Figure 2 (type 3): E(x) with its critical points."""
    fig = new_figure()
    plot_energy(fig.add_subplot(), A_tilde, theta, critical)
    fig.suptitle(title)
    return fig


def image_figure(A_tilde, theta: Theta, critical: pd.DataFrame, title: str = "") -> Figure:
    """Figure 3 (type 2) or Figure 4 (type 3): the curve TV and the nearest points to e."""
    fig = new_figure(5.6, 5.6)
    plot_image(fig.add_subplot(), A_tilde, theta, critical)
    fig.suptitle(title)
    return fig


def bifurcation_figure(
    critical: pd.DataFrame, bifurcation: pd.DataFrame, thetas: Sequence[str]
) -> Figure:
    """Critical points x of the type-3 example against a (log axis), one panel per theta.

    Parameters
    ----------
    critical : DataFrame
        The critical-points table (columns theta, type, a, x, kind, at_infinity); only
        type 3 is drawn.  Points at x = +-inf are drawn on the top and bottom edges.
    bifurcation : DataFrame
        The bifurcation table (columns theta, a_star, x_fold); a* is a vertical line
        and a finite fold point is marked.
    thetas : sequence of str
        The panels, in order.
    """
    ncols = min(len(thetas), 2)
    nrows = math.ceil(len(thetas) / ncols)
    fig = new_figure(5.0 * ncols, 3.6 * nrows)
    axes = fig.subplots(nrows, ncols, squeeze=False)
    type3 = critical[critical["type"] == 3]
    for ax, name in zip(axes.flat, thetas, strict=False):
        rows = type3[type3["theta"] == name]
        finite, infinite = _split(rows)
        edge = blended_transform_factory(ax.transData, ax.transAxes)
        for kind, style in STYLES.items():
            selected = finite[finite["kind"] == kind]
            ax.plot(selected["a"], selected["x"], ls="none", ms=6, **style)
            selected = infinite[infinite["kind"] == kind]
            up = selected["x"].to_numpy() > 0
            for mask, y, marker in ((up, 1.0, "^"), (~up, 0.0, "v")):
                if not mask.any():
                    continue
                ax.plot(
                    selected["a"].to_numpy()[mask],
                    np.full(int(mask.sum()), y),
                    transform=edge,
                    ls="none",
                    marker=marker,
                    mfc="none",
                    color=style["color"],
                    ms=8,
                    clip_on=False,
                    in_layout=False,
                )
        fold = bifurcation[bifurcation["theta"] == name]
        if not fold.empty and np.isfinite(fold["a_star"].iloc[0]):
            a_star = float(fold["a_star"].iloc[0])
            ax.axvline(a_star, color="0.4", ls="--", lw=1)
            ax.text(
                a_star,
                0.5,
                f" a* = {a_star:.4g}",
                transform=edge,
                fontsize="small",
                in_layout=False,
            )
            x_fold = float(fold["x_fold"].iloc[0])
            if np.isfinite(x_fold):
                ax.plot(a_star, x_fold, marker="x", color="black", ms=8, ls="none")
        ax.set_xscale("log")
        ax.set_title(rf"$\theta$ = {name}")
        ax.set_xlabel("a")
        ax.set_ylabel("critical point x")
    for ax in axes.flat[len(thetas) :]:
        ax.set_visible(False)
    handles = [
        Line2D([], [], ls="none", marker="o", color="tab:blue", label="local minimum"),
        Line2D([], [], ls="none", marker="^", color="tab:red", label="local maximum"),
        Line2D([], [], ls="none", marker="^", mfc="none", color="0.3", label="at x = +inf"),
        Line2D([], [], ls="none", marker="v", mfc="none", color="0.3", label="at x = -inf"),
        Line2D([], [], ls="--", color="0.4", label="fold a*"),
    ]
    fig.legend(handles=handles, loc="outside lower center", ncols=len(handles), fontsize="small")
    fig.suptitle("Critical points of E for V = span (1, -a)")
    return fig
