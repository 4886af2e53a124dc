"""The one-hidden-layer network: derivatives against differences, reductions to the neuron
and to XOR's kernel, precision far in saturation.  (Its symmetry group:
tests/unit/minima/test_symmetry.py.)"""

from decimal import Decimal, getcontext

import numpy as np
import pytest

from backprop_landscape.models.activations import ACTIVATION_NAMES, get_activation
from backprop_landscape.models.network import Network
from backprop_landscape.models.neuron import energy, gradient, hessian, reduce_signs
from backprop_landscape.models.theta import get_theta
from backprop_landscape.trajectories import xor

RNG = np.random.default_rng(20261202)
U = RNG.normal(size=(6, 3))
LABELS = np.array([1.0, -1.0, 0.6, -0.3, 1.0, -1.0])  # hard and soft, on the paper's scale

COMBINATIONS = [
    # hidden, hidden activation, output activation, hidden bias, output bias, decay, biases
    (0, "logistic", "tanh", True, True, 0.0, True),
    (0, "logistic", "linear", True, False, 0.1, True),
    (1, "tanh", "logistic", True, True, 0.0, True),
    (2, "logistic", "logistic", True, True, 0.05, True),
    (2, "logistic", "linear", False, True, 0.05, False),
    (3, "tanh", "tanh", True, False, 0.0, True),
    (3, "atan", "erf", False, False, 0.2, True),
    (2, "erf", "atan", True, True, 0.0, True),
    (2, "linear", "logistic", True, True, 0.1, False),
    (4, "tanh", "linear", True, True, 0.01, True),
]


def network(combo) -> Network:
    H, f, g, hb, ob, lam, db = combo
    return Network(3, H, f, g, hb, ob, lam, db)


@pytest.fixture(params=COMBINATIONS, ids=lambda c: "-".join(map(str, c)))
def net(request):
    return network(request.param)


def central_differences(fn, X, h=1e-6):
    """d fn / dx_k by central differences, stacked on a new last axis."""
    steps = h * np.eye(X.shape[1])
    return np.stack([(fn(X + e) - fn(X - e)) / (2 * h) for e in steps], axis=-1)


def test_gradient_against_central_differences(net):
    y = net.code_targets(LABELS)
    X = RNG.normal(size=(4, net.n_params))
    fd = central_differences(lambda Z: net.energy(Z, U, y), X)
    np.testing.assert_allclose(net.gradient(X, U, y), fd, rtol=1e-6, atol=1e-8)


def test_hessian_against_differences_of_the_gradient(net):
    y = net.code_targets(LABELS)
    X = RNG.normal(size=(4, net.n_params))
    Hs = net.hessian(X, U, y)
    fd = central_differences(lambda Z: net.gradient(Z, U, y), X)
    np.testing.assert_allclose(Hs, fd, rtol=1e-5, atol=1e-7)
    np.testing.assert_array_equal(Hs, Hs.transpose(0, 2, 1))


def test_batched_calls_equal_single_calls(net):
    y = net.code_targets(LABELS)
    X = RNG.normal(size=(3, net.n_params))
    E, G, Hs = net.evaluate(X, U, y)
    for k, x in enumerate(X):
        e, g, h = net.evaluate(x, U, y)
        np.testing.assert_allclose([e], E[k], rtol=1e-14)
        np.testing.assert_allclose(g, G[k], rtol=1e-13, atol=1e-15)
        np.testing.assert_allclose(h, Hs[k], rtol=1e-13, atol=1e-15)


def test_energy_matches_a_plain_forward_pass(net):
    """E written out from the unpacked parts with plain numpy functions."""
    y = net.code_targets(LABELS)
    X = RNG.normal(size=(3, net.n_params))
    plain = {"logistic": lambda z: 1 / (1 + np.exp(-z)), "tanh": np.tanh, "linear": lambda z: z}
    plain["atan"] = lambda z: 2 / np.pi * np.arctan(z)
    from scipy.special import erf

    plain["erf"] = erf
    parts = net.unpack(X)
    if net.hidden:
        a = np.einsum("ni,shi->snh", U, parts["W"]) + parts["b"][:, None]
        h = plain[net.hidden_activation](a)
        z = np.einsum("snh,sh->sn", h, parts["v"]) + parts["c"][:, None]
    else:
        z = parts["v"] @ U.T + parts["c"][:, None]
    E = np.sum((plain[net.output_activation](z) - y) ** 2, axis=1)
    E += net.decay * (X**2) @ net.decay_mask
    np.testing.assert_allclose(net.energy(X, U, y), E, rtol=1e-12)


def test_pack_unpack_round_trip_and_names(net):
    X = RNG.normal(size=(5, net.n_params))
    parts = net.unpack(X)
    np.testing.assert_array_equal(net.pack(**parts), X)
    assert len(net.names) == net.n_params == len(set(net.names))


def test_decay_mask_excludes_biases_only_when_asked():
    with_b = Network(2, 2, decay=0.1)
    without_b = Network(2, 2, decay=0.1, decay_biases=False)
    assert with_b.decay_mask.sum() == with_b.n_params
    biases = [n.startswith(("b1_", "b2_")) for n in without_b.names]
    np.testing.assert_array_equal(without_b.decay_mask, np.where(biases, 0.0, 1.0))


# --------------------------------------------------------------------------------------
# Honest reductions
# --------------------------------------------------------------------------------------


def test_no_hidden_layer_is_the_neuron_after_the_sign_flip():
    """H = 0, tanh output, no bias, y = +-1: E, gradient and Hessian are models.neuron's."""
    A = RNG.normal(size=(7, 3))
    y = np.array([1.0, -1.0, 1.0, 1.0, -1.0, -1.0, 1.0])
    net = Network(3, 0, output_activation="tanh", output_bias=False)
    X = RNG.normal(size=(5, 3))
    At, theta = reduce_signs(A, y), get_theta("tanh")
    E, G, Hs = net.evaluate(X, A, y)
    np.testing.assert_allclose(E, energy(At, X, theta), rtol=1e-13)
    np.testing.assert_allclose(G, gradient(At, X, theta), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(Hs, hessian(At, X, theta), rtol=1e-12, atol=1e-15)


def test_one_linear_hidden_unit_is_the_neuron_reparametrised():
    """H = 1, linear hidden unit, no biases: E(w, v) = E_neuron(v w), and by the chain rule
    grad_w E = v grad E_neuron(v w), dE/dv = w . grad E_neuron(v w)."""
    A = RNG.normal(size=(7, 3))
    y = np.array([1.0, -1.0, 1.0, 1.0, -1.0, -1.0, 1.0])
    net = Network(3, 1, "linear", "tanh", hidden_bias=False, output_bias=False)
    X = RNG.normal(size=(4, 4))
    w, v = X[:, :3], X[:, 3:]
    At, theta = reduce_signs(A, y), get_theta("tanh")
    g = gradient(At, v * w, theta)
    np.testing.assert_allclose(net.energy(X, A, y), energy(At, v * w, theta), rtol=1e-13)
    expected = np.hstack([v * g, np.sum(w * g, axis=1, keepdims=True)])
    np.testing.assert_allclose(net.gradient(X, A, y), expected, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("hidden", [1, 2, 3])
def test_logistic_network_is_the_xor_kernel_of_figure_5(hidden):
    net = Network(2, hidden)
    X = RNG.normal(scale=2.0, size=(4, 4 * hidden + 1))
    E, G, _ = net.evaluate(X, xor.INPUTS, xor.TARGETS, order=1)
    E_xor, G_xor = xor.loss_and_gradient(X)
    assert net.names == xor.weight_names(hidden)
    np.testing.assert_allclose(E, E_xor, rtol=1e-13)
    np.testing.assert_allclose(G, G_xor, rtol=1e-12, atol=1e-15)


# --------------------------------------------------------------------------------------
# Targets
# --------------------------------------------------------------------------------------


def test_target_coding_maps_the_paper_scale_to_the_output_range():
    np.testing.assert_allclose(
        Network(2, output_activation="logistic").code_targets([1, -1, 0.8]), [1.0, 0.0, 0.9]
    )
    np.testing.assert_allclose(
        Network(2, output_activation="tanh").code_targets([1, -1, 0.8]), [1.0, -1.0, 0.8]
    )


def test_targets_outside_the_output_range_are_rejected_by_value():
    net = Network(2, output_activation="logistic")
    with pytest.raises(ValueError, match=r"\[0, 1\]; y\[1\] = -1.0"):
        net.energy(np.zeros(9), xor.INPUTS, np.array([0.0, -1.0, 1.0, 0.0]))
    linear = Network(2, output_activation="linear")
    assert np.isfinite(linear.energy(np.zeros(9), xor.INPUTS, np.array([0.0, -5.0, 7.0, 0.0])))


def test_unknown_activation_names_the_choices():
    with pytest.raises(ValueError, match="choose one of logistic, tanh, linear, atan, erf"):
        Network(2, hidden_activation="relu")


# --------------------------------------------------------------------------------------
# Saturation
# --------------------------------------------------------------------------------------


def _decimal_logistic(z: Decimal) -> Decimal:
    return 1 / (1 + (-z).exp())


def _decimal_energy_and_dc(params, U, y):
    """E, dE/dc and sum |terms of dE/dc| of the logistic 2-H-1 network in 250-digit decimal
    arithmetic (enough digits that out - y keeps 16 of them at |out - y| ~ 1e-200)."""
    getcontext().prec = 250
    H = (len(params) - 1) // 4
    p = [Decimal(float(v)) for v in params]  # the exact binary values
    W = [p[2 * j : 2 * j + 2] for j in range(H)]
    b, v, c = p[2 * H : 3 * H], p[3 * H : 4 * H], p[4 * H]
    E = dc = size = Decimal(0)
    for u, t in zip(U, y):
        u = [Decimal(float(ui)) for ui in u]
        h = [_decimal_logistic(W[j][0] * u[0] + W[j][1] * u[1] + b[j]) for j in range(H)]
        out = _decimal_logistic(sum(v[j] * h[j] for j in range(H)) + c)
        r = out - Decimal(float(t))
        E += r * r
        dc += 2 * r * out * (1 - out)
        size += abs(2 * r * out * (1 - out))
    return float(E), float(dc), float(size)


@pytest.mark.parametrize("scale", [10.0, 40.0, 150.0])
def test_far_in_saturation_values_keep_full_relative_precision(scale):
    """A solving XOR network scaled until its outputs sit far in saturation (|z| = 125 at
    scale 150, E ~ 1e-108, where 1 - sigmoid by subtraction gives 0): E agrees with
    250-digit arithmetic to 1e-12, dE/dc to 1e-12 of the size of its terms (they cancel
    between the patterns), and the gradient and Hessian are finite, without warnings."""
    base = np.array([6.0, 6.0, 6.0, 6.0, -3.0, -9.0, 10.0, -10.0, -5.0])  # OR - AND: XOR
    params = base * scale / 6.0
    net = Network(2, 2)
    E, G, Hs = net.evaluate(params, xor.INPUTS, xor.TARGETS)
    E_ref, dc_ref, size = _decimal_energy_and_dc(params, xor.INPUTS, xor.TARGETS)
    assert 0 < E < 1e-6
    np.testing.assert_allclose(E, E_ref, rtol=1e-12)
    assert abs(G[-1] - dc_ref) <= 1e-12 * size
    assert np.all(np.isfinite(G)) and np.all(np.isfinite(Hs))


@pytest.mark.parametrize("name", [n for n in ACTIVATION_NAMES if n != "linear"])
def test_gaps_are_stable_where_subtraction_fails(name):
    f = get_activation(name)
    z = np.array([-1e300, -800.0, -40.0, 0.0, 40.0, 800.0, 1e300])
    for values in (f.upper_gap(z), f.lower_gap(z), f.d1(z), f.d2(z)):
        assert np.all(np.isfinite(values))
    assert np.all(f.upper_gap(z) >= 0) and np.all(f.lower_gap(z) >= 0)
    # at moderate depth the gap is what subtraction gives, and beyond it stays positive
    np.testing.assert_allclose(f.upper_gap(2.0), f.hi - f.value(2.0), rtol=1e-12)
    width = f.hi - f.lo
    assert f.upper_gap(f.z_far) <= 1.0001e-17 * width < f.upper_gap(0.5 * f.z_far)
    deep = np.array([2.0 * f.z_far])  # saturated, yet the residual to the bound is not 0
    assert f.upper_gap(deep)[0] > 0 and f.residual(deep, np.array([f.hi]))[0] < 0


def test_activation_derivatives_against_differences():
    z = np.linspace(-4, 4, 17)
    h = 1e-6
    for name in ACTIVATION_NAMES:
        f = get_activation(name)
        np.testing.assert_allclose(f.d1(z), (f.value(z + h) - f.value(z - h)) / (2 * h), atol=1e-8)
        np.testing.assert_allclose(f.d2(z), (f.d1(z + h) - f.d1(z - h)) / (2 * h), atol=1e-7)
