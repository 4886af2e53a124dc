"""Cross-key config checks: each message names the keys and values to change."""

import copy
import inspect
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from backprop_landscape.logrule.growth import fit_growth
from backprop_landscape.logrule.tables import growth_laws
from backprop_landscape.pipeline.config import (
    MIN_TAIL_POINTS,
    ConfigError,
    check_config,
    consistency_errors,
    load_schema,
)
from backprop_landscape.pipeline.plan import Plan
from backprop_landscape.trajectories.neuron import log_time_grid

REPO = Path(__file__).resolve().parents[3]
DEFAULT = yaml.safe_load((REPO / "config.yaml").read_text())


def config(**changes):
    """The default config, numbers as the workflow reads them, with some keys replaced."""
    base = copy.deepcopy(DEFAULT)
    base["trajectories"]["t_max"] = float(base["trajectories"]["t_max"])
    base["xor"]["epochs"] = int(float(base["xor"]["epochs"]))
    for section, values in changes.items():
        base[section] = {**base[section], **values}

    return base


def test_default_config_is_consistent():
    assert consistency_errors(config()) == []


def test_min_tail_points_is_what_the_fit_needs():
    assert MIN_TAIL_POINTS == inspect.signature(fit_growth).parameters["min_points"].default


def test_random_n_must_exceed_every_m():
    (message,) = consistency_errors(config(random={"n": [4, 10], "m": [2, 4], "seeds": [0]}))
    assert "random.n = [4, 10]" in message and "random.m = [2, 4]" in message


def test_minima_random_n_must_exceed_every_m():
    sizes = {"n": [6], "m": [2, 6], "seeds": [0]}
    (message,) = consistency_errors(config(minima={"random": sizes}))
    assert "minima.random.n = [6]" in message and "minima.random.m = [2, 6]" in message


def test_minima_thetas_must_be_studied_thetas():
    changed = config(minima={"thetas": ["tanh", "erf"]})
    changed["thetas"] = ["tanh", "atan"]
    changed["extrapolation"]["thetas"] = ["atan"]
    (message,) = consistency_errors(changed)
    assert "minima.thetas" in message and "erf" in message


def test_extrapolation_ranges_must_be_ordered():
    messages = consistency_errors(
        config(extrapolation={"min_jump_factor": 5, "jump_factor": 2, "min_exponent": 0.5})
    )
    assert len(messages) == 2
    assert "extrapolation.min_jump_factor = 5" in messages[0] and "jump_factor = 2" in messages[0]
    assert "extrapolation.min_exponent = 0.5" in messages[1] and "max_exponent = 0.5" in messages[1]


def test_file_problems_must_be_data_files():
    (message,) = consistency_errors(config(relaxation={"problems": ["file/iris"]}))
    assert "relaxation.problems[0] = 'file/iris'" in message and "data_files" in message


def test_tail_longer_than_backprop_names_the_keys():
    changes = {"trajectories": {"backprop_steps": 1000}, "logrule": {"tail_decades": 3.5}}
    (message,) = consistency_errors(config(**changes))
    assert "logrule.tail_decades = 3.5" in message
    assert "trajectories.backprop_steps = 1000" in message
    assert "spans only 3 decades" in message


@pytest.mark.parametrize(
    ("per_decade", "decades", "ok"), [(4, 1.0, False), (4, 1.5, True), (6, 1.0, True)]
)
def test_tail_check_agrees_with_the_fit(per_decade, decades, ok):
    """A log-diverging flow on the configured grid is fitted exactly when the check passes."""
    changes = {"trajectories": {"t_max": 1e6, "per_decade": per_decade}}
    errors = consistency_errors(config(**changes, logrule={"tail_decades": decades}))
    assert ([e for e in errors if "gradient flow" in e] == []) == ok
    t = log_time_grid(1e6, per_decade=per_decade)
    frame = pd.DataFrame({"seed": 0, "t": t, "x1": 0.5 * np.log1p(t)})
    if ok:
        assert set(growth_laws(frame, {}, decades=decades)["law"]) == {"log"}
    else:
        with pytest.raises(ValueError, match="samples"):
            growth_laws(frame, {}, decades=decades)


def scale_config(**changes):
    base = config()
    race = {**base["scale"]["extrapolation"], **changes.pop("extrapolation", {})}
    base["scale"] = {**base["scale"], **changes, "extrapolation": race}
    return base


def test_scale_problems_must_be_canonical_data_sets():
    messages = consistency_errors(
        scale_config(problems=["dataset/iris_c0_s0", "dataset/iris_c3_s0", "scalar"])
    )
    assert len(messages) == 2
    assert "scale.problems[1] = 'dataset/iris_c3_s0'" in messages[0]
    assert "scale.problems[2] = 'scalar'" in messages[1] and "dataset/" in messages[1]
    assert consistency_errors(scale_config(problems=["dataset/digits_evenodd_s3"])) == []


def test_scale_race_must_start_before_its_target_within_the_flow():
    (message,) = consistency_errors(scale_config(extrapolation={"t_start": 1e6, "t_target": 1e5}))
    assert "scale.extrapolation.t_start = 1000000.0" in message and "t_target" in message
    (message,) = consistency_errors(scale_config(extrapolation={"t_target": 1e13}))
    assert "scale.extrapolation.t_target = 10000000000000.0" in message and "scale.t_max" in message
    messages = consistency_errors(
        scale_config(extrapolation={"min_jump_factor": 10, "jump_factor": 2, "min_exponent": 1})
    )
    assert [m.split(":")[0] for m in messages] == [
        "invalid config value scale.extrapolation.min_jump_factor = 10",
        "invalid config value scale.extrapolation.min_exponent = 1",
    ]


def test_scale_tail_must_fit_in_both_trajectories():
    (message,) = consistency_errors(scale_config(epochs=1000, tail_decades=3.5))
    assert "scale.tail_decades = 3.5" in message and "scale.epochs = 1000" in message


def test_plan_of_the_scale_section():
    cfg = scale_config(
        problems=["dataset/wine_c0_s0", "dataset/iris_c1_s2"], hidden=[8, 16], activations=["tanh"]
    )
    p = Plan(cfg, {})
    assert p.scale_networks == ["net_h8_tanh", "net_h16_tanh"]
    assert len(p.scale_jobs) == 4 and len(p.scale_trajectory_jobs) == 8
    assert {"problem": "dataset/wine_c0_s0", "theta": "net_h16_tanh", "method": "flow"} in (
        p.growth_law_jobs
    )
    assert {"problem": "dataset/iris_c1_s2", "theta": "net_h8_tanh"} in p.extrapolation_table_jobs
    assert p.dataset_spec("dataset/iris_c1_s2") == {
        "problem": "dataset/iris_c1_s2",
        "family": "dataset",
        "fields": {"data": "iris_c1", "seed": 2, "test_fraction": cfg["scale"]["test_fraction"]},
    }
    tables = p.parquet_tables()
    assert "results/trajectories/dataset/wine_c0_s0/net_h8_tanh/flow_samples.parquet" in tables
    assert "results/extrapolation/dataset/iris_c1_s2/net_h16_tanh_scan.parquet" in tables
    assert "results/problems/dataset/iris_c1_s2.parquet" in tables
    assert "results/figures/scale/dataset/wine_c0_s0/net_h8_tanh.png" in p.final_outputs()
    assert set(p.scale_outputs()) <= set(p.final_outputs()) | set(tables)
    assert p.scale_settings("trajectories", "flow") == {
        k: cfg["scale"][k] for k in ("starts", "init_scale", "seed", "per_decade", "t_max")
    }
    assert "budget" in p.scale_settings("extrapolation")
    empty = Plan(scale_config(problems=[]), {})
    assert empty.scale_jobs == [] and "scale_networks" not in empty.summary_tables


# -- the whole check, as the Snakefile calls it ----------------------------------------

SCHEMA = load_schema(REPO / "workflow/schemas/config.schema.yaml")


def checked(text_or_changes):
    """check_config on the default config with some sections replaced (or on YAML text)."""
    if isinstance(text_or_changes, str):
        raw = yaml.safe_load(text_or_changes)
    else:
        raw = {**copy.deepcopy(DEFAULT), **text_or_changes}
    check_config(raw, SCHEMA)
    return raw


def test_default_config_passes_and_numbers_become_numbers():
    cfg = checked({})
    assert cfg["trajectories"]["t_max"] == 1e12 and isinstance(cfg["trajectories"]["t_max"], float)
    assert cfg["xor"]["epochs"] == 10**6 and isinstance(cfg["xor"]["epochs"], int)


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"thetas": ["tanh", "relu"]}, ["thetas[1] = 'relu'"]),
        ({"sweeps": [1]}, ["unknown config key 'sweeps'"]),
        ({"n2m1": {"types": [3], "a": [1, "ten"]}}, ["n2m1.a[1] = 'ten'"]),
        (
            {"figures": {"paper_theta": "tanh", "case2_a": 1}},
            ["'figures' is incomplete", "case3_a"],
        ),
        (
            {"xor": {**DEFAULT["xor"], "eta": float("inf")}},
            ["xor.eta = inf", "not a finite number"],
        ),
        (
            {"relaxation": {**DEFAULT["relaxation"], "problems": ["product/m3_a10", "moons"]}},
            ["relaxation.problems[1] = 'moons'", "not a problem name"],
        ),
        (
            {"extrapolation": {**DEFAULT["extrapolation"], "problems": ["product/m3_a10.0"]}},
            ["extrapolation.problems[0] = 'product/m3_a10.0'", "not a problem name"],
        ),
        (
            {"relaxation": {**DEFAULT["relaxation"], "problems": ["n2m1/type3_a1.5e+05"]}},
            ["relaxation.problems[0]", "ask for 'n2m1/type3_a150000'"],
        ),
        (
            {"networks": {**DEFAULT["networks"], "problems": ["xor", "parity/n2"]}},
            ["networks.problems[1] = 'parity/n2'", "not a problem name"],
        ),
        (
            {"networks": {**DEFAULT["networks"], "problems": ["file/iris"]}},
            ["networks.problems[0] = 'file/iris'", "not in data_files"],
        ),
        (
            {"networks": {**DEFAULT["networks"], "activations": ["relu"]}},
            ["networks.activations[0] = 'relu'"],
        ),
        (
            {"networks": {**DEFAULT["networks"], "hidden": [0, 1]}},
            ["networks.hidden[0] = 0", "minimum"],
        ),
        (
            {"networks": {**DEFAULT["networks"], "regimes": [{"target": 1.5, "decay": 0}]}},
            ["networks.regimes[0].target = 1.5", "maximum"],
        ),
        (
            {"networks": {**DEFAULT["networks"], "regimes": [{"target": 0.8}]}},
            ["networks.regimes[0]", "'decay' is a required property"],
        ),
        (
            {
                "networks": {
                    **DEFAULT["networks"],
                    "regimes": [{"target": 1, "decay": 0}, {"target": 1.0, "decay": 0.0}],
                }
            },
            ["networks.regimes = ", "non-unique"],  # 1 and 1.0 are one target
        ),
    ],
)
def test_bad_configs_are_refused_with_key_and_value(change, words):
    with pytest.raises(ConfigError) as error:
        checked(change)
    message = str(error.value)
    assert message.startswith("Bad config: ")
    for word in words:
        assert word in message


# -- the plan: which jobs a config makes -----------------------------------------------


def plan(**changes):
    return Plan(checked(changes), {})


def test_plan_of_the_default_config():
    default = plan()
    assert "n2m1/type3_a10" in default.n2m1_problems
    assert len(default.n2m1_problems) == len(DEFAULT["n2m1"]["types"]) * len(DEFAULT["n2m1"]["a"])
    assert default.trajectory_jobs[-1] == {
        "problem": "xor",
        "theta": "logistic",
        "method": "backprop",
    }
    assert len(default.parquet_tables()) == len(set(default.parquet_tables()))
    assert "results/manifest.tsv" in default.final_outputs()


def test_a_new_sweep_value_adds_exactly_its_jobs():
    before = plan()
    product = {**DEFAULT["minima"]["product"], "m": [*DEFAULT["minima"]["product"]["m"], 7]}
    after = plan(minima={**DEFAULT["minima"], "product": product})
    added = set(after.parquet_tables()) - set(before.parquet_tables())
    assert added == {
        "results/problems/product/m7_a10.parquet",
        *(f"results/minima/product/m7_a10/{t}.parquet" for t in DEFAULT["minima"]["thetas"]),
    }


def test_patterns_route_each_problem_to_one_minima_rule():
    widths = {"file/one": 1, "file/two": 3}
    routes = Plan(checked({"data_files": {"one": "one.csv", "two": "two.csv"}}), widths)
    one, many = routes.one_weight_pattern, routes.multistart_pattern
    for name in ["n2m1/type3_a10", "scalar", "file/one"]:
        assert re.fullmatch(one, name) and not re.fullmatch(many, name)
    for name in ["random/n16_m3_nonsep_s0", "product/m1_a10", "task/grid_n24_s0", "file/two"]:
        assert re.fullmatch(many, name) and not re.fullmatch(one, name)


def test_plan_makes_one_network_job_per_problem_and_network():
    default = plan()
    networks = DEFAULT["networks"]
    per_problem = len(networks["hidden"]) * len(networks["activations"]) * len(networks["regimes"])
    assert len(default.network_models) == per_problem
    assert len(default.network_jobs) == per_problem * len(networks["problems"])
    assert {"problem": "xor", "model": "net_h2_logistic"} in default.network_jobs
    assert "net_h4_logistic_soft0.8_decay0.001" in default.network_models
    tables = default.parquet_tables()
    assert "results/minima/xor/net_h2_logistic.parquet" in tables
    assert "results/minima/xor/net_h2_logistic_limits.parquet" in tables
    for name in ["stationary_points", "network_limits", "network_counts", "xor_limits"]:
        assert f"results/tables/{name}.parquet" in default.final_outputs()


def test_a_new_hidden_size_adds_exactly_its_network_jobs():
    before = plan()
    networks = {**DEFAULT["networks"], "hidden": [*DEFAULT["networks"]["hidden"], 5]}
    after = plan(networks=networks)
    added = set(after.parquet_tables()) - set(before.parquet_tables())
    models = ["net_h5_logistic", "net_h5_logistic_soft0.8_decay0.001"]
    assert added == {
        f"results/minima/{problem}/{model}{suffix}.parquet"
        for problem in DEFAULT["networks"]["problems"]
        for model in models
        for suffix in ("", "_limits")
    } | {  # and the barriers of the new networks on the listed problems they search
        f"results/barriers/{problem}/{model}.parquet"
        for problem in DEFAULT["barriers"]["problems"]
        if problem in DEFAULT["networks"]["problems"]
        for model in models
    }


def test_network_and_neuron_minima_paths_never_meet():
    """results/minima/{problem}/{theta} and /{model}: the wildcards' patterns are disjoint."""
    from backprop_landscape.problems.names import NETWORK_PATTERN

    default = plan()
    for job in default.network_jobs:
        assert re.fullmatch(NETWORK_PATTERN, job["model"])
        assert job["model"] not in DEFAULT["thetas"]


def test_barriers_join_the_models_that_search_each_listed_problem():
    networks = {
        **DEFAULT["networks"],
        "problems": ["xor"],
        "hidden": [2],
        "regimes": [{"target": 1, "decay": 0}],
    }
    p = plan(
        barriers={**DEFAULT["barriers"], "problems": ["product/m3_a10", "xor"]}, networks=networks
    )
    assert p.barrier_jobs == [
        *({"problem": "product/m3_a10", "model": t} for t in DEFAULT["minima"]["thetas"]),
        {"problem": "xor", "model": "net_h2_logistic"},
    ]
    assert "results/barriers/xor/net_h2_logistic.parquet" in p.parquet_tables()
    # the first panel is the exact type-3 example, then one model per listed problem
    assert p.disconnectivity_panels()[0]["problem"] == "n2m1/type3_a10"
    with pytest.raises(ConfigError, match=r"barriers.problems: 'product/m9_a10' has no minima"):
        plan(barriers={**DEFAULT["barriers"], "problems": ["product/m9_a10"]})


def test_the_schema_reads_the_same_with_either_yaml_loader():
    """load_schema uses libyaml's loader when PyYAML has it: the same data as PyYAML's own."""
    text = (REPO / "workflow/schemas/config.schema.yaml").read_text()
    assert SCHEMA == yaml.safe_load(text)
