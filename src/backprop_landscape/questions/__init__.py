"""The report's open questions 3 and 4, as experiments.

``relaxation``: multistart descent against simulated annealing and basin hopping;
``extrapolation``: plain backprop against backprop with log-rule jumps.
"""

from .._lazy import lazy_exports

__all__ = ["relaxation_experiment", "Settings", "neuron_experiment", "xor_experiment"]
__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "relaxation_experiment": ".relaxation",
        "Settings": ".extrapolation",
        "neuron_experiment": ".extrapolation",
        "xor_experiment": ".extrapolation",
    },
)
