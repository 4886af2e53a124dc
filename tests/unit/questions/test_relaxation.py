"""Open question 3: counting evaluations, success curves, the box and the global minimum."""

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import dual_annealing, minimize

from backprop_landscape.figures.relaxation import relaxation_figure
from backprop_landscape.minima.critical1d import critical_points
from backprop_landscape.models.neuron import energy, gradient
from backprop_landscape.models.theta import THETAS, get_theta
from backprop_landscape.problems.families import product_problem
from backprop_landscape.questions.relaxation import (
    METHODS,
    BudgetExhausted,
    CountingEnergy,
    annealing_box,
    budget_grid,
    global_reference,
    ray_reach,
    relaxation_experiment,
    run_method,
    saturation_margin,
    success_probability,
    wilson_interval,
)

TANH = get_theta("tanh")
SMALL = {  # a few hundred evaluations per repeat: the whole module runs in seconds
    "repeats": 6,
    "max_evals": 400,
    "per_decade": 4,
    "tol": 1e-3,
    "seed": 0,
    "start_scale": 1.0,
    "box_factor": 2.0,
    "hopping_stepsize": 0.5,
    "hopping_temperature": 1.0,
    "minima_starts": 200,
}
SETTINGS = {
    "start_scale": 1.0,
    "box_halfwidth": 10.0,
    "hopping_stepsize": 0.5,
    "hopping_temperature": 1.0,
}


def product_matrix(m, a):
    """m copies of the type-3 block (1, -a)' on the diagonal (built here, independently)."""
    A = np.zeros((2 * m, m))
    for j in range(m):
        A[2 * j, j], A[2 * j + 1, j] = 1.0, -a
    return A


# --------------------------------------------------------------------------------------
# Counting
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(THETAS))
@pytest.mark.parametrize("soft", [False, True])
def test_fun_and_grad_give_the_bits_of_energy_and_gradient(name, soft):
    # One pass over the margins serves both; the methods must see the values the
    # separate functions give, bit for bit, or their runs (and the tables) would change.
    theta = get_theta(name)
    rng = np.random.default_rng(7)
    A = rng.normal(size=(9, 3))
    targets = rng.uniform(0.2, 1.0, 9) if soft else None
    f = CountingEnergy(A, theta, max_evals=10**6, targets=targets)
    for x in rng.normal(scale=3.0, size=(50, 3)):
        value, g = f.fun_and_grad(x)
        assert value == float(energy(A, x, theta, targets))
        np.testing.assert_array_equal(g, gradient(A, x, theta, targets))


def test_counter_counts_each_call_exactly_and_records_what_it_revealed():
    A = product_matrix(2, 10.0)
    f = CountingEnergy(A, TANH, max_evals=100)
    x = np.array([0.3, -0.2])
    assert f.fun(x) == pytest.approx(float(energy(A, x, TANH)))
    f.grad(x)
    value, g = f.fun_and_grad(x)
    assert f.n_evals == 1 + 1 + 2
    np.testing.assert_array_equal(f.trace, [value, np.inf, value, np.inf])
    for _ in range(7):
        f.fun(x)
    assert f.n_evals == 11


def test_counter_stops_before_passing_the_budget():
    f = CountingEnergy(product_matrix(1, 10.0), TANH, max_evals=5)
    x = np.zeros(1)
    f.fun(x)
    f.fun_and_grad(x)
    f.fun_and_grad(x)  # 5 evaluations: exactly the budget
    with pytest.raises(BudgetExhausted):
        f.fun(x)
    assert f.n_evals == 5
    g = CountingEnergy(product_matrix(1, 10.0), TANH, max_evals=4)
    g.fun(x)
    g.fun_and_grad(x)
    with pytest.raises(BudgetExhausted):  # would cost 2, only 1 left: nothing is spent
        g.fun_and_grad(x)
    assert g.n_evals == 3


def test_counter_matches_scipy_counts_for_lbfgsb():
    A = product_matrix(3, 10.0)
    f = CountingEnergy(A, TANH, max_evals=10**6)
    result = minimize(f.fun_and_grad, np.array([0.5, -0.3, 2.0]), jac=True, method="L-BFGS-B")
    assert result.nfev >= 2
    assert f.n_evals == 2 * result.nfev  # each call: one E and one gradient


def test_counter_matches_scipy_counts_for_dual_annealing():
    A = product_matrix(2, 10.0)
    f = CountingEnergy(A, TANH, max_evals=10**6)
    local = {"method": "L-BFGS-B", "jac": f.grad, "bounds": [(-5, 5)] * 2}
    result = dual_annealing(
        f.fun, [(-5, 5)] * 2, maxiter=20, minimizer_kwargs=local, rng=np.random.default_rng(1)
    )
    assert f.n_evals == result.nfev + result.njev
    assert np.count_nonzero(np.isfinite(f.trace)) == result.nfev


def test_best_so_far_is_the_running_minimum_and_pads_with_the_last_value():
    f = CountingEnergy(product_matrix(1, 10.0), TANH, max_evals=8)
    for x in (2.0, -0.1, 0.3):
        f.fun(np.array([x]))
    f.grad(np.array([0.0]))
    values = [float(energy(f.A, np.array([x]), TANH)) for x in (2.0, -0.1, 0.3)]
    expected = np.minimum.accumulate(values + [np.inf])
    best = f.best_so_far()
    assert best.shape == (8,)
    np.testing.assert_array_equal(best[:4], expected)
    np.testing.assert_array_equal(best[4:], expected[-1])
    assert np.all(CountingEnergy(f.A, TANH, 3).best_so_far() == np.inf)


@pytest.mark.parametrize("method", METHODS)
def test_every_method_spends_its_budget_and_improves_monotonically(method):
    A = product_matrix(3, 10.0)
    rng = np.random.default_rng(3)
    f = run_method(method, A, TANH, np.array([0.2, 0.9, -0.4]), rng, 300, SETTINGS)
    assert 299 <= f.n_evals <= 300  # a two-evaluation call may not fit in the last one
    best = f.best_so_far()
    assert np.all(np.diff(best) <= 0)
    assert np.isfinite(best[-1])


@pytest.mark.parametrize("method", METHODS)
def test_a_method_is_reproducible_from_its_seed(method):
    A = product_matrix(2, 10.0)
    runs = [
        run_method(method, A, TANH, np.array([0.7, -0.5]), np.random.default_rng(9), 200, SETTINGS)
        for _ in range(2)
    ]
    np.testing.assert_array_equal(runs[0].trace, runs[1].trace)


def test_unknown_method_is_named():
    with pytest.raises(ValueError, match="'sgd'"):
        run_method("sgd", product_matrix(1, 1.0), TANH, np.zeros(1), None, 10, SETTINGS)


# --------------------------------------------------------------------------------------
# Budgets, probabilities, intervals
# --------------------------------------------------------------------------------------


def test_budget_grid_is_log_spaced_integers_from_one_to_max():
    grid = budget_grid(3000, 8)
    assert grid[0] == 1 and grid[-1] == 3000
    assert np.all(np.diff(grid) > 0)
    assert np.issubdtype(grid.dtype, np.integer)
    assert 20 <= grid.size <= 29
    np.testing.assert_array_equal(budget_grid(1, 4), [1])


def test_success_probability_counts_repeats_below_target_after_each_budget():
    best = np.array(
        [
            [5.0, 3.0, 1.0, 1.0],
            [5.0, 5.0, 5.0, 0.5],
            [np.inf, 2.0, 2.0, 2.0],
        ]
    )
    p = success_probability(best, [1, 2, 3, 4], target=1.0)
    np.testing.assert_allclose(p, [0.0, 0.0, 1 / 3, 2 / 3])
    with pytest.raises(ValueError, match="budgets"):
        success_probability(best, [5], target=1.0)


def test_wilson_interval_brackets_the_share_and_stays_in_unit_interval():
    k = np.array([0, 3, 10])
    low, high = wilson_interval(k, 10)
    p = k / 10
    assert np.all((low <= p) & (p <= high))
    assert low[0] == 0.0 and high[-1] == 1.0
    assert high[0] == pytest.approx(0.2775, abs=1e-3)  # the textbook value for 0 of 10


# --------------------------------------------------------------------------------------
# The box and the reference minimum
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(THETAS))
def test_saturation_margin_makes_n_rows_add_exactly_tol(name):
    theta = get_theta(name)
    z = saturation_margin(theta, 1e-3, 6)
    assert 6 * theta.one_minus(z) ** 2 == pytest.approx(1e-3, rel=1e-8)


def test_saturation_margin_of_tanh_follows_its_tail():
    # 1 - tanh z = 2 / (1 + e^{2z}) ~ 2 e^{-2z}; n (1 - tanh z)^2 = tol
    z = saturation_margin(TANH, 1e-4, 1)
    assert z == pytest.approx(0.5 * np.log(2.0 / np.sqrt(1e-4) - 1.0), rel=1e-10)
    assert z == pytest.approx(0.5 * np.log(2.0 / np.sqrt(1e-4)), rel=1e-2)  # the tail alone


def test_ray_reach_is_where_the_limit_is_within_tol():
    # type 2, a = 1: E(x) = 2 (1 - tanh x)^2 -> 0 as x -> +inf
    A = np.array([[1.0], [1.0]])
    reach = ray_reach(A, TANH, np.zeros(1), np.ones(1), 1e-3)
    assert float(energy(A, np.array([reach]), TANH)) <= 1e-3
    assert float(energy(A, np.array([0.9 * reach]), TANH)) > 1e-3 * 0.5
    # a row of slope 1e-12 is only at z = 1 by r = 1e12: (1 - tanh 1)^2 = 0.057 > tol
    assert ray_reach(np.array([[1e-12]]), TANH, np.zeros(1), np.ones(1), 1e-3) == np.inf


def test_annealing_box_holds_the_reach_and_the_row_scale():
    A = product_matrix(2, 10.0)
    L, row_scale = annealing_box(A, TANH, 1e-3, reach=0.1, start_scale=1.0, box_factor=2.0)
    assert row_scale == pytest.approx(saturation_margin(TANH, 1e-3, 4) / 1.0)
    assert L == pytest.approx(2.0 * max(row_scale, 1.0))
    L, _ = annealing_box(A, TANH, 1e-3, reach=500.0, start_scale=1.0, box_factor=3.0)
    assert L == pytest.approx(1500.0)


@pytest.mark.parametrize("m", [1, 2, 3])
def test_product_global_minimum_is_m_times_the_block_minimum(m):
    a = 10.0
    block = critical_points(np.array([[1.0], [-a]]), TANH)
    e_block = block.loc[block["kind"] == "min", "E"].min()
    ref = global_reference(product_matrix(m, a), TANH, n_starts=300, seed=0, tol=1e-3)
    assert not ref["at_infinity"]  # the finite block minimum (1.27) beats the limit 4
    assert ref["E"] == pytest.approx(m * e_block, rel=1e-10)


def test_lead_product_family_is_the_matrix_built_here():
    np.testing.assert_array_equal(product_problem(3, 10.0).A, product_matrix(3, 10.0))


# --------------------------------------------------------------------------------------
# The experiment
# --------------------------------------------------------------------------------------


def test_experiment_on_the_product_problem_finds_the_closed_form_minimum():
    m, a = 2, 10.0
    block = critical_points(np.array([[1.0], [-a]]), TANH)
    e_global = m * block.loc[block["kind"] == "min", "E"].min()
    table = relaxation_experiment(product_matrix(m, a), TANH, problem="product/m2_a10", **SMALL)
    assert set(table["method"]) == set(METHODS)
    assert table["E_global"].iloc[0] == pytest.approx(e_global, rel=1e-10)
    assert table["E_global_source"].iloc[0] == "find_minima"
    assert table["E_found"].iloc[0] >= e_global - 1e-12  # nothing below the true minimum
    for _, curve in table.groupby("method"):
        p = curve.sort_values("budget")["p_global"].to_numpy()
        assert np.all(np.diff(p) >= 0)  # P never falls with more budget
        assert p[0] == 0.0  # one evaluation cannot reach it from a random start
    # multistart restarts from fresh starts: with 400 evaluations (about 20 descents)
    # every repeat finds the finite minimum of both blocks
    final = table[table["budget"] == SMALL["max_evals"]].set_index("method")
    assert final.loc["multistart", "p_global"] == 1.0
    assert (final["p_low"] <= final["p_global"]).all()
    assert (final["p_global"] <= final["p_high"]).all()


@pytest.mark.parametrize(
    "A, at_infinity, E",
    [
        (np.array([[1.0], [-1.0]]), False, 2.0),  # type 3, a = 1: E = 2 + 2 tanh^2, min at 0
        (np.array([[1.0], [1.0]]), True, 0.0),  # type 2, a = 1: no minimum but E -> 0
    ],
)
def test_every_method_reaches_a_lone_minimum_given_enough_budget(A, at_infinity, E):
    table = relaxation_experiment(A, TANH, problem="lone", **{**SMALL, "max_evals": 300})
    first = table.iloc[0]
    assert bool(first["minima_at_infinity"]) == at_infinity
    assert first["E_global"] == pytest.approx(E, abs=1e-9)
    final = table[table["budget"] == 300]
    assert (final["p_global"] == 1.0).all(), final[["method", "p_global"]]


def test_experiment_is_deterministic_and_seed_dependent():
    A = product_matrix(2, 10.0)
    kwargs = {**SMALL, "repeats": 3, "max_evals": 100}
    one = relaxation_experiment(A, TANH, problem="p", **kwargs)
    two = relaxation_experiment(A, TANH, problem="p", **kwargs)
    assert one.equals(two)
    other = relaxation_experiment(A, TANH, problem="p", **{**kwargs, "seed": 1})
    assert not one["p_global"].equals(other["p_global"]) or not one["E_best"].equals(
        other["E_best"]
    )


def test_relaxation_figure_has_one_panel_per_problem_and_theta():
    A = product_matrix(1, 10.0)
    kwargs = {**SMALL, "repeats": 2, "max_evals": 60}
    table = relaxation_experiment(A, TANH, problem="product/m1_a10", **kwargs)
    both = [table.assign(problem="p", theta="tanh"), table.assign(problem="q", theta="tanh")]
    fig = relaxation_figure(pd.concat(both, ignore_index=True))
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert len(visible) == 2
    assert visible[0].get_xscale() == "log"
    with pytest.raises(ValueError, match="empty"):
        relaxation_figure(table.iloc[:0].assign(problem="p", theta="tanh"))


def test_a_lower_value_found_by_search_becomes_the_reference(monkeypatch):
    import backprop_landscape.questions.relaxation as relaxation

    def missed(*args, **kwargs):  # a minimum search that missed the global minimum
        return {"E": 10.0, "at_infinity": False, "reach": 0.1}

    monkeypatch.setattr(relaxation, "global_reference", missed)
    table = relaxation.relaxation_experiment(
        product_matrix(1, 10.0), TANH, problem="p", **{**SMALL, "repeats": 2, "max_evals": 100}
    )
    first = table.iloc[0]
    assert first["E_global_source"] == "search"
    assert first["E_minima"] == 10.0
    assert first["E_global"] == first["E_found"] < 10.0
