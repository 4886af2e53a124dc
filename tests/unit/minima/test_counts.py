"""Counting minima per (problem, theta), and the product family's k^m prediction."""

import numpy as np
import pandas as pd
import pytest

from backprop_landscape.minima.counts import (
    count_minima,
    predicted_energies,
    prediction_table,
    problem_labels,
)


def minima_rows(problem, theta, rows):
    return pd.DataFrame(
        [
            {"problem": problem, "theta": theta, "E": E, "at_infinity": inf, "basin_fraction": b}
            for E, inf, b in rows
        ]
    )


def test_counts_split_finite_and_infinite_and_find_the_global_basin():
    minima = minima_rows(
        "random/n16_m3_nonsep_s2",
        "tanh",
        [(4.0, True, 0.2), (4.0 + 1e-12, True, 0.1), (4.5, False, 0.6), (8.0, True, 0.05)],
    )
    (row,) = count_minima(minima, {"random/n16_m3_nonsep_s2": (16, 3)}).to_dict("records")
    assert (row["n_minima"], row["n_finite"], row["n_at_infinity"]) == (4, 1, 3)
    assert row["E_global"] == 4.0 and row["global_at_infinity"]
    assert row["global_basin"] == pytest.approx(0.3)  # the two tied limits
    assert row["largest_basin"] == pytest.approx(0.6)
    assert row["undecided_fraction"] == pytest.approx(0.05)
    assert (row["family"], row["n"], row["m"], row["seed"]) == ("random", 16, 3, 2)


def test_labels_of_each_family():
    assert problem_labels("task/grid_n24_s1_shuffled", 24, 3) == {
        "family": "task",
        "n": 24,
        "m": 3,
        "seed": 1,
        "task": "grid",
        "shuffled": True,
    }
    assert problem_labels("product/m4_a10", 8, 4)["seed"] == -1
    assert problem_labels("file/iris", 150, 5)["family"] == "file"


def test_predictions_are_the_sums_of_exact_block_minima():
    """product/m2_a10 (tanh): blocks with minima E = 1.26588 (finite) and 4 (at +inf);
    ahw/n4_d2: two chains of two examples each."""
    from backprop_landscape.minima.critical1d import critical_points
    from backprop_landscape.models.theta import get_theta
    from backprop_landscape.problems.families import AHW_TARGET, ahw_chain, n2m1_problem

    theta = get_theta("tanh")
    block = critical_points(n2m1_problem(3, 10.0).A, theta)
    e = block[block.kind == "min"].E.to_list()
    assert sorted(predicted_energies("product/m2_a10", "tanh")) == pytest.approx(
        sorted([e[0] + e[0], e[0] + e[1], e[1] + e[0], e[1] + e[1]])
    )
    chain = critical_points(ahw_chain(2)[:, None], theta, np.full(2, AHW_TARGET))
    c = chain[chain.kind == "min"].E.to_list()
    assert len(c) == 2
    assert sorted(predicted_energies("ahw/n4_d2", theta)) == pytest.approx(
        sorted(a + b for a in c for b in c)
    )
    assert predicted_energies("random/n16_m3_nonsep_s0", "tanh") is None


def test_certified_only_when_the_minima_found_are_the_predicted_ones():
    predicted = [1.0, 2.0, 3.0, 4.0]
    sizes = {"product/m2_a10": (4, 2)}
    key = ("product/m2_a10", "tanh")
    runs = {key: {"n_starts": 100, "n_undecided": 0, "missed_mass": 0.0, "stopped_by": "target"}}
    for found, certified in (
        ([1.0, 2.0, 3.0, 4.0], True),
        ([1.0, 2.0, 3.0], False),  # one missing
        ([1.0, 2.0, 3.0, 4.5], False),  # as many, but one is no predicted minimum
    ):
        minima = minima_rows("product/m2_a10", "tanh", [(E, False, 0.25) for E in found])
        minima["n_starts"] = 25
        (row,) = count_minima(minima, sizes, runs, {key: predicted}).to_dict("records")
        assert row["certified"] == certified and row["predicted"] == 4
        assert row["n_starts"] == 100 and row["stopped_by"] == "target"
    table = prediction_table(count_minima(minima, sizes, runs, {key: predicted}))
    assert table[["family", "m", "predicted", "found"]].values.tolist() == [["product", 2, 4, 4]]


def test_exact_one_weight_rows_are_certified_without_starts():
    minima = minima_rows("n2m1/type3_a10", "tanh", [(1.27, False, 0.67), (4.0, True, 0.33)])
    minima["search"] = "exact"
    (row,) = count_minima(minima, {"n2m1/type3_a10": (2, 1)}).to_dict("records")
    assert row["certified"] and row["stopped_by"] == "exact" and row["n_starts"] == 0
    assert row["missed_mass"] == 0 and row["n_estimated"] == row["n_high"] == 2
    assert row["model"] == "tanh" and row["undecided_fraction"] == 0


def test_multistart_rows_carry_what_they_may_miss():
    minima = minima_rows("random/n16_m3_nonsep_s0", "tanh", [(E, False, 0.1) for E in range(4)])
    minima["n_starts"] = [5, 1, 1, 2]
    runs = {
        ("random/n16_m3_nonsep_s0", "tanh"): {
            "n_starts": 30,
            "n_undecided": 21,
            "missed_mass": 2 / 30,
            "stopped_by": "budget",
        }
    }
    sizes = {"random/n16_m3_nonsep_s0": (16, 3)}
    (row,) = count_minima(minima, sizes, runs).to_dict("records")
    assert row["missed_mass"] == pytest.approx(2 / 30) and row["stopped_by"] == "budget"
    assert row["n_low"] <= row["n_estimated"] <= row["n_high"] and row["n_estimated"] > 4
    assert not row["certified"] and np.isnan(row["predicted"])


def test_run_counts_give_undecided_and_saturated_shares():
    minima = minima_rows("random/n16_m6_nonsep_s0", "tanh", [(8.0, True, 0.7)])
    runs = {
        ("random/n16_m6_nonsep_s0", "tanh"): {
            "n_starts": 1000,
            "n_undecided": 243,
            "n_saturated_undecided": 241,
        }
    }
    (row,) = count_minima(minima, {"random/n16_m6_nonsep_s0": (16, 6)}, runs).to_dict("records")
    assert row["undecided_fraction"] == pytest.approx(0.243)
    assert row["saturated_fraction"] == pytest.approx(0.241)
    (bare,) = count_minima(minima, {"random/n16_m6_nonsep_s0": (16, 6)}).to_dict("records")
    assert bare["undecided_fraction"] == pytest.approx(0.3) and np.isnan(bare["saturated_fraction"])


# --------------------------------------------------------------------------------------
# What the counts may miss: Good-Turing and Chao1
# --------------------------------------------------------------------------------------


def test_richness_by_hand():
    """f1 = 2, f2 = 1, S = 6, n = 22 decided starts of N = 30: Good-Turing 2/30; Chao1
    6 + (21/22) 2^2 / 2 with Chao's (1987) variance and log-normal interval."""
    from backprop_landscape.minima.counts import richness

    r = richness([5, 1, 1, 2, 3, 10], 30)
    assert r["missed_mass"] == pytest.approx(2 / 30)
    A = 21 / 22
    T = A * 4 / 2
    var = 1 * (A * 4 / 2 + A**2 * 8 + A**2 * 16 / 4)
    K = np.exp(1.96 * np.sqrt(np.log(1 + var / T**2)))
    assert r["n_estimated"] == pytest.approx(6 + T)
    assert (r["n_low"], r["n_high"]) == pytest.approx((6 + T / K, 6 + T * K))
    # no doubletons: the bias-corrected form
    r = richness([5, 1, 1, 3, 10], 30)
    assert r["n_estimated"] == pytest.approx(5 + (19 / 20) * 2 * 1 / 2)
    # no singletons: nothing seen once, nothing estimated missing
    r = richness([5, 3, 10], 30)
    assert r["missed_mass"] == 0 and r["n_estimated"] == 3 and r["n_low"] == 3
    assert 3 < r["n_high"] < 4


def test_richness_estimates_a_known_population():
    """Draws from 40 basins of geometric sizes: the interval covers 40 far more often than
    not, and the missed mass tracks the true unseen share."""
    from backprop_landscape.minima.counts import richness

    p = 0.8 ** np.arange(40)
    p /= p.sum()
    rng = np.random.default_rng(0)
    covered, errors = 0, []
    for _ in range(200):
        draws = rng.choice(40, size=400, p=p)
        counts = np.bincount(draws, minlength=40)
        r = richness(counts, 400)
        covered += r["n_low"] <= 40 <= r["n_high"]
        errors.append(r["missed_mass"] - p[counts == 0].sum())
    assert covered >= 140
    assert abs(np.mean(errors)) < 0.003
