"""The leading tail monomials of E along a ray, for hard and soft targets, against direct
evaluation of E minus its limit (models.neuron.energy_above_ray_limit)."""

import numpy as np
import pytest

from backprop_landscape.models.neuron import energy_above_ray_limit
from backprop_landscape.models.tails import dominance_start, energy_tail, limit_is_minimum
from backprop_landscape.models.theta import THETA_NAMES, get_theta

SLOPES = np.array([1.0, 2.5, -3.0, 0.7, -0.4, 0.0])


@pytest.fixture(params=THETA_NAMES)
def theta(request):
    return get_theta(request.param)


@pytest.mark.parametrize(
    "targets",
    [None, np.array([1.0, 0.8, 1.0, 0.999, 0.1, 0.5]), np.array([0.0, 0.3, 0.9, 0.6, 1.0, 1.0])],
)
def test_each_rows_monomial_is_its_leading_term(theta, targets):
    """Row by row, (E - E_inf along x d) / (the row's monomial) tends to 1 as x grows."""
    tail = energy_tail(SLOPES, theta, targets)
    for i, s in enumerate(SLOPES):
        if s == 0:
            assert tail.log_coef[i] == -np.inf
            continue
        t = None if targets is None else targets[i : i + 1]
        xs = (np.array([1e3, 1e5]) if theta.tail.k == 0 else np.array([6.0, 9.0])) / abs(s)
        ratios = []
        for x in xs:
            exact = energy_above_ray_limit([[s]], [1.0], [0.0], [x], theta, t)[0]
            ratios.append(exact / (tail.sign[i] * np.exp(tail.log_abs(x)[i])))
        assert abs(ratios[-1] - 1) <= max(abs(ratios[0] - 1), 1e-3) and abs(ratios[-1] - 1) < 0.1


def test_a_soft_row_at_plus_one_is_approached_from_below(theta):
    """Hard rows at +1 rise to the limit from above (e^-2kz); a soft one falls short (e^-kz)."""
    assert limit_is_minimum([2.0, 1.0], theta)
    assert not limit_is_minimum([2.0, 1.0], theta, np.array([1.0, 0.8]))
    if theta.name == "tanh":  # rates tie (2k * 1 = k * 2), no powers: the coefficients
        # decide, C^2 = 4 against 2 (1 - t) C = 0.8
        assert limit_is_minimum([1.0, 2.0], theta, np.array([1.0, 0.8]))
    assert not limit_is_minimum([1.0], theta, np.array([0.999]))


def test_dominance_start_holds_for_soft_rows(theta):
    targets = np.array([1.0, 0.8, 1.0])
    slopes = np.array([1.0, 3.0, -2.0])
    mono = energy_tail(slopes, theta, targets)
    x0 = dominance_start(mono, 4.0)
    _, lead = mono.dominant()
    others = np.setdiff1d(np.flatnonzero(np.isfinite(mono.log_coef)), lead)
    for x in x0 * np.array([1.0, 3.0, 10.0]):
        logs = mono.log_abs(x)
        assert np.all(logs[lead].max() >= np.log(4.0) + logs[others] - 1e-9)
