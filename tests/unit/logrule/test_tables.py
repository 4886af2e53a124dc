"""From trajectories to tables: divergence verdicts, growth-law rows, Lemma and bias rows."""

import numpy as np
import pandas as pd
import pytest

from backprop_landscape.logrule.tables import (
    divergence_counts,
    growth_laws,
    implicit_bias,
    is_diverging,
    lemma_row,
    network_trajectory,
    theory_for,
)
from backprop_landscape.models.neuron import reduce_signs
from backprop_landscape.models.theta import get_theta
from backprop_landscape.problems.families import scalar_problem
from backprop_landscape.problems.problem import Problem, problem_to_frame
from backprop_landscape.trajectories.neuron import gradient_flow, log_time_grid

T = np.logspace(-2, 8, 101)


def test_divergence_verdicts():
    assert is_diverging(T, 0.25 * np.log(T))
    assert not is_diverging(T, 2.0 - np.exp(-T))  # converges exponentially
    with pytest.raises(ValueError, match="decades"):
        is_diverging(T[-5:], T[-5:])


def test_growth_rows_fit_the_scalar_tanh_flow_and_carry_the_prediction():
    problem, theta = scalar_problem(), get_theta("tanh")
    flow = gradient_flow(reduce_signs(problem.A, problem.y), [[0.0], [1.0]], theta, t_max=1e10)
    rows = growth_laws(flow, theory_for(theta, None, scalar=True))
    assert set(rows["coordinate"]) == {"norm", "x1"} and set(rows["seed"]) == {0, 1}
    assert (rows["law"] == "log").all()
    np.testing.assert_allclose(rows["coef"], 0.25, rtol=1e-3)
    np.testing.assert_allclose(rows["theory_coef"], 0.25)


def test_settled_norm_is_bounded_and_fixed_weights_are_skipped():
    frame = pd.DataFrame({"seed": 0, "t": T, "x1": 3.0 - np.exp(-T), "x2": 0.1 * np.log(T)})
    frame["norm_x"] = np.hypot(frame["x1"], frame["x2"])
    rows = growth_laws(frame, {}).set_index("coordinate")
    assert "x1" not in rows.index  # converged weight: not a diverging weight
    assert rows.loc["x2", "law"] == "log"
    assert rows.loc["x2", "coef"] == pytest.approx(0.1, rel=1e-6)


def test_lemma_and_bias_rows_on_a_separable_and_a_non_separable_problem():
    separable = Problem("p", np.array([[1.0, 0.2], [0.3, 1.0], [1.0, 1.0]]), np.ones(3, int))
    clash = Problem("q", np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]]), np.array([1, -1, 1]))
    theta = get_theta("tanh")
    for problem, expect in ((separable, True), (clash, False)):
        A_tilde = reduce_signs(problem.A, problem.y)
        starts = np.array([[0.1, -0.2], [0.5, 0.5]])
        flow = gradient_flow(A_tilde, starts, theta, t_eval=log_time_grid(1e8, per_decade=8))
        row = lemma_row(problem_to_frame(problem), flow)
        assert row["separable"] == expect
        # Both diverge: in the clash problem x2 -> inf still fits the third row, so its
        # minimum is at infinity although no w separates all rows (not bounded either).
        assert row["n_runs"] == 2 and row["n_diverged"] == 2
        summary, angles = implicit_bias(problem_to_frame(problem), flow, "tanh")
        assert bool(summary["separable"].iloc[0]) == expect
        if expect:
            # t d||x||/dt -> ||w_hat|| / (2k) (docs/theory.md), and x(t) turns toward w_hat
            assert summary["t_normdot_tail"].iloc[0] == pytest.approx(
                summary["predicted"].iloc[0], rel=0.02
            )
            first, last = angles[angles.t > 0].groupby("seed").angle.agg(["first", "last"]).T.values
            assert np.all(last < first)


def test_divergence_counts_per_seed():
    frame = pd.concat(
        [
            pd.DataFrame({"seed": 0, "t": T, "norm_x": np.log1p(T)}),
            pd.DataFrame({"seed": 1, "t": T, "norm_x": 1.0 - np.exp(-T)}),
        ]
    )
    assert divergence_counts(frame) == (2, 1)


def test_network_trajectory_is_wide():
    weights = pd.DataFrame(
        {
            "seed": [0, 0, 0, 0],
            "epoch": [0, 0, 1, 1],
            "weight": ["a", "b", "a", "b"],
            "value": [1.0, 2, 3, 4],
        }
    )
    energy = pd.DataFrame({"seed": [0, 0], "epoch": [0, 1], "E": [0.5, 0.4]})
    wide = network_trajectory(weights, energy)
    assert list(wide.columns) == ["seed", "epoch", "t", "a", "b", "E"]
    np.testing.assert_array_equal(wide["b"], [2.0, 4.0])


def test_soft_targets_skip_the_lemma_and_the_bias_and_their_flow_stays_bounded():
    """With soft targets the weights settle where theta = t (no divergence to explain):
    the tables say "soft" and leave the hard-target statements empty."""
    from backprop_landscape.logrule.tables import theory_for_problem
    from backprop_landscape.models.neuron import reduce_problem

    problem = Problem("s", np.array([[1.0, 0.2], [0.3, 1.0], [1.0, 1.0]]), np.full(3, 0.8))
    A_tilde, t = reduce_problem(problem.A, problem.y)
    theta = get_theta("tanh")
    flow = gradient_flow(A_tilde, [[0.1, -0.2]], theta, t_eval=log_time_grid(1e8), targets=t)
    assert divergence_counts(flow) == (1, 0)
    row = lemma_row(problem_to_frame(problem), flow)
    assert row["targets"] == "soft" and row["separable"] is None and row["n_runs"] == 0
    summary, angles = implicit_bias(problem_to_frame(problem), flow, "tanh")
    assert summary["targets"].iloc[0] == "soft" and summary["svm_norm"].isna().all()
    assert angles.empty
    assert theory_for_problem(problem_to_frame(problem), "s", "tanh") == {}
    hard = lemma_row(problem_to_frame(Problem("h", problem.A, np.ones(3, int))), flow)
    assert hard["targets"] == "hard"


def test_growth_laws_of_columns_are_the_frame_path_to_the_bit(tmp_path):
    """The growth-laws job reads and writes columns (no pandas): same table, same bytes.

    A network trajectory (no norm_x column) makes the norm from a 9-weight matrix, whose
    row sums depend on its layout.
    """
    from backprop_landscape.pipeline.io import read_columns, read_table, write_columns, write_table
    from backprop_landscape.trajectories.xor import xor_backprop

    result = xor_backprop(seeds=3, n_epochs=20_000, per_decade=10)
    write_table(network_trajectory(result.weights, result.energy), tmp_path / "net.parquet")
    problem, theta = scalar_problem(), get_theta("tanh")
    flow = gradient_flow(reduce_signs(problem.A, problem.y), [[0.0], [1.0]], theta, t_max=1e10)
    write_table(flow, tmp_path / "flow.parquet")
    for name, theory in [("net", {}), ("flow", theory_for(theta, None, scalar=True))]:
        path = tmp_path / f"{name}.parquet"
        frame = growth_laws(read_table(path), theory)
        columns = growth_laws(read_columns(path), theory, as_frame=False)
        write_table(frame, tmp_path / "a.parquet")
        write_columns(columns, tmp_path / "b.parquet")
        pd.testing.assert_frame_equal(
            read_table(tmp_path / "a.parquet"), read_table(tmp_path / "b.parquet"), check_exact=True
        )
        assert len(frame) > 1 and frame["diverging"].dtype == bool
