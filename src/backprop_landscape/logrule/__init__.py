"""Stage ``logrule``: growth laws of diverging weights, the Lemma and the implicit bias.

``growth``: the laws (log, power, sqrt-log, bounded), their fits and the laws predicted
from theta's tail; ``tables``: the per-job tables built from trajectories.
"""

from .._lazy import lazy_exports

__all__ = [
    "fit_growth",
    "predicted_law",
    "predicted_norm_law",
    "growth_laws",
    "theory_for_problem",
    "lemma_row",
    "implicit_bias",
    "weight_columns",
]
__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "fit_growth": ".growth",
        "predicted_law": ".growth",
        "predicted_norm_law": ".growth",
        "growth_laws": ".tables",
        "theory_for_problem": ".tables",
        "lemma_row": ".tables",
        "implicit_bias": ".tables",
        "weight_columns": ".tables",
    },
)
