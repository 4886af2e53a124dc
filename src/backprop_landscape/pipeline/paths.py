"""Paths of the per-job tables and figures, one function per kind, by stage.

The rule files use each both as an output template (called with ``"{wildcard}"``
strings) and to list the inputs of the aggregates, so each path is written once.
Imported while the DAG is built: nothing heavy.
"""

from __future__ import annotations

from collections.abc import Iterable

FORMATS = ("png", "pdf")


def problem_path(problem: str) -> str:
    return f"results/problems/{problem}.parquet"


def minima_path(problem: str, theta: str) -> str:
    return f"results/minima/{problem}/{theta}.parquet"


def network_path(problem: str, model: str) -> str:
    """Every stationary point of the network ``model`` on ``problem``, by index."""
    return minima_path(problem, model)


def network_limits_path(problem: str, model: str) -> str:
    """The limits at infinity and plateaus that the network's descents approach."""
    return f"results/minima/{problem}/{model}_limits.parquet"


def barriers_path(problem: str, model: str) -> str:
    """The barriers between the minima of one (problem, model) job."""
    return f"results/barriers/{problem}/{model}.parquet"


def bifurcation_path(theta: str) -> str:
    return f"results/bifurcation/{theta}.parquet"


def trajectory_path(problem: str, theta: str, method: str) -> str:
    return f"results/trajectories/{problem}/{theta}/{method}.parquet"


def trajectory_samples_path(problem: str, network: str, method: str) -> str:
    """Per-sample summaries of a network trajectory (E, norms, errors, margins)."""
    return f"results/trajectories/{problem}/{network}/{method}_samples.parquet"


def logrule_path(problem: str, theta: str, method: str) -> str:
    return f"results/logrule/{problem}/{theta}/{method}.parquet"


def log_mode_path(problem: str, network: str, method: str) -> str:
    """The share of a network's weights in log mode, and D's quantiles, against t."""
    return f"results/logrule/{problem}/{network}/{method}_log_mode.parquet"


def implicit_bias_path(problem: str, theta: str, suffix: str = "") -> str:
    return f"results/implicit_bias/{problem}/{theta}{suffix}.parquet"


def relaxation_path(problem: str, theta: str) -> str:
    return f"results/relaxation/{problem}/{theta}.parquet"


def extrapolation_path(problem: str, theta: str, suffix: str = "") -> str:
    return f"results/extrapolation/{problem}/{theta}{suffix}.parquet"


def scale_figure_name(problem: str, network: str) -> str:
    """Figure 5 at scale for one (problem, network): results/figures/scale/<problem>/<net>."""
    return f"scale/{problem}/{network}"


def aggregate_path(name: str) -> str:
    return f"results/tables/{name}.parquet"


def figure_files(names: Iterable[str]) -> list[str]:
    return [f"results/figures/{name}.{ext}" for name in names for ext in FORMATS]
