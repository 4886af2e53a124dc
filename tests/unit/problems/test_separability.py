"""Separability through the origin, the max-margin SVM, angles and random problems."""

import numpy as np
import pytest
from scipy.optimize import minimize

from backprop_landscape.problems.separability import (
    angle_to,
    check_separable,
    cover_probability,
    is_separable,
    kkt_violation,
    lemma_hypothesis,
    max_margin,
    max_margin_solution,
    random_problem,
    weakly_separable,
)

# XOR with a bias column, after the sign flip: labels -1, -1, +1, +1.
XOR = np.array([[0, 0, 1], [1, 1, 1], [0, 1, 1], [1, 0, 1]], dtype=float)
XOR_TILDE = XOR * np.array([-1, -1, 1, 1])[:, None]


def assert_gordan(A_tilde, lam):
    """lam >= 0, sum 1, and the rows' combination vanishes: no w separates them."""
    assert np.all(lam >= 0) and lam.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(np.asarray(A_tilde).T @ lam, 0.0, atol=1e-9)


def test_separable_set_has_a_certificate():
    A = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 2.0]])
    result = check_separable(A)
    assert result.separable and result.lam is None
    assert np.all(A @ result.w >= 1.0 - 1e-12)


@pytest.mark.parametrize(
    "A_tilde",
    [
        XOR_TILDE,
        np.array([[1.0, 2.0], [-1.0, -2.0]]),  # u and -u with the same label
        np.array([[1.0, 2.0], [0.0, 0.0]]),  # a zero row
        np.array([[1.0], [-3.0]]),
    ],
    ids=["xor", "opposite", "zero-row", "m1-opposite-signs"],
)
def test_non_separable_sets_have_a_gordan_certificate(A_tilde):
    result = check_separable(A_tilde)
    assert not result.separable and result.w is None
    assert_gordan(A_tilde, result.lam)
    with pytest.raises(ValueError, match="not strictly separable"):
        max_margin(A_tilde)


def test_duplicate_rows_change_nothing():
    A = np.array([[1.0, 0.0], [0.0, 1.0]])
    doubled = np.vstack([A, A, [[2.0, 2.0]]])
    assert is_separable(doubled)
    w, gamma = max_margin(doubled)
    np.testing.assert_allclose(w, [1.0, 1.0], atol=1e-12)
    solution = max_margin_solution(doubled)
    assert kkt_violation(doubled, solution.w_hat, solution.alpha) < 1e-12


def test_weak_and_strict_separability_differ():
    # (1, 0) and (-1, 0) cancel; nu = (0, 1) keeps both at 0 and the third row positive.
    A = np.array([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0]])
    assert weakly_separable(A) and not is_separable(A)
    assert not weakly_separable(np.array([[1.0, 2.0], [-1.0, -2.0]]))
    assert not weakly_separable(np.zeros((2, 2)))


def test_lemma_hypothesis_implies_separability():
    independent = np.array([[1.0, 0.0, 2.0], [-1.0, 1.0, 0.0]])
    assert lemma_hypothesis(independent) and is_separable(independent)
    assert not lemma_hypothesis(np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]))  # n > m


def test_max_margin_by_hand():
    w, gamma = max_margin(np.array([[1.0, 0.0], [0.0, 1.0]]))
    np.testing.assert_allclose(w, [1.0, 1.0], atol=1e-12)
    assert gamma == pytest.approx(1.0 / np.sqrt(2.0))
    # A single row a: w_hat = a / ||a||^2 and gamma = ||a||.
    w, gamma = max_margin(np.array([[3.0, 4.0]]))
    np.testing.assert_allclose(w, [0.12, 0.16], atol=1e-12)
    assert gamma == pytest.approx(5.0)


@pytest.mark.parametrize(("n", "m"), [(5, 3), (20, 3), (50, 10), (3, 5), (200, 2)])
@pytest.mark.parametrize("seed", [0, 1])
def test_max_margin_satisfies_kkt_and_matches_slsqp(n, m, seed):
    A, y = random_problem(n, m, seed, separable=True)
    A_tilde = A * y[:, None]
    solution = max_margin_solution(A_tilde)
    assert kkt_violation(A_tilde, solution.w_hat, solution.alpha) < 1e-9
    np.testing.assert_allclose(A_tilde[solution.support] @ solution.w_hat, 1.0, atol=1e-8)
    assert solution.gamma == pytest.approx(1.0 / np.linalg.norm(solution.w_hat))
    # An independent solver of the primal QP agrees.
    slsqp = minimize(
        lambda w: w @ w,
        x0=check_separable(A_tilde).w,
        jac=lambda w: 2.0 * w,
        constraints=[
            {"type": "ineq", "fun": lambda w: A_tilde @ w - 1.0, "jac": lambda w: A_tilde}
        ],
        method="SLSQP",
        options={"ftol": 1e-14, "maxiter": 1000},
    )
    np.testing.assert_allclose(slsqp.x, solution.w_hat, rtol=1e-5, atol=1e-8)


def test_angle_to():
    w = np.array([1.0, 0.0])
    x = np.array([[2.0, 0.0], [0.0, 3.0], [-1.0, 0.0], [1.0, 1.0], [0.0, 0.0], [1.0, 1e-12]])
    angles = angle_to(x, w)
    np.testing.assert_allclose(angles[:4], [0.0, np.pi / 2, np.pi, np.pi / 4], atol=1e-15)
    assert np.isnan(angles[4])  # x = 0 has no direction
    assert angles[5] == pytest.approx(1e-12, rel=1e-6)  # accurate where arccos is not
    assert angle_to(x.reshape(2, 3, 2), w).shape == (2, 3)
    assert angle_to(x[3], w) == pytest.approx(np.pi / 4)
    with pytest.raises(ValueError, match="nonzero"):
        angle_to(x, np.zeros(2))


@pytest.mark.parametrize("separable", [True, False])
def test_random_problem_is_deterministic_and_as_asked(separable):
    A, y = random_problem(12, 3, 7, separable)
    again = random_problem(12, 3, 7, separable)
    np.testing.assert_array_equal(A, again[0])
    np.testing.assert_array_equal(y, again[1])
    assert A.shape == (12, 3) and y.dtype == np.int64 and set(np.unique(y)) <= {-1, 1}
    assert is_separable(A * y[:, None]) == separable
    other = random_problem(12, 3, 8, separable)[0]
    assert not np.array_equal(A, other)


def test_random_non_separable_needs_more_points_than_dimensions():
    with pytest.raises(ValueError, match="n > m"):
        random_problem(3, 3, 0, separable=False)
    # n = m + 1 = 31: a random labelling is non-separable with probability 2^-30.
    with pytest.raises(ValueError, match="Cover"):
        random_problem(31, 30, 0, separable=False, max_tries=3)


def test_cover_probability():
    assert cover_probability(3, 3) == 1.0
    assert cover_probability(4, 3) == pytest.approx(7 / 8)
    assert cover_probability(5000, 3) == 0.0


@pytest.mark.parametrize(
    ("args", "message"),
    [((0, 2, 0, True), "n must be"), ((4, 2, -1, True), "seed must be"), ((4, 2.0, 0, True), "m")],
)
def test_random_problem_validates_its_arguments(args, message):
    with pytest.raises(ValueError, match=message):
        random_problem(*args)


def test_bad_matrices_are_rejected():
    with pytest.raises(ValueError, match="n x m"):
        is_separable(np.ones(3))
    with pytest.raises(ValueError, match="finite"):
        is_separable(np.array([[1.0, np.inf]]))


@pytest.mark.parametrize("data", ["iris_c0", "iris_c2"])
def test_max_margin_matches_a_linear_svm_of_scikit_learn(data):
    """A hard-margin SVM without intercept is LinearSVC(fit_intercept=False) with hinge
    loss once C exceeds every multiplier (then no slack is worth paying for); liblinear's
    dual coordinate descent is an independent solver."""
    from sklearn.svm import LinearSVC

    from backprop_landscape.problems.datasets import dataset_problem

    problem = dataset_problem(data, seed=0)  # separable with the bias column
    A, y = problem.A, problem.y
    solution = max_margin_solution(A * y[:, None])
    w_hat, gamma = solution.w_hat, solution.gamma
    C = 10.0 * solution.alpha.max()
    svm = LinearSVC(loss="hinge", C=C, fit_intercept=False, tol=1e-12, max_iter=10**6)
    w_svm = svm.fit(A, y).coef_[0]
    assert angle_to(w_svm[None, :], w_hat)[0] < 1e-8
    assert np.linalg.norm(w_svm) == pytest.approx(np.linalg.norm(w_hat), rel=1e-8)
    assert np.min(y * (A @ w_svm)) == pytest.approx(1.0, abs=1e-8)  # margin 1/||w||
    assert gamma == pytest.approx(1.0 / np.linalg.norm(w_svm), rel=1e-8)
