"""Networks in the workflow: names to networks, data checks that name file, column and
row, one job's search and tables, counts, and Figure 5's seeds traced to their limits."""

import numpy as np
import pandas as pd
import pytest
from threadpoolctl import threadpool_limits

from backprop_landscape.minima.networks import (
    COUNT_COLUMNS,
    final_weights,
    network_counts,
    network_data,
    network_for,
    network_minima,
    search_network,
    trace_backprop,
)
from backprop_landscape.problems.datafile import DataFileError
from backprop_landscape.problems.families import build_problem, parity_problem
from backprop_landscape.problems.problem import problem_to_frame
from backprop_landscape.trajectories import xor

XOR_FRAME = problem_to_frame(build_problem("xor", {}))


@pytest.fixture(scope="module")
def xor_jobs():
    """Two jobs of the default sweep on XOR 2-2-1: hard targets, and 0.1/0.9 with decay."""
    out = {}
    U, labels, _ = network_data(XOR_FRAME, "xor.parquet")
    for model in ("net_h2_logistic", "net_h2_logistic_soft0.8_decay0.001"):
        net, target = network_for(model, 2)
        y = net.code_targets(target * labels)
        with threadpool_limits(limits=1, user_api="blas"):
            out[model] = search_network(net, U, y, 300, seed=0, problem="xor", model=model)
    return out


def test_model_names_give_networks_and_targets():
    net, target = network_for("net_h3_tanh_soft0.8_decay0.001", 2)
    assert (net.hidden, net.hidden_activation, net.output_activation) == (3, "tanh", "tanh")
    assert net.hidden_bias and net.output_bias and net.decay == 0.001 and target == 0.8
    net, target = network_for("net_h2_logistic", 2)
    assert net.n_params == 9 and target == 1.0  # Figure 5's network
    np.testing.assert_array_equal(net.code_targets(target * np.array([-1, 1, 1, -1])), xor.TARGETS)
    soft, t = network_for("net_h2_logistic_soft0.8", 2)
    np.testing.assert_allclose(soft.code_targets(t * np.array([-1.0, 1.0])), [0.1, 0.9])


def test_xor_and_parity_data_are_the_literature_s():
    U, labels, dropped = network_data(XOR_FRAME, "xor.parquet")
    np.testing.assert_array_equal(U, xor.INPUTS)
    np.testing.assert_array_equal((labels + 1) / 2, xor.TARGETS)
    assert dropped == []
    parity = parity_problem(3)
    assert parity.name == "parity/n3" and parity.A.shape == (8, 3)
    assert list(parity.y) == [-1, 1, 1, -1, 1, -1, -1, 1]


def test_a_column_of_ones_is_a_bias_and_is_dropped():
    frame = problem_to_frame(
        build_problem("task", {"task": "clusters", "n": 8, "seed": 0, "shuffled": False})
    )
    U, labels, dropped = network_data(frame, "task.parquet")
    assert dropped == ["u3"] and U.shape == (8, 2)
    with pytest.raises(DataFileError, match="a network needs an input besides its biases"):
        network_data(pd.DataFrame({"u1": [1.0, 1.0], "y": [1, -1]}), "ones.parquet")


@pytest.mark.parametrize(
    ("frame", "words"),
    [
        (
            pd.DataFrame({"u1": [0.0, np.nan, 1.0], "u2": [1.0, 2.0, 3.0], "y": [1, -1, 1]}),
            ["bad.parquet", "column 'u1'", "row 2", "not a finite number"],
        ),
        (
            pd.DataFrame({"u1": [0.0, 1.0, 2.0], "u2": [1.0, 2.0, np.inf], "y": [1, -1, 1]}),
            ["bad.parquet", "column 'u2'", "row 3"],
        ),
        (
            pd.DataFrame({"u1": [0.0, 1.0, 2.0], "y": [1.0, 0.5, -1.0]}),
            ["bad.parquet", "column 'y'", "row 2", "label 0.5 is not -1 or +1"],
        ),
        (pd.DataFrame({"u1": [0.0], "target": [1]}), ["bad.parquet", "expected u1..um and y"]),
        (pd.DataFrame({"u2": [0.0], "y": [1]}), ["bad.parquet", "expected u1..um and y"]),
        (pd.DataFrame({"u1": [], "y": []}), ["bad.parquet", "no rows"]),
    ],
)
def test_malformed_data_names_the_file_column_and_row(frame, words):
    with pytest.raises(DataFileError) as error:
        network_data(frame, "bad.parquet")
    for word in words:
        assert word in str(error.value)


def test_xor_with_hard_targets_has_its_minima_at_infinity(xor_jobs):
    points, limits = xor_jobs["net_h2_logistic"]
    assert set(points.kind) <= {"saddle", "degenerate-saddle"}  # Hamey; Sprinkhuizen-Kuyper
    assert limits.attrs["n_runs"] > 0.9 * limits.attrs["n_starts"]
    assert limits.E_limit.min() < 1e-12
    minima = network_minima(points, limits, 300)
    assert minima.at_infinity.all() and (minima.kind == "minimum-at-infinity").all()
    assert minima.basin_fraction.sum() <= 1.0
    row = network_counts(points, limits, "xor", "net_h2_logistic", 4, 2)
    assert set(row) == set(COUNT_COLUMNS)
    assert row["n_finite_minima"] == 0 and row["E_global"] == 0.0 and row["global_at_infinity"]
    assert row["n_minima"] == row["n_minima_at_infinity"] == len(minima)
    assert row["group_size"] == 8 and row["n_params"] == 9


def test_soft_targets_with_decay_have_finite_minima_only(xor_jobs):
    """E grows like lambda ||w||^2: no limit at infinity; the descents find the global
    minimum (outputs near 0.1 / 0.9) and, with the decay, a minimum at the origin."""
    points, limits = xor_jobs["net_h2_logistic_soft0.8_decay0.001"]
    assert len(limits) == 0 and limits.attrs["n_runs"] == 0
    minima = network_minima(points, limits, 300)
    assert len(minima) and not minima.at_infinity.any()
    assert minima.basin_fraction.sum() == pytest.approx(1.0)  # every descent ends at one
    best = np.array(minima.z_limit.iloc[0])
    assert np.all(np.abs(best - [0.1, 0.9, 0.9, 0.1]) < 0.15)
    origin = minima[np.isclose(minima.E, 4 * 0.4**2)]
    assert len(origin) == 1 and np.abs(origin.x.iloc[0]).max() < 1e-6
    row = network_counts(points, limits, "xor", "net_h2_logistic_soft0.8_decay0.001", 4, 2)
    assert row["n_minima_at_infinity"] == 0 and not row["global_at_infinity"]
    assert row["n_finite_minima"] == len(minima) and row["global_basin"] > 0


def test_figure_5_seeds_are_traced_to_their_limits():
    result = xor.xor_backprop(seeds=[0, 1, 2], n_epochs=20000, per_decade=4)
    from backprop_landscape.logrule.tables import network_trajectory

    trajectory = network_trajectory(result.weights, result.energy)
    ends = final_weights(trajectory, xor.weight_names(2))
    assert list(ends.index) == [0, 1, 2]
    last = result.weights[result.weights.epoch == 20000]
    np.testing.assert_array_equal(
        ends.to_numpy(),
        last.pivot(index="seed", columns="weight", values="value")[xor.weight_names(2)],
    )
    net, _ = network_for("net_h2_logistic", 2)
    table = trace_backprop(net, xor.INPUTS, xor.TARGETS, ends, result.summary)
    assert list(table.seed) == [0, 1, 2]
    stalled = table[table.stalled]
    assert len(stalled) and (abs(stalled.E_limit - 0.5) < 1e-9).all()
    assert (stalled.kind == "minimum-at-infinity").all()
    assert (table[table.solved].E_limit < 1e-12).all()
