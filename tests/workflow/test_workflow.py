"""Run the workflow on the small config (.test/) in a temporary folder.

One real run (module fixture) is shared: the incremental tests only dry-run against
its outputs and metadata, and the bad-config tests each use a fresh, empty folder.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import yaml
from runner import REPO, TINY_CONFIG, copy_workflow, planned_jobs, snakemake, write_config

import backprop_landscape
from backprop_landscape.models.theta import THETA_NAMES
from backprop_landscape.pipeline.io import git_commit, read_provenance, read_table
from backprop_landscape.pipeline.manifest import file_sha256, read_manifest

pytestmark = pytest.mark.workflow

CRITICAL_POINTS_COLUMNS = ["problem", "theta", "type", "a", "x", "E", "kind", "at_infinity"]
BIFURCATION_COLUMNS = ["theta", "a_star", "x_fold", "second_minimum_at_infinity"]


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory) -> Path:
    folder = copy_workflow(tmp_path_factory.mktemp("run"))
    write_config(folder, TINY_CONFIG)
    result = snakemake(folder, "--cores", "2")
    assert result.returncode == 0, result.stderr[-3000:]
    return folder


def test_schema_offers_every_theta_of_the_package():
    schema = yaml.safe_load((REPO / "workflow/schemas/config.schema.yaml").read_text())
    assert tuple(schema["$defs"]["theta"]["enum"]) == tuple(THETA_NAMES)


def test_run_writes_contract_tables(finished_run):
    critical = read_table(finished_run / "results/tables/critical_points.parquet")
    assert list(critical.columns[: len(CRITICAL_POINTS_COLUMNS)]) == CRITICAL_POINTS_COLUMNS
    assert set(critical["theta"]) == {"tanh", "atan"}
    assert set(critical["problem"]) == {
        "n2m1/type2_a1",
        "n2m1/type2_a10",
        "n2m1/type3_a1",
        "n2m1/type3_a10",
    }
    assert set(critical["kind"]) <= {"min", "max"}
    assert (critical["at_infinity"] == critical["x"].abs().eq(float("inf"))).all()

    bifurcation = read_table(finished_run / "results/tables/bifurcation.parquet")
    assert list(bifurcation.columns[: len(BIFURCATION_COLUMNS)]) == BIFURCATION_COLUMNS
    assert list(bifurcation["theta"]) == ["tanh", "atan"]

    for name in ["fig1_tanh", "fig2_atan", "fig3_tanh", "fig4_atan", "bifurcation"]:
        for ext in ("png", "pdf"):
            assert (finished_run / f"results/figures/{name}.{ext}").stat().st_size > 0


GROWTH_LAW_COLUMNS = [
    "problem",
    "theta",
    "method",
    "coordinate",
    "law",
    "coef",
    "theory_coef",
    "t_dw_tail",
]
LEMMA_COLUMNS = ["problem", "theta", "separable", "n_runs", "n_diverged"]
IMPLICIT_BIAS_COLUMNS = [
    "problem",
    "theta",
    "svm_norm",
    "t_normdot_tail",
    "predicted",
    "angle_final",
]


def test_run_writes_section_3_tables(finished_run):
    laws = read_table(finished_run / "results/tables/growth_laws.parquet")
    assert set(GROWTH_LAW_COLUMNS) <= set(laws.columns)
    assert set(laws["law"]) <= {"log", "power", "sqrtlog", "bounded"}
    assert {"scalar", "file/toy", "xor", "random/n6_m2_sep_s0"} <= set(laws["problem"])

    lemma = read_table(finished_run / "results/tables/lemma.parquet").set_index(
        ["problem", "theta"]
    )
    assert set(LEMMA_COLUMNS) <= set(lemma.reset_index().columns)
    separable = lemma[lemma["separable"].eq(True)]
    assert (separable["n_diverged"] == separable["n_runs"]).all()  # the Lemma
    assert bool(lemma.loc[("file/toy", "tanh"), "separable"])
    assert not lemma.loc[("random/n6_m2_nonsep_s0", "tanh"), "separable"]
    # the Lemma needs hard targets: the soft file's rows say so and stay empty
    soft = lemma.loc[("file/soft", "tanh")]
    assert soft["targets"] == "soft" and soft["n_runs"] == 0
    assert "soft targets" in (finished_run / "results/logs/tables/lemma.log").read_text()

    bias = read_table(finished_run / "results/tables/implicit_bias.parquet")
    assert set(IMPLICIT_BIAS_COLUMNS) <= set(bias.columns)
    seeds = read_table(finished_run / "results/tables/xor_seeds.parquet")
    assert len(seeds) == 3 and set(seeds.columns) >= {"seed", "solved", "stalled"}
    for name in ["fig5_xor", "margin_angle", "trajectories_tanh", "log_rule_atan"]:
        assert (finished_run / f"results/figures/{name}.png").stat().st_size > 0


def test_run_writes_scale_tables(finished_run):
    """Open question 4 at scale on the small config: iris (setosa) with a 5-4-1 tanh net."""
    results = finished_run / "results"
    problem = read_table(results / "problems/dataset/iris_c0_s0.parquet")
    assert list(problem.columns) == ["u1", "u2", "u3", "u4", "u5", "y", "split"]
    assert (problem["split"] == "test").sum() == 30 and (problem["u5"] == 1).all()

    laws = read_table(results / "tables/growth_laws.parquet")
    net = laws[laws["theta"] == "net_h4_tanh"]
    assert set(net["problem"]) == {"dataset/iris_c0_s0"} and set(net["method"]) == {
        "flow",
        "backprop",
    }
    per_run = net.groupby(["method", "seed"])["coordinate"]
    assert (per_run.nunique() == 4 * 5 + 4 + 1 + 3).all()  # every weight and three norms
    assert {"W1_h0_bias", "W2_out_h3", "b2_out", "norm_layer2"} <= set(net["coordinate"])
    weights = net[~net["coordinate"].str.startswith("norm")]
    assert set(weights["layer"]) == {1, 2} and set(weights["law"]) <= {
        "log",
        "power",
        "sqrtlog",
        "bounded",
    }

    modes = read_table(results / "tables/scale_log_mode.parquet")
    assert modes["share"].between(0, 1).all() and set(modes["method"]) == {"flow", "backprop"}
    networks = read_table(results / "tables/scale_networks.parquet")
    assert set(networks["kind"]) == {"stopped", "start", "plain", "extrapolated", "horizon"}
    assert networks["test_errors"].between(0, 30).all()
    scan = read_table(results / "tables/scale_scan.parquet")
    assert (scan["improved"] == (scan["E_jump"] < scan["E_t0"])).all()
    extrapolation = read_table(results / "tables/extrapolation.parquet")
    row = extrapolation[extrapolation["theta"] == "net_h4_tanh"].iloc[0]
    assert row["plain_estimated"] or row["reached_plain"]
    assert row["eta"] > 0 and row["t_start"] < row["t_target"]
    figure = results / "figures/scale/dataset/iris_c0_s0/net_h4_tanh"
    assert figure.with_suffix(".png").stat().st_size > 0
    assert figure.with_suffix(".pdf").stat().st_size > 0
    assert "Open question 4 at scale" in (results / "summary.md").read_text()


MINIMA_COLUMNS = ["problem", "theta", "model", "E", "at_infinity", "basin_fraction", "x", "z_limit"]
COUNT_COLUMNS = [
    "problem",
    "model",
    "n_minima",
    "n_finite",
    "n_at_infinity",
    "n_starts",
    "missed_mass",
    "certified",
    "n_estimated",
    "n_low",
    "n_high",
]


def test_run_writes_minima_tables(finished_run):
    table = read_table(finished_run / "results/tables/minima.parquet")
    assert list(table.columns[: len(MINIMA_COLUMNS)]) == MINIMA_COLUMNS
    minima = table[table["theta"].notna()]  # the neuron's rows; the networks' follow
    assert (minima["model"] == minima["theta"]).all()
    multistart = {
        "random/n6_m2_nonsep_s0",
        "product/m1_a10",
        "product/m2_a10",
        "ahw/n2_d1",
        "ahw/n4_d2",
        "task/clusters_n8_s0",
        "task/clusters_n8_s0_shuffled",
        "file/toy",  # the two-weight user file gets a multistart search
        "file/soft",  # ... with soft targets (0.1 / 0.9: the logistic coding)
    }
    exact = {"n2m1/type2_a1", "n2m1/type2_a10", "n2m1/type3_a1", "n2m1/type3_a10", "scalar"}
    exact |= {"file/line"}  # every one-weight problem is in the table too, from critical1d
    assert set(minima["problem"]) == multistart | exact
    searched = minima.groupby("problem")["search"].agg(set)
    assert all(searched[p] == {"exact"} for p in exact)
    assert all(searched[p] == {"multistart"} for p in multistart)
    assert all(
        len(z) == 6 for z in minima.loc[minima["problem"] == "random/n6_m2_nonsep_s0", "z_limit"]
    )
    assert not minima.loc[minima["problem"] == "file/soft", "at_infinity"].any()
    counts = read_table(finished_run / "results/tables/minima_counts.parquet")
    assert list(counts.columns[: len(COUNT_COLUMNS)]) == COUNT_COLUMNS
    counts = counts.set_index("problem")
    # tanh, a = 10: one finite minimum and one at infinity per block, so 2 and 4 minima
    assert counts.loc["product/m1_a10", "n_minima"] == 2
    assert counts.loc["product/m2_a10", "n_minima"] == 4
    assert counts.loc["ahw/n4_d2", "predicted"] == 4  # two examples on each of two axes
    assert counts.loc[["product/m2_a10", "ahw/n4_d2"], "certified"].all()
    exact_rows = counts.loc[sorted(exact)]
    assert exact_rows["certified"].all() and (exact_rows["n_starts"] == 0).all()
    assert (exact_rows["stopped_by"] == "exact").all()
    searched_rows = counts.loc[sorted(multistart)]
    assert (searched_rows["n_starts"] >= 200).all()
    assert set(searched_rows["stopped_by"]) <= {"target", "budget"}
    assert (searched_rows["n_low"] <= searched_rows["n_estimated"]).all()
    assert counts.loc["file/toy", "E_global"] == 0.0  # separable: E -> 0 at infinity
    # the run counts travel in each job's table: shares of starts, saturated within undecided
    shares = counts[["undecided_fraction", "saturated_fraction"]]
    assert ((shares >= 0) & (shares <= 1)).all().all()
    assert (counts["saturated_fraction"] <= counts["undecided_fraction"]).all()
    assert "Open question 1" in (finished_run / "results/summary.md").read_text()
    relaxation = read_table(finished_run / "results/tables/relaxation.parquet")
    assert set(relaxation["method"]) == {"multistart", "annealing", "hopping"}
    # product/m2_a10 with tanh: the global minimum is finite, twice the block's 1.265885
    assert relaxation["E_global"].iloc[0] == pytest.approx(2 * 1.265885, rel=1e-6)
    extrapolation = read_table(finished_run / "results/tables/extrapolation.parquet")
    assert set(extrapolation["problem"]) == {"random/n6_m2_sep_s0", "xor", "dataset/iris_c0_s0"}
    both = extrapolation.dropna(subset=["steps_plain", "steps_extrapolated"])
    assert len(both) >= 2
    plain, extrapolated = both["steps_plain"], both["steps_extrapolated"]
    assert np.allclose(both["steps_saved"], plain - extrapolated)
    assert np.allclose(both["speedup"], plain / extrapolated)
    for name in ["relaxation", "extrapolation"]:
        assert (finished_run / f"results/figures/{name}.png").stat().st_size > 0
    for name in ["minima_count", "task_minima"]:
        assert (finished_run / f"results/figures/{name}.pdf").stat().st_size > 0


STATIONARY_COLUMNS = [
    "problem",
    "model",
    "E",
    "index",
    "degenerate",
    "kind",
    "class_size",
    "grad_norm",
]
KINDS = {"minimum", "saddle", "maximum", "degenerate-saddle", "degenerate-minimum"}
MODELS = {
    "net_h1_logistic",
    "net_h2_logistic",
    "net_h1_logistic_soft0.8_decay0.001",
    "net_h2_logistic_soft0.8_decay0.001",
}


def test_run_writes_network_tables(finished_run):
    points = read_table(finished_run / "results/tables/stationary_points.parquet")
    assert list(points.columns[: len(STATIONARY_COLUMNS)]) == STATIONARY_COLUMNS
    assert set(points["kind"]) <= KINDS
    assert set(points["model"]) == MODELS and set(points["problem"]) == {"xor", "file/toy"}
    assert (points["class_size"] >= 1).all() and (points["index"] >= 0).all()
    assert (points["degenerate"] == points["kind"].str.startswith("degenerate")).all()
    # XOR 2-2-1 with hard targets: no local minimum at finite weights (Hamey 1998,
    # Sprinkhuizen-Kuyper and Boers 1998), only saddles; its minima lie at infinity
    xor = points[(points["problem"] == "xor") & (points["model"] == "net_h2_logistic")]
    assert len(xor) and set(xor["kind"]) <= {"saddle", "degenerate-saddle"}
    counts = read_table(finished_run / "results/tables/network_counts.parquet")
    assert len(counts) == 8 and set(counts["model"]) == MODELS
    row = counts.set_index(["problem", "model"]).loc[("xor", "net_h2_logistic")]
    assert row["n_finite_minima"] == 0 and row["n_minima_at_infinity"] >= 1
    assert row["E_global"] == 0.0 and row["global_at_infinity"]
    decay = counts[counts["decay"] > 0]
    assert (decay["n_minima_at_infinity"] == 0).all() and (decay["n_finite_minima"] >= 1).all()
    # the networks' minima beside the neuron's in minima.parquet
    minima = read_table(finished_run / "results/tables/minima.parquet")
    mine = minima[minima["theta"].isna()]
    assert set(mine["model"]) == MODELS and set(mine["problem"]) == {"xor", "file/toy"}
    assert set(mine["kind"]) <= {"minimum", "degenerate-minimum", "minimum-at-infinity"}
    assert (mine["at_infinity"] == (mine["kind"] == "minimum-at-infinity")).all()
    xor_minima = mine[(mine["problem"] == "xor") & (mine["model"] == "net_h2_logistic")]
    assert len(xor_minima) and xor_minima["at_infinity"].all()
    # Figure 5's seeds, each traced to what it approaches
    limits = read_table(finished_run / "results/tables/xor_limits.parquet")
    seeds = read_table(finished_run / "results/tables/xor_seeds.parquet")
    assert list(limits["seed"]) == list(seeds["seed"])
    assert (limits.loc[limits["solved"], "E_limit"] < 1e-9).all()
    assert set(limits["kind"]) <= {"finite", "plateau", "minimum-at-infinity"}
    summary = (finished_run / "results/summary.md").read_text()
    assert "Open question 1 in neurons" in summary and "Figure 5's seeds" in summary
    assert (finished_run / "results/figures/network_minima.png").stat().st_size > 0


def test_new_hidden_size_runs_only_new_jobs(finished_run):
    networks = {**TINY_CONFIG["networks"], "hidden": [1, 2, 3]}
    write_config(finished_run, {**TINY_CONFIG, "networks": networks})
    try:
        jobs = planned_jobs(finished_run)
    finally:
        write_config(finished_run, TINY_CONFIG)
    assert jobs == Counter(
        network_stationary=4,  # two problems times two regimes
        network_tables=1,
        network_figure=1,
        minima_table=1,  # the networks' minima are in it
        minima_counts=1,
        minima_figure=2,
        network_barriers=2,  # xor is in barriers.problems: its two new networks
        barriers_table=1,
        disconnectivity_figure=1,
        summary=1,
        manifest=1,
        all=1,
    )


def test_network_on_a_malformed_file_names_file_column_and_row(tmp_path):
    folder = copy_workflow(tmp_path / "wf")
    (folder / "bad.csv").write_text("u1,u2,y\n0,1,1\n1,nan,-1\n")
    networks = {**TINY_CONFIG["networks"], "problems": ["file/bad"]}
    barriers = {**TINY_CONFIG["barriers"], "problems": []}  # xor is no network problem here
    config = {"data_files": {"bad": "bad.csv"}, "networks": networks, "barriers": barriers}
    write_config(folder, {**TINY_CONFIG, **config})
    target = "results/minima/file/bad/net_h1_logistic.parquet"
    result = snakemake(folder, "--cores", "1", target)
    assert result.returncode != 0
    log = (folder / "results/logs/problems/file/bad.log").read_text()
    for word in ["bad.csv", "column 'u2'", "row 2", "missing value"]:
        assert word in log, log[-2000:]
    assert not (folder / target).exists()


def test_new_product_m_runs_only_new_jobs(finished_run):
    minima = {**TINY_CONFIG["minima"], "product": {"m": [1, 2, 3], "a": 10}}
    write_config(finished_run, {**TINY_CONFIG, "minima": minima})
    try:
        jobs = planned_jobs(finished_run)
    finally:
        write_config(finished_run, TINY_CONFIG)
    assert jobs == Counter(
        problem=1,
        multistart_minima=1,  # one theta in minima.thetas
        minima_table=1,
        minima_counts=1,
        minima_figure=2,
        barriers_table=1,  # escape.parquet reads the minima table
        disconnectivity_figure=1,
        summary=1,
        manifest=1,
        all=1,
    )


def test_one_weight_file_gets_every_critical_point(finished_run):
    """file/line is n2m1/type3_a10 in disguise: the same critical points."""
    for theta in ("tanh", "atan"):
        mine = read_table(finished_run / f"results/minima/file/line/{theta}.parquet")
        paper = read_table(finished_run / f"results/minima/n2m1/type3_a10/{theta}.parquet")
        assert mine.equals(paper)


def test_no_job_logged_a_numpy_warning(finished_run):
    logs = list((finished_run / "results/logs").rglob("*.log"))
    assert logs
    for log in logs:
        text = log.read_text()
        assert "Warning" not in text, f"{log}: {text[-1000:]}"


def test_bad_data_file_names_file_column_and_row(tmp_path):
    folder = copy_workflow(tmp_path / "wf")
    (folder / "bad.csv").write_text("u1,u2,y\n1,2,1\n3,oops,-1\n")
    networks = {**TINY_CONFIG["networks"], "problems": ["xor"]}  # file/toy is not here
    write_config(folder, {**TINY_CONFIG, "data_files": {"bad": "bad.csv"}, "networks": networks})
    result = snakemake(folder, "--cores", "1", "results/problems/file/bad.parquet")
    assert result.returncode != 0
    log = (folder / "results/logs/problems/file/bad.log").read_text()
    for word in ["bad.csv", "column 'u2'", "row 2", "'oops'"]:
        assert word in log, log[-2000:]
    assert not (folder / "results/problems/file/bad.parquet").exists()


def test_bad_data_refused_at_the_door(tmp_path):
    """A file named .parquet that is not Parquet stops the DAG; an all-zero input column
    stops the file's problem job, and nothing is written."""
    folder = copy_workflow(tmp_path / "wf")
    (folder / "fake.parquet").write_text("u1,y\n1,1\n")
    (folder / "zero.csv").write_text("u1,u2,y\n1,0,1\n2,0,-1\n")
    networks = {**TINY_CONFIG["networks"], "problems": ["xor"]}  # file/toy is not here
    fake = {**TINY_CONFIG, "data_files": {"fake": "fake.parquet"}, "networks": networks}
    write_config(folder, fake)
    result = snakemake(folder, "--dry-run", "--cores", "1")
    assert result.returncode != 0
    output = result.stderr + result.stdout
    for word in ["fake.parquet", "not a readable Parquet file", "config data_files.fake"]:
        assert word in output, output[-2000:]
    write_config(folder, {**fake, "data_files": {"zero": "zero.csv"}})
    result = snakemake(folder, "--cores", "1", "results/problems/file/zero.parquet")
    assert result.returncode != 0
    log = (folder / "results/logs/problems/file/zero.log").read_text()
    for word in ["zero.csv", "column 'u2'", "zero in every row"]:
        assert word in log, log[-2000:]
    assert not (folder / "results/problems/file/zero.parquet").exists()


def test_rerun_has_nothing_to_do(finished_run):
    assert planned_jobs(finished_run) == Counter()


def test_new_a_value_runs_only_new_jobs(finished_run):
    write_config(finished_run, {**TINY_CONFIG, "n2m1": {"types": [2, 3], "a": [1, 10, 5]}})
    try:
        jobs = planned_jobs(finished_run)
    finally:
        write_config(finished_run, TINY_CONFIG)
    assert jobs == Counter(
        problem=2,  # type 2 and type 3 with a = 5
        critical_points_1d=4,  # those two problems times two thetas
        critical_points_table=1,
        minima_table=1,  # every problem's minima, one-weight ones from the exact search
        minima_counts=1,
        minima_figure=2,  # the figures of the counts
        barriers_table=1,  # the exact barriers of the new one-weight problems
        disconnectivity_figure=1,
        bifurcation_figure=1,
        summary=1,  # it quotes the critical-points table
        manifest=1,  # it lists every table
        all=1,
    )


@pytest.mark.parametrize(
    ("figures", "expected"),
    [
        # case3_a = 1 is already in the sweep: only the paper figures are redrawn (one
        # job per theta draws Figures 1-4; 2 and 4 show that problem), no search reruns.
        # The summary quotes the critical points at case3_a: it is redone too.
        # The disconnectivity figure's first panel is that problem.
        ({"case3_a": 1}, Counter(paper_figure=2, disconnectivity_figure=1, summary=1, all=1)),
        # paper_theta only changes the titles of the old and the new paper theta (erf is
        # not among the thetas drawn: only tanh's figures change).
        ({"paper_theta": "erf"}, Counter(paper_figure=1, all=1)),
    ],
)
def test_changed_param_reruns_exactly_its_jobs(finished_run, figures, expected):
    write_config(finished_run, {**TINY_CONFIG, "figures": {**TINY_CONFIG["figures"], **figures}})
    try:
        assert planned_jobs(finished_run) == expected
    finally:
        write_config(finished_run, TINY_CONFIG)


BAD_CONFIGS = {
    "unknown theta": ({"thetas": ["tanh", "sigmoid"]}, ["thetas[1]", "sigmoid"]),
    "negative a": ({"n2m1": {"types": [3], "a": [1, -2]}}, ["n2m1.a[1]", "-2"]),
    "non-numeric a": ({"n2m1": {"types": [3], "a": [1, "ten"]}}, ["n2m1.a[1]", "ten"]),
    "unknown key": ({"n2m1": {"types": [3], "a": [1], "b": 4}}, ["n2m1.b", "4"]),
    "unknown top-level key": ({"sweeps": [1]}, ["sweeps", "[1]"]),
    "wrong type": ({"thetas": "tanh"}, ["thetas", "tanh", "array"]),
    "wrong type of type": ({"n2m1": {"types": [2.5], "a": [1]}}, ["n2m1.types[0]", "2.5"]),
    "missing key": ({"figures": {"paper_theta": "tanh", "case2_a": 1}}, ["case3_a"]),
    "negative epochs": (
        {"xor": {**TINY_CONFIG["xor"], "epochs": -5}},
        ["xor.epochs", "-5"],
    ),
    "text t_max": (
        {"trajectories": {**TINY_CONFIG["trajectories"], "t_max": "forever"}},
        ["trajectories.t_max", "forever"],
    ),
    "bad data file name": ({"data_files": {"a/b": "x.csv"}}, ["data_files", "a/b"]),
    "data file not a string": (
        {"data_files": {"toy": 5}},
        ["data_files.toy = 5", "not of type 'string'"],
    ),
    "zero per_decade": (
        {"trajectories": {**TINY_CONFIG["trajectories"], "per_decade": 0}},
        ["trajectories.per_decade = 0", "minimum"],
    ),
    "fractional hidden": (
        {"xor": {**TINY_CONFIG["xor"], "hidden": 2.5}},
        ["xor.hidden = 2.5", "integer"],
    ),
    "boolean seeds": (
        {"xor": {**TINY_CONFIG["xor"], "seeds": True}},
        ["xor.seeds = True", "integer"],
    ),
    "negative seed": ({"random": {"n": [6], "m": [2], "seeds": [-1]}}, ["random.seeds[0] = -1"]),
    "text tail_decades": ({"logrule": {"tail_decades": "abc"}}, ["logrule.tail_decades", "'abc'"]),
    "unknown paper theta": (
        {"figures": {**TINY_CONFIG["figures"], "paper_theta": "relu"}},
        ["figures.paper_theta = 'relu'"],
    ),
    "unknown n2m1 type": ({"n2m1": {"types": [2, 4], "a": [1]}}, ["n2m1.types[1] = 4"]),
    "nan value": (
        {"trajectories": {**TINY_CONFIG["trajectories"], "start_scale": float("nan")}},
        ["trajectories.start_scale = nan", "not a finite number"],
    ),
    "infinite eta": (
        {"xor": {**TINY_CONFIG["xor"], "eta": float("inf")}},
        ["xor.eta = inf", "not a finite number"],
    ),
    # The critical-point search is checked up to 1e12 (tests/unit/test_extremes.py).
    "a too large": (
        {"n2m1": {"types": [3], "a": [1, 1e13]}},
        ["n2m1.a[1] = 10000000000000.0", "maximum"],
    ),
    # Keys that are each valid but do not fit together (see backprop_landscape.pipeline.config).
    "n not above m": (
        {"random": {"n": [3, 8], "m": [3], "seeds": [0]}},
        ["random.n = [3, 8]", "random.m = [3]", "n must exceed every m"],
    ),
    "tail longer than the trajectories": (
        {"logrule": {"tail_decades": 4}},
        ["logrule.tail_decades = 4", "trajectories.backprop_steps = 2000", "xor.epochs = 3000"],
    ),
    "too few samples in the tail": (
        {
            "trajectories": {**TINY_CONFIG["trajectories"], "per_decade": 4},
            "logrule": {"tail_decades": 1},
        },
        ["logrule.tail_decades = 1", "trajectories.per_decade = 4", "only 5 samples"],
    ),
    "unknown task": (
        {
            "minima": {
                **TINY_CONFIG["minima"],
                "tasks": {"names": ["moons"], "n": [8], "seeds": [0]},
            }
        },
        ["minima.tasks.names[0] = 'moons'"],
    ),
    "relaxation problem unknown": (
        {"relaxation": {**TINY_CONFIG["relaxation"], "problems": ["product/m2_a10", "moons"]}},
        ["relaxation.problems[1] = 'moons'", "not a problem name"],
    ),
    "relaxation file not in data_files": (
        {"relaxation": {**TINY_CONFIG["relaxation"], "problems": ["file/iris"]}},
        ["relaxation.problems[0] = 'file/iris'", "not in data_files"],
    ),
    "extrapolation jump factors out of order": (
        {"extrapolation": {**TINY_CONFIG["extrapolation"], "min_jump_factor": 200}},
        ["extrapolation.min_jump_factor = 200", "extrapolation.jump_factor = 100"],
    ),
    "network problem not a name": (
        {"networks": {**TINY_CONFIG["networks"], "problems": ["xor", "parity/n2"]}},
        ["networks.problems[1] = 'parity/n2'", "not a problem name"],
    ),
    "network target above 1": (
        {"networks": {**TINY_CONFIG["networks"], "regimes": [{"target": 2, "decay": 0}]}},
        ["networks.regimes[0].target = 2"],
    ),
    "minima theta not studied": (
        {"minima": {**TINY_CONFIG["minima"], "thetas": ["erf"]}},
        ["minima.thetas = ['erf']", "erf not in thetas"],
    ),
}


@pytest.mark.parametrize("case", list(BAD_CONFIGS))
def test_bad_config_stops_before_any_job(tmp_path, case):
    change, words = BAD_CONFIGS[case]
    folder = copy_workflow(tmp_path / "wf")
    write_config(folder, {**TINY_CONFIG, **change})
    result = snakemake(folder, "--cores", "1")
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "Bad config" in output
    for word in words:
        assert word in output, output[-2000:]
    assert not (folder / "results").exists()


NUMERIC_KEYS = ("thetas", "n2m1", "figures")


def test_numbers_written_as_text_are_numbers(tmp_path):
    folder = copy_workflow(tmp_path / "wf")
    # YAML reads 1e1 (no dot) as the string "1e1"; the workflow reads it as 10.
    write_config(
        folder,
        "thetas: [tanh]\n"
        "n2m1: {types: [3], a: [1e1, '2']}\n"
        "figures: {paper_theta: tanh, case2_a: 1e0, case3_a: 1e1}\n"
        + yaml.safe_dump({k: v for k, v in TINY_CONFIG.items() if k not in NUMERIC_KEYS}),
    )
    result = snakemake(folder, "--dry-run", "--cores", "1")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "results/problems/n2m1/type3_a10.parquet" in result.stdout
    assert "results/problems/n2m1/type3_a2.parquet" in result.stdout
    assert "results/problems/n2m1/type2_a1.parquet" in result.stdout


def test_every_table_records_params_version_and_commit(finished_run):
    paths = sorted((finished_run / "results").rglob("*.parquet"))
    assert len(paths) > 50
    for path in paths:
        info = read_provenance(path)
        assert set(info) == {"params", "package_version", "git_commit"}, path
        assert isinstance(info["params"], dict) and info["params"], path
        assert info["package_version"] == backprop_landscape.__version__, path
        assert info["git_commit"] == git_commit(), path


def test_manifest_lists_every_table_with_its_checksum(finished_run):
    manifest = read_manifest(finished_run / "results/manifest.tsv")
    on_disk = sorted(
        path.relative_to(finished_run).as_posix()
        for path in (finished_run / "results").rglob("*.parquet")
    )
    assert list(manifest["path"]) == on_disk  # every table, sorted, each once
    aggregates = manifest[manifest["stage"] == "tables"]["path"]
    assert {f"results/tables/{name}.parquet" for name in ("critical_points", "lemma")} <= set(
        aggregates
    )
    for row in manifest.itertuples():
        path = finished_run / row.path
        assert row.sha256 == file_sha256(path) and row.bytes == path.stat().st_size
        assert row.rows == len(read_table(path))


def test_report_gathers_every_figure_with_its_caption(finished_run):
    """`make report`: every report() output has a caption that renders (Jinja included)."""
    result = snakemake(finished_run, "--report", "report.html", "--cores", "1")
    assert result.returncode == 0, result.stderr[-3000:]
    assert (finished_run / "report.html").stat().st_size > 100_000


BARRIER_COLUMNS = ["problem", "model", "minimum_a", "minimum_b", "E_a", "E_b", "E_barrier"]


def test_run_writes_barrier_tables(finished_run):
    results = finished_run / "results"
    barriers = read_table(results / "tables/barriers.parquet")
    assert list(barriers.columns[: len(BARRIER_COLUMNS)]) == BARRIER_COLUMNS
    assert {"saddle", "saddle_at_infinity", "confirmed", "method"} <= set(barriers.columns)
    assert (barriers["E_barrier"] >= np.maximum(barriers["E_a"], barriers["E_b"]) - 1e-12).all()
    # one weight, exact: the type-3 example's barrier is its finite maximum
    critical = read_table(results / "tables/critical_points.parquet")
    exact = barriers[(barriers["problem"] == "n2m1/type3_a10") & (barriers["model"] == "tanh")]
    top = critical[(critical["problem"] == "n2m1/type3_a10") & (critical["theta"] == "tanh")]
    peak = top.loc[(top["kind"] == "max") & ~top["at_infinity"], "E"].max()
    assert len(exact) == 1 and exact["E_barrier"].iloc[0] == pytest.approx(peak, rel=1e-12)
    # product/m2_a10 (tanh): E is a sum over blocks, so escaping a block's minimum at
    # infinity costs that block's barrier, 4.51997 - 4 (the type-3 example's, above)
    escape = read_table(results / "tables/escape.parquet")
    product = escape[(escape["problem"] == "product/m2_a10") & (escape["model"] == "tanh")]
    assert len(product) == 3 and (product["to_minimum"] >= 0).all()
    assert product["delta_E"].min() == pytest.approx(peak - 4.0, rel=1e-6)
    # networks: hard XOR has only minima at infinity (not joined); with decay, saddles
    xor = barriers[barriers["problem"] == "xor"]
    assert set(xor["model"]) <= {m for m in MODELS if "decay" in m}
    assert xor["confirmed"].any() and (xor.loc[xor["confirmed"], "index"] == 1).all()
    assert "### Escape" in (results / "summary.md").read_text()
    assert (results / "figures/disconnectivity.png").stat().st_size > 0
