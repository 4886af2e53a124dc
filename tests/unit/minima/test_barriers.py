"""Barriers between minima: exact one-weight values, bands and saddles, the graph."""

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import minimize_scalar

from backprop_landscape.figures.disconnectivity import disconnectivity_figure, leaf_positions
from backprop_landscape.minima.bands import (
    _redistribute,
    band_barriers,
    confirm_saddles,
    hessian_index,
    near,
    network_model,
    neuron_model,
    refine_saddles,
    relax_bands,
)
from backprop_landscape.minima.barriers import (
    disconnectivity,
    escape_barriers,
    escape_table,
    network_barriers,
    neuron_barriers,
    one_weight_barriers,
    select_pairs,
)
from backprop_landscape.minima.critical1d import critical_points, one_weight_minima
from backprop_landscape.minima.networks import network_for
from backprop_landscape.minima.probing import classify
from backprop_landscape.minima.search import find_minima
from backprop_landscape.minima.stationary import find_stationary_points, match_points
from backprop_landscape.models.neuron import energy
from backprop_landscape.models.theta import get_theta
from backprop_landscape.problems.families import n2m1_problem, product_problem, xor_problem
from backprop_landscape.problems.names import network_name

THETAS = ["tanh", "atan", "erf", "softsign"]


@pytest.fixture(autouse=True)
def _numpy_errors():
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        yield


# --------------------------------------------------------------------------------------
# One weight: exact
# --------------------------------------------------------------------------------------


def _brute_sup(A, theta, lo, hi):
    """sup E on [lo, hi] (hi may be inf): dense asinh grid, then bounded maximisation."""
    end = hi if np.isfinite(hi) else lo + 1e3 / np.abs(A).min()
    u = np.linspace(np.arcsinh(lo), np.arcsinh(end), 200001)
    grid = np.sinh(u)
    E = energy(A, grid[:, None], theta)
    k = int(np.argmax(E))
    a, b = grid[max(k - 1, 0)], grid[min(k + 1, len(grid) - 1)]
    res = minimize_scalar(
        lambda x: -energy(A, [[x]], theta)[0],
        bounds=(a, b),
        method="bounded",
        options={"xatol": 1e-14},
    )
    return max(-res.fun, E[k]), res.x


@pytest.mark.parametrize("name", THETAS)
@pytest.mark.parametrize("a", [3.0, 10.0, 50.0])
def test_one_weight_barriers_are_the_maxima_between_minima(name, a):
    theta = get_theta(name)
    A = n2m1_problem(3, a).A
    critical = critical_points(A, theta)
    table = one_weight_barriers(critical)
    minima = one_weight_minima(A, theta, critical=critical)
    assert len(table) == max(len(minima) - 1, 0)
    for row in table.itertuples():
        assert row.E_a == minima["E"].iloc[row.minimum_a]
        assert row.E_b == minima["E"].iloc[row.minimum_b]
        assert row.E_barrier >= max(row.E_a, row.E_b)
        sup, x_top = _brute_sup(A, theta, row.x_a, row.x_b)
        assert row.E_barrier == pytest.approx(sup, rel=1e-8)
        if not row.saddle_at_infinity:
            assert row.saddle[0] == pytest.approx(x_top, rel=1e-6, abs=1e-8)


def test_one_weight_barrier_to_infinity_is_the_maximum_on_the_way_out():
    theta = get_theta("tanh")
    critical = critical_points(n2m1_problem(3, 10.0).A, theta)
    (row,) = one_weight_barriers(critical).itertuples()
    assert np.isinf(row.x_b) and row.E_b == 4.0
    top = critical[critical["kind"] == "max"]
    top = top[np.isfinite(top["x"])]
    assert row.E_barrier == float(top["E"].iloc[0]) and row.saddle == [float(top["x"].iloc[0])]


def test_neuron_barriers_answer_one_weight_problems_exactly():
    theta = get_theta("atan")
    A = n2m1_problem(3, 10.0).A
    table = neuron_barriers(A, theta, minima=None)
    assert table["method"].tolist() == ["exact"]
    assert table["E_barrier"].iloc[0] == pytest.approx(4.021529, rel=1e-6)


# --------------------------------------------------------------------------------------
# Bands and saddles
# --------------------------------------------------------------------------------------


def _fd_gradient(evaluate, X, h=1e-6):
    P = X.shape[1]
    steps = np.eye(P) * h
    up = evaluate((X[:, None, :] + steps).reshape(-1, P))[0].reshape(len(X), P)
    down = evaluate((X[:, None, :] - steps).reshape(-1, P))[0].reshape(len(X), P)
    return (up - down) / (2 * h)


def test_callbacks_gradients_match_finite_differences():
    rng = np.random.default_rng(0)
    A = product_problem(2, 3.0).A
    evaluate, _ = neuron_model(A, get_theta("tanh"))
    X = rng.normal(size=(5, 2))
    assert np.allclose(evaluate(X)[1], _fd_gradient(evaluate, X), rtol=1e-6, atol=1e-8)
    net, _ = network_for("net_h2_logistic", 2)
    p = xor_problem()
    evaluate, hessian = network_model(net, p.A, net.code_targets(p.y))
    X = rng.normal(size=(4, net.n_params))
    assert np.allclose(evaluate(X)[1], _fd_gradient(evaluate, X), rtol=1e-6, atol=1e-8)
    fd_hess = np.stack(
        [_fd_gradient(lambda Y, k=k: (evaluate(Y)[1][:, k], None), X) for k in range(X.shape[1])],
        axis=1,
    )
    assert np.allclose(hessian(X), fd_hess, rtol=1e-5, atol=1e-7)


def test_redistribute_spaces_images_evenly_and_keeps_the_pinned_one():
    rng = np.random.default_rng(1)
    s = np.cumsum(rng.uniform(0.1, 1.0, size=(3, 9)), axis=1)  # uneven, on a line
    line = s[..., None] * np.array([1.0, -2.0])
    even = _redistribute(line)
    seg = np.linalg.norm(np.diff(even, axis=1), axis=2)
    assert np.allclose(seg, seg[:, :1], rtol=1e-12)
    path = np.cumsum(rng.uniform(0.1, 1.0, size=(3, 9, 2)), axis=1)
    pin = np.array([2, 4, 6])
    kept = _redistribute(path, pin)
    assert np.array_equal(kept[np.arange(3), pin], path[np.arange(3), pin])
    assert np.array_equal(kept[:, [0, -1]], path[:, [0, -1]])


def _block(theta_name, a=10.0):
    theta = get_theta(theta_name)
    c = critical_points(n2m1_problem(3, a).A, theta)
    return theta, c


@pytest.mark.parametrize("name", ["atan", "tanh", "erf"])
def test_product_barrier_is_block_barrier_plus_other_blocks_minima(name):
    """E is a sum over blocks: one block crossing its barrier, the others at their minima."""
    theta, c = _block(name)
    block = one_weight_barriers(c)
    x_min = c[(c["kind"] == "min") & ~c["at_infinity"]]
    x1, E1 = float(x_min["x"].iloc[0]), float(x_min["E"].iloc[0])  # the lower finite minimum
    A = product_problem(2, 10.0).A
    minima = find_minima(A, theta, n_starts=300, seed=0)
    X = np.array(minima["x"].tolist())
    start = int(np.flatnonzero(np.all(np.isclose(X, x1), axis=1) & ~minima["at_infinity"])[0])
    # the minima that differ from (x1, x1) in the second block only
    others = [
        i
        for i in range(len(minima))
        if i != start and np.isclose(X[i, 0], x1) and minima["saturated"].iloc[i][:2] == [0, 0]
    ]
    assert others
    pairs = np.array([[start, j] for j in others])
    table = neuron_barriers(A, theta, minima, pairs=pairs)
    for row in table.itertuples():
        E_other = minima["E"].iloc[row.minimum_b] - E1
        expected = [
            r.E_barrier
            for r in block.itertuples()
            if np.isclose(r.E_b, E_other) or np.isclose(r.E_a, E_other)
        ]
        assert row.confirmed and row.index == 1
        assert row.E_barrier == pytest.approx(min(expected) + E1, rel=1e-8)
        assert row.grad_norm < 1e-12


def test_saddle_has_one_negative_eigenvalue_and_descends_into_both_minima():
    theta, c = _block("atan")
    x = c["x"].to_numpy()
    m1, top, m2 = x[1], x[2], x[3]
    A = product_problem(2, 10.0).A
    evaluate, hessian = neuron_model(A, theta)
    starts, ends = np.array([[m1, m1], [m2, m1]]), np.array([[m1, m2], [m2, m2]])
    path, E, best = relax_bands(evaluate, hessian, starts, ends)
    saddle, gnorm, lam, v = refine_saddles(evaluate, hessian, path[np.arange(2), best])
    assert np.allclose(saddle, [[m1, top], [m2, top]], rtol=1e-9)
    assert np.all(gnorm < 1e-14)
    assert np.array_equal(hessian_index(lam)[0], [1, 1]) and np.all(lam[:, 1] > 0)
    ok, ends_found = confirm_saddles(
        evaluate,
        hessian,
        saddle,
        v,
        lambda X, p: near(X, starts[p]),
        lambda X, p: near(X, ends[p]),
    )
    assert ok.all()
    for p in range(2):
        got = sorted(map(tuple, np.round(ends_found[p], 6)))
        assert got == sorted(map(tuple, np.round([starts[p], ends[p]], 6)))


def test_bands_are_independent_of_the_batch():
    theta, c = _block("atan")
    x = c["x"].to_numpy()
    A = product_problem(2, 10.0).A
    evaluate, hessian = neuron_model(A, theta)
    starts = np.array([[x[1], x[1]], [x[3], x[1]]])
    ends = np.array([[x[1], x[3]], [x[3], x[3]]])
    both = band_barriers(evaluate, hessian, starts, ends)
    one = band_barriers(evaluate, hessian, starts[1:], ends[1:])
    assert both["E_barrier"][1] == pytest.approx(one["E_barrier"][0], rel=1e-12)


def test_barrier_to_a_minimum_at_infinity_uses_the_ray_not_huge_x():
    theta, c = _block("tanh")
    A = product_problem(2, 10.0).A
    minima = find_minima(A, theta, n_starts=300, seed=0)
    table = neuron_barriers(A, theta, minima, k=3)
    far = minima["at_infinity"].to_numpy()
    row = table[(table["minimum_a"] == 0) & far[table["minimum_b"]]].iloc[0]
    assert np.isfinite(row["E_ray"]) and row["E_ray"] >= minima["E"].iloc[row["minimum_b"]]
    assert row["E_ray"] < row["E_barrier"]  # the way out along the ray only descends


# --------------------------------------------------------------------------------------
# Pairs, the graph, the answer
# --------------------------------------------------------------------------------------


def test_select_pairs_takes_k_nearest_and_the_global_minimum():
    minima = pd.DataFrame(
        {"E": [3.0, 0.0, 2.0, 5.0], "at_infinity": False, "z_limit": [[0.0], [10.0], [1.0], [2.5]]}
    )
    pairs = select_pairs(minima, k=1)
    # nearest: 0-2, 1-3, 2-0, 3-2; global (row 1) with everyone
    assert pairs.tolist() == [[0, 1], [0, 2], [1, 2], [1, 3], [2, 3]]


def _hand_made():
    minima = pd.DataFrame(
        {
            "E": [0.0, 1.0, 2.0, 3.0],
            "at_infinity": [False, False, False, True],
            "basin_fraction": [0.4, 0.3, 0.2, 0.1],
        }
    )
    barriers = pd.DataFrame(
        {
            "minimum_a": [0, 1, 2, 0],
            "minimum_b": [1, 2, 3, 3],
            "E_barrier": [5.0, 3.0, 4.0, 10.0],
        }
    )
    return minima, barriers


def test_disconnectivity_merges_superbasins_at_the_barriers():
    minima, barriers = _hand_made()
    tree = disconnectivity(minima, barriers)
    assert len(tree) == 7  # 4 leaves, 3 merges; the barrier at 10 joins nothing new
    merges = tree[~tree["leaf"]]
    assert merges["E"].tolist() == [3.0, 4.0, 5.0]
    assert merges["members"].tolist() == [[1, 2], [1, 2, 3], [0, 1, 2, 3]]
    assert tree["parent"].tolist() == [6, 4, 4, 5, 5, 6, -1]
    assert tree["at_infinity"].tolist()[:4] == [False, False, False, True]


def test_escape_barriers_go_to_a_lower_minimum():
    minima, barriers = _hand_made()
    esc = escape_barriers(minima, barriers)
    assert esc["minimum"].tolist() == [1, 2, 3]
    assert esc["E_escape"].tolist() == [5.0, 3.0, 4.0]
    assert esc["delta_E"].tolist() == [4.0, 1.0, 1.0]
    assert esc["to_minimum"].tolist() == [0, 1, 1]
    assert esc["basin_fraction"].tolist() == [0.3, 0.2, 0.1]


def test_disconnectivity_figure(tmp_path):
    minima, barriers = _hand_made()
    tree = disconnectivity(minima, barriers)
    x = leaf_positions(tree)
    assert sorted(x[:4]) == [0, 1, 2, 3] and x[0] == 0  # the global minimum first
    out = tmp_path / "graph.png"
    disconnectivity_figure(tree, title="hand-made", paths=[out], labels=list("abcd"))
    assert out.stat().st_size > 0


# --------------------------------------------------------------------------------------
# A network: XOR 2-2-1 logistic with a little decay (finite minima)
# --------------------------------------------------------------------------------------


def test_xor_band_saddle_is_a_stationary_point_of_index_one():
    name = network_name(hidden=2, activation="logistic", target=1.0, decay=0.001)
    net, t = network_for(name, 2)
    p = xor_problem()
    U, y = p.A, net.code_targets(p.y * t)
    table = find_stationary_points(net, U, y, n_starts=300, seed=0)
    minima = table[table["kind"] == "minimum"].reset_index(drop=True).assign(at_infinity=False)
    assert len(minima) >= 4
    barriers = network_barriers(net, U, y, minima, k=2)
    done = barriers[barriers["confirmed"]]
    assert len(done) >= 3
    S = np.array(done["saddle"].tolist())
    assert np.all(np.abs(net.gradient(S, U, y)) <= 100 * net.gradient_rounding(S, U, y))
    c = classify(net, U, y, S)
    assert np.all(c["index"] == 1) and np.all(c["nullity"] == 0)
    assert np.all(done["E_barrier"] > np.maximum(done["E_a"], done["E_b"]))
    rows = match_points(net, U, y, table, S)
    matched = rows[rows >= 0]
    assert matched.size  # some of the bands' saddles are among the search's points
    assert np.all(table["index"].to_numpy()[matched] == 1)
    assert np.allclose(table["E"].to_numpy()[matched], net.energy(S[rows >= 0], U, y), rtol=1e-9)


def test_escape_table_reads_each_job_of_the_aggregates():
    minima, barriers = _hand_made()
    jobs = [{"problem": "p", "model": "tanh"}, {"problem": "q", "model": "net_h2_logistic"}]
    both = pd.concat(
        [minima.assign(**jobs[0]), minima.assign(**jobs[1]).iloc[:2]], ignore_index=True
    )
    # the second job has minima but no barrier (e.g. only minima at infinity)
    table = escape_table(both, barriers.assign(**jobs[0]), jobs)
    first = table[table["problem"] == "p"]
    assert first["delta_E"].tolist() == [4.0, 1.0, 1.0] and (first["E_global"] == 0).all()
    second = table[table["problem"] == "q"]
    assert second["minimum"].tolist() == [1] and second["to_minimum"].tolist() == [-1]
    assert np.isnan(second["delta_E"]).all()


def test_an_unresolved_band_joins_nothing():
    minima, barriers = _hand_made()
    barriers = barriers.assign(E_barrier=[5.0, np.nan, 4.0, 10.0])  # 1-2 not resolved
    tree = disconnectivity(minima, barriers)
    assert tree[~tree["leaf"]]["E"].tolist() == [4.0, 5.0, 10.0]
    esc = escape_barriers(minima, barriers)
    assert esc.set_index("minimum").loc[2, "E_escape"] == 10.0  # over 3, then 0


def test_a_band_no_higher_than_its_ends_is_unresolved():
    # the band's bookkeeping (barriers._table) on two bands between minima E = 1 and 2:
    # an unconfirmed one whose top is its upper end (images too sparse) resolves nothing;
    # an unconfirmed one above both ends, and a confirmed one, keep their barrier
    from backprop_landscape.minima.barriers import _table

    minima = pd.DataFrame({"E": [1.0, 2.0]})
    res = {
        "E_barrier": np.array([2.0, 2.5, 2.0 + 1e-3]),
        "saddle": np.zeros((3, 2)),
        "confirmed": np.array([False, False, True]),
        "index": np.array([0, 2, 1]),
        "grad_norm": np.zeros(3),
        "E_band": np.array([2.0, 2.5, 2.0 + 1e-3]),
    }
    table = _table(minima, np.array([[0, 1]] * 3), res, np.full(3, -np.inf))
    assert table["resolved"].tolist() == [False, True, True]
    assert np.isnan(table["E_barrier"].iloc[0]) and table["E_barrier"].iloc[1] == 2.5
