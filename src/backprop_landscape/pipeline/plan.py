"""The workflow's plan: every job's path and every sweep's jobs, from a checked config.

The rule files (``workflow/rules/<stage>.smk``) hold rules only; what they share is
computed here, where unit tests reach it without Snakemake:

* the path functions of :mod:`.paths` (one per kind of per-job table), re-exported
  here for the rule files;
* :class:`Plan`, the sweep lists of each stage (which problems, which thetas, which
  jobs) and the settings each rule receives as ``params``.

Every value a job depends on reaches it as a parameter of builtin types (or through its
wildcards), so that an edit of the config reruns exactly the jobs it touches.  This
module is imported while the DAG is built: it imports nothing heavy.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ..problems.names import network_name, parse_problem, pattern_of, problem_name
from .config import ConfigError
from .paths import (  # re-exported: the rule files take them from here
    aggregate_path,
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
    relaxation_path,
    scale_figure_name,
    trajectory_path,
    trajectory_samples_path,
)

METHODS = ("flow", "backprop")
XOR = {"problem": "xor", "theta": "logistic", "method": "backprop"}
# The aggregates the summary reads (results/tables/<name>.parquet).
SUMMARY_TABLES = (
    "bifurcation",
    "critical_points",
    "growth_laws",
    "lemma",
    "implicit_bias",
    "xor_seeds",
    "minima_counts",
    "relaxation",
    "extrapolation",
    "network_counts",
    "xor_limits",
    "barriers",
    "escape",
    "minima",
)
# The aggregates of the networks' jobs (the counts are among SUMMARY_TABLES).
NETWORK_TABLES = ("stationary_points", "network_limits")
MINIMA_FIGURES = ("minima_count", "task_minima")
#: The paper's Figures 1-4, drawn for every theta: E(x) (1, 2) and the image TV (3, 4).
PAPER_FIGURES = (1, 2, 3, 4)
#: Section 3's figures of the gradient flow, drawn for every theta.
DYNAMICS_PLOTS = ("trajectories", "log_rule")
# Aggregates of the scale section (open question 4 at scale), when it has jobs.
SCALE_TABLES = ("scale_log_mode", "scale_networks", "scale_scan")
# The extra tables of a network's extrapolation job, beside its row and trace.
SCALE_EXTRAPOLATION_SUFFIXES = ("_trace", "_networks", "_margins", "_scan")
# Settings of the log-mode detection and the jumps, shared by one-neuron and XOR jobs.
LAW_KEYS = (
    "jump_factor",
    "min_jump_factor",
    "law_rtol",
    "window_decades",
    "min_steps",
    "min_exponent",
    "max_exponent",
    "horizon",
    "per_decade",
)


def problem_spec(problem: str) -> dict:
    """What a problems-stage job builds: the family and fields of a generated name."""
    family, fields = parse_problem(problem)
    return {"problem": problem, "family": family, "fields": fields}


def alternatives(items: Iterable[str]) -> str:
    """A regex matching exactly these names (and nothing when there are none)."""
    return "|".join(re.escape(item) for item in items) or "(?!)"


def _unique(items: Iterable) -> list:
    """The items in order, each once (two sweep values may name one problem)."""
    return list(dict.fromkeys(items))


# ---------------------------------------------------------------------------------------
# The sweeps
# ---------------------------------------------------------------------------------------


class Plan:
    """Sweep lists, jobs and settings of every stage, for one checked config.

    Parameters
    ----------
    config
        The config after :func:`backprop_landscape.pipeline.config.check_config`.
    file_widths
        Number of input columns of each user file, by problem name (``file/<name>``):
        a one-weight file gets the exact search, a wider one the multistart search.
    """

    def __init__(self, config: dict, file_widths: dict[str, int]):
        self.config = config
        self.thetas = list(config["thetas"])
        self.file_widths = dict(file_widths)
        self.file_problems = list(self.file_widths)
        self.one_weight_files = [p for p, width in self.file_widths.items() if width == 1]
        self.multi_weight_files = [p for p, width in self.file_widths.items() if width > 1]
        self.has_type3 = 3 in config["n2m1"]["types"]  # the summary and bifurcation need it

        # problems: the n2m1 examples and the random problems of Section 3.
        self.n2m1_problems = _unique(
            problem_name("n2m1", kind=kind, a=a)
            for kind in config["n2m1"]["types"]
            for a in config["n2m1"]["a"]
        )
        random = config["random"]
        self.random_problems = _unique(
            problem_name("random", n=n, m=m, separable=separable, seed=seed)
            for n in random["n"]
            for m in random["m"]
            for seed in random["seeds"]
            for separable in (True, False)
        )

        # minima: exact where there is one weight (two rules write one path, so the
        # patterns must not overlap); the multistart search on open questions 1 and 2.
        self.one_weight_pattern = "|".join(
            [pattern_of(["n2m1", "scalar"]), alternatives(self.one_weight_files)]
        )
        self.multistart_pattern = "|".join(
            [
                pattern_of(["random", "product", "ahw", "task"]),
                alternatives(self.multi_weight_files),
            ]
        )
        minima = config["minima"]
        self.minima_thetas = list(minima["thetas"])
        self.minima_problems = _unique(
            [
                *(
                    problem_name("random", n=n, m=m, separable=False, seed=seed)
                    for n in minima["random"]["n"]
                    for m in minima["random"]["m"]
                    for seed in minima["random"]["seeds"]
                ),
                *(
                    problem_name("product", m=m, a=minima["product"]["a"])
                    for m in minima["product"]["m"]
                ),
                *(
                    problem_name("ahw", n=length * d, d=d)
                    for d in minima["ahw"]["d"]
                    for length in minima["ahw"]["length"]
                ),
                *(
                    problem_name("task", task=task, n=n, seed=seed, shuffled=shuffled)
                    for task in minima["tasks"]["names"]
                    for n in minima["tasks"]["n"]
                    for seed in minima["tasks"]["seeds"]
                    for shuffled in (False, True)
                ),
                *self.multi_weight_files,
            ]
        )
        fields = {problem: parse_problem(problem)[1] for problem in self.n2m1_problems}
        # The critical-points table carries each n2m1 problem's type and a.
        self.critical_points_jobs = [
            {"problem": p, "theta": theta, "type": fields[p]["kind"], "a": fields[p]["a"]}
            for p in self.n2m1_problems
            for theta in self.thetas
        ]
        self.minima_jobs = [
            {"problem": p, "theta": theta}
            for p in self.minima_problems
            for theta in self.minima_thetas
        ]
        # Every problem's minima in one table: the one-weight problems' from the exact
        # search (every theta), the others' from the multistart (minima.thetas).
        self.exact_minima_problems = _unique(
            [*self.n2m1_problems, "scalar", *self.one_weight_files]
        )
        self.exact_minima_jobs = [
            {"problem": p, "theta": theta}
            for p in self.exact_minima_problems
            for theta in self.thetas
        ]
        self.minima_table_jobs = [{**job, "search": "exact"} for job in self.exact_minima_jobs] + [
            {**job, "search": "multistart"} for job in self.minima_jobs
        ]
        self.count_problems = _unique([job["problem"] for job in self.minima_table_jobs])
        self.bifurcation_jobs = [{"theta": theta} for theta in self.thetas]
        # minima of networks (open question 1 in neurons): every (problem, network);
        # a network's name is its {model} wildcard (problems.names.NETWORK)
        networks = config["networks"]
        self.network_models = _unique(
            network_name(hidden, activation, regime["target"], regime["decay"])
            for regime in networks["regimes"]
            for activation in networks["activations"]
            for hidden in networks["hidden"]
        )
        self.network_problems = _unique(networks["problems"])
        self.network_jobs = [
            {"problem": p, "model": model}
            for p in self.network_problems
            for model in self.network_models
        ]
        # barriers between minima: one job per model of each listed problem
        searched = {p: self.minima_thetas for p in self.minima_problems}
        for p in self.network_problems:
            searched[p] = [*searched.get(p, []), *self.network_models]
        unknown = [p for p in config["barriers"]["problems"] if p not in searched]
        if unknown:
            raise ConfigError(
                f"Bad config: invalid config value barriers.problems: {unknown[0]!r} has no minima "
                "to join; list problems that minima or networks search (one-weight "
                "problems get exact barriers without being listed)"
            )
        self.barrier_jobs = [
            {"problem": p, "model": model}
            for p in _unique(config["barriers"]["problems"])
            for model in searched[p]
        ]

        # trajectories: the scalar example, the chosen type-3 examples (non-separable,
        # with a minimum at infinity for tanh), the random problems and the user's files.
        self.trajectory_problems = _unique(
            [
                "scalar",
                *(problem_name("n2m1", kind=3, a=a) for a in config["trajectories"]["n2m1_a"]),
                *self.random_problems,
                *self.file_problems,
            ]
        )
        # logrule: the Lemma and the implicit bias need a neuron's flow, every theta.
        self.neuron_jobs = [
            {"problem": p, "theta": theta}
            for p in self.trajectory_problems
            for theta in self.thetas
        ]
        self.trajectory_jobs = [
            {**job, "method": method} for job in self.neuron_jobs for method in METHODS
        ] + [XOR]

        # questions: each names its problems.
        relaxation, extrapolation = config["relaxation"], config["extrapolation"]
        self.relaxation_jobs = [
            {"problem": p, "theta": theta}
            for p in relaxation["problems"]
            for theta in relaxation["thetas"]
        ]
        self.extrapolation_jobs = [
            {"problem": p, "theta": theta}
            for p in extrapolation["problems"]
            for theta in extrapolation["thetas"]
        ] + [{"problem": "xor", "theta": "logistic"}]

        # scale: networks of realistic size on the data sets (open question 4 at scale).
        scale = config["scale"]
        self.scale_problems = list(scale["problems"])
        self.scale_networks = [
            network_name(hidden, activation)
            for hidden in scale["hidden"]
            for activation in scale["activations"]
        ]
        self.scale_jobs = [
            {"problem": p, "network": net}
            for p in self.scale_problems
            for net in self.scale_networks
        ]
        self.scale_trajectory_jobs = [
            {**job, "method": method} for job in self.scale_jobs for method in METHODS
        ]
        # In the aggregates a network's name stands where a neuron's theta does.
        self.growth_law_jobs = self.trajectory_jobs + [
            {"problem": j["problem"], "theta": j["network"], "method": j["method"]}
            for j in self.scale_trajectory_jobs
        ]
        self.extrapolation_table_jobs = self.extrapolation_jobs + [
            {"problem": j["problem"], "theta": j["network"]} for j in self.scale_jobs
        ]
        self.summary_tables = [*SUMMARY_TABLES, *(SCALE_TABLES if self.scale_jobs else ())]

        # figures
        self.paper_figures = [f"fig{fig}_{theta}" for fig in PAPER_FIGURES for theta in self.thetas]
        self.dynamics_figures = [
            f"{plot}_{theta}" for plot in DYNAMICS_PLOTS for theta in self.thetas
        ]

    # -- what single rules need ---------------------------------------------------------

    def data_file(self, name: str) -> str:
        """The user's file behind ``file/<name>``."""
        files = self.config.get("data_files") or {}
        if name not in files:
            raise KeyError(
                f"file/{name} is not in config data_files ({', '.join(files) or 'empty'})"
            )
        return files[name]

    # -- settings: what each rule receives as params -----------------------------------

    def settings(self, section: str, keys: Iterable[str] | None = None) -> dict:
        """The values of a config section that a rule uses (all of them by default)."""
        values = self.config[section]
        return {key: values[key] for key in (values if keys is None else keys)}

    def trajectory_settings(self, method: str) -> dict:
        keys = ["t_max", "per_decade", "starts", "start_scale", "seed"]
        if method == "backprop":
            keys += ["backprop_eta", "backprop_steps"]
        return self.settings("trajectories", keys)

    def multistart_settings(self) -> dict:
        """What a multistart job uses: its first batch, the later batches, the budget,
        the missed-mass target and the seed."""
        return self.settings("minima", ["starts", "batch", "max_starts", "missed_mass", "seed"])

    def relaxation_settings(self) -> dict:
        """Every value a relaxation job uses besides its problem and theta (wildcards)."""
        return {
            key: value
            for key, value in self.config["relaxation"].items()
            if key not in ("problems", "thetas")
        }

    def extrapolation_settings(self) -> dict:
        keys = ["starts", "start_scale", "seed", "eta", "target_per_row", "budget"]
        return self.settings("extrapolation", [*keys, *LAW_KEYS])

    def xor_extrapolation_settings(self) -> dict:
        """XOR: its own seeds, target and budget; the network and eta of ``xor``."""
        section = self.config["extrapolation"]
        return {
            **self.settings("extrapolation", LAW_KEYS),
            **{key: section[f"xor_{key}"] for key in ["seeds", "target", "budget"]},
            **self.settings("xor", ["hidden", "eta", "init_scale"]),
        }

    def dataset_spec(self, problem: str) -> dict:
        """What a data-set problem job builds: its fields and the held-out share."""
        spec = problem_spec(problem)
        spec["fields"]["test_fraction"] = self.config["scale"]["test_fraction"]
        return spec

    def scale_settings(self, stage: str, method: str | None = None) -> dict:
        """The values of the scale section a job of ``stage`` uses (its params)."""
        scale = self.config["scale"]
        if stage == "trajectories":
            keys = ["starts", "init_scale", "seed", "per_decade"]
            keys += ["t_max"] if method == "flow" else ["epochs", "eta_fraction"]
        elif stage == "logrule":
            keys = ["tail_decades", "log_mode_tol", "log_mode_floor"]
        elif stage == "extrapolation":  # the starts too: the learning rate depends on them
            keys = ["starts", "init_scale", "seed", "eta_fraction"]
            return {**{key: scale[key] for key in keys}, **scale["extrapolation"]}
        else:
            raise ValueError(f"no scale settings for stage {stage!r}")
        return {key: scale[key] for key in keys}

    def scale_figures(self) -> list[str]:
        return [scale_figure_name(**job) for job in self.scale_jobs]

    def scale_outputs(self) -> list[str]:
        """What the scale section makes: its aggregates, figures and growth-law tables."""
        tables = [aggregate_path(name) for name in SCALE_TABLES] if self.scale_jobs else []
        tables += [
            logrule_path(j["problem"], j["network"], j["method"])
            for j in self.scale_trajectory_jobs
        ]
        tables += [extrapolation_path(j["problem"], j["network"]) for j in self.scale_jobs]
        return tables + figure_files(self.scale_figures())

    def paper_figure_problem(self, fig) -> str:
        """Figures 1 and 3 show type 2 with a = case2_a; 2 and 4 type 3 with case3_a."""
        figures = self.config["figures"]
        if int(fig) in (1, 3):
            return problem_name("n2m1", kind=2, a=figures["case2_a"])
        return problem_name("n2m1", kind=3, a=figures["case3_a"])

    def paper_figure_problems(self) -> list[str]:
        """The problem of each of Figures 1-4, in order."""
        return [self.paper_figure_problem(fig) for fig in PAPER_FIGURES]

    def disconnectivity_panels(self) -> list[dict]:
        """The disconnectivity graphs drawn: the type-3 example of Figures 2 and 4 (exact),
        then each listed problem with the first of minima.thetas, or with a network that
        has weight decay (whose minima are finite; Figure 5's size if there is one)."""
        theta = self.config["figures"]["paper_theta"]
        theta = theta if theta in self.thetas else self.thetas[0]
        panels = [{"problem": self.paper_figure_problem(2), "model": theta}]
        decayed = [m for m in self.network_models if "_decay" in m] or self.network_models
        figure5 = f"net_h{self.config['xor']['hidden']}_"  # Figure 5's size first
        decayed = sorted(decayed, key=lambda m: not m.startswith(figure5))
        chosen = {*self.minima_thetas[:1], *decayed[:1]}
        return panels + [job for job in self.barrier_jobs if job["model"] in chosen]

    # -- what the run makes --------------------------------------------------------------

    def final_outputs(self) -> list[str]:
        """Everything ``rule all`` asks for."""
        figures = self.paper_figures + self.dynamics_figures + ["fig5_xor", "margin_angle"]
        figures += [*MINIMA_FIGURES, "relaxation", "extrapolation", "network_minima"]
        figures += ["disconnectivity"]
        figures += ["bifurcation"] if self.has_type3 else []
        outputs = [aggregate_path(name) for name in (*self.summary_tables, *NETWORK_TABLES)]
        outputs += [minima_path(p, theta) for p in self.one_weight_files for theta in self.thetas]
        outputs += figure_files(figures + self.scale_figures())
        outputs += ["results/summary.md"] if self.has_type3 else []
        return outputs + ["results/manifest.tsv"]

    def parquet_tables(self) -> list[str]:
        """Every Parquet table the run writes, sorted: the aggregates and each job's own."""
        figure_problems = [self.paper_figure_problem(fig) for fig in (1, 2)]
        problems = _unique(
            [
                *self.n2m1_problems,
                "scalar",
                *figure_problems,
                *self.trajectory_problems,
                *self.minima_problems,
                *self.config["relaxation"]["problems"],
                *self.config["extrapolation"]["problems"],
                *self.network_problems,
                *self.scale_problems,
            ]
        )
        exact = [
            {"problem": p, "theta": theta}
            for p in self.n2m1_problems + figure_problems
            for theta in self.thetas
        ]
        tables = [path for path in self.final_outputs() if path.endswith(".parquet")]
        tables += [problem_path(problem) for problem in problems]
        tables += [minima_path(**job) for job in exact + self.exact_minima_jobs + self.minima_jobs]
        for job in self.network_jobs:
            tables += [network_path(**job), network_limits_path(**job)]
        tables += [barriers_path(**job) for job in self.barrier_jobs]
        tables += [bifurcation_path(**job) for job in self.bifurcation_jobs]
        tables += [trajectory_path(**job) for job in self.trajectory_jobs]
        tables += [logrule_path(**job) for job in self.trajectory_jobs]
        for job in self.neuron_jobs:
            tables += [implicit_bias_path(**job), implicit_bias_path(**job, suffix="_angles")]
        tables += [relaxation_path(**job) for job in self.relaxation_jobs]
        for job in self.extrapolation_jobs:
            tables += [extrapolation_path(**job), extrapolation_path(**job, suffix="_trace")]
        for job in self.scale_trajectory_jobs:
            tables += [
                trajectory_path(job["problem"], job["network"], job["method"]),
                trajectory_samples_path(**job),
                logrule_path(job["problem"], job["network"], job["method"]),
                log_mode_path(**job),
            ]
        for job in self.scale_jobs:
            tables += [
                extrapolation_path(job["problem"], job["network"], suffix)
                for suffix in ("", *SCALE_EXTRAPOLATION_SUFFIXES)
            ]
        return sorted(set(tables))
