"""The theta family: oddness, limits, stable complements, derivatives and declared tails."""

import numpy as np
import pytest

from backprop_landscape.models.theta import THETA_NAMES, get_theta

Z = np.array([-7.5, -2.0, -0.6, -0.1, 0.0, 0.1, 0.6, 2.0, 7.5])


@pytest.fixture(params=THETA_NAMES)
def theta(request):
    return get_theta(request.param)


def test_odd_increasing_and_bounded(theta):
    np.testing.assert_allclose(theta.value(-Z), -theta.value(Z), rtol=0, atol=1e-15)
    assert np.all(np.diff(theta.value(Z)) > 0)
    assert np.all(theta.one_minus(Z) > 0) and np.all(theta.one_plus(Z) > 0)  # never reaches +-1


def test_complements_match_subtraction_where_that_is_safe(theta):
    np.testing.assert_allclose(theta.one_minus(Z), 1 - theta.value(Z), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(theta.one_plus(Z), 1 + theta.value(Z), rtol=1e-12, atol=1e-15)


def test_derivatives_against_central_differences(theta):
    z = np.array([-2.3, -0.7, 0.4, 1.9])  # away from softsign's kink at 0
    h = 1e-5
    for f, df in ((theta.value, theta.d1), (theta.d1, theta.d2), (theta.d2, theta.d3)):
        np.testing.assert_allclose((f(z + h) - f(z - h)) / (2 * h), df(z), rtol=1e-7, atol=1e-9)


def test_logs_agree_with_values(theta):
    np.testing.assert_allclose(theta.log_one_minus(Z), np.log(theta.one_minus(Z)), rtol=1e-12)
    np.testing.assert_allclose(theta.log_d1(Z), np.log(theta.d1(Z)), rtol=1e-12)
    nonzero = Z[Z != 0]
    np.testing.assert_allclose(
        theta.log_abs_d2(nonzero), np.log(np.abs(theta.d2(nonzero))), rtol=1e-12, atol=1e-12
    )
    sign, log_abs = theta.log_curvature(nonzero)
    np.testing.assert_allclose(sign * np.exp(log_abs), theta.curvature(nonzero), rtol=1e-10)


def test_declared_tail_is_the_leading_behaviour(theta):
    tail = theta.tail
    z = np.array([tail.z_asym * 10, tail.z_asym * 100]) if tail.k == 0 else np.array([15.0, 25.0])
    leading = np.log(tail.C) - tail.p * np.log(z) - tail.k * z**tail.q
    ratio = np.exp(theta.log_one_minus(z) - leading)
    np.testing.assert_allclose(ratio, 1.0, rtol=0.02)


def test_logs_stay_finite_deep_in_the_tails(theta):
    z = np.array([-1e6, -800.0, 800.0, 1e6])
    assert np.all(np.isfinite(theta.log_one_minus(z)))
    assert np.all(np.isfinite(theta.log_d1(z)))
    assert np.all(np.isfinite(theta.log_curvature(z)[1]))


def test_tanh_complement_has_full_relative_accuracy_at_large_z():
    z = 30.0
    exact = 2 * np.exp(-2 * z) / (1 + np.exp(-2 * z))
    assert get_theta("tanh").one_minus(z) == pytest.approx(exact, rel=1e-14)


def test_unknown_theta_is_named():
    with pytest.raises(ValueError, match="'sigmoid'"):
        get_theta("sigmoid")
