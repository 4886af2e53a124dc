"""The workflow config checked before any job runs: coercion, schema, cross-key rules.

:func:`check_config` is what the Snakefile calls (``workflow/rules/common.smk``): it
converts numeric text to numbers where the schema asks for numbers, validates against
the JSON schema (``workflow/schemas/config.schema.yaml``), rejects nan and inf, and then
checks what one key's schema cannot see, so that no job fails hours into a run on a
config that could never work:

* a non-separable random problem needs n > m (n <= m Gaussian rows are independent, so
  every labelling is separable): every n of ``random.n`` must exceed every m;
* the same for ``minima.random``; the multistart's start budget ``minima.max_starts``
  must cover its first batch ``minima.starts``; a section's ``thetas`` must be among
  ``thetas``; the problems a section names must be canonical problem names
  (:mod:`..problems.names`), and a ``file/<name>`` among them must be in ``data_files``;
  the extrapolation's smallest jump factor must not exceed its largest, its exponent
  range must not be empty;
* the growth-law fits use the last ``logrule.tail_decades`` decades of each trajectory:
  the trajectories must span more than that, with at least
  :data:`MIN_TAIL_POINTS` samples in it;
* ``scale``: its problems must be canonical ``dataset/...`` names, its race must start
  before its target time and end within the flow (t_start < t_target <= t_max), its
  jump factors and exponents ordered as in ``extrapolation``, and its trajectories long
  enough for ``scale.tail_decades``.

Each message names the key and the value that must change.  This module is imported
while the DAG is built, so it imports nothing heavy.
"""

from __future__ import annotations

import math
from pathlib import Path

import jsonschema
import numpy as np
import yaml

from ..grids import log_step_grid, log_time_grid
from ..problems.names import EXAMPLES, parse_problem

# Sections that pick some of the studied thetas, and sections that name problems.
SECTIONS_WITH_THETAS = ("minima", "relaxation", "extrapolation")
SECTIONS_WITH_PROBLEMS = ("relaxation", "extrapolation", "networks", "barriers")

# The default min_points of logrule.growth.fit_growth (not imported: it brings scipy
# into the DAG build; tests/unit/pipeline/test_config.py checks that the two agree).
MIN_TAIL_POINTS = 6


class ConfigError(ValueError):
    """A config that cannot run; the message has one ``Bad config: ...`` line per defect."""


def load_schema(path) -> dict:
    """The JSON schema of the config, from its YAML file.

    With libyaml's loader where PyYAML has it (its wheels do): the same data, read in
    5 ms instead of 60 (every run of snakemake, a rerun with nothing to do included).
    """
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(Path(path).read_text(), Loader=loader)


def check_config(config: dict, schema: dict) -> None:
    """Coerce numeric text in place, then validate; raise :class:`ConfigError` if bad."""
    coerced = coerce_numbers(dict(config), schema)
    config.clear()
    config.update(coerced)
    errors = config_errors(config, schema)
    if errors:
        raise ConfigError("\n".join(f"Bad config: {message}" for message in errors))


def config_errors(config: dict, schema: dict) -> list[str]:
    """Every message for a (coerced) config: the schema's first, else the others ([] if fine)."""
    # The first error, as snakemake.utils.validate reports it (Validator.validate).
    error = next(iter(jsonschema.Draft202012Validator(schema).iter_errors(config)), None)
    if error is not None:
        return [describe_config_error(error)]
    non_finite = _non_finite(config)
    if non_finite:
        return [
            f"invalid config value {non_finite} = {_at(config, non_finite)!r}: not a finite number"
        ]
    return consistency_errors(config)


def _resolve(schema, root):
    """Follow local ``$ref``s (``#/$defs/...``) of a schema node."""
    while "$ref" in schema:
        node = root
        for part in schema["$ref"].removeprefix("#/").split("/"):
            node = node[part]
        schema = {**node, **{k: v for k, v in schema.items() if k != "$ref"}}
    return schema


def coerce_numbers(value, schema, root=None):
    """Convert numeric text to numbers wherever the schema expects a number.

    YAML reads ``1e12`` (no dot) as a string; here it becomes the float 1e12, and
    ``"3"`` becomes the int 3 where the schema asks for an integer.  Text that is not a
    finite number is left alone, for validation to report.
    """
    root = schema if root is None else root
    schema = _resolve(schema, root)
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        return {k: coerce_numbers(v, properties.get(k, {}), root) for k, v in value.items()}
    if isinstance(value, list):
        return [coerce_numbers(v, schema.get("items", {}), root) for v in value]
    if isinstance(value, str) and schema.get("type") in ("number", "integer"):
        try:
            number = float(value)
        except ValueError:
            return value
        if not math.isfinite(number):
            return value
        if schema["type"] == "integer" and number.is_integer():
            return int(number)
        return number
    return value


def config_key(path) -> str:
    """``['n2m1', 'a', 0]`` -> ``"n2m1.a[0]"``."""
    key = ""
    for part in path:
        key += f"[{part}]" if isinstance(part, int) else (f".{part}" if key else str(part))
    return key or "<top level>"


def describe_config_error(error: jsonschema.ValidationError) -> str:
    """One line naming the offending key and value of a failed validation."""
    key = config_key(error.absolute_path)
    if error.validator == "additionalProperties":
        allowed = error.schema.get("properties", {})
        unknown = [k for k in error.instance if k not in allowed]
        name = config_key([*error.absolute_path, unknown[0]])
        return (
            f"unknown config key '{name}' (value {error.instance[unknown[0]]!r}); "
            f"allowed keys here: {', '.join(allowed)}"
        )
    if error.validator == "required":
        return f"config key '{key}' is incomplete: {error.message}"
    return f"invalid config value {key} = {error.instance!r}: {error.message}"


def _non_finite(value, path=()) -> str | None:
    """The key of the first nan or inf (YAML .nan, .inf), which JSON schema cannot reject."""
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    elif isinstance(value, float) and not math.isfinite(value):
        return config_key(path)
    else:
        return None
    for k, v in items:
        found = _non_finite(v, (*path, k))
        if found is not None:
            return found
    return None


def _at(config: dict, key: str):
    """The value at a key that :func:`config_key` wrote."""
    value = config
    for part in key.replace("[", ".").replace("]", "").split("."):
        value = value[int(part)] if isinstance(value, list) else value[part]
    return value


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


def _order_error(
    section: dict, low: str, high: str, relation: str, key: str = "extrapolation"
) -> str:
    return (
        f"invalid config value {key}.{low} = {section[low]!r}: it {relation} "
        f"{key}.{high} = {section[high]!r}"
    )


def scale_errors(config: dict) -> list[str]:
    """Cross-key checks of the ``scale`` section ([] if it is consistent)."""
    scale = config["scale"]
    errors = []
    for i, problem in enumerate(scale["problems"]):
        key = f"invalid config value scale.problems[{i}] = {problem!r}"
        try:
            family, _ = parse_problem(problem)
        except ValueError as error:
            errors.append(f"{key}: {str(error).removeprefix(f'{problem!r} is ')}")
            continue
        if family != "dataset":
            errors.append(f"{key}: the scale section takes data-set problems (dataset/...)")
    race = scale["extrapolation"]
    if not race["t_start"] < race["t_target"]:
        errors.append(
            _order_error(race, "t_start", "t_target", "must be below", "scale.extrapolation")
        )
    if race["t_target"] > scale["t_max"]:
        errors.append(
            f"invalid config value scale.extrapolation.t_target = {race['t_target']!r}: the "
            f"target is the flow's error at that time, beyond scale.t_max = {scale['t_max']!r}"
        )
    if race["min_jump_factor"] > race["jump_factor"]:
        errors.append(
            _order_error(
                race, "min_jump_factor", "jump_factor", "must not exceed", "scale.extrapolation"
            )
        )
    if race["min_exponent"] >= race["max_exponent"]:
        errors.append(
            _order_error(
                race, "min_exponent", "max_exponent", "must be below", "scale.extrapolation"
            )
        )
    decades = scale["tail_decades"]
    grids = {
        f"the flow (scale.t_max = {scale['t_max']}, scale.per_decade = {scale['per_decade']})": (
            lambda: log_time_grid(scale["t_max"], per_decade=scale["per_decade"])
        ),
        f"backprop (scale.epochs = {scale['epochs']}, scale.per_decade = "
        f"{scale['per_decade']})": lambda: log_step_grid(scale["epochs"], scale["per_decade"]),
    }
    for what, grid in grids.items():
        problem = _tail_problem(grid(), decades)
        if problem is not None:
            errors.append(
                f"invalid config value scale.tail_decades = {decades!r}: for {what} {problem}; "
                "lower scale.tail_decades or lengthen / sample the trajectories more densely"
            )
    return errors


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
            key = f"invalid config value {section}.problems[{i}] = {problem!r}"
            try:
                family, fields = parse_problem(problem)
            except ValueError as error:
                reason = str(error).removeprefix(f"{problem!r} is ")
                if "canonical" not in reason:
                    reason = f"not a problem name (e.g. {EXAMPLES})"
                errors.append(f"{key}: {reason}")
                continue
            if family == "file" and fields["name"] not in files:
                errors.append(f"{key}: {fields['name']!r} is not in data_files")

    minima = config["minima"]
    if minima["max_starts"] < minima["starts"]:
        errors.append(
            f"invalid config value minima.max_starts = {minima['max_starts']!r}: the start "
            f"budget must be at least the first batch, minima.starts = {minima['starts']!r}"
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
    return errors + scale_errors(config)
