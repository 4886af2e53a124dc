"""The models whose error E the stages study.

``theta``: the sigmoids, their stable complements and declared tails; ``tails``: the
leading monomials of E far out along a ray; ``neuron``: the paper's perceptron, E, its
gradient and Hessian after the sign-flip reduction; ``activations``: the units of a
network (logistic, tanh, linear, atan, erf) with their stable gaps; ``network``: the
network with one hidden layer, E, its gradient and Hessian in batches;
``network_kernel``: the same at scale (hundreds of samples, a thousand weights) by
matrix products, for the flow and backprop of the scale experiments.
"""

from .._lazy import lazy_exports

__all__ = [
    "Tail",
    "Theta",
    "THETAS",
    "THETA_NAMES",
    "get_theta",
    "Monomials",
    "energy_tail",
    "limit_is_minimum",
    "dominance_start",
    "reduce_signs",
    "margins",
    "energy",
    "gradient",
    "hessian",
    "ray_limit",
    "energy_above_ray_limit",
    "Activation",
    "ACTIVATION_NAMES",
    "get_activation",
    "Network",
    "NetworkKernel",
]
__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "Tail": ".theta",
        "Theta": ".theta",
        "THETAS": ".theta",
        "THETA_NAMES": ".theta",
        "get_theta": ".theta",
        "Monomials": ".tails",
        "energy_tail": ".tails",
        "limit_is_minimum": ".tails",
        "dominance_start": ".tails",
        "reduce_signs": ".neuron",
        "margins": ".neuron",
        "energy": ".neuron",
        "gradient": ".neuron",
        "hessian": ".neuron",
        "ray_limit": ".neuron",
        "energy_above_ray_limit": ".neuron",
        "Activation": ".activations",
        "ACTIVATION_NAMES": ".activations",
        "get_activation": ".activations",
        "Network": ".network",
        "NetworkKernel": ".network_kernel",
    },
)
