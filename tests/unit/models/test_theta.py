"""The theta family: oddness, limits, stable complements, derivatives and declared tails."""

import numpy as np
import pytest

from backprop_landscape.models.theta import THETA_NAMES, _log1p_square, get_theta

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


def test_fast_kernels_match_the_primitives(theta):
    """The closed forms of the descent's fast path against one_minus, d1 and d2."""
    a = np.r_[0.0, np.geomspace(1e-9, 25.0, 400), [60.0, 250.0]]
    a = a[a <= theta.fast_clip]
    u, d1, d2 = theta.fast_tail_terms(a)
    assert theta.fast_one_minus(a) == pytest.approx(theta.one_minus(a), rel=1e-14, abs=1e-300)
    assert u == pytest.approx(theta.one_minus(a), rel=1e-14, abs=1e-300)
    assert d1 == pytest.approx(theta.d1(a), rel=1e-12, abs=1e-300)
    # |theta''| only to absolute accuracy near 0: tanh's forms 1 - u there by subtraction
    assert d2 == pytest.approx(np.abs(theta.d2(a)), rel=1e-12, abs=1e-15)


#: Margins from the middle to the float limit, both signs, with the edge cases.
WIDE = np.r_[
    np.linspace(-40.0, 40.0, 801),
    np.geomspace(1e-300, 1e308, 300),
    -np.geomspace(1e-300, 1e308, 300),
    [0.0, -0.0, np.inf, -np.inf, np.nan],
]


@pytest.mark.parametrize("soft", [False, True])
def test_residual_and_d1_are_residual_and_d1_bit_for_bit(theta, soft):
    """The descent loops' fused pair must not move a table's bits: same values exactly."""
    t = np.resize([1.0, 0.8, -0.3], WIDE.size) if soft else None
    with np.errstate(all="ignore"):
        pair = theta.residual_and_d1(WIDE, t)
        np.testing.assert_array_equal(pair[0], theta.residual(WIDE, t))
        np.testing.assert_array_equal(pair[1], theta.d1(WIDE))
        scalar = theta.residual_and_d1(2.5)
        assert scalar == (theta.residual(2.5), theta.d1(2.5))


def test_log1p_square_is_the_same_with_or_without_a_huge_entry_alongside():
    """Its shortcut (no |z| > 1e150 in the array) and the general branch agree entry by entry."""
    z = np.r_[np.linspace(-1e3, 1e3, 2001), 1e-200, 1e150, -1e150]
    alone = _log1p_square(z)
    beside_huge = _log1p_square(np.r_[z, 1e300])
    np.testing.assert_array_equal(alone, beside_huge[:-1])
    assert beside_huge[-1] == 2.0 * np.log(1e300)
    np.testing.assert_allclose(alone[:2001], np.log1p(z[:2001] ** 2), rtol=1e-15)


def test_curvature_slope_bound_holds_where_the_curvature_is_smooth(theta):
    if not theta.smooth_curvature:  # softsign: theta'' jumps at 0, so does c
        assert theta.curvature_slope_bound is None
        return
    z = np.random.default_rng(0).uniform(-60.0, 60.0, 100_000)
    assert np.abs(theta.curvature_slope(z)).max() <= theta.curvature_slope_bound


def test_linear_range_is_where_the_squared_slope_reaches_1e_minus_200(theta):
    assert 2.0 * theta.log_d1(theta.linear_range) == pytest.approx(np.log(1e-200), rel=1e-9)


def test_log_curvature_reuses_logs_the_caller_already_has(theta):
    z = np.r_[-Z, 30.0, -300.0]
    ours = theta.log_curvature(z, log_one_minus=theta.log_one_minus(z), log_d1=theta.log_d1(z))
    np.testing.assert_array_equal(ours, theta.log_curvature(z))
