"""E, its gradient and Hessian; the sign-flip reduction; E minus its limit along a ray;
the fused evaluator, the Hessian's Lipschitz bound and the row space."""

import numpy as np
import pytest

from backprop_landscape.models.neuron import (
    energy,
    energy_above_ray_limit,
    evaluator,
    gradient,
    hessian,
    hessian_lipschitz,
    ray_limit,
    reduce_problem,
    reduce_signs,
    row_space,
)
from backprop_landscape.models.theta import THETA_NAMES, get_theta

RNG = np.random.default_rng(20261128)
A = RNG.normal(size=(7, 3))
Y = np.array([1, -1, 1, 1, -1, -1, 1])
X = RNG.normal(size=(5, 3))


@pytest.fixture(params=THETA_NAMES)
def theta(request):
    return get_theta(request.param)


def test_gradient_against_central_differences(theta):
    At = reduce_signs(A, Y)
    h = 1e-6
    for x in X:
        fd = [
            (energy(At, x + h * e, theta) - energy(At, x - h * e, theta)) / (2 * h)
            for e in np.eye(3)
        ]
        np.testing.assert_allclose(gradient(At, x, theta), fd, rtol=1e-6, atol=1e-8)


def test_hessian_against_differences_of_the_gradient(theta):
    At = reduce_signs(A, Y)
    h = 1e-6
    for x in X:
        fd = np.array(
            [
                (gradient(At, x + h * e, theta) - gradient(At, x - h * e, theta)) / (2 * h)
                for e in np.eye(3)
            ]
        )
        np.testing.assert_allclose(hessian(At, x, theta), fd, rtol=1e-5, atol=1e-7)


def test_batched_calls_equal_single_calls(theta):
    At = reduce_signs(A, Y)
    np.testing.assert_allclose(energy(At, X, theta), [energy(At, x, theta) for x in X])
    np.testing.assert_allclose(gradient(At, X, theta), [gradient(At, x, theta) for x in X])


def test_sign_flip_reduction_gives_the_original_error(theta):
    At = reduce_signs(A, Y)
    original = np.sum((theta.value(X @ A.T) - Y) ** 2, axis=-1)
    np.testing.assert_allclose(energy(At, X, theta), original, rtol=1e-12)


def test_reduction_rejects_a_third_label():
    with pytest.raises(ValueError, match=r"y\[2\] = 0"):
        reduce_signs(np.ones((3, 1)), np.array([1, -1, 0]))


def test_energy_above_limit_matches_direct_difference_and_survives_large_r(theta):
    At = reduce_signs(A, Y)
    d, base = RNG.normal(size=3), np.zeros(3)
    limit = ray_limit(At, d, base, theta)
    r = np.array([0.5, 2.0, 5.0])
    direct = energy(At, base + np.outer(r, d), theta) - limit
    np.testing.assert_allclose(energy_above_ray_limit(At, d, base, r, theta), direct, atol=1e-12)
    far = energy_above_ray_limit(At, d, base, np.array([1e4]), theta)
    assert np.all(np.isfinite(far)) and abs(far[0]) < 1e-2


def test_evaluator_gives_energy_and_gradient_together(theta):
    At = reduce_signs(A, Y)
    E, G = evaluator(At, theta)(3.0 * X)
    np.testing.assert_allclose(E, energy(At, 3.0 * X, theta), rtol=1e-13)
    np.testing.assert_allclose(G, gradient(At, 3.0 * X, theta), rtol=1e-12, atol=1e-300)


def test_hessian_lipschitz_bounds_the_change_of_the_hessian(theta):
    At = reduce_signs(A, Y)
    bound = hessian_lipschitz(At, theta)
    if theta.curvature_slope_bound is None:
        assert bound is None
        return
    x, y = 2.0 * RNG.normal(size=(2, 200, 3))
    change = np.linalg.norm(hessian(At, x, theta) - hessian(At, y, theta), ord=2, axis=(1, 2))
    assert np.all(change <= bound * np.linalg.norm(x - y, axis=1))


def test_row_space_is_an_orthonormal_basis_of_the_rows():
    wide = np.c_[A, A[:, :1]]  # a repeated column: rank 3 of 4
    Q = row_space(wide, 1e-12)
    assert Q.shape == (4, 3)
    np.testing.assert_allclose(Q.T @ Q, np.eye(3), atol=1e-14)
    np.testing.assert_allclose(wide @ Q @ Q.T, wide, atol=1e-12)
    assert row_space(np.zeros((0, 4)), 1e-12).shape == (4, 0)
    assert row_space(np.zeros((2, 4)), 1e-12).shape == (4, 0)


# --------------------------------------------------------------------------------------
# Soft targets: E = sum (theta(z) - t)^2 after the sign flip, t = |y|
# --------------------------------------------------------------------------------------

Y_SOFT = np.array([0.8, -0.8, 0.1, 1.0, -0.999, 0.0, -0.5])


def test_soft_reduction_gives_the_original_error(theta):
    At, t = reduce_problem(A, Y_SOFT)
    np.testing.assert_array_equal(t, np.abs(Y_SOFT))
    np.testing.assert_array_equal(At, A * np.where(Y_SOFT < 0, -1.0, 1.0)[:, None])
    original = np.sum((theta.value(X @ A.T) - Y_SOFT) ** 2, axis=-1)
    np.testing.assert_allclose(energy(At, X, theta, t), original, rtol=1e-12)


def test_hard_targets_reduce_to_none_and_keep_every_value_bit_for_bit(theta):
    At, t = reduce_problem(A, Y.astype(float))
    assert t is None
    np.testing.assert_array_equal(At, reduce_signs(A, Y))
    ones = np.ones(len(Y))
    for f in (energy, gradient, hessian):
        np.testing.assert_array_equal(f(At, 3.0 * X, theta, ones), f(At, 3.0 * X, theta))


def test_reduction_rejects_targets_outside_the_unit_interval():
    with pytest.raises(ValueError, match=r"y\[1\] = 1.5"):
        reduce_problem(np.ones((3, 1)), np.array([0.5, 1.5, 0.0]))
    with pytest.raises(ValueError, match="reduce_problem"):
        reduce_signs(np.ones((2, 1)), np.array([0.8, -0.8]))


def test_soft_gradient_and_hessian_against_differences(theta):
    At, t = reduce_problem(A, Y_SOFT)
    h = 1e-6
    for x in X:
        fd = [
            (energy(At, x + h * e, theta, t) - energy(At, x - h * e, theta, t)) / (2 * h)
            for e in np.eye(3)
        ]
        np.testing.assert_allclose(gradient(At, x, theta, t), fd, rtol=1e-6, atol=1e-8)
        fd = np.array(
            [
                (gradient(At, x + h * e, theta, t) - gradient(At, x - h * e, theta, t)) / (2 * h)
                for e in np.eye(3)
            ]
        )
        np.testing.assert_allclose(hessian(At, x, theta, t), fd, rtol=1e-5, atol=1e-7)


def test_soft_residual_is_exact_on_both_sides_and_vanishes_at_the_target(theta):
    t = np.array([0.8, 0.1, 0.999, 0.0])
    z = theta_inverse(theta, t)
    np.testing.assert_allclose(theta.residual(z, t), 0.0, atol=1e-15)
    deep = np.array([-1e4, -50.0, 50.0, 1e4])
    for tk in t:  # far out the residual is t -+ 1 plus the stable complement
        rho = theta.residual(deep, tk)
        expected = np.where(
            deep > 0, theta.one_minus(deep) - (1 - tk), (1 + tk) - theta.one_plus(deep)
        )
        np.testing.assert_array_equal(rho, expected)
    sign, log_abs = theta.log_residual(np.array([1e6, -1e6]), np.array([1.0, 0.8]))
    assert sign.tolist() == [1.0, 1.0] and np.isfinite(log_abs).all()


def theta_inverse(theta, t):
    from scipy.optimize import brentq

    return np.array(
        [brentq(lambda z, tk=tk: theta.value(z) - tk, -1.0, 1e4, xtol=1e-15) for tk in t]
    )


def test_soft_energy_above_limit_matches_the_direct_difference(theta):
    At, t = reduce_problem(A, Y_SOFT)
    d, base = RNG.normal(size=3), RNG.normal(size=3)
    limit = ray_limit(At, d, base, theta, t)
    slope = At @ d
    expected = np.sum(np.where(slope > 0, (1 - t) ** 2, (1 + t) ** 2))
    assert limit == pytest.approx(expected, rel=1e-14)
    r = np.array([0.5, 2.0, 5.0])
    direct = energy(At, base + np.outer(r, d), theta, t) - limit
    above = energy_above_ray_limit(At, d, base, r, theta, t)
    np.testing.assert_allclose(above, direct, atol=1e-12)
    r_far = np.array([8.0, 1e6]) / np.abs(slope).min()
    far = energy_above_ray_limit(At, d, base, r_far, theta, t)
    assert np.isfinite(far).all() and far[0] < 0 and far[1] <= 0  # soft rows climb to limits


def test_soft_hessian_lipschitz_bounds_the_change_of_the_hessian(theta):
    At, t = reduce_problem(A, Y_SOFT)
    bound = hessian_lipschitz(At, theta, t)
    if theta.curvature_slope_bound is None:
        assert bound is None
        return
    assert bound > hessian_lipschitz(At, theta)
    x, y = 2.0 * RNG.normal(size=(2, 200, 3))
    change = np.linalg.norm(hessian(At, x, theta, t) - hessian(At, y, theta, t), ord=2, axis=(1, 2))
    assert np.all(change <= bound * np.linalg.norm(x - y, axis=1))
