"""Names of networks, as they appear in paths: ``net_h{hidden}_{activation}``.

DESIGN.md: a job's ``{model}`` is a theta name for a neuron or a network's name, e.g.
``net_h32_logistic``, one hidden layer of 32 logistic units and a logistic output (the
output has the hidden units' activation; targets in its range, see
``models.network.Network.code_targets``).  Only the text is here, so the workflow can
build its wildcard constraint while the DAG is built (no numpy).
"""

from __future__ import annotations

import re

#: Activations a network of the scale experiments may have (hidden and output alike).
NETWORK_ACTIVATIONS = ("logistic", "tanh")
NETWORK_PATTERN = r"net_h(?:[1-9][0-9]*)_(?:" + "|".join(NETWORK_ACTIVATIONS) + ")"
_PARSE = re.compile(r"net_h(?P<hidden>[1-9][0-9]*)_(?P<activation>\w+)")


def network_name(hidden: int, activation: str) -> str:
    """``net_h{hidden}_{activation}``, checked."""
    if isinstance(hidden, bool) or int(hidden) != hidden or hidden < 1:
        raise ValueError(f"a network needs hidden >= 1 units; got {hidden!r}")
    if activation not in NETWORK_ACTIVATIONS:
        raise ValueError(
            f"unknown network activation {activation!r}; choose {', '.join(NETWORK_ACTIVATIONS)}"
        )
    return f"net_h{int(hidden)}_{activation}"


def parse_network(name: str) -> dict:
    """{"hidden": H, "activation": name} of a network's name; ValueError if it is none."""
    match = _PARSE.fullmatch(name)
    if match is None or match["activation"] not in NETWORK_ACTIVATIONS:
        raise ValueError(
            f"{name!r} is not a network name (net_h<hidden>_<{'|'.join(NETWORK_ACTIVATIONS)}>,"
            " e.g. net_h32_logistic)"
        )
    values = {"hidden": int(match["hidden"]), "activation": match["activation"]}
    if network_name(**values) != name:
        raise ValueError(f"{name!r} is not canonical; ask for {network_name(**values)!r}")
    return values
