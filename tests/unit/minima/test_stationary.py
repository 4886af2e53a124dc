"""Stationary points of networks: the XOR literature check, index classification against
exact one-weight results, symmetry classes, probing of degenerate points, refinement to
rounding level and limits at infinity."""

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from backprop_landscape.minima.critical1d import critical_points
from backprop_landscape.minima.levenberg import (
    DIVERGED,
    ROUND,
    sample_starts,
    solve_gradient_system,
)
from backprop_landscape.minima.limits import (
    FINITE,
    LIMIT,
    LIMIT_COLUMNS,
    analyse_limits,
    descend_starts,
    limit_energy,
    saturation_pattern,
)
from backprop_landscape.minima.probing import KINDS, classify, probe_descent
from backprop_landscape.minima.stationary import COLUMNS, find_stationary_points, match_points
from backprop_landscape.minima.symmetry import (
    orbit_sizes,
    symmetry_distance,
    symmetry_images,
)
from backprop_landscape.models.network import Network
from backprop_landscape.models.theta import get_theta
from backprop_landscape.problems.families import n2m1_problem, product_problem
from backprop_landscape.trajectories import xor

RNG = np.random.default_rng(20261203)
REGRESSION_U = np.linspace(-2.0, 2.0, 7)[:, None]
REGRESSION_Y = np.sin(1.5 * REGRESSION_U[:, 0]) + 0.3 * REGRESSION_U[:, 0] ** 2


@pytest.fixture(scope="module")
def xor_search():
    net = Network(m=2, hidden=2)  # Figure 5's network: logistic units, biases, targets 0/1
    with threadpool_limits(limits=1, user_api="blas"):
        table, runs, rows = find_stationary_points(
            net, xor.INPUTS, xor.TARGETS, n_starts=1000, seed=0, return_runs=True
        )
    return net, table, runs, rows


@pytest.fixture(scope="module")
def decay_search():
    """Weight decay on every weight and bias makes E coercive: every stationary point is
    finite, and here every one found is nondegenerate."""
    net = Network(1, 2, "tanh", "linear", decay=0.01)
    with threadpool_limits(limits=1, user_api="blas"):
        table = find_stationary_points(net, REGRESSION_U, REGRESSION_Y, n_starts=600, seed=1)
    return net, table


# --------------------------------------------------------------------------------------
# XOR 2-2-1: Hamey (1998), Sprinkhuizen-Kuyper and Boers (1998, 1999)
# --------------------------------------------------------------------------------------


def test_xor_has_stationary_points_but_no_finite_minimum(xor_search):
    """Every finite stationary point of the XOR 2-2-1 network is a saddle, many of them
    degenerate: the search finds several classes, every one a (degenerate) saddle."""
    net, table, _, _ = xor_search
    assert list(table.columns) == COLUMNS
    assert len(table) >= 2
    assert set(table.kind) <= {"saddle", "degenerate-saddle"}
    assert table.degenerate.any()
    assert (table["index"] >= 1).all()
    # the set where both output weights vanish: E = 1, every output 1/2
    half = table[np.isclose(table.E, 1.0, atol=1e-12)]
    assert len(half) == 1 and np.allclose(half.outputs.iloc[0], 0.5, atol=1e-9)
    assert table.E.min() > 0.5


def test_xor_reaches_zero_error_only_in_the_limit(xor_search):
    net, table, runs, _ = xor_search
    assert (table.E > 0).all()
    diverged = np.flatnonzero(runs.status == DIVERGED)
    assert diverged.size
    with threadpool_limits(limits=1, user_api="blas"):
        limits = analyse_limits(net, xor.INPUTS, xor.TARGETS, runs.x[diverged], runs=diverged)
    assert list(limits.columns) == LIMIT_COLUMNS
    best = limits.iloc[0]
    assert best.E_limit < 1e-12 and best.kind == "minimum-at-infinity"
    assert 0 < best.E_end < 1e-10  # approached, never reached
    assert best.output_pattern == "-++-"  # every output saturated at its target 0 / 1
    assert (limits.kind != "finite").all()


def test_stalled_backprop_seeds_approach_regions_of_minima_at_infinity():
    """Figure 5's stalled seeds: E -> 1/2 with both hidden units saturated on two patterns
    and the output 1/2 on them -- the regions of local minima at infinity that
    Sprinkhuizen-Kuyper and Boers (1999) describe; the solving seed goes to E = 0."""
    result = xor.xor_backprop(seeds=[0, 1, 2], n_epochs=20000, record_epochs=[0])
    w = result.weights[result.weights.epoch == result.weights.epoch.max()]
    ends = w.pivot(index="seed", columns="weight", values="value")[xor.weight_names(2)]
    net = Network(2, 2)
    with threadpool_limits(limits=1, user_api="blas"):
        limits = analyse_limits(net, xor.INPUTS, xor.TARGETS, ends.to_numpy(), runs=[0, 1, 2])
    by_seed = {seed: row for _, row in limits.iterrows() for seed in row.runs}
    assert by_seed[1].E_limit < 1e-12
    for seed in (0, 2):
        row = by_seed[seed]
        assert abs(row.E_limit - 0.5) < 1e-12 and row.kind == "minimum-at-infinity"
        assert row.output_pattern.count(".") == 2  # two outputs stay at 1/2
        groups = row.hidden_pattern.split()
        assert sum(g in ("++", "--", "+-", "-+") for g in groups) >= 2
        assert row.probe_drop == 0.0


# --------------------------------------------------------------------------------------
# Index classification against exact results
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("a", [3.0, 10.0, 50.0])
def test_one_weight_perceptron_points_are_critical1ds(a):
    """H = 0: the paper's type-3 example has a finite maximum and a finite minimum, at
    x ~ 1/a (so the starts reach down to 1e-3)."""
    problem = n2m1_problem(3, a)
    exact = critical_points(problem.A, get_theta("tanh"))
    exact = exact[~exact.at_infinity].sort_values("x")
    net = Network(1, 0, output_activation="tanh", output_bias=False)
    table = find_stationary_points(
        net, problem.A, problem.y.astype(float), n_starts=200, r_min=1e-3
    )
    table = table.sort_values("E")
    assert len(table) == len(exact)
    found = table.sort_values("x", key=lambda s: s.str[0])
    np.testing.assert_allclose([x[0] for x in found.x], exact.x, rtol=1e-9, atol=1e-12)
    assert list(found.kind) == [{"min": "minimum", "max": "maximum"}[k] for k in exact.kind]


def test_products_of_the_type3_example_have_a_known_saddle():
    """E(x1, x2) = E3(x1) + E3(x2): (min, min) minimum, (min, max) and (max, min) saddles of
    index 1, (max, max) a maximum, at the products of the exact one-weight points."""
    problem = product_problem(2, 10.0)
    one = critical_points(n2m1_problem(3, 10.0).A, get_theta("tanh"))
    one = one[~one.at_infinity].set_index("kind")
    net = Network(2, 0, output_activation="tanh", output_bias=False)
    table = find_stationary_points(net, problem.A, problem.y.astype(float), n_starts=400)
    assert list(table["index"]) == [0, 1, 1, 2]
    assert list(table.kind) == ["minimum", "saddle", "saddle", "maximum"]
    assert not table.degenerate.any()
    lo, hi = one.loc["min", "x"], one.loc["max", "x"]
    expected = {(lo, lo), (lo, hi), (hi, lo), (hi, hi)}
    for x in table.x:
        assert min(np.abs(np.array(x) - np.array(e)).max() for e in expected) < 1e-9
    np.testing.assert_allclose(table.E.iloc[1], one.loc["min", "E"] + one.loc["max", "E"])


def test_classify_counts_negative_and_zero_eigenvalues():
    """At W = 0, v = 0 of a one-unit tanh network the Hessian vanishes; on the line w = 0
    it is diag(10 v^2, 0) (one zero eigenvalue)."""
    net, U, y = _quartic_saddle()
    c = classify(net, U, y, np.array([[0.0, 0.0], [0.0, 0.7], [0.3, 0.0]]))
    assert list(c["nullity"][:2]) == [2, 1] and list(c["index"][:2]) == [0, 0]
    assert list(c["kind"][:2]) == ["degenerate", "degenerate"]


# --------------------------------------------------------------------------------------
# Degenerate points are decided by probing
# --------------------------------------------------------------------------------------


def _quartic_saddle():
    """E(w, v) = sum_p (v tanh(w u_p) - y_p)^2 with u = (1, 2), y = (2, -1).

    sum_p y_p u_p = 0, so the whole line w = 0 is stationary at E = 5.  Near it
    E - 5 ~ 5 v^2 w^2 - 4 v w^3: for v != 0 the line is a (non-strict) minimum, but at the
    origin the Hessian vanishes and E - 5 ~ w^4 (5 t^2 - 4 t) < 0 along v = t w, 0 < t < 0.8:
    a degenerate saddle that no eigenvalue shows.
    """
    net = Network(1, 1, "tanh", "linear", hidden_bias=False, output_bias=False)
    return net, np.array([[1.0], [2.0]]), np.array([2.0, -1.0])


def test_probing_finds_the_quartic_descent_and_no_descent_on_the_valley_floor():
    net, U, y = _quartic_saddle()
    X = np.array([[0.0, 0.0], [0.0, 0.7], [0.0, -2.0]])
    descends, drop, rise = probe_descent(net, U, y, X, seed=0)
    assert list(descends) == [True, False, False]
    assert drop[0] > 0.1 and rise[0] <= 1e-9
    np.testing.assert_array_equal(drop[1:], 0.0)


def test_search_reports_the_valley_floor_as_a_degenerate_minimum():
    net, U, y = _quartic_saddle()
    table = find_stationary_points(net, U, y, n_starts=200, seed=0)
    assert list(table.kind) == ["degenerate-minimum"]
    assert table.E.iloc[0] == pytest.approx(5.0, abs=1e-12) and table.n_points.iloc[0] > 1


def test_decay_without_biases_leaves_degenerate_minima_that_probing_keeps():
    """Biases free of the penalty: a unit with W_j = v_j = 0 has its bias free, so E is
    flat along it; where the unit is far from the data that line is a valley floor."""
    net = Network(1, 2, "tanh", "linear", decay=0.01, decay_biases=False)
    table = find_stationary_points(net, REGRESSION_U, REGRESSION_Y, n_starts=600, seed=1)
    assert "degenerate-minimum" in set(table.kind)
    assert "minimum" in set(table.kind)  # and a nondegenerate global minimum
    assert set(table.kind) <= set(KINDS)


# --------------------------------------------------------------------------------------
# Symmetry classes
# --------------------------------------------------------------------------------------


def test_classes_with_weight_decay_are_whole_orbits(decay_search):
    net, table = decay_search
    assert not table.degenerate.any()
    assert {"minimum", "saddle"} <= set(table.kind)
    reps = np.array(table.x.tolist())
    np.testing.assert_array_equal(table.class_size, orbit_sizes(net, reps))
    assert (table.n_points <= table.class_size).all()
    # images of a representative are stationary points of the same E and spectrum
    for x, E in zip(reps, table.E):
        images = np.unique(np.round(symmetry_images(net, x)[0], 12), axis=0)
        E_img, G, Hs = net.evaluate(images, REGRESSION_U, REGRESSION_Y)
        np.testing.assert_allclose(E_img, E, rtol=1e-12)
        assert np.abs(G).max() < 1e-10
        lam = np.linalg.eigvalsh(Hs)
        np.testing.assert_allclose(lam, lam[:1].repeat(len(lam), axis=0), atol=1e-9)
    # no two rows are images of each other
    d = symmetry_distance(net, reps, reps)
    np.fill_diagonal(d, np.inf)
    assert d.min() > 1e-4


def test_starts_near_the_images_of_one_minimum_make_one_row(decay_search):
    net, table = decay_search
    best = np.array(table.x.iloc[0])
    images = symmetry_images(net, best)[0]
    starts = np.repeat(images, 3, axis=0) + 1e-3 * RNG.normal(size=(3 * len(images), 7))
    found = find_stationary_points(net, REGRESSION_U, REGRESSION_Y, starts=starts)
    assert len(found) == 1
    row = found.iloc[0]
    assert row.kind == "minimum" and row.n_starts == len(starts)
    assert row.n_points == row.class_size == table.class_size.iloc[0]
    assert row.E == pytest.approx(table.E.iloc[0], rel=1e-12)


def test_match_points_finds_each_row_and_rejects_strangers(decay_search):
    net, table = decay_search
    reps = np.array(table.x.tolist())
    images = np.array([symmetry_images(net, x)[0, -1] for x in reps])
    np.testing.assert_array_equal(
        match_points(net, REGRESSION_U, REGRESSION_Y, table, images), np.arange(len(table))
    )
    stranger = reps[:1] + 0.5
    assert match_points(net, REGRESSION_U, REGRESSION_Y, table, stranger)[0] == -1


# --------------------------------------------------------------------------------------
# Refinement, vectorisation, starts
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("which", ["xor", "decay"])
def test_every_point_is_refined_to_rounding_level(which, xor_search, decay_search):
    if which == "xor":
        net, table = xor_search[0], xor_search[1]
        U, y = xor.INPUTS, xor.TARGETS
    else:
        (net, table), U, y = decay_search, REGRESSION_U, REGRESSION_Y
    X = np.array(table.x.tolist())
    G = net.gradient(X, U, y)
    tol = net.gradient_rounding(X, U, y)
    assert np.all(np.abs(G) <= ROUND * tol)
    assert (table.grad_norm <= ROUND * table.grad_tol).all()
    assert (table.grad_tol < 1e-12).all()


def test_vectorised_search_equals_one_start_at_a_time():
    net = Network(2, 2)
    starts = sample_starts(net.n_params, 12, seed=3)
    together = solve_gradient_system(net, xor.INPUTS, xor.TARGETS, starts)
    for i, x0 in enumerate(starts):
        alone = solve_gradient_system(net, xor.INPUTS, xor.TARGETS, x0[None])
        assert alone.status[0] == together.status[i]
        assert alone.iterations[0] == together.iterations[i]
        np.testing.assert_allclose(alone.x[0], together.x[i], rtol=1e-9, atol=1e-12)


def test_sample_starts_cover_the_radii_and_are_reproducible():
    S = sample_starts(9, 400, seed=5, r_min=0.1, r_max=10.0)
    assert S.shape == (400, 9)
    r = np.linalg.norm(S, axis=1)
    assert r.min() >= 0.1 * (1 - 1e-12) and r.max() <= 10.0 * (1 + 1e-12)
    assert np.any(r < 0.2) and np.any(r > 5.0)
    np.testing.assert_array_equal(S, sample_starts(9, 400, seed=5, r_min=0.1, r_max=10.0))
    with pytest.raises(ValueError, match="r_min"):
        sample_starts(9, 10, r_min=0.0)


def test_saturated_starts_raise_no_warnings_and_are_counted():
    """Starts far out (radii up to 1e3): units saturate beyond double precision; the
    search ends those runs as diverged, quietly (numpy warnings are errors here)."""
    net = Network(2, 2)
    table = find_stationary_points(
        net, xor.INPUTS, xor.TARGETS, n_starts=300, r_min=10.0, r_max=1e3, seed=4
    )
    assert table.attrs["n_diverged"] > 100
    assert set(table.kind) <= {"saddle", "degenerate-saddle"}


def test_limit_of_a_solving_network_and_its_pattern():
    net = Network(2, 2)
    base = np.array([6.0, 6.0, 6.0, 6.0, -3.0, -9.0, 10.0, -10.0, -5.0])  # OR - AND
    hid, out = saturation_pattern(net, xor.INPUTS, 10.0 * base[None])
    assert "".join({1: "+", -1: "-", 0: "."}[o] for o in out[0]) == "-++-"
    assert limit_energy(net, xor.INPUTS, xor.TARGETS, 10.0 * base[None])[0] == 0.0
    assert hid.shape == (1, 4, 2)
    # at the unscaled point nothing is saturated and the 'limit' is E itself
    np.testing.assert_allclose(
        limit_energy(net, xor.INPUTS, xor.TARGETS, base[None]),
        net.energy(base[None], xor.INPUTS, xor.TARGETS),
    )


def test_images_of_a_diverging_run_approach_the_same_limit():
    """A stalled seed and its images under the group (units swapped, flipped) are followed
    to one limit: the hidden patterns agree up to the group."""
    result = xor.xor_backprop(seeds=[0], n_epochs=5000, record_epochs=[0])
    w = result.weights[result.weights.epoch == result.weights.epoch.max()]
    end = w.pivot(index="seed", columns="weight", values="value")[xor.weight_names(2)]
    net = Network(2, 2)
    images = symmetry_images(net, end.to_numpy())[0]  # 8 images, the run itself first
    limits = analyse_limits(net, xor.INPUTS, xor.TARGETS, images)
    assert len(limits) == 1
    row = limits.iloc[0]
    assert row.n_runs == 8 and row.n_patterns == 1
    assert abs(row.E_limit - 0.5) < 1e-12


# --------------------------------------------------------------------------------------
# Descents from every start
# --------------------------------------------------------------------------------------


def test_descents_reach_the_minimum_whose_solve_basin_is_tiny(decay_search):
    """Levenberg-Marquardt on grad E = 0 reaches the decay regression's global minimum
    from a handful of 600 starts (saddles attract it more); the descents from the same
    starts reach it from nearly all."""
    net, table = decay_search
    best = table.iloc[0]
    assert best.kind == "minimum"
    assert best.n_starts < 0.05 * table.attrs["n_starts"]
    assert best.n_descents > 0.9 * table.attrs["n_starts"]
    assert (table.n_descents[table.kind != "minimum"] == 0).all()  # descents end at minima
    assert table.attrs["n_descended_finite"] == table.n_descents.sum()


def test_descents_on_xor_head_to_infinity(xor_search):
    """No finite minimum: nearly every XOR descent ends saturated, on its way to a limit;
    the few that stop at a finite point stop on a set of degenerate saddles, where the
    descent's step along the flat directions is zero."""
    net, table, runs, _ = xor_search
    descents = runs.descents
    assert np.mean(descents.status == LIMIT) > 0.99
    assert table.attrs["n_descended_limit"] == np.count_nonzero(descents.status == LIMIT)
    reached = table[table.n_descents > 0]
    assert set(reached.kind) <= {"degenerate-saddle"}
    assert reached.n_descents.sum() == np.count_nonzero(runs.descent_rows >= 0)


def test_descents_with_decay_end_at_finite_points():
    """With weight decay E -> inf as ||w|| -> inf: no descent can head to a limit."""
    net = Network(2, 2, decay=1e-3)
    y = net.code_targets(0.8 * np.array([-1.0, 1.0, 1.0, -1.0]))  # 0.1 / 0.9
    d = descend_starts(net, xor.INPUTS, y, sample_starts(net.n_params, 60, seed=2))
    assert (d.status == FINITE).all()
    G = net.gradient(d.x, xor.INPUTS, y)
    assert np.all(np.abs(G) <= ROUND * net.gradient_rounding(d.x, xor.INPUTS, y))
