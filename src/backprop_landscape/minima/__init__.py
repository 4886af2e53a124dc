"""Stage ``minima``: every local minimum of E, finite and at infinity.

``critical1d``: the exact one-weight search; ``bifurcation``: the fold a* of the type-3
example; for m >= 2, ``search``: the multistart search (:func:`find_minima`), drawing its
starts from ``starts`` and descending them by ``descent`` (its steps in ``steps``, its
row terms in ``kernels``, row hashing in ``hashing``); ``faces``: minima at infinity on
the faces of the cube, with the linear programs on their cones in ``cones`` and the
batched LP solvers in ``lp``; ``counts``: the counts table.
"""

from .._lazy import lazy_exports

__all__ = [
    "critical_points",
    "type3_bifurcation",
    "find_minima",
    "sample_starts",
    "analyse_faces",
    "analyse_face",
    "count_minima",
    "prediction_table",
    "predicted_energies",
    "richness",
    "one_weight_minima",
]
__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "critical_points": ".critical1d",
        "type3_bifurcation": ".bifurcation",
        "find_minima": ".search",
        "sample_starts": ".starts",
        "analyse_faces": ".faces",
        "analyse_face": ".faces",
        "count_minima": ".counts",
        "prediction_table": ".counts",
        "predicted_energies": ".counts",
        "richness": ".counts",
        "one_weight_minima": ".critical1d",
    },
)
