"""Stage ``figures``: the paper's Figures 1-5 and the extended results.

Every figure is built on matplotlib's Agg canvas without pyplot, so importing these
modules changes no global backend state.  ``paper``: Figures 1-4 and the bifurcation
diagram; ``dynamics``: trajectories, the log rule, Figure 5 and the margin angle;
``minima``, ``relaxation``, ``extrapolation``: the open questions.  The two helpers
below are shared by all of them.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

__all__ = ["new_figure", "save_figure"]


def new_figure(width: float = 6.4, height: float = 4.8) -> Figure:
    """An empty figure on the Agg canvas, with a constrained layout."""
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def save_figure(fig: Figure, paths: Iterable[str | Path], dpi: int = 150) -> None:
    """Write ``fig`` to every path; the format follows the suffix (``.png``, ``.pdf``).

    The PDF creation date is left out so that a rerun writes the same bytes.  The
    constrained layout is solved once, for the first file, and kept for the others:
    it takes half of each save (measuring every tick label), and the positions it finds
    are fractions of the figure, the same for every format.
    """
    for i, path in enumerate(map(Path, paths)):
        path.parent.mkdir(parents=True, exist_ok=True)
        metadata = {"CreationDate": None} if path.suffix.lower() == ".pdf" else None
        fig.savefig(path, dpi=dpi, metadata=metadata)
        if i == 0:
            fig.set_layout_engine("none")  # keeps the axes where the layout put them
