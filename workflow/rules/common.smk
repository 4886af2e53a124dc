"""What every stage shares: the checked config, the plan of jobs, wildcard constraints.

The config is checked here, while the DAG is built, so a bad value stops the workflow
before any job runs, with a message that names the key and the value
(backprop_landscape.pipeline.config).  The sweep lists, jobs and paths of every stage
come from backprop_landscape.pipeline.plan, and the grammar of problem names, from
which the constraints below are built, from backprop_landscape.problems.names; the rule
files hold rules only.

A rule whose job is not much longer than a process start-up (a problem's table, one
weight's critical points, a minimum or stationary-point search, barriers, one
trajectory and its growth laws, the aggregate tables) runs its script with ``run:
run_script(...)`` in a thread of this process; the long jobs and the figures use
``script:`` and a process of their own: backprop_landscape.pipeline.inprocess.
"""

from snakemake.exceptions import WorkflowError
from snakemake.utils import min_version

from backprop_landscape.pipeline.config import ConfigError, check_config, load_schema
from backprop_landscape.pipeline.inprocess import run_script
from backprop_landscape.pipeline.params_check import defer_pandas_import
from backprop_landscape.pipeline.plan import (
    METHODS,
    DYNAMICS_PLOTS,
    MINIMA_FIGURES,
    PAPER_FIGURES,
    SUMMARY_TABLES,
    XOR,
    Plan,
    aggregate_path,
    alternatives,
    barriers_path,
    bifurcation_path,
    extrapolation_path,
    figure_files,
    implicit_bias_path,
    log_mode_path,
    logrule_path,
    minima_path,
    network_limits_path,
    network_path,
    problem_path,
    problem_spec,
    relaxation_path,
    scale_figure_name,
    trajectory_path,
    trajectory_samples_path,
)
from backprop_landscape.problems import names
from backprop_landscape.problems.datafile import DataFileError, input_width

min_version("9.0")
defer_pandas_import()  # Snakemake's params check need not import pandas (a no-op rerun's 0.3 s)

SCHEMA = load_schema(workflow.source_path("../schemas/config.schema.yaml"))
try:
    check_config(config, SCHEMA)
except ConfigError as error:
    raise WorkflowError(str(error)) from None


def file_width(name, path):
    """Input columns of a user's file, from its header (a bad file stops the DAG here)."""
    try:
        return input_width(path)
    except DataFileError as error:
        raise WorkflowError(f"{error} (config data_files.{name})") from None


def figure_outputs(name, caption, category, subcategory=None, **labels):
    """PNG and PDF of one figure, both in the report with the same caption."""
    return {
        ext: report(
            f"results/figures/{name}.{ext}",
            caption=f"../report/{caption}.rst",
            category=category,
            subcategory=subcategory,
            labels={**labels, "format": ext},
        )
        for ext in ("png", "pdf")
    }


def figure_set(figures, category, **labels):
    """The PNG and PDF of several figures one job draws (a figure job's imports cost more
    than drawing one more): ``figures`` maps a key to (name, caption, subcategory); the
    outputs are named ``<key>_png`` and ``<key>_pdf``."""
    return {
        f"{key}_{ext}": path
        for key, (name, caption, subcategory) in figures.items()
        for ext, path in figure_outputs(name, caption, category, subcategory, **labels).items()
    }


DATA_FILES = dict(config.get("data_files") or {})
try:
    PLAN = Plan(
        config, {f"file/{name}": file_width(name, path) for name, path in DATA_FILES.items()}
    )
except ConfigError as error:  # a cross-section rule only the plan can check
    raise WorkflowError(str(error)) from None


wildcard_constraints:
    problem=names.PROBLEM_PATTERN,
    theta=alternatives(SCHEMA["$defs"]["theta"]["enum"]),
    method="|".join(METHODS),
    network=names.NETWORK_PATTERN,
