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
