"""Config to sweep lists, wildcard constraints and the get_* helpers of the rules.

The config is checked here, at DAG-build time, so a bad value stops the workflow before
any job runs, with a message that names the key and the value.
"""

import math
import re
from pathlib import Path

import jsonschema
import yaml
from snakemake.exceptions import WorkflowError
from snakemake.utils import min_version, validate

from backprop_landscape.pipeline.config import consistency_errors
from backprop_landscape.problems.families import n2m1_name, product_name, random_name
from backprop_landscape.problems.tasks import TASKS, task_name

min_version("9.0")

SCHEMA_PATH = "../schemas/config.schema.yaml"
SCHEMA = yaml.safe_load(Path(workflow.source_path(SCHEMA_PATH)).read_text())


# ---------------------------------------------------------------------------------------
# Config checking
# ---------------------------------------------------------------------------------------


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


def _config_key(path):
    """``deque(['n2m1', 'a', 0])`` -> ``"n2m1.a[0]"``."""
    key = ""
    for part in path:
        key += f"[{part}]" if isinstance(part, int) else (f".{part}" if key else str(part))
    return key or "<top level>"


def describe_config_error(error: jsonschema.ValidationError) -> str:
    """One line naming the offending key and value of a failed validation."""
    key = _config_key(error.absolute_path)
    if error.validator == "additionalProperties":
        allowed = error.schema.get("properties", {})
        unknown = [k for k in error.instance if k not in allowed]
        name = _config_key([*error.absolute_path, unknown[0]])
        return (
            f"unknown config key '{name}' (value {error.instance[unknown[0]]!r}); "
            f"allowed keys here: {', '.join(allowed)}"
        )
    if error.validator == "required":
        return f"config key '{key}' is incomplete: {error.message}"
    return f"invalid config value {key} = {error.instance!r}: {error.message}"


def _reject_non_finite(value, path=()):
    """JSON schema cannot reject nan or inf (YAML .nan, .inf); do it here."""
    if isinstance(value, dict):
        for k, v in value.items():
            _reject_non_finite(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _reject_non_finite(v, (*path, i))
    elif isinstance(value, float) and not math.isfinite(value):
        raise WorkflowError(
            f"Bad config: invalid config value {_config_key(path)} = {value!r}: not a finite number"
        )


def check_config(config):
    """Coerce numeric strings in place, then validate against the schema."""
    coerced = coerce_numbers(dict(config), SCHEMA)
    config.clear()
    config.update(coerced)
    try:
        validate(config, SCHEMA_PATH)
    except WorkflowError as error:
        cause = error.__context__
        if not isinstance(cause, jsonschema.ValidationError):
            raise
        raise WorkflowError(f"Bad config: {describe_config_error(cause)}") from None
    _reject_non_finite(config)
    errors = consistency_errors(config)  # what one key's schema cannot see
    if errors:
        raise WorkflowError("\n".join(f"Bad config: {message}" for message in errors))


check_config(config)


# ---------------------------------------------------------------------------------------
# Sweep lists and wildcard constraints
# ---------------------------------------------------------------------------------------

THETAS = list(config["thetas"])
N2M1_TYPES = [int(kind) for kind in config["n2m1"]["types"]]
N2M1_A = [float(a) for a in config["n2m1"]["a"]]
# One entry per (type, a) of the sweep; values with the same canonical name count once.
N2M1_PROBLEMS = {n2m1_name(kind, a): (kind, a) for kind in N2M1_TYPES for a in N2M1_A}

# Canonical text of a number as problems.format_a writes it ("10", "0.5", "1e-06"):
# no sign, no leading or trailing zeros, so one value has one spelling.
NUMBER_PATTERN = r"(?:0|[1-9][0-9]*)(?:\.[0-9]*[1-9])?(?:e[+-][0-9]{2,3})?"
THETA_PATTERN = "(?:{})".format("|".join(SCHEMA["$defs"]["theta"]["enum"]))
FILE_NAME_PATTERN = "[A-Za-z0-9_-]+"
COUNT_PATTERN = "[1-9][0-9]*"
SEED_PATTERN = "(?:0|[1-9][0-9]*)"
TASK_PATTERN = "(?:{})".format("|".join(TASKS))
# Families whose problems have m >= 2 weights (or may: product/m1 is the block itself).
MULTI_WEIGHT_PATTERN = (
    rf"random/n{COUNT_PATTERN}_m{COUNT_PATTERN}_(?:sep|nonsep)_s{SEED_PATTERN}"
    rf"|product/m{COUNT_PATTERN}_a{NUMBER_PATTERN}"
    rf"|task/{TASK_PATTERN}_n{COUNT_PATTERN}_s{SEED_PATTERN}(?:_shuffled)?"
)
PROBLEM_PATTERN = (
    rf"(?:n2m1/type[123]_a{NUMBER_PATTERN}|scalar|{MULTI_WEIGHT_PATTERN}"
    rf"|file/{FILE_NAME_PATTERN})"
)

# Section 3: trajectories of the scalar example, the chosen type-3 examples
# (non-separable, with a minimum at infinity for tanh), the random problems and the
# user's files; every theta, both methods.
RANDOM = config["random"]
RANDOM_PROBLEMS = {
    random_name(n, m, separable, seed): {"n": n, "m": m, "seed": seed, "separable": separable}
    for n in RANDOM["n"]
    for m in RANDOM["m"]
    for seed in RANDOM["seeds"]
    for separable in (True, False)
}
DATA_FILES = dict(config.get("data_files") or {})
FILE_PROBLEMS = [f"file/{name}" for name in DATA_FILES]


def input_width(path):
    """Number of u columns of a data file, read from its header only (cheap at DAG time)."""
    if not Path(path).is_file():
        raise WorkflowError(f"data file {path} (config data_files) does not exist")
    if str(path).lower().endswith(".csv"):
        with open(path) as handle:
            names = handle.readline().strip().split(",")
    else:
        import pyarrow.parquet as pq

        names = pq.read_schema(path).names
    return sum(1 for name in names if re.fullmatch(r"u[1-9][0-9]*", name.strip()))


# User files with one weight get every critical point, the others a multistart search.
FILE_WIDTHS = {f"file/{name}": input_width(path) for name, path in DATA_FILES.items()}
ONE_WEIGHT_FILES = [problem for problem, width in FILE_WIDTHS.items() if width == 1]
MULTI_WEIGHT_FILES = [problem for problem, width in FILE_WIDTHS.items() if width > 1]


def alternatives(names):
    """A regex matching exactly these names (and nothing when there are none)."""
    return "|".join(re.escape(name) for name in names) or "(?!)"


# results/minima/{problem}/{theta}.parquet holds exact critical points where
# there is one weight, multistart descent otherwise.
ONE_WEIGHT_PATTERN = (
    rf"(?:n2m1/type[123]_a{NUMBER_PATTERN}|scalar|{alternatives(ONE_WEIGHT_FILES)})"
)
MULTISTART_PATTERN = rf"(?:{MULTI_WEIGHT_PATTERN}|{alternatives(MULTI_WEIGHT_FILES)})"

# Open questions 1 and 2: the problems of the minima section (docs in config.yaml).
MINIMA = config["minima"]
MINIMA_THETAS = list(MINIMA["thetas"])
MINIMA_RANDOM = {
    random_name(n, m, False, seed): {"n": n, "m": m, "seed": seed, "separable": False}
    for n in MINIMA["random"]["n"]
    for m in MINIMA["random"]["m"]
    for seed in MINIMA["random"]["seeds"]
}
PRODUCT_PROBLEMS = {
    product_name(m, MINIMA["product"]["a"]): {"m": m, "a": float(MINIMA["product"]["a"])}
    for m in MINIMA["product"]["m"]
}
TASK_PROBLEMS = {
    task_name(task, n, seed, shuffled): {
        "task": task,
        "n": n,
        "seed": seed,
        "shuffled": shuffled,
    }
    for task in MINIMA["tasks"]["names"]
    for n in MINIMA["tasks"]["n"]
    for seed in MINIMA["tasks"]["seeds"]
    for shuffled in (False, True)
}
MINIMA_PROBLEMS = [*MINIMA_RANDOM, *PRODUCT_PROBLEMS, *TASK_PROBLEMS, *MULTI_WEIGHT_FILES]

# Open questions 3 and 4 name their problems; each must be a name some rule can make.
RELAXATION = config["relaxation"]
EXTRAPOLATION = config["extrapolation"]


def check_problem_names(section):
    for i, problem in enumerate(config[section]["problems"]):
        if not re.fullmatch(PROBLEM_PATTERN, problem):
            raise WorkflowError(
                f"Bad config: invalid config value {section}.problems[{i}] = {problem!r}: "
                "not a problem name (e.g. product/m3_a10, random/n16_m3_nonsep_s0, "
                "task/grid_n24_s0, n2m1/type3_a10, file/<name>)"
            )


for section in ("relaxation", "extrapolation"):
    check_problem_names(section)
TRAJECTORY_PROBLEMS = [
    "scalar",
    *dict.fromkeys(n2m1_name(3, a) for a in config["trajectories"]["n2m1_a"]),
    *RANDOM_PROBLEMS,
    *FILE_PROBLEMS,
]
METHODS = ["flow", "backprop"]
QUESTION_OUTPUTS = [
    f"{kind}/{name}.{ext}"
    for name in ("relaxation", "extrapolation")
    for kind, ext in (("tables", "parquet"), ("figures", "png"), ("figures", "pdf"))
]
SUMMARY_TABLES = [
    "bifurcation",
    "critical_points",
    "growth_laws",
    "lemma",
    "implicit_bias",
    "xor_seeds",
    "minima_counts",
    "relaxation",
    "extrapolation",
]


wildcard_constraints:
    theta=THETA_PATTERN,
    kind="[123]",
    a=NUMBER_PATTERN,
    problem=PROBLEM_PATTERN,
    name=FILE_NAME_PATTERN,
    method="flow|backprop",
    sep="sep|nonsep",
    n="[1-9][0-9]*",
    m="[1-9][0-9]*",
    seed="0|[1-9][0-9]*",
    task=TASK_PATTERN,
    shuffled="|_shuffled",


# ---------------------------------------------------------------------------------------
# Helpers of the rules
# ---------------------------------------------------------------------------------------


def problem_path(problem):
    return f"results/problems/{problem}.parquet"


def critical_points_path(problem, theta):
    return f"results/minima/{problem}/{theta}.parquet"


def get_critical_points_jobs():
    """The (problem, theta) jobs the critical-points table gathers, with type and a."""
    return [
        {"problem": problem, "theta": theta, "type": kind, "a": a}
        for problem, (kind, a) in N2M1_PROBLEMS.items()
        for theta in THETAS
    ]


def get_critical_points_tables(wildcards):
    return [
        critical_points_path(job["problem"], job["theta"]) for job in get_critical_points_jobs()
    ]


def get_bifurcation_tables(wildcards):
    return [f"results/bifurcation/{theta}.parquet" for theta in THETAS]


def get_paper_figure_problem(fig):
    """Figures 1 and 3 show type 2 with a = case2_a; Figures 2 and 4 type 3 with case3_a."""
    fig = int(fig)
    if fig in (1, 3):
        return n2m1_name(2, config["figures"]["case2_a"])
    return n2m1_name(3, config["figures"]["case3_a"])


def get_paper_figure_inputs(wildcards):
    problem = get_paper_figure_problem(wildcards.fig)
    return {
        "problem": problem_path(problem),
        "critical": critical_points_path(problem, wildcards.theta),
    }


def get_minima_jobs():
    """The (problem, theta) jobs of the multistart search, in table order."""
    return [
        {"problem": problem, "theta": theta}
        for problem in MINIMA_PROBLEMS
        for theta in MINIMA_THETAS
    ]


def get_minima_tables(wildcards):
    return [critical_points_path(job["problem"], job["theta"]) for job in get_minima_jobs()]


def get_minima_problems(wildcards):
    return [problem_path(problem) for problem in MINIMA_PROBLEMS]


def get_minima_settings(wildcards):
    return {"starts": MINIMA["starts"], "seed": MINIMA["seed"]}


def get_relaxation_jobs():
    return [
        {"problem": problem, "theta": theta}
        for problem in RELAXATION["problems"]
        for theta in RELAXATION["thetas"]
    ]


def get_relaxation_tables(wildcards):
    return [
        f"results/relaxation/{job['problem']}/{job['theta']}.parquet"
        for job in get_relaxation_jobs()
    ]


def get_relaxation_settings(wildcards):
    """Every value a relaxation job uses besides its problem and theta (wildcards)."""
    return {key: value for key, value in RELAXATION.items() if key not in ("problems", "thetas")}


# Settings of the log-mode detection and the jumps, shared by one-neuron and XOR jobs.
EXTRAPOLATION_LAW_KEYS = [
    "jump_factor",
    "min_jump_factor",
    "law_rtol",
    "window_decades",
    "min_steps",
    "min_exponent",
    "max_exponent",
    "horizon",
    "per_decade",
]


def get_extrapolation_jobs():
    """The (problem, theta) jobs of the extrapolation table; XOR's is the last."""
    jobs = [
        {"problem": problem, "theta": theta}
        for problem in EXTRAPOLATION["problems"]
        for theta in EXTRAPOLATION["thetas"]
    ]
    return jobs + [{"problem": "xor", "theta": "logistic"}]


def get_extrapolation_tables(wildcards):
    return [
        f"results/extrapolation/{job['problem']}/{job['theta']}.parquet"
        for job in get_extrapolation_jobs()
    ]


def get_extrapolation_traces(wildcards):
    return [
        path.replace(".parquet", "_trace.parquet") for path in get_extrapolation_tables(wildcards)
    ]


def get_extrapolation_settings(wildcards):
    """Every value a one-neuron job uses besides its wildcards."""
    keys = ["starts", "start_scale", "seed", "eta", "target_per_row", "budget"]
    return {key: EXTRAPOLATION[key] for key in keys + EXTRAPOLATION_LAW_KEYS}


def get_xor_extrapolation_settings(wildcards):
    """XOR: its own seeds, target and budget; the network and eta of the `xor` section."""
    return {
        **{key: EXTRAPOLATION[key] for key in EXTRAPOLATION_LAW_KEYS},
        **{key: EXTRAPOLATION[f"xor_{key}"] for key in ["seeds", "target", "budget"]},
        **{key: config["xor"][key] for key in ["hidden", "eta", "init_scale"]},
    }


def get_random_spec(wildcards):
    return {
        "n": int(wildcards.n),
        "m": int(wildcards.m),
        "seed": int(wildcards.seed),
        "separable": wildcards.sep == "sep",
    }


def get_task_spec(wildcards):
    return {
        "task": wildcards.task,
        "n": int(wildcards.n),
        "seed": int(wildcards.seed),
        "shuffled": wildcards.shuffled == "_shuffled",
    }


def get_data_file(wildcards):
    """The user's file for file/<name>; a name missing from data_files is an error."""
    if wildcards.name not in DATA_FILES:
        raise WorkflowError(
            f"file/{wildcards.name} is not in config data_files ({', '.join(DATA_FILES) or 'empty'})"
        )
    return DATA_FILES[wildcards.name]


def trajectory_path(problem, theta, method):
    return f"results/trajectories/{problem}/{theta}/{method}.parquet"


def logrule_path(problem, theta, method):
    return f"results/logrule/{problem}/{theta}/{method}.parquet"


def get_trajectory_params(wildcards):
    """Everything a trajectory job uses, as builtin types (so an edit reruns it)."""
    section = config["trajectories"]
    keys = ("t_max", "per_decade", "starts", "start_scale", "seed")
    if wildcards.method == "backprop":
        keys += ("backprop_eta", "backprop_steps")
    return {key: section[key] for key in keys}


def get_growth_law_jobs():
    jobs = [
        {"problem": problem, "theta": theta, "method": method}
        for problem in TRAJECTORY_PROBLEMS
        for theta in THETAS
        for method in METHODS
    ]
    return jobs + [{"problem": "xor", "theta": "logistic", "method": "backprop"}]


def get_growth_law_tables(wildcards):
    return [logrule_path(**job) for job in get_growth_law_jobs()]


def get_lemma_jobs():
    return [
        {"problem": problem, "theta": theta} for problem in TRAJECTORY_PROBLEMS for theta in THETAS
    ]


def get_lemma_inputs(wildcards):
    return {
        "problems": [problem_path(job["problem"]) for job in get_lemma_jobs()],
        "flows": [
            trajectory_path(job["problem"], job["theta"], "flow") for job in get_lemma_jobs()
        ],
    }


def get_implicit_bias_tables(wildcards):
    return [
        f"results/implicit_bias/{job['problem']}/{job['theta']}.parquet" for job in get_lemma_jobs()
    ]


def get_final_outputs():
    """Everything `rule all` asks for."""
    outputs = ["results/tables/critical_points.parquet", "results/tables/bifurcation.parquet"]
    outputs += [
        f"results/figures/fig{fig}_{theta}.{ext}"
        for fig in (1, 2, 3, 4)
        for theta in THETAS
        for ext in ("png", "pdf")
    ]
    if 3 in N2M1_TYPES:
        outputs += ["results/figures/bifurcation.png", "results/figures/bifurcation.pdf"]
    outputs += [
        critical_points_path(problem, theta) for problem in ONE_WEIGHT_FILES for theta in THETAS
    ]
    outputs += [f"results/tables/{table}.parquet" for table in SUMMARY_TABLES]
    outputs += ["results/tables/minima.parquet"]
    if 3 in N2M1_TYPES:
        outputs.append("results/summary.md")
    outputs += [
        f"results/figures/{name}.{ext}"
        for name in [f"trajectories_{theta}" for theta in THETAS]
        + [f"log_rule_{theta}" for theta in THETAS]
        + ["fig5_xor", "margin_angle"]
        for ext in ("png", "pdf")
    ]
    outputs += [f"results/{name}" for name in QUESTION_OUTPUTS]
    outputs += [
        f"results/figures/{name}.{ext}"
        for name in ["minima_count", "task_minima"]
        for ext in ("png", "pdf")
    ]
    outputs.append("results/manifest.tsv")
    return outputs


def get_theta_flows(wildcards):
    return [trajectory_path(problem, wildcards.theta, "flow") for problem in TRAJECTORY_PROBLEMS]


def get_angle_tables(wildcards):
    return [
        f"results/implicit_bias/{job['problem']}/{job['theta']}_angles.parquet"
        for job in get_lemma_jobs()
    ]


def get_manifest_tables(wildcards):
    """Every Parquet table the run writes: the aggregates and each job's own table."""
    figure_problems = [get_paper_figure_problem(fig) for fig in (1, 2)]
    problems = dict.fromkeys(
        [
            *N2M1_PROBLEMS,
            *figure_problems,
            *TRAJECTORY_PROBLEMS,
            *MINIMA_PROBLEMS,
            *RELAXATION["problems"],
            *EXTRAPOLATION["problems"],
        ]
    )
    tables = list(get_final_outputs())
    tables += [problem_path(problem) for problem in problems]
    tables += get_critical_points_tables(wildcards)
    tables += [critical_points_path(p, theta) for p in figure_problems for theta in THETAS]
    tables += get_minima_tables(wildcards) + get_relaxation_tables(wildcards)
    tables += get_extrapolation_tables(wildcards) + get_extrapolation_traces(wildcards)
    tables += get_bifurcation_tables(wildcards)
    tables += [trajectory_path(**job) for job in get_growth_law_jobs()]
    tables += get_growth_law_tables(wildcards)
    tables += get_implicit_bias_tables(wildcards) + get_angle_tables(wildcards)
    return sorted(set(path for path in tables if path.endswith(".parquet")))
