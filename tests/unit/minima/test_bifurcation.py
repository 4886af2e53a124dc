"""The threshold a* where the type-3 problem gains its second minimum."""

import numpy as np
import pytest

from backprop_landscape.minima.bifurcation import fold_residual, tail_threshold, type3_bifurcation
from backprop_landscape.minima.critical1d import critical_points
from backprop_landscape.models.theta import THETA_NAMES, get_theta
from backprop_landscape.problems.families import n2m1_problem


def minima(theta, a):
    t = critical_points(n2m1_problem(3, a).A, theta)
    return t[t.kind == "min"]


def test_tail_thresholds_derived_by_hand():
    # tanh: E - 4 ~ 4 e^{-4x} - 8 e^{-2ax}: positive (a minimum at +inf) iff a > 2.
    assert tail_threshold(get_theta("tanh")) == pytest.approx(2.0, rel=1e-12)
    # erf: e^{-2x^2}/(pi x^2) against 4 e^{-a^2 x^2}/(a x sqrt(pi)): iff a^2 > 2.
    assert tail_threshold(get_theta("erf")) == pytest.approx(np.sqrt(2.0), rel=1e-12)
    # power tails: the 1/x term of the falling row always wins, never a minimum at +inf.
    assert tail_threshold(get_theta("atan")) == np.inf
    assert tail_threshold(get_theta("softsign")) == np.inf


@pytest.mark.parametrize("name", THETA_NAMES)
def test_threshold_separates_one_minimum_from_two(name):
    theta = get_theta(name)
    result = type3_bifurcation(theta)
    a_star = result["a_star"]
    below, above = minima(theta, a_star * (1 - 1e-4)), minima(theta, a_star * (1 + 1e-4))
    assert len(below) == 1 and len(above) == 2
    assert bool(np.isinf(above.x).any()) == result["second_minimum_at_infinity"]


@pytest.mark.parametrize("name", ["atan", "softsign"])
def test_finite_fold_solves_both_equations(name):
    theta = get_theta(name)
    result = type3_bifurcation(theta)
    assert np.isfinite(result["x_fold"]) and not result["second_minimum_at_infinity"]
    d1, d2 = fold_residual(theta, result["a_star"], result["x_fold"])
    assert abs(d1) < 1e-12 and abs(d2) < 1e-12
