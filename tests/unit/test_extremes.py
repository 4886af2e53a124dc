"""Numerical extremes: huge and tiny inputs, degenerate matrices, short runs.

numpy's overflow, invalid and divide warnings are errors in every test (pyproject's
filterwarnings), so each test here also checks that nothing overflows on the way.
Each case once exposed a defect (a resolution floor, a log underflow, a power overflow).
"""

import math

import numpy as np
import pandas as pd
import pytest

from backprop_landscape.logrule.tables import DIVERGENCE_TOL, divergence_counts, growth_laws
from backprop_landscape.minima.critical1d import critical_points
from backprop_landscape.models.neuron import energy, gradient, hessian
from backprop_landscape.models.theta import THETA_NAMES, get_theta
from backprop_landscape.problems.families import n2m1_problem
from backprop_landscape.problems.separability import (
    is_separable,
    kkt_violation,
    lemma_hypothesis,
    max_margin,
    max_margin_solution,
)
from backprop_landscape.trajectories.neuron import gradient_flow, log_time_grid

RNG = np.random.default_rng(20261128)
EXTREME_A = [1e-6, 1e-3, 1e3, 1e6]


@pytest.fixture(params=THETA_NAMES)
def theta(request):
    return get_theta(request.param)


def table(kind, a, theta):
    return critical_points(n2m1_problem(kind, a).A, theta)


def finite(t):
    return t[~t.at_infinity]


# ---------------------------------------------------------------------------------------
# Critical points of the n = 2, m = 1 examples for a from 1e-6 to 1e6
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", [1, 2, 3])
@pytest.mark.parametrize("a", EXTREME_A)
def test_kinds_alternate_at_extreme_a(theta, kind, a):
    t = table(kind, a, theta)
    kinds, x, E = list(t.kind), t.x.to_numpy(), t.E.to_numpy()
    assert set(kinds) <= {"min", "max"}  # no unresolved tangency
    assert all(k1 != k2 for k1, k2 in zip(kinds, kinds[1:]))
    assert x[0] == -np.inf and x[-1] == np.inf and np.all(np.diff(x) > 0)
    assert np.all(np.isfinite(E)) and np.all((E >= 0) & (E <= 8))
    for i, k in enumerate(kinds):  # E is monotone between neighbours
        neighbours = E[max(i - 1, 0) : i + 2]
        assert E[i] == (neighbours.max() if k == "max" else neighbours.min())


@pytest.mark.parametrize("a", EXTREME_A + [0.3])
def test_type3_mirror_symmetry_a_to_one_over_a(theta, a):
    """Rows (1, -a) and (1, -1/a): E_a(x) = E_{1/a}(-a x), so the tables mirror."""
    t, mirror = table(3, a, theta), table(3, 1.0 / a, theta)
    assert list(mirror.kind) == list(t.kind)[::-1]
    np.testing.assert_allclose(mirror.E.to_numpy(), t.E.to_numpy()[::-1], rtol=1e-9)
    np.testing.assert_allclose(
        finite(mirror).x.to_numpy(), (-a * finite(t).x.to_numpy())[::-1], rtol=1e-7
    )


def test_type3_small_a_has_two_minima_and_one_finite_maximum_between():
    """For large a (and so for a -> 1/a small) the paper's picture: max between two minima."""
    t = table(3, 1e-6, get_theta("tanh"))
    maxima = finite(t)[finite(t).kind == "max"]
    assert len(maxima) == 1
    assert list(t.kind) == ["min", "max", "min", "max"]


@pytest.mark.parametrize("name", THETA_NAMES)
def test_type2_beyond_1e9_has_no_finite_critical_point(name):
    assert list(table(2, 1e10, get_theta(name)).kind) == ["max", "min"]


def test_type3_beyond_1e9_mirrors_its_small_a():
    theta = get_theta("tanh")
    assert list(table(3, 1e10, theta).kind) == list(table(3, 1e-10, theta).kind)[::-1]


def test_tiny_slope_does_not_underflow_in_log():
    assert list(table(2, 1e-200, get_theta("atan")).kind) == ["max", "min"]


# ---------------------------------------------------------------------------------------
# E, gradient and Hessian on extreme and degenerate matrices
# ---------------------------------------------------------------------------------------


def big_u(n=5, m=3):
    """Entries of magnitude 5e3 to 1e4, either sign."""
    return RNG.choice([-1.0, 1.0], size=(n, m)) * RNG.uniform(5e3, 1e4, size=(n, m))


def points(m, scale=1.0):
    """Zero, huge, tiny and random points, shape (S, m)."""
    special = [np.zeros(m), np.full(m, 1e4), np.full(m, -1e4), np.full(m, 1e-300)]
    return np.vstack(special + [scale * RNG.normal(size=m) for _ in range(4)])


def check_finite(A, X, theta):
    E, G, H = energy(A, X, theta), gradient(A, X, theta), hessian(A, X, theta)
    assert np.all(np.isfinite(E)) and np.all(np.isfinite(G)) and np.all(np.isfinite(H))
    assert np.all((E >= 0) & (E <= 4 * A.shape[0]))
    np.testing.assert_allclose(H, np.swapaxes(H, -1, -2), rtol=1e-12, atol=0)
    return E, G, H


def test_huge_inputs_stay_finite_and_match_differences(theta):
    A = big_u()
    check_finite(A, points(3, scale=1e3), theta)
    # Where the margins are O(1) the gradient still matches central differences.
    x = 1e-4 * RNG.normal(size=3)
    h = 1e-10
    fd = [(energy(A, x + h * e, theta) - energy(A, x - h * e, theta)) / (2 * h) for e in np.eye(3)]
    np.testing.assert_allclose(gradient(A, x, theta), fd, rtol=1e-5)


def test_tiny_inputs_are_flat_near_the_origin(theta):
    A = 1e-8 * RNG.normal(size=(5, 3))
    E, G, _ = check_finite(A, points(3), theta)
    assert E[0] == 5.0  # theta(0) = 0: each row contributes exactly 1
    assert np.all(np.abs(G[:4]) < 1e-3)  # |grad| ~ 2 theta'(0) |A| ~ 1e-7 (1e-3 at x = 1e4)


def test_duplicate_rows_double_everything(theta):
    single = RNG.normal(size=(2, 3))
    X = points(3)
    E1, G1, H1 = check_finite(single, X, theta)
    E2, G2, H2 = check_finite(np.vstack([single, single]), X, theta)
    np.testing.assert_allclose(E2, 2 * E1, rtol=1e-14)
    np.testing.assert_allclose(G2, 2 * G1, rtol=1e-14, atol=1e-300)
    np.testing.assert_allclose(H2, 2 * H1, rtol=1e-14, atol=1e-300)


def test_zero_rows_add_one_each_and_nothing_else(theta):
    rows = RNG.normal(size=(2, 3))
    X = points(3)
    E1, G1, H1 = check_finite(rows, X, theta)
    E2, G2, H2 = check_finite(np.vstack([np.zeros((2, 3)), rows]), X, theta)
    np.testing.assert_allclose(E2, E1 + 2.0, rtol=1e-14)
    np.testing.assert_array_equal(G2, G1)
    np.testing.assert_array_equal(H2, H1)
    E0, G0, H0 = check_finite(np.zeros((3, 2)), points(2), theta)
    assert np.all(E0 == 3.0) and not G0.any() and not H0.any()


def test_rank_deficient_matrix_sees_only_its_row_space(theta):
    v = np.array([1.0, -2.0, 0.5])
    A = np.outer(RNG.normal(size=4), v)  # rank 1
    null = np.cross(v, [0.0, 0.0, 1.0])  # orthogonal to v
    X = points(3)
    E, G, H = check_finite(A, X, theta)
    np.testing.assert_allclose(energy(A, X + 7.0 * null, theta), E, rtol=1e-12)
    np.testing.assert_allclose(G @ null, 0.0, atol=1e-9 * (1 + np.abs(G).max()))
    assert np.all(np.linalg.matrix_rank(H[4:]) <= 1)


@pytest.mark.parametrize(("n", "m"), [(1, 1), (1, 4), (2, 6)])
def test_few_rows_many_weights(theta, n, m):
    """n = 1 and m > n: the Hessian is singular (rank <= n), everything stays finite."""
    A = RNG.normal(size=(n, m))
    X = points(m)
    E, G, H = check_finite(A, X, theta)
    assert E.shape == (len(X),) and G.shape == (len(X), m) and H.shape == (len(X), m, m)
    assert np.all(np.linalg.matrix_rank(H[4:]) <= n)


def test_softsign_hessian_far_out_underflows_quietly():
    A = np.array([[1.0, 0.0], [0.0, 1.0]])
    H = hessian(A, np.array([1e103, -1e103]), get_theta("softsign"))
    assert np.all(np.abs(H) < 1e-200)


# ---------------------------------------------------------------------------------------
# Gradient flow over a short time
# ---------------------------------------------------------------------------------------

SHORT = log_time_grid(10.0, per_decade=4)


def flow(A, x0, theta):
    frame = gradient_flow(A, x0, theta, t_eval=SHORT)
    weights = frame[[f"x{j + 1}" for j in range(A.shape[1])]].to_numpy()
    return frame, weights.reshape(len(np.atleast_2d(x0)), len(SHORT), A.shape[1])


def assert_descends(frame):
    assert np.all(np.isfinite(frame.drop(columns="seed").to_numpy()))
    for _, run in frame.groupby("seed"):
        E = run["E"].to_numpy()
        assert np.all(np.diff(E) <= 1e-12 * max(1.0, E[0]))


@pytest.mark.parametrize(
    "case", ["huge u", "tiny u", "duplicate rows", "zero rows", "rank 1", "n=1", "m>n"]
)
def test_short_flow_descends_on_extreme_matrices(theta, case):
    A = {
        "huge u": big_u(),
        "tiny u": 1e-6 * RNG.normal(size=(5, 3)),
        "duplicate rows": np.repeat(RNG.normal(size=(2, 3)), 3, axis=0),
        "zero rows": np.vstack([np.zeros((2, 3)), RNG.normal(size=(3, 3))]),
        "rank 1": np.outer(RNG.normal(size=4), [1.0, -2.0, 0.5]),
        "n=1": RNG.normal(size=(1, 3)),
        "m>n": RNG.normal(size=(2, 6)),
    }[case]
    scale = 1e-4 if case == "huge u" else 0.5  # margins of order one at the start
    x0 = scale * RNG.normal(size=(2, A.shape[1]))
    frame, X = flow(A, x0, theta)
    assert_descends(frame)
    np.testing.assert_allclose(X[:, 0], x0, rtol=1e-12)
    assert frame.groupby("seed")["E"].last().lt(frame.groupby("seed")["E"].first()).all()


def test_flow_ignores_zero_rows_and_the_null_space(theta):
    rows = RNG.normal(size=(3, 3))
    x0 = 0.5 * RNG.normal(size=(2, 3))
    _, X = flow(rows, x0, theta)
    _, X_zero = flow(np.vstack([np.zeros((2, 3)), rows]), x0, theta)
    np.testing.assert_allclose(X_zero, X, rtol=1e-12)

    v = np.array([1.0, -2.0, 0.5])
    null = np.cross(v, [0.0, 0.0, 1.0])
    _, X_rank1 = flow(np.outer([1.0, 2.0, -0.5], v), x0, theta)
    np.testing.assert_allclose((X_rank1 - x0[:, None]) @ null, 0.0, atol=1e-10)


def test_flow_on_the_zero_matrix_does_not_move(theta):
    x0 = RNG.normal(size=(1, 2))
    frame, X = flow(np.zeros((3, 2)), x0, theta)
    np.testing.assert_array_equal(X[0], np.repeat(x0, len(SHORT), axis=0))
    assert np.all(frame["E"] == 3.0)


# ---------------------------------------------------------------------------------------
# Separability and the max margin
# ---------------------------------------------------------------------------------------


def separable_rows(n, m=3, seed=0):
    rng = np.random.default_rng(seed)
    U = rng.normal(size=(n, m))
    return U * np.sign(U @ rng.normal(size=m))[:, None]


@pytest.mark.parametrize("scale", [1e-4, 1.0, 1e4])
def test_max_margin_scales_with_the_data(scale):
    A = separable_rows(8)
    w, gamma = max_margin(A)
    w_s, gamma_s = max_margin(scale * A)
    assert is_separable(scale * A)
    np.testing.assert_allclose(w_s, w / scale, rtol=1e-9)
    assert gamma_s == pytest.approx(gamma * scale, rel=1e-9)


def test_max_margin_with_rows_of_very_different_length():
    """Row norms from 1e-4 to 1e4: the support rows sit at margin exactly 1."""
    A = separable_rows(8, seed=3) * np.array([[1e4], [1e-4], [1], [1], [1e3], [1], [1], [1]])
    solution = max_margin_solution(A)
    margins = A @ solution.w_hat
    assert np.all(margins >= 1 - 1e-9)
    np.testing.assert_allclose(margins[solution.support], 1.0, rtol=1e-9)
    assert kkt_violation(A, solution.w_hat, solution.alpha) < 1e-9
    # Against the exact least-norm solution on that support.
    exact = np.linalg.lstsq(A[solution.support], np.ones(len(solution.support)), rcond=None)[0]
    np.testing.assert_allclose(solution.w_hat, exact, rtol=1e-9)


def test_duplicate_rows_do_not_change_the_max_margin():
    A = separable_rows(4, seed=1)
    w, gamma = max_margin(A)
    w_dup, gamma_dup = max_margin(np.repeat(A, 3, axis=0))
    np.testing.assert_allclose(w_dup, w, rtol=1e-12)
    assert gamma_dup == pytest.approx(gamma, rel=1e-12)


def test_a_zero_row_is_never_separable():
    A = np.vstack([separable_rows(3), np.zeros(3)])
    assert not is_separable(A)
    with pytest.raises(ValueError, match="not strictly separable"):
        max_margin(A)


def test_rank_one_rows():
    v = np.array([1.0, -2.0, 0.5])
    c = np.array([0.5, 2.0, 3.0, 1.0])
    w, gamma = max_margin(np.outer(c, v))  # same direction: the shortest row binds
    np.testing.assert_allclose(w, v / (c.min() * v @ v), rtol=1e-12)
    assert not is_separable(np.outer(c * [1, -1, 1, 1], v))  # opposite rows


def test_one_row_and_more_weights_than_rows():
    u = np.array([3.0, -4.0, 0.0])
    w, gamma = max_margin(u[None, :])
    np.testing.assert_allclose(w, u / 25.0, rtol=1e-12)
    assert gamma == pytest.approx(5.0, rel=1e-12)
    A = RNG.normal(size=(2, 6))  # independent rows: separable, and the Lemma applies
    assert is_separable(A) and lemma_hypothesis(A)
    w, _ = max_margin(A)
    np.testing.assert_allclose(w, A.T @ np.linalg.solve(A @ A.T, np.ones(2)), rtol=1e-9)


# ---------------------------------------------------------------------------------------
# Growth laws of extreme series
# ---------------------------------------------------------------------------------------

T = log_time_grid(1e12, per_decade=10)


def laws(w):
    frame = pd.DataFrame({"seed": 0, "t": T, "x1": w, "x2": np.zeros_like(T)})
    return growth_laws(frame, {}, decades=2).set_index("coordinate")


@pytest.mark.parametrize("coef", [1e-2, 1.0, 1e4, 1e12])
def test_log_growth_of_any_size_is_found(coef):
    table = laws(coef * np.log1p(T))
    assert table.loc["x1", "law"] == "log"
    assert table.loc["x1", "coef"] == pytest.approx(coef, rel=1e-6)
    assert "x2" not in table.index  # a weight that never moves is not listed


@pytest.mark.parametrize("value", [0.0, 1e-300, 1e6, -1e6])
def test_constant_series_are_bounded(value):
    table = laws(np.full_like(T, value))
    assert table.loc["norm", "law"] == "bounded" and not table.loc["norm", "diverging"]
    assert table.loc["norm", "coef"] == pytest.approx(abs(value))


def test_divergence_resolution_is_divergence_tol_per_two_decades():
    """A weight moving less than DIVERGENCE_TOL over the last two decades counts as bounded."""
    threshold = DIVERGENCE_TOL / math.log(100.0)  # coefficient b of b log t at the limit
    assert laws(2 * threshold * np.log1p(T)).loc["x1", "diverging"]
    assert "x1" not in laws(0.5 * threshold * np.log1p(T)).index


def test_divergence_counts_per_seed():
    frame = pd.concat(
        [
            pd.DataFrame({"seed": 0, "t": T, "x1": 1e4 * np.log1p(T)}),
            pd.DataFrame({"seed": 1, "t": T, "x1": np.full_like(T, 1e6)}),
            pd.DataFrame({"seed": 2, "t": T, "x1": (1 + T) ** 0.25}),
        ]
    )
    assert divergence_counts(frame) == (3, 2)


# ---------------------------------------------------------------------------------------
# Soft targets from -0.999 to 0.999 and inputs up to 1e4, through every stage that applies
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("t", [-0.999, -0.5, 0.0, 0.5, 0.999])
@pytest.mark.parametrize("scale", [1e-2, 1.0, 1e4])
def test_soft_targets_and_large_inputs_pass_every_stage_without_a_warning(theta, t, scale):
    """The exact search, the multistart with its faces, gradient flow and backprop on a
    problem whose targets reach +-0.999 and whose inputs reach 1e4 (any numpy warning
    is an error here); the multistart's finite minima are critical points of E."""
    from backprop_landscape.minima.search import find_minima
    from backprop_landscape.models.neuron import reduce_problem
    from backprop_landscape.trajectories.neuron import backprop

    rng = np.random.default_rng(7)
    A_raw = scale * rng.standard_normal((8, 2))
    y = np.clip(np.array([t, -t, 0.8, -0.8, 1.0, -1.0, t / 2, 0.999]), -0.999, 1.0)
    A, targets = reduce_problem(A_raw, y)
    table = critical_points(A[:, :1], theta, targets)
    assert np.isfinite(table.E).all() and (table.kind == "min").any()
    found = find_minima(A, theta, targets=targets, n_starts=200, seed=0)
    assert len(found) >= 1 and np.isfinite(found.E).all()
    for row in found[~found.at_infinity].itertuples():
        g = gradient(A, np.array(row.x), theta, targets)
        assert np.linalg.norm(g) <= 1e-6 * (1.0 + np.abs(A).sum())
    starts = np.array([[0.1, -0.2], [2.0, 1.0]]) / scale
    flow = gradient_flow(A, starts, theta, t_eval=log_time_grid(1e6), targets=targets)
    steps = backprop(A, starts, theta, 1e-2 / scale**2, 200, targets=targets)
    assert np.isfinite(flow.E).all() and np.isfinite(steps.E).all()
