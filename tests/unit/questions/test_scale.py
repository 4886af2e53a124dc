"""Open question 4 at scale on a small network: jumps from the flow, the race, what is
learnt -- the tables' internal consistency and the definitions behind each column."""

import math

import numpy as np
import pytest

from backprop_landscape.models.network_kernel import NetworkKernel
from backprop_landscape.problems.datasets import dataset_problem
from backprop_landscape.questions import scale
from backprop_landscape.questions.extrapolation import Settings
from backprop_landscape.trajectories import network as nt

ETA = 0.01


@pytest.fixture(scope="module")
def experiment():
    problem = dataset_problem("iris_c1", seed=0)  # versicolor: not linearly separable
    net = nt.build_network("net_h3_tanh", problem.m)
    kernel = NetworkKernel(net, problem.A, net.code_targets(problem.y))
    test = (problem.A_test, net.code_targets(problem.y_test))
    x0 = nt.initial_weights(net, 2, 1.0, problem.name, "net_h3_tanh", 0)
    flow = nt.gradient_flow(kernel, x0, t_max=1e8, per_decade=8)
    runs = nt.arrays_from_frame(nt.weights_frame(flow, nt.weight_names(net)))
    settings = Settings(law_rtol=0.3, min_steps=1)
    tables = scale.network_experiment(
        kernel,
        runs,
        eta=ETA,
        t_start=1e4,
        t_target=1e7,
        budget=300,
        settings=settings,
        jump_factor=100,
        test=test,
    )
    return kernel, test, runs, tables


def test_race_rows_are_consistent(experiment):
    kernel, _, runs, tables = experiment
    race = tables["race"]
    assert list(race["seed"]) == [0, 1]
    for _, row in race.iterrows():
        t, X, _ = runs[row.seed]
        E = kernel.energy_gradient(X)[0]
        assert row.target == E[scale.nearest_index(t, 1e7)]  # the flow's error at t_target
        if row.reached_extrapolated:
            assert row.steps_saved == pytest.approx(row.steps_plain - row.steps_extrapolated)
            assert row.speedup == pytest.approx(row.steps_plain / max(row.steps_extrapolated, 1))
        else:
            assert math.isnan(row.steps_extrapolated) and math.isnan(row.speedup)
        if row.plain_estimated:  # backprop follows the flow: (t_target - t_start) / eta
            assert not row.reached_plain
            assert row.steps_plain == pytest.approx((row.t_target - row.t_start) / ETA)
        if row.reached_extrapolated:
            assert row.E_end_extrapolated <= row.target
            assert row.steps_extrapolated == row.n_plain + row.n_jumps + row.n_rejected
        assert abs(row.plain_flow_gap) < 1e-2  # 300 small steps stay on the flow


def test_networks_table_compares_every_kind_with_the_horizon(experiment):
    _, test, runs, tables = experiment
    nets = tables["networks"]
    assert set(nets["kind"]) == set(scale.KINDS)
    for seed, rows in nets.groupby("seed"):
        rows = rows.set_index("kind")
        horizon = rows.loc["horizon"]
        assert horizon["angle_to_horizon"] == pytest.approx(0, abs=1e-7)
        assert horizon["test_agreement"] == 1
        assert horizon["t"] == runs[seed][0][-1]
        assert rows.loc["stopped", "t"] <= horizon["t"]
        if rows.loc["stopped", "note"] == "all correct":
            assert rows.loc["stopped", "train_errors"] == 0
        assert rows["test_errors"].between(0, len(test[1])).all()
        assert (rows["test_error_rate"] * len(test[1])).round().eq(rows["test_errors"]).all()
        assert (rows["train_margin_q00"] <= rows["train_margin_q50"]).all()


def test_margins_table_holds_every_row_of_every_kind(experiment):
    kernel, test, _, tables = experiment
    margins = tables["margins"]
    counts = margins.groupby(["seed", "kind", "split"]).size()
    assert set(counts.loc[(0, "horizon")].items()) == {("train", kernel.n), ("test", len(test[1]))}
    nets = tables["networks"].set_index(["seed", "kind"])
    wrong = margins[(margins["split"] == "test") & (margins["margin"] <= 0)]
    wrong = wrong.groupby(["seed", "kind"]).size()
    for key, n_wrong in wrong.items():
        assert nets.loc[key, "test_errors"] == n_wrong


def test_jump_scan_moves_every_weight_along_its_own_log_rule(experiment):
    kernel, _, runs, tables = experiment
    scan = tables["scan"]
    t, X, D = runs[0]
    first = scan[scan["seed"] == 0].iloc[-1]
    i = scale.nearest_index(t, first.t0)
    jumped = X[i] + D[i] * math.log(first.K)
    assert first.E_jump == pytest.approx(kernel.energy_gradient(jumped[None, :])[0][0])
    assert (scan["improved"] == (scan["E_jump"] < scan["E_t0"])).all()
    assert (scan["t0"] * scan["K"] <= t[-1] * 1.01).all()
    np.testing.assert_allclose(scan["ratio"], scan["E_jump"] / scan["E_flow"])


def test_stopped_network_is_the_first_with_as_few_errors_as_it_will_have():
    assert scale.stopped_index([5, 3, 0, 1, 0]) == (2, "all correct")
    assert scale.stopped_index([5, 3, 2, 1, 2, 1]) == (3, "final error count")


def test_race_needs_a_target_after_the_start(experiment):
    kernel, _, runs, _ = experiment
    t, X, D = runs[0]
    E = kernel.energy_gradient(X)[0]
    with pytest.raises(ValueError, match="t_target"):
        scale.race(
            kernel,
            t,
            X,
            D,
            E,
            eta=ETA,
            t_start=1e5,
            t_target=1e3,
            budget=10,
            settings=Settings(min_steps=1),
        )
