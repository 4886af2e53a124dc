"""Section 2's claims about the n = 2, m = 1 landscapes, and checks of the root search."""

import numpy as np
import pytest

from backprop_landscape.minima.critical1d import SignedDerivative, critical_points
from backprop_landscape.models.neuron import energy, gradient
from backprop_landscape.models.theta import THETA_NAMES, get_theta
from backprop_landscape.problems.families import n2m1_problem

A_VALUES = [0.5, 1.0, 3.0, 10.0, 50.0]


@pytest.fixture(params=THETA_NAMES)
def theta(request):
    return get_theta(request.param)


def table(kind, a, theta):
    return critical_points(n2m1_problem(kind, a).A, theta)


@pytest.mark.parametrize("a", A_VALUES)
def test_type1_unique_minimum_at_distance_one_at_point_0_1(theta, a):
    t = table(1, a, theta)
    minima = t[t.kind == "min"]
    assert len(minima) == 1 and minima.x.iloc[0] == np.inf
    assert minima.E.iloc[0] == pytest.approx(1.0)  # distance 1 ...
    point = [theta.value(0.0 * 1e9), 1.0]  # ... at (theta(0), lim theta(a x)) = (0, 1)
    assert point == [0.0, 1.0]
    assert not t.at_infinity.eq(False).any()  # no finite critical point


@pytest.mark.parametrize("a", A_VALUES)
def test_type2_no_finite_minimum_and_negative_slope_everywhere(theta, a):
    t = table(2, a, theta)
    assert list(t.kind) == ["max", "min"] and t.E.iloc[-1] == 0.0
    x = np.concatenate([-np.logspace(3, -3, 200), [0.0], np.logspace(-3, 3, 200)])
    deriv = SignedDerivative(
        n2m1_problem(2, a).A[:, 0], theta
    )  # exact sign even where E' underflows
    assert all(deriv(xi)[0] == -1.0 for xi in x)


@pytest.mark.parametrize("a", [30.0, 100.0])
def test_type3_large_a_has_a_finite_maximum_and_a_minimum_on_each_side(theta, a):
    A = n2m1_problem(3, a).A
    assert energy(A, [1.0], theta) > 4.0
    t = table(3, a, theta)
    maxima = t[(t.kind == "max") & ~t.at_infinity]
    assert len(maxima) == 1
    x_max = maxima.x.iloc[0]
    assert (t[(t.kind == "min")].x < x_max).any() and (t[(t.kind == "min")].x > x_max).any()


@pytest.mark.parametrize("kind", [1, 2, 3])
@pytest.mark.parametrize("a", A_VALUES)
def test_kinds_alternate_and_energies_are_ordered(theta, kind, a):
    t = table(kind, a, theta)
    kinds = list(t.kind)
    assert all(k1 != k2 for k1, k2 in zip(kinds, kinds[1:]))
    # between consecutive critical points E is monotone: a max lies above both neighbours
    E = t.E.to_numpy()
    for i, k in enumerate(kinds):
        neighbours = E[max(i - 1, 0) : i + 2]
        assert E[i] == (neighbours.max() if k == "max" else neighbours.min())


@pytest.mark.parametrize("a", [0.3, 3.0, 20.0])
def test_roots_agree_with_an_independent_dense_sign_scan(theta, a):
    """A dense scan can miss roots but can never invent them: its set must be contained."""
    A = n2m1_problem(3, a).A
    t = table(3, a, theta)
    x = np.sinh(np.linspace(-12, 12, 200001))
    sign = np.sign(gradient(A, x[:, None], theta)[:, 0])
    crossings = x[:-1][sign[:-1] * sign[1:] < 0]
    found = t[~t.at_infinity].x.to_numpy()
    assert len(crossings) == len(found)
    for c in crossings:
        assert np.min(np.abs(found - c)) < 1e-3 * max(1, abs(c))


@pytest.mark.parametrize("a", [0.2, 5.0, 30.0])
def test_mirror_symmetry_a_to_one_over_a(theta, a):
    """x -> -x / a maps the type-3 problem with a onto the one with 1 / a."""
    t, mirror = table(3, a, theta), table(3, 1 / a, theta)
    np.testing.assert_allclose(
        np.sort(-a * t.x[~t.at_infinity]), mirror.x[~mirror.at_infinity], rtol=1e-8, atol=1e-12
    )
    assert list(t.kind[::-1]) == list(mirror.kind)


def test_fold_near_infinity_is_found_in_log_arithmetic():
    """tanh, a = 2.001: the maximum sits near x = log 2 / (2a - 4), where E' underflows."""
    t = table(3, 2.001, get_theta("tanh"))
    x_max = t[(t.kind == "max") & ~t.at_infinity].x.iloc[0]
    assert x_max == pytest.approx(np.log(2) / (2 * 2.001 - 4), rel=1e-2)
    assert SignedDerivative([1.0, -2.001], get_theta("tanh"))(x_max * 1.01)[0] == -1.0


def test_constant_energy_is_refused():
    with pytest.raises(ValueError, match="constant"):
        critical_points(np.zeros((2, 1)), get_theta("tanh"))


# --------------------------------------------------------------------------------------
# Soft targets: (theta(s x) - t)^2, each row's own minimum finite, the ends from the tails
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("t", [0.0, 0.1, 0.8, 0.999])
def test_one_soft_row_has_its_minimum_where_theta_equals_the_target(theta, t):
    """E = (theta(x) - t)^2: one minimum at theta^-1(t) with E = 0, both ends maxima at
    their limits (1 - t)^2 and (1 + t)^2, approached from below."""
    table = critical_points(np.ones((1, 1)), theta, np.array([t]))
    assert list(table.kind) == ["max", "min", "max"]
    x_min = table.x.iloc[1]
    assert theta.value(x_min) == pytest.approx(t, abs=1e-14)
    assert table.E.iloc[1] == pytest.approx(0.0, abs=1e-28)
    assert table.E.iloc[0] == pytest.approx((1 + t) ** 2, rel=1e-15)
    assert table.E.iloc[2] == pytest.approx((1 - t) ** 2, rel=1e-15)


SOFT_CASES = [
    (np.array([1.0, -3.0, 0.2]), np.array([0.8, 0.8, 0.8])),
    (np.array([1.0, 10.0, 100.0]), np.array([0.6, 0.6, 0.6])),
    (np.array([2.0, -0.5, 7.0, -20.0]), np.array([1.0, 0.3, 0.999, 0.0])),
    (np.array([1.0, -10.0]), np.array([1.0, 0.9])),
]


@pytest.mark.parametrize("case", range(len(SOFT_CASES)))
def test_soft_roots_agree_with_an_independent_dense_sign_scan(theta, case):
    slopes, t = SOFT_CASES[case]
    A = slopes[:, None]
    table = critical_points(A, theta, t)
    x = np.sinh(np.linspace(-12, 12, 200001))
    sign = np.sign(gradient(A, x[:, None], theta, t)[:, 0])
    crossings = x[:-1][sign[:-1] * sign[1:] < 0]
    found = table[~table.at_infinity].x.to_numpy()
    assert len(crossings) == len(found)
    for c in crossings:
        assert np.min(np.abs(found - c)) < 1e-3 * max(1, abs(c))
    kinds = list(table.kind)
    assert all(k1 != k2 for k1, k2 in zip(kinds, kinds[1:]))
    E = table.E.to_numpy()
    for i, k in enumerate(kinds):
        neighbours = E[max(i - 1, 0) : i + 2]
        assert E[i] == (neighbours.max() if k == "max" else neighbours.min())
    for end, side in ((0, -1.0), (-1, 1.0)):  # the ends' limits, target by target
        limit = np.sum(np.where(side * slopes > 0, (1 - t) ** 2, (1 + t) ** 2))
        assert E[end] == pytest.approx(limit, rel=1e-14)


@pytest.mark.parametrize("t", [-0.999, -0.5, 0.0, 0.3, 0.999])
@pytest.mark.parametrize("scale", [1e-4, 1.0, 1e4])
def test_soft_targets_and_large_inputs_raise_no_warning(theta, t, scale):
    """Targets from -0.999 to 0.999, inputs up to 1e4 (RuntimeWarning is an error here)."""
    from backprop_landscape.models.neuron import reduce_problem

    A, targets = reduce_problem(scale * np.array([[1.0], [-3.0], [0.5]]), np.array([t, 0.8, -t]))
    table = critical_points(A, theta, targets)
    assert np.isfinite(table.E).all() and (table.kind == "min").any()


@pytest.mark.parametrize("slopes", [[1.0, -50.0, 1e7], [1.0, -10.0, -500.0], [2.0, -0.5, 3e5]])
def test_a_huge_coefficient_keeps_every_root(theta, slopes):
    """A row with a huge input jumps through its active region near x = 0 while the others
    hold their minimum further out (softsign: a minimum at x = -0.055 and a maximum at
    -6.4e-5 were missed when an interval ending at the kink z = 0 took theta'' there as 0,
    its mean, instead of its one-sided limit)."""
    slopes = np.array(slopes)
    deriv = SignedDerivative(slopes, theta)
    x = np.concatenate([-np.geomspace(1e3, 1e-12, 6000), [0.0], np.geomspace(1e-12, 1e3, 6000)])
    sign = np.array([deriv(v)[0] for v in x])
    crossings = x[:-1][sign[:-1] * sign[1:] < 0]
    found = critical_points(slopes[:, None], theta)
    found = found[~found.at_infinity].x.to_numpy()
    assert len(crossings) == len(found)
    for c in crossings:
        assert np.min(np.abs(found - c)) < 0.01 * abs(c)
