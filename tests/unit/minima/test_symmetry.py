"""A network's symmetry group: its size, the images of a point, orbit sizes and classes."""

import itertools

import numpy as np
import pytest

from backprop_landscape.minima.symmetry import (
    flips_are_symmetries,
    group_size,
    orbit_sizes,
    symmetry_classes,
    symmetry_distance,
    symmetry_group,
    symmetry_images,
)
from backprop_landscape.models.network import Network

RNG = np.random.default_rng(20261204)
U = RNG.normal(size=(6, 3))
LABELS = np.array([1.0, -1.0, 0.6, -0.3, 1.0, -1.0])  # hard and soft, on the paper's scale


@pytest.mark.parametrize(
    ("net", "size", "flips"),
    [
        (Network(2, 2), 8, True),  # logistic, output bias, no decay: H! 2^H
        (Network(2, 3, "tanh"), 48, True),
        (Network(2, 4, "erf"), 384, True),
        (Network(2, 2, decay=0.01), 2, False),  # the flip moves v_j into c, penalised
        (Network(2, 2, decay=0.01, decay_biases=False), 8, True),
        (Network(2, 2, output_bias=False), 2, False),  # no c to take up v_j
        (Network(2, 0, output_activation="tanh"), 1, False),
    ],
)
def test_group_sizes(net, size, flips):
    assert group_size(net) == size
    assert flips_are_symmetries(net) == flips


def test_a_network_without_hidden_layer_is_its_own_image():
    net = Network(2, 0, output_activation="tanh", output_bias=False)
    x = np.array([[0.3, -0.2]])
    np.testing.assert_array_equal(symmetry_images(net, x), x[:, None, :])
    assert orbit_sizes(net, x)[0] == 1


def test_orbit_sizes_of_constructed_points():
    tanh2, logistic2 = Network(2, 2, "tanh"), Network(2, 2, "logistic")
    generic = RNG.normal(size=9)
    twin = generic.copy()
    twin[[2, 3, 5, 7]] = twin[[0, 1, 4, 6]]  # unit 1 = unit 0: the swap fixes the point
    dead = generic.copy()
    dead[[2, 3, 5, 7]] = 0.0  # unit 1 has W = b = v = 0: its flip fixes the point
    zero = np.zeros(9)
    assert list(orbit_sizes(tanh2, np.array([generic, twin, dead, zero]))) == [8, 4, 4, 1]
    assert list(orbit_sizes(logistic2, np.array([generic, twin, dead, zero]))) == [8, 4, 4, 1]
    tanh3 = Network(2, 3, "tanh")
    x = RNG.normal(size=tanh3.n_params)
    p = tanh3.unpack(x)
    p["W"][0, 2], p["b"][0, 2], p["v"][0, 2] = p["W"][0, 1], p["b"][0, 1], p["v"][0, 1]
    assert orbit_sizes(tanh3, tanh3.pack(**p))[0] == 48 // 2


def test_symmetry_classes_of_shuffled_images():
    net = Network(3, 3, "logistic", "linear")
    bases = RNG.normal(size=(2, net.n_params))
    images = symmetry_images(net, bases)  # (2, 48, P)
    pick = RNG.integers(0, 48, size=(2, 15))
    points = np.concatenate([images[0, pick[0]], images[1, pick[1]]])
    truth = np.repeat([0, 1], 15)
    order = RNG.permutation(len(points))
    labels = symmetry_classes(net, points[order])
    assert len(set(labels)) == 2
    assert all(len(set(labels[truth[order] == k])) == 1 for k in (0, 1))
    d = symmetry_distance(net, bases[:1], images[0])
    np.testing.assert_allclose(d, 0.0, atol=1e-15)


# --------------------------------------------------------------------------------------
# Symmetries
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "hidden_activation, decay, decay_biases, group",
    [
        ("tanh", 0.1, True, 48),
        ("logistic", 0.0, True, 48),
        ("logistic", 0.1, False, 48),
        ("logistic", 0.1, True, 6),
    ],
)
def test_every_group_element_keeps_e_and_the_outputs(hidden_activation, decay, decay_biases, group):
    net = Network(3, 3, hidden_activation, "tanh", decay=decay, decay_biases=decay_biases)
    y = net.code_targets(LABELS)
    X = RNG.normal(size=(2, net.n_params))
    images = symmetry_images(net, X)
    assert images.shape == (2, group, net.n_params)
    np.testing.assert_array_equal(images[:, 0], X)  # element 0 is the identity
    flat = images.reshape(-1, net.n_params)
    E = net.energy(flat, U, y).reshape(2, group)
    np.testing.assert_allclose(E, net.energy(X, U, y)[:, None] + 0 * E, rtol=1e-12)
    out = net.outputs(flat, U).reshape(2, group, -1)
    np.testing.assert_allclose(out, net.outputs(X, U)[:, None] + 0 * out, rtol=1e-12)


def test_the_logistic_flip_moves_the_output_weight_into_the_bias():
    net = Network(2, 2)
    x = np.array([1.0, 2.0, 3.0, 4.0, 0.5, -0.5, 2.0, -3.0, 0.25])
    images = symmetry_images(net, x)[0]
    parts = net.unpack(images)
    flipped_first = np.flatnonzero(
        np.all(np.isclose(parts["W"][:, 0], -np.array([1.0, 2.0])), axis=1)
    )
    assert flipped_first.size  # unit 0 flipped (and kept in place)
    k = flipped_first[0]
    assert np.isclose(parts["v"][k, 0], -2.0) and np.isclose(parts["c"][k], 0.25 + 2.0)


def test_permuting_units_permutes_gradients():
    """d E / d w transforms with the permutation: grad E(g x) = g grad E(x) for a pure
    permutation (a linear map that preserves the decay)."""
    net = Network(3, 3, "tanh", "linear", decay=0.1)
    y = LABELS
    x = RNG.normal(size=net.n_params)
    perms, signs = symmetry_group(net)
    k = next(i for i, (p, s) in enumerate(zip(perms, signs)) if np.all(s > 0) and p[0] != 0)
    gx = symmetry_images(net, x)[0, k]
    g_of_image = net.gradient(gx, U, y)
    image_of_g = symmetry_images(net, net.gradient(x, U, y))[0, k]
    np.testing.assert_allclose(g_of_image, image_of_g, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("H", [1, 2, 3])
def test_group_orders(H):
    assert len(symmetry_group(Network(2, H, "tanh"))[0]) == np.prod(range(1, H + 1)) * 2**H
    assert len(symmetry_group(Network(2, H, "logistic", output_bias=False))[0]) == np.prod(
        range(1, H + 1)
    )
    perms, signs = symmetry_group(Network(2, H, "tanh"))
    assert len({(tuple(p), tuple(s)) for p, s in zip(perms, signs)}) == len(perms)
    assert all(sorted(p) == list(range(H)) for p in perms)
    assert set(itertools.chain.from_iterable(signs)) <= {1.0, -1.0}


def test_components_and_pairs_agree_with_scipy():
    """The numpy pairs and components of symmetry.py against scipy's k-d tree and graph
    components (labels in the order of each component's smallest node)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components
    from scipy.spatial import cKDTree

    from backprop_landscape.minima.symmetry import close_pairs, connected

    rng = np.random.default_rng(3)
    for _ in range(50):
        n, d = int(rng.integers(1, 200)), int(rng.integers(1, 5))
        key = np.round(rng.random((n, d)) * 10, 1)
        tol = float(rng.choice([1e-6, 0.1, 0.5]))
        pairs = close_pairs(key, tol)
        tree = cKDTree(key).query_pairs(tol, p=np.inf, output_type="ndarray")
        assert set(map(tuple, pairs)) == set(map(tuple, tree))
        graph = coo_matrix((np.ones(len(tree)), (tree[:, 0], tree[:, 1])), shape=(n, n))
        expected = connected_components(graph, directed=False)[1]
        np.testing.assert_array_equal(connected(n, pairs[:, 0], pairs[:, 1]), expected)
