"""Vectorised multistart: agreement with exact m = 1 results, with L-BFGS-B, and scales."""

import itertools

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import minimize

from backprop_landscape.critical1d import critical_points
from backprop_landscape.landscape import energy, gradient, hessian, reduce_signs
from backprop_landscape.multistart import COLUMNS, find_minima, sample_starts
from backprop_landscape.problems import n2m1_problem
from backprop_landscape.separability import random_problem
from backprop_landscape.theta import THETA_NAMES, get_theta


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


# --------------------------------------------------------------------------------------
# L-BFGS-B from the same starts finds the same finite minima
# --------------------------------------------------------------------------------------


def _lbfgs_finite_minima(A, theta, starts):
    """z = A~ x at every L-BFGS-B end point that is a finite, nondegenerate minimum."""
    found = []
    for x0 in starts:
        res = minimize(
            lambda x: energy(A, x, theta),
            x0,
            jac=lambda x: gradient(A, x, theta),
            method="L-BFGS-B",
            options={"gtol": 1e-12, "ftol": 1e-15, "maxiter": 2000},
        )
        H = hessian(A, res.x, theta)
        lam = np.linalg.eigvalsh(H)
        if lam[0] <= 1e-10 * lam[-1]:
            continue  # a plateau or a run towards infinity, not a finite minimum
        step = np.linalg.solve(H, gradient(A, res.x, theta))
        if np.abs(A @ step).max() < 1e-4:  # Newton's step confirms a minimum nearby
            found.append(A @ (res.x - step))
    return np.array(found)


def _same_points(P, Q, tol=1e-5):
    """Every row of P lies within tol of some row of Q (max norm)."""
    return all(np.min(np.abs(Q - p).max(axis=1)) < tol for p in P)


@pytest.mark.parametrize("name,seed", [("tanh", 0), ("atan", 1), ("erf", 2), ("softsign", 3)])
def test_finite_minima_agree_with_lbfgsb_from_the_same_starts(name, seed):
    """Two descent methods share basins only approximately, so the check is two-sided
    but tolerant of tiny basins: L-BFGS-B, run from the first 150 of our 600 starts,
    finds nothing we miss, and finds every minimum whose basin holds >= 3% of starts.
    """
    theta = get_theta(name)
    A_raw, y = random_problem(12, 3, seed, False)
    A = reduce_signs(A_raw, y)
    starts = sample_starts(3, 600, seed, r_min=1e-2, r_max=10.0)
    table = find_minima(A, theta, starts=starts)
    finite = table[~table.at_infinity]
    ours = np.array([A @ np.array(x) for x in finite.x])
    theirs = _lbfgs_finite_minima(A, theta, starts[:150])
    assert len(theirs) >= 1
    assert _same_points(theirs, ours)
    assert _same_points(ours[finite.basin_fraction.to_numpy() >= 0.03], theirs)


# --------------------------------------------------------------------------------------
# Basins 1000x apart in scale
# --------------------------------------------------------------------------------------

# erf's Gaussian tail leaves less room before a far block's gradient underflows (a start
# far on the wrong side of a block is then undecided), so it needs more starts here.
PRODUCT_STARTS = {"erf": 3000}


def test_adversarial_scales_every_product_minimum_is_found(theta):
    a_values, scales = (4.0, 10.0, 50.0), (0.1, 1.0, 100.0)
    blocks = [critical_points(n2m1_problem(3, a).A, theta) for a in a_values]
    blocks = [t[t.kind == "min"] for t in blocks]
    combos = list(itertools.product(*[t.itertuples() for t in blocks]))
    A = product_problem(a_values, scales)
    table = find_minima(A, theta, n_starts=PRODUCT_STARTS.get(theta.name, 1000))
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


def test_starts_spread_over_scales_and_directions():
    starts = sample_starts(4, 20000, seed=0, r_min=1e-2, r_max=1e2)
    radii = np.linalg.norm(starts, axis=1)
    assert radii.min() >= 1e-2 and radii.max() <= 1e2
    counts, _ = np.histogram(np.log10(radii), bins=4, range=(-2, 2))
    assert counts.min() > 0.9 * counts.mean()  # log-uniform: each decade alike
    assert np.abs((starts / radii[:, None]).mean(axis=0)).max() < 0.03  # no direction favoured


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
    ],
)
def test_bad_arguments_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        find_minima(n2m1_problem(3, 10.0).A, "tanh", **kwargs)
