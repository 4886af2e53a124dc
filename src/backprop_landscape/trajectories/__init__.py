"""Stage ``trajectories``: gradient flow in log time and discrete backprop.

``neuron``: one neuron, vectorised across starts; ``xor``: the 2-H-1 network of
Figure 5, batch backprop vectorised across seeds.
"""

from .._lazy import lazy_exports

__all__ = [
    "gradient_flow",
    "backprop",
    "t_times_increment",
    "xor_backprop",
    "BatchKernel",
    "log_rule_diagnostic",
]
__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "gradient_flow": ".neuron",
        "backprop": ".neuron",
        "t_times_increment": ".neuron",
        "xor_backprop": ".xor",
        "BatchKernel": ".xor",
        "log_rule_diagnostic": ".xor",
    },
)
