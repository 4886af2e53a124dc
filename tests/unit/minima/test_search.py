"""The multistart search: agreement with exact m = 1 results, with L-BFGS-B, and scales."""

import itertools

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import minimize

from backprop_landscape.minima.critical1d import critical_points
from backprop_landscape.minima.search import COLUMNS, find_minima
from backprop_landscape.minima.starts import one_weight_start_mass, sample_starts
from backprop_landscape.models.neuron import energy, gradient, hessian, reduce_signs
from backprop_landscape.models.theta import THETA_NAMES, get_theta
from backprop_landscape.problems.families import n2m1_problem
from backprop_landscape.problems.separability import random_problem


@pytest.fixture(params=THETA_NAMES)
def theta(request):
    return get_theta(request.param)


def product_problem(a_values, scales):
    """Block-diagonal A~ of type-3 blocks (1, -a) / c, one weight each.

    E is a sum over blocks, so its minima are the products of the blocks' minima (finite
    or at infinity); block b's basins sit at the scale c_b of its weight.
    """
    A = np.zeros((2 * len(a_values), len(a_values)))
    for b, (a, c) in enumerate(zip(a_values, scales)):
        A[2 * b : 2 * b + 2, b] = np.array([1.0, -a]) / c
    return A


# --------------------------------------------------------------------------------------
# m = 1: the exact critical points are known
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", [1, 2, 3])
@pytest.mark.parametrize("a", [0.25, 0.5, 3.0, 10.0, 50.0])
def test_one_weight_minima_are_exactly_those_of_critical_points(theta, kind, a):
    A = n2m1_problem(kind, a).A
    exact = critical_points(A, theta)
    exact = exact[exact.kind == "min"].sort_values("x")
    found = find_minima(A, theta, n_starts=500, seed=0)
    assert found.attrs["n_undecided"] == 0
    assert len(found) == len(exact)
    # identify each found minimum by its position on the extended line
    position = [
        np.copysign(np.inf, row.direction[0]) if row.at_infinity else row.x[0]
        for row in found.itertuples()
    ]
    found = found.assign(position=position).sort_values("position")
    for (_, row), (_, ref) in zip(found.iterrows(), exact.iterrows()):
        assert row.at_infinity == ref.at_infinity
        assert row.E == pytest.approx(ref.E, rel=1e-9, abs=1e-12)
        if ref.at_infinity:
            assert row.position == ref.x
            assert row.z_limit == pytest.approx(np.sign(ref.x) * np.sign(A[:, 0]))
        else:
            assert row.position == pytest.approx(ref.x, rel=1e-7, abs=1e-10)


def _flow_basins(table):
    """{position of each minimum: (lo, hi)}: the interval the gradient flow brings to it.

    On one weight the flow from x runs down to the nearest minimum on the side where E
    decreases, so a minimum's basin reaches to its neighbouring critical points (maxima).
    """
    xs, kinds = table.x.to_numpy(), table.kind.to_numpy()
    basins = {}
    for i, (x, kind) in enumerate(zip(xs, kinds)):
        if kind == "min":
            lo = xs[i - 1] if i > 0 else -np.inf
            hi = xs[i + 1] if i + 1 < len(xs) else np.inf
            basins[x] = (-np.inf, hi) if x == -np.inf else (lo, np.inf if x == np.inf else hi)
    return basins


@pytest.mark.parametrize("kind,a", [(3, 0.25), (3, 3.0), (3, 10.0), (3, 50.0), (2, 10.0)])
def test_one_weight_basins_are_the_gradient_flows(theta, kind, a):
    """Each minimum holds the share of starts that the start law puts in its flow basin.

    The trust region keeps every step on the flow's side of each barrier: before, starts
    beyond x = 3.8 of the atan type-3 block (a = 10) jumped over the maximum at 0.64 to
    the other basin half the time (0.163 of the starts at the far minimum, not 0.274).
    """
    A = n2m1_problem(kind, a).A
    basins = _flow_basins(critical_points(A, theta))
    found = find_minima(A, theta, n_starts=4000, seed=1)
    assert len(found) == len(basins) and found.attrs["n_undecided"] == 0
    exact = np.array(list(basins))
    for row in found.itertuples():
        position = np.copysign(np.inf, row.direction[0]) if row.at_infinity else row.x[0]
        gap = np.abs(np.where(np.isinf(exact), 1e300 * np.sign(exact), exact) - position)
        key = exact[np.argmin(np.where(exact == position, -1.0, gap))]
        expected = one_weight_start_mass(*basins[key])
        assert row.basin_fraction == pytest.approx(expected, abs=0.01)


# --------------------------------------------------------------------------------------
# L-BFGS-B from the same starts finds the same finite minima
# --------------------------------------------------------------------------------------


def _lbfgs_finite_minima(A, theta, starts, targets=None):
    """z = A~ x at every L-BFGS-B end point that is a finite, nondegenerate minimum."""
    found = []
    for x0 in starts:
        res = minimize(
            lambda x: energy(A, x, theta, targets),
            x0,
            jac=lambda x: gradient(A, x, theta, targets),
            method="L-BFGS-B",
            options={"gtol": 1e-12, "ftol": 1e-15, "maxiter": 2000},
        )
        H = hessian(A, res.x, theta, targets)
        lam = np.linalg.eigvalsh(H)
        if lam[0] <= 1e-10 * lam[-1]:
            continue  # a plateau or a run towards infinity, not a finite minimum
        step = np.linalg.solve(H, gradient(A, res.x, theta, targets))
        if np.abs(A @ step).max() < 1e-4:  # Newton's step confirms a minimum nearby
            found.append(A @ (res.x - step))
    return np.array(found)


def _same_points(P, Q, tol=1e-5):
    """Every row of P lies within tol of some row of Q (max norm)."""
    return all(np.min(np.abs(Q - p).max(axis=1)) < tol for p in P)


def _basins(points, tol=1e-5):
    """Distinct rows of ``points`` (max norm within tol) and how many rows each holds."""
    reps, counts = [], []
    for p in points:
        for k, r in enumerate(reps):
            if np.abs(r - p).max() < tol:
                counts[k] += 1
                break
        else:
            reps.append(p)
            counts.append(1)
    return np.array(reps).reshape(-1, points.shape[-1]), np.array(counts)


@pytest.mark.parametrize("name,seed", [("tanh", 0), ("atan", 1), ("erf", 2), ("softsign", 3)])
def test_finite_minima_agree_with_lbfgsb_from_the_same_starts(name, seed):
    """Our finite minima against L-BFGS-B's, run from the first 150 of our 600 starts.

    Two descent methods share basins only approximately (saddle-free Newton steps and
    quasi-Newton steps leave a saddle region in different directions; either can reach a
    minimum the gradient flow from that start does not), so the check is:
    * every minimum L-BFGS-B reaches is a local minimum for us too: our descent started
      at its end point converges there;
    * every minimum that holds at least 5% of either method's starts is found by both.
    """
    theta = get_theta(name)
    A_raw, y = random_problem(12, 3, seed, False)
    A = reduce_signs(A_raw, y)
    starts = sample_starts(3, 600, seed, r_min=1e-2, r_max=10.0)
    table = find_minima(A, theta, starts=starts)
    finite = table[~table.at_infinity]
    ours = np.array([A @ np.array(x) for x in finite.x])
    theirs, counts = _basins(_lbfgs_finite_minima(A, theta, starts[:150]))
    assert len(theirs) >= 1
    ends = np.linalg.lstsq(A, theirs.T, rcond=None)[0].T  # their minimisers x
    again = find_minima(A, theta, starts=ends)
    assert again.attrs["n_undecided"] == 0 and not again.at_infinity.any()
    assert _same_points(theirs, np.array([A @ np.array(x) for x in again.x]))
    assert _same_points(theirs[counts >= 0.05 * 150], ours)
    assert _same_points(ours[finite.basin_fraction.to_numpy() >= 0.05], theirs)


@pytest.mark.parametrize("name,seed", [("tanh", 0), ("atan", 1), ("erf", 2), ("softsign", 3)])
def test_soft_finite_minima_agree_with_lbfgsb(name, seed):
    """The same check with soft targets +-0.8 and 0.1 (|y| < 1 everywhere): our finite
    minima are L-BFGS-B's, and every start ends at a finite minimum or undecided (with
    soft targets alone there is no minimum at infinity: each row's error climbs to its
    limit from below)."""
    from backprop_landscape.models.neuron import reduce_problem

    theta = get_theta(name)
    A_raw, y = random_problem(12, 3, seed, False)
    y_soft = np.where(np.arange(12) % 4 == 0, 0.1, 0.8) * y
    A, t = reduce_problem(A_raw, y_soft)
    starts = sample_starts(3, 600, seed, r_min=1e-2, r_max=10.0)
    table = find_minima(A, theta, targets=t, starts=starts)
    assert not table.at_infinity.any()
    ours = np.array([A @ np.array(x) for x in table.x])
    theirs, counts = _basins(_lbfgs_finite_minima(A, theta, starts[:150], t))
    ends = np.linalg.lstsq(A, theirs.T, rcond=None)[0].T
    again = find_minima(A, theta, targets=t, starts=ends)
    assert again.attrs["n_undecided"] == 0 and not again.at_infinity.any()
    assert _same_points(theirs, np.array([A @ np.array(x) for x in again.x]))
    assert _same_points(theirs[counts >= 0.05 * 150], ours)
    assert _same_points(ours[table.basin_fraction.to_numpy() >= 0.05], theirs)
    for row in table.itertuples():  # E at each minimum is the soft error, exactly
        original = np.sum((theta.value(A_raw @ np.array(row.x)) - y_soft) ** 2)
        assert row.E == pytest.approx(original, rel=1e-12)


# --------------------------------------------------------------------------------------
# Basins 1000x apart in scale
# --------------------------------------------------------------------------------------


def test_adversarial_scales_every_product_minimum_is_found_with_the_defaults(theta):
    """Blocks whose basins sit at scales 1000x apart, found with find_minima's defaults.

    The rarest product minima need one weight far out (x_3 ~ 10-100, block 3 at +inf)
    while another stays small (|x_1| < 0.3): the per-weight half of the default starts
    provides such starts, and the Jacobi-scaled steps bring a weight back from deep in a
    tail while the others converge.
    """
    a_values, scales = (4.0, 10.0, 50.0), (0.1, 1.0, 100.0)
    blocks = [critical_points(n2m1_problem(3, a).A, theta) for a in a_values]
    blocks = [t[t.kind == "min"] for t in blocks]
    combos = list(itertools.product(*[t.itertuples() for t in blocks]))
    A = product_problem(a_values, scales)
    table = find_minima(A, theta)  # every setting at its default
    assert len(table) == len(combos) == np.prod([len(t) for t in blocks])
    expected = sorted(sum(r.E for r in combo) for combo in combos)
    assert np.sort(table.E.to_numpy()) == pytest.approx(expected, rel=1e-9)
    for combo in combos:  # each product minimum, finite or not, with its blocks' limits
        at_inf = [np.isinf(r.x) for r in combo]
        match = table[table.at_infinity == any(at_inf)]
        match = match[np.isclose(match.E, sum(r.E for r in combo), rtol=1e-9)]
        assert len(match) == 1
        row = match.iloc[0]
        for b, (r, c) in enumerate(zip(combo, scales)):
            z_block = np.array(row.z_limit[2 * b : 2 * b + 2])
            if np.isinf(r.x):
                assert row.saturated[2 * b : 2 * b + 2] == [1, -1]
            else:
                assert row.x[b] == pytest.approx(c * r.x, rel=1e-6)
                assert z_block == pytest.approx(theta.value(np.array([r.x, -a_values[b] * r.x])))


# --------------------------------------------------------------------------------------
# The table and its bookkeeping
# --------------------------------------------------------------------------------------


def test_table_columns_types_and_accounting():
    A = n2m1_problem(3, 10.0).A
    table, labels = find_minima(A, "tanh", n_starts=300, seed=4, return_labels=True)
    assert list(table.columns) == COLUMNS
    assert table.E.is_monotonic_increasing
    for column in ("x", "direction", "z_limit"):
        assert all(
            isinstance(v, list) and all(isinstance(f, float) for f in v) for v in table[column]
        )
    assert all(all(s in (-1, 0, 1) for s in v) for v in table.saturated)
    assert table.n_starts.sum() + table.attrs["n_undecided"] == table.attrs["n_starts"] == 300
    assert table.basin_fraction.sum() == pytest.approx(1 - table.attrs["n_undecided"] / 300)
    assert np.bincount(labels[labels >= 0]).tolist() == table.n_starts.tolist()
    finite = table[~table.at_infinity].iloc[0]
    assert np.isnan(finite.direction).all() and finite.saturated == [0, 0]
    at_inf = table[table.at_infinity].iloc[0]
    assert np.linalg.norm(at_inf.direction) == pytest.approx(1.0)


def test_seed_as_int_or_generator_gives_the_same_table():
    A = n2m1_problem(3, 3.0).A
    by_int = find_minima(A, "erf", n_starts=200, seed=7)
    by_rng = find_minima(A, "erf", n_starts=200, seed=np.random.default_rng(7))
    pd.testing.assert_frame_equal(by_int, by_rng)


def test_separable_data_have_their_global_minimum_at_infinity():
    A_raw, y = random_problem(10, 3, 0, True)
    table = find_minima(reduce_signs(A_raw, y), "tanh", n_starts=300)
    best = table.iloc[0]
    assert best.at_infinity and best.E == 0.0 and best.saturated == [1] * 10


def test_rank_deficient_inputs_report_one_minimum_per_point_of_clos_tv():
    """A repeated column adds a flat direction (Sontag's 'subspace singularity')."""
    A = n2m1_problem(3, 10.0).A
    wide = np.c_[A, A]  # E(x1, x2) = E_1d(x1 + x2)
    table = find_minima(wide, "tanh", n_starts=300)
    single = find_minima(A, "tanh", n_starts=300)
    assert table.E.to_numpy() == pytest.approx(single.E.to_numpy())
    finite = table[~table.at_infinity].iloc[0]
    assert sum(finite.x) == pytest.approx(single[~single.at_infinity].x.iloc[0][0])


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"starts": np.ones((3, 2))}, "starts must be"),
        ({"r_min": 0.0}, "r_min"),
        ({"n_starts": 0}, "n_starts"),
        ({"design": "grid"}, "design"),
    ],
)
def test_bad_arguments_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        find_minima(n2m1_problem(3, 10.0).A, "tanh", **kwargs)


@pytest.mark.parametrize("name, depth", [("tanh", -40.0), ("erf", -14.0), ("atan", -1e4)])
def test_a_weight_deep_in_a_tail_comes_back_while_others_converge(name, depth):
    """Block 1's rows sit at z = depth (error near 4, gradient ~1e-34 of the others'):
    the Jacobi-scaled step and its own search along negative curvature still carry it
    to its finite minimum, where a single step length for all weights would freeze it."""
    theta = get_theta(name)
    A = product_problem((4.0, 10.0, 50.0), (0.1, 1.0, 100.0))
    x0 = np.array([[0.1 * depth, -0.3, 2.0]])
    table = find_minima(A, theta, starts=x0)
    assert table.attrs["n_undecided"] == 0 and len(table) == 1
    block = critical_points(n2m1_problem(3, 4.0).A, theta)
    x_min = block[(block.kind == "min") & ~block.at_infinity].x.iloc[0]
    assert table.x.iloc[0][0] == pytest.approx(0.1 * x_min, rel=1e-6)


def test_starts_deep_on_saturated_plateaus_are_counted_as_saturated_undecided():
    """Far out every row is saturated and |grad E| ~ e^{-2|z|}: no descent moves, and the
    runs that reach no minimum are told apart as saturated (traps, not minima)."""
    A, y = random_problem(16, 6, 0, False)
    A_tilde = A * y[:, None]
    d = np.random.default_rng(0).standard_normal((20, 6))
    starts = 200.0 * d / np.linalg.norm(d, axis=1, keepdims=True)
    attrs = find_minima(A_tilde, "tanh", starts=starts).attrs
    assert attrs["n_undecided"] > 10
    assert 0.8 * attrs["n_undecided"] <= attrs["n_saturated_undecided"] <= attrs["n_undecided"]
    near = find_minima(A_tilde, "tanh", starts=0.1 * starts / 200.0).attrs
    assert near["n_saturated_undecided"] == 0  # starts near 0 cannot end saturated unseen


# --------------------------------------------------------------------------------------
# Adaptive stopping: batches until the estimated missed mass is below the target
# --------------------------------------------------------------------------------------


def test_the_first_batch_is_the_fixed_search_and_later_batches_only_add():
    A = reduce_signs(*random_problem(16, 4, 0, False))  # many minima, some seen once
    fixed = find_minima(A, "tanh", n_starts=300, seed=3)
    adaptive = find_minima(A, "tanh", n_starts=300, seed=3, missed_target=1e-9, max_starts=900)
    assert fixed.attrs["stopped_by"] == "fixed" and fixed.attrs["n_batches"] == 1
    assert adaptive.attrs["stopped_by"] == "budget" and adaptive.attrs["n_starts"] == 900
    assert adaptive.attrs["n_batches"] == 3
    one = find_minima(A, "tanh", n_starts=300, seed=3, missed_target=0.5)
    assert one.attrs["stopped_by"] == "target" and one.attrs["n_batches"] == 1
    pd.testing.assert_frame_equal(one, fixed)
    # every minimum of the first batch is still there, with at least its starts
    for row in fixed.itertuples():
        same = [
            np.allclose(z, row.z_limit, atol=1e-6) and sat == row.saturated
            for z, sat in zip(adaptive.z_limit, adaptive.saturated)
        ]
        match = adaptive[same]
        assert len(match) == 1 and match.n_starts.iloc[0] >= row.n_starts
    assert adaptive.n_starts.sum() + adaptive.attrs["n_undecided"] == 900


def test_adaptive_stopping_reaches_its_target_and_says_so():
    A = product_problem((10.0, 10.0, 10.0, 10.0), (1.0, 1.0, 1.0, 1.0))
    table = find_minima(A, "atan", n_starts=200, seed=0, missed_target=1e-3, max_starts=50_000)
    a = table.attrs
    assert a["stopped_by"] == "target" and a["n_starts"] < 50_000
    assert a["missed_mass"] == pytest.approx(np.sum(table.n_starts == 1) / a["n_starts"])
    assert a["missed_mass"] < 1e-3
    assert len(table) == 16 and a["n_low"] <= 16 <= a["n_high"]


def test_adaptive_stopping_needs_its_own_starts():
    with pytest.raises(ValueError, match="own starts"):
        find_minima(np.eye(2), "tanh", starts=np.ones((3, 2)), missed_target=1e-3)
