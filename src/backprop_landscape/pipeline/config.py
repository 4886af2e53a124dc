"""Checks of the workflow config that tie several keys together.

The JSON schema (``workflow/schemas/config.schema.yaml``) checks each value on its own.
What it cannot say is checked here, before any job runs, so that no job fails hours
into a run on a config that could never work:

* a non-separable random problem needs n > m (n <= m Gaussian rows are independent, so
  every labelling is separable): every n of ``random.n`` must exceed every m;
* the same for ``minima.random``; a section's ``thetas`` must be among ``thetas``, and a
  ``file/<name>`` it names must be in ``data_files``; the extrapolation's smallest jump
  factor must not exceed its largest, its exponent range must not be empty;
* the growth-law fits use the last ``logrule.tail_decades`` decades of each trajectory:
  the trajectories must span more than that, with at least
  :data:`growth.MIN_TAIL_POINTS` samples in it.

Each message names the key and the value that must change.
"""

from __future__ import annotations

import numpy as np

from ..grids import log_step_grid, log_time_grid

# Sections that pick some of the studied thetas, and sections that name problems.
SECTIONS_WITH_THETAS = ("minima", "relaxation", "extrapolation")
SECTIONS_WITH_PROBLEMS = ("relaxation", "extrapolation")

# fit_growth's default min_points: fewer tail samples than this cannot be fitted.
MIN_TAIL_POINTS = 6


def _tail_problem(times, decades: float) -> str | None:
    """Why a trajectory sampled at ``times`` cannot be fitted on its last decades, or None."""
    t = np.asarray(times, dtype=float)
    t = t[t > 0]
    start = t[-1] / 10.0**decades
    if start <= t[0]:
        span = np.log10(t[-1] / t[0])
        return f"the trajectory spans only {span:.3g} decades"
    n_tail = int(np.count_nonzero(t >= start))
    if n_tail < MIN_TAIL_POINTS:
        return f"only {n_tail} samples fall in them (at least {MIN_TAIL_POINTS} are needed)"
    return None


def _order_error(section: dict, low: str, high: str, relation: str) -> str:
    return (
        f"invalid config value extrapolation.{low} = {section[low]!r}: it {relation} "
        f"extrapolation.{high} = {section[high]!r}"
    )


def consistency_errors(config: dict) -> list[str]:
    """Messages for every cross-key inconsistency of a schema-valid config ([] if none)."""
    errors = []
    for key, sizes in (("random", config["random"]), ("minima.random", config["minima"]["random"])):
        if sizes["n"] and sizes["m"] and min(sizes["n"]) <= max(sizes["m"]):
            errors.append(
                f"invalid config value {key}.n = {sizes['n']!r} with {key}.m = "
                f"{sizes['m']!r}: every n must exceed every m, because each (n, m) gives "
                "a non-separable problem, and n <= m Gaussian inputs are always separable"
            )
    for section in SECTIONS_WITH_THETAS:
        chosen = config.get(section, {}).get("thetas", [])
        missing = [theta for theta in chosen if theta not in config["thetas"]]
        if missing:
            errors.append(
                f"invalid config value {section}.thetas = {chosen!r}: {', '.join(missing)} "
                f"not in thetas = {config['thetas']!r}"
            )
    files = config.get("data_files") or {}
    for section in SECTIONS_WITH_PROBLEMS:
        for i, problem in enumerate(config.get(section, {}).get("problems", [])):
            if problem.startswith("file/") and problem.removeprefix("file/") not in files:
                errors.append(
                    f"invalid config value {section}.problems[{i}] = {problem!r}: "
                    f"{problem.removeprefix('file/')!r} is not in data_files"
                )

    extrapolation = config["extrapolation"]
    if extrapolation["min_jump_factor"] > extrapolation["jump_factor"]:
        errors.append(
            _order_error(extrapolation, "min_jump_factor", "jump_factor", "must not exceed")
        )
    if extrapolation["min_exponent"] >= extrapolation["max_exponent"]:
        errors.append(_order_error(extrapolation, "min_exponent", "max_exponent", "must be below"))

    decades = config["logrule"]["tail_decades"]
    traj, xor = config["trajectories"], config["xor"]
    grids = {
        "gradient flow (trajectories.t_max = {}, trajectories.per_decade = {})".format(
            traj["t_max"], traj["per_decade"]
        ): lambda: log_time_grid(traj["t_max"], per_decade=traj["per_decade"]),
        "backprop (trajectories.backprop_steps = {}, trajectories.per_decade = {})".format(
            traj["backprop_steps"], traj["per_decade"]
        ): lambda: log_step_grid(traj["backprop_steps"], per_decade=traj["per_decade"]),
        "XOR (xor.epochs = {}, xor.per_decade = {})".format(
            xor["epochs"], xor["per_decade"]
        ): lambda: log_step_grid(xor["epochs"], xor["per_decade"], with_successor=True),
    }
    for what, grid in grids.items():
        problem = _tail_problem(grid(), decades)
        if problem is not None:
            errors.append(
                f"invalid config value logrule.tail_decades = {decades!r}: the growth laws "
                f"are fitted on the last {decades} decades of t, but for {what} {problem}; "
                "lower logrule.tail_decades or lengthen / sample the trajectories more densely"
            )
    return errors
