"""Stage ``minima``: every local minimum of E, finite and at infinity.

``critical1d``: the exact one-weight search; ``bifurcation``: the fold a* of the type-3
example; for m >= 2, ``search``: the multistart search (:func:`find_minima`), drawing its
starts from ``starts`` and descending them by ``descent`` (its steps in ``steps``, its
row terms in ``kernels``, row hashing in ``hashing``); ``faces``: minima at infinity on
the faces of the cube, with the linear programs on their cones in ``cones`` and the
batched LP solvers in ``lp``; ``counts``: the counts table.

Networks with one hidden layer: ``stationary`` (:func:`find_stationary_points`, every
stationary point by index, one row per symmetry class), with its Levenberg-Marquardt
solve and refinement in ``levenberg``, classification and probing in ``probing``, the
symmetry group and classes in ``symmetry``, and limits at infinity and plateaus of
diverging runs in ``limits`` (:func:`analyse_limits`); ``networks``: the counts of
stationary points by kind per (problem, network).

Barriers: ``barriers`` (exact one-weight barriers, pairs, bands joined to faces at
infinity, the disconnectivity graph and escape barriers), on the bands and saddles of
``bands``.
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
    "find_stationary_points",
    "match_points",
    "solve_gradient_system",
    "refine",
    "classify",
    "probe_descent",
    "descend",
    "analyse_limits",
    "saturation_pattern",
    "limit_energy",
    "pull_back",
    "symmetry_group",
    "symmetry_images",
    "orbit_sizes",
    "symmetry_classes",
    "symmetry_distance",
    "one_weight_barriers",
    "select_pairs",
    "neuron_barriers",
    "network_barriers",
    "disconnectivity",
    "escape_barriers",
    "global_minimum",
    "band_barriers",
    "relax_bands",
    "refine_saddles",
    "confirm_saddles",
    "descend_points",
    "neuron_model",
    "network_model",
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
        "find_stationary_points": ".stationary",
        "match_points": ".stationary",
        "solve_gradient_system": ".levenberg",
        "refine": ".levenberg",
        "classify": ".probing",
        "probe_descent": ".probing",
        "descend": ".probing",
        "analyse_limits": ".limits",
        "saturation_pattern": ".limits",
        "limit_energy": ".limits",
        "pull_back": ".limits",
        "symmetry_group": ".symmetry",
        "symmetry_images": ".symmetry",
        "orbit_sizes": ".symmetry",
        "symmetry_classes": ".symmetry",
        "symmetry_distance": ".symmetry",
        "one_weight_barriers": ".barriers",
        "select_pairs": ".barriers",
        "neuron_barriers": ".barriers",
        "network_barriers": ".barriers",
        "disconnectivity": ".barriers",
        "escape_barriers": ".barriers",
        "global_minimum": ".barriers",
        "band_barriers": ".bands",
        "relax_bands": ".bands",
        "refine_saddles": ".bands",
        "confirm_saddles": ".bands",
        "descend_points": ".bands",
        "neuron_model": ".bands",
        "network_model": ".bands",
    },
)
