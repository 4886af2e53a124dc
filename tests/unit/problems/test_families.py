"""The literature's construction of Auer, Herbster and Warmuth (1996): floor(n/d)^d
minima for n examples in d dimensions, the one-weight chain's count certified by the
exact search (critical1d), for every theta."""

import itertools

import numpy as np
import pytest
from scipy.optimize import brentq

from backprop_landscape.minima.critical1d import critical_points
from backprop_landscape.models.neuron import energy, reduce_problem
from backprop_landscape.models.theta import THETA_NAMES, get_theta
from backprop_landscape.problems.families import (
    AHW_TARGET,
    ahw_chain,
    ahw_lengths,
    ahw_problem,
)
from backprop_landscape.problems.problem import problem_from_frame, problem_to_frame


@pytest.fixture(params=THETA_NAMES)
def theta(request):
    return get_theta(request.param)


@pytest.mark.parametrize("length", range(1, 8))
def test_the_chain_has_one_finite_minimum_per_example(theta, length):
    """Certified count: every critical point of the chain, by the exact search."""
    u = ahw_chain(length)
    table = critical_points(u[:, None], theta, np.full(length, AHW_TARGET))
    minima = table[table.kind == "min"]
    assert len(minima) == length and not minima.at_infinity.any()
    assert table.kind.iloc[0] == table.kind.iloc[-1] == "max"  # both ends climb from below
    # example j's minimum sits near its own valley theta^-1(t) / u_j
    z_star = brentq(lambda z: theta.value(z) - AHW_TARGET, 0.0, 10.0, xtol=1e-15)
    x = np.sort(minima.x.to_numpy())
    # each within a factor 2 of its own valley (the others' slopes shift it, most for the
    # weak walls of the power tails), so the minima are the examples' own
    assert np.all(np.abs(np.log(x / np.sort(z_star / u))) < np.log(2.0))


@pytest.mark.parametrize("n,d", [(3, 1), (6, 2), (9, 3), (7, 3), (4, 2)])
def test_the_product_over_axes_has_the_product_of_the_chains_minima(theta, n, d):
    problem = ahw_problem(n, d)
    assert problem.A.shape == (n, d) and np.all(problem.y == AHW_TARGET)
    assert np.count_nonzero(problem.A, axis=1).tolist() == [1] * n  # one axis per example
    lengths = ahw_lengths(n, d)
    assert sum(lengths) == n and min(lengths) == n // d
    A, t = reduce_problem(problem.A, problem.y)
    chains = []
    for k, length in enumerate(lengths):
        rows = problem.A[:, k] != 0
        table = critical_points(A[rows][:, k : k + 1], theta, t[rows])
        chains.append(table[table.kind == "min"])
        assert len(chains[-1]) == length
    assert np.prod([len(c) for c in chains]) >= (n // d) ** d
    for combo in itertools.islice(itertools.product(*[c.itertuples() for c in chains]), 5):
        x = np.array([r.x for r in combo])
        assert energy(A, x, theta, t) == pytest.approx(sum(r.E for r in combo), rel=1e-12)


def test_soft_targets_survive_the_problem_table():
    problem = ahw_problem(6, 2)
    frame = problem_to_frame(problem)
    assert frame["y"].dtype == np.float64
    back = problem_from_frame(frame, problem.name)
    np.testing.assert_array_equal(back.y, problem.y)
    assert back.soft


@pytest.mark.parametrize("n,d,message", [(2, 3, "at least one example"), (0, 1, "n must")])
def test_bad_sizes_are_named(n, d, message):
    with pytest.raises(ValueError, match=message):
        ahw_problem(n, d)
