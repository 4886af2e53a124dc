"""Networks at scale: the fast kernel against the model and differences, saturation, the
flow in log time against a tight explicit solution, backprop's exact diagnostic, tables."""

import math

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from backprop_landscape.models.activations import get_activation
from backprop_landscape.models.network import Network
from backprop_landscape.models.network_kernel import NetworkKernel, value_and_slope
from backprop_landscape.problems.names import network_name, parse_network
from backprop_landscape.trajectories import network as nt

RNG = np.random.default_rng(7)
U = np.hstack([RNG.normal(size=(9, 3)), np.ones((9, 1))])  # the data sets' bias column
LABELS = np.array([1, -1, 1, 1, -1, -1, 1, -1, 1], dtype=float)

NETWORKS = [
    Network(4, 3, "logistic", "logistic", hidden_bias=False),
    Network(4, 2, "tanh", "tanh", hidden_bias=False, output_bias=True),
    Network(4, 3, "tanh", "logistic", hidden_bias=True, output_bias=False, decay=0.05),
    Network(4, 2, "erf", "tanh", hidden_bias=True, decay=0.1, decay_biases=False),
]


def kernel_for(net, soft=False):
    labels = 0.8 * LABELS if soft else LABELS
    return NetworkKernel(net, U, net.code_targets(labels))


@pytest.mark.parametrize("net", NETWORKS, ids=lambda n: f"{n.hidden_activation}{n.hidden}")
@pytest.mark.parametrize("soft", [False, True])
def test_kernel_equals_the_network_model(net, soft):
    kernel = kernel_for(net, soft)
    X = RNG.normal(size=(5, net.n_params)) * 1.5
    E, G, Hs = net.evaluate(X, kernel.U, kernel.y)
    E_k, G_k = kernel.energy_gradient(X)
    np.testing.assert_allclose(E_k, E, rtol=1e-13)
    np.testing.assert_allclose(G_k, G, rtol=1e-11, atol=1e-13 * np.abs(G).max())
    for s in range(len(X)):
        np.testing.assert_allclose(
            kernel.hessian(X[s]), Hs[s], rtol=1e-11, atol=1e-13 * np.abs(Hs[s]).max()
        )
    E1, G1 = kernel.energy_gradient(X[2:3])  # one vector takes the 2-d path
    np.testing.assert_allclose(G1[0], G_k[2], rtol=1e-13, atol=1e-15)
    assert E1[0] == pytest.approx(E_k[2], rel=1e-14)


@pytest.mark.parametrize("net", NETWORKS[:2], ids=["logistic", "tanh"])
def test_gradient_and_hessian_against_central_differences(net):
    kernel = kernel_for(net)
    x = RNG.normal(size=net.n_params)
    h = 1e-6
    steps = np.eye(net.n_params) * h
    E_plus = kernel.energy_gradient(x + steps)
    E_minus = kernel.energy_gradient(x - steps)
    _, G = kernel.energy_gradient(x[None, :])
    np.testing.assert_allclose((E_plus[0] - E_minus[0]) / (2 * h), G[0], rtol=1e-6, atol=1e-8)
    H_diff = (E_plus[1] - E_minus[1]) / (2 * h)
    np.testing.assert_allclose(kernel.hessian(x), H_diff, rtol=1e-5, atol=1e-7)
    np.testing.assert_array_equal(kernel.hessian(x), kernel.hessian(x).T)


@pytest.mark.parametrize("name", ["logistic", "tanh", "erf"])
def test_value_and_slope_are_the_activation_and_its_derivative(name):
    f = get_activation(name)
    a = np.concatenate([np.linspace(-50, 50, 2001), [-800.0, -1e-300, 0.0, 1e-300, 800.0]])
    value, slope = value_and_slope(f, a)
    np.testing.assert_allclose(value, f.value(a), rtol=1e-14, atol=1e-300)
    np.testing.assert_allclose(slope, f.d1(a), rtol=1e-13, atol=1e-300)
    assert np.all(slope >= 0) and np.all(np.isfinite(slope))


@pytest.mark.parametrize("net", NETWORKS[:2], ids=["logistic", "tanh"])
def test_deep_saturation_keeps_tiny_errors_without_warnings(net):
    """Weights 1e3 times a solution's: E is 1e-100s, not 0, nan or a warning."""
    kernel = kernel_for(net)
    x = np.zeros(net.n_params)
    parts = net.unpack(np.arange(net.n_params, dtype=float)[None, :])
    w = np.linalg.lstsq(U, LABELS, rcond=None)[0]  # one unit that separates the data
    x[parts["W"][0, 0].astype(int)] = w
    x[parts["v"][0].astype(int)[0]] = 1.0
    scale = 60.0 / np.min(np.abs(U @ w))  # every margin of the hidden unit >= 60
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # underflow is quiet
        E, G = kernel.energy_gradient((x * scale)[None, :])
        Hs = kernel.hessian(x * scale)
    assert np.all(np.isfinite(G)) and np.all(np.isfinite(Hs))
    E_ref = net.energy(x * scale, kernel.U, kernel.y)
    assert E[0] == pytest.approx(E_ref, rel=1e-12)


def test_network_names_round_trip_and_build_the_network():
    assert network_name(32, "logistic") == "net_h32_logistic"
    assert parse_network("net_h8_tanh") == {
        "hidden": 8,
        "activation": "tanh",
        "target": 1.0,
        "decay": 0.0,
    }
    for bad in ("net_h0_tanh", "net_h08_tanh", "net_h4_relu", "neuron"):
        with pytest.raises(ValueError):
            parse_network(bad)
    net = nt.build_network("net_h5_tanh", 31)
    assert (net.hidden, net.m, net.n_params) == (5, 31, 5 * 31 + 5 + 1)
    assert nt.build_network("net_h5_tanh_decay0.001", 31).decay == 0.001
    with pytest.raises(ValueError, match="_soft"):
        nt.build_network("net_h5_tanh_soft0.8", 31)
    assert not net.hidden_bias and net.output_bias and net.output_activation == "tanh"
    names = nt.weight_names(net)
    assert names[30] == "W1_h0_bias" and names[31] == "W1_h1_in0" and names[-1] == "b2_out"
    assert len(set(names)) == net.n_params


def test_initial_weights_are_seeded_and_scaled_by_fan_in():
    net = nt.build_network("net_h40_logistic", 51)
    a = nt.initial_weights(net, 3, 2.0, "problem", "net", 0)
    b = nt.initial_weights(net, 3, 2.0, "problem", "net", 0)
    c = nt.initial_weights(net, 3, 2.0, "problem", "net", 1)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)
    parts = net.unpack(a)
    assert parts["W"].std() == pytest.approx(2.0 / math.sqrt(51), rel=0.05)
    assert parts["v"].std() == pytest.approx(2.0 / math.sqrt(40), rel=0.2)
    assert np.all(parts["c"] == 0)


def reference_flow(kernel, x0, t_end):
    """dw/dt = -grad E by an explicit 8th-order method at tight tolerance (no Hessian)."""
    sol = solve_ivp(
        lambda s, w: -math.exp(s) * kernel.energy_gradient(w[None, :])[1][0],
        (0.0, math.log1p(t_end)),
        x0,
        method="DOP853",
        rtol=1e-11,
        atol=1e-12,
    )
    assert sol.success
    return sol.y[:, -1]


@pytest.mark.parametrize("method", ["LSODA", "BDF"])
def test_flow_in_log_time_matches_a_tight_explicit_solution(method):
    net = NETWORKS[0]
    kernel = kernel_for(net)
    x0 = nt.initial_weights(net, 2, 1.0, "flow-test")
    traj = nt.gradient_flow(
        kernel, x0, t_max=1e3, per_decade=6, method=method, rtol=1e-9, atol=1e-11
    )
    default = nt.gradient_flow(kernel, x0, t_max=1e3, per_decade=6, method=method)
    for s in range(2):
        reference = reference_flow(kernel, x0[s], 1e3)
        np.testing.assert_allclose(traj.X[s, -1], reference, rtol=1e-6, atol=1e-8)
        # The default tolerances, as the workflow runs them: weights to ~1e-4.
        np.testing.assert_allclose(default.X[s, -1], reference, rtol=1e-3)
        assert np.all(np.diff(traj.E[s]) <= 1e-12 * traj.E[s, 0])  # E never increases
    np.testing.assert_allclose(traj.X[:, 0], x0, rtol=1e-14, atol=1e-15)
    # The diagnostic is exactly t dw/dt = -t grad E at the recorded weights.
    _, G = kernel.energy_gradient(traj.X[1])
    np.testing.assert_allclose(traj.D[1], -traj.t[:, None] * G, rtol=1e-12, atol=1e-300)
    # Starts are integrated separately: one alone gives the same as in company.
    alone = nt.gradient_flow(kernel, x0[1:], t_max=1e3, per_decade=6, method=method)
    np.testing.assert_array_equal(alone.X[0], default.X[1])


def test_backprop_records_the_exact_diagnostic():
    net = NETWORKS[1]
    kernel = kernel_for(net)
    x0 = nt.initial_weights(net, 3, 1.0, "backprop-test")
    eta, epochs = 0.02, 300
    traj = nt.backprop(kernel, x0, eta, epochs, per_decade=5)
    X = x0.copy()
    states = [X.copy()]
    for _ in range(epochs + 1):
        X = X - eta * kernel.energy_gradient(X)[1]
        states.append(X.copy())
    for j, k in enumerate(traj.step):
        np.testing.assert_allclose(traj.X[:, j], states[k], rtol=1e-12, atol=1e-14)
        # k [w(k+1) - w(k)], the paper's diagnostic, from the recorded gradient.
        np.testing.assert_allclose(
            traj.D[:, j], k * (states[k + 1] - states[k]), rtol=1e-9, atol=1e-12
        )
    np.testing.assert_allclose(traj.t, traj.step * eta)
    assert traj.step[-1] == epochs


def test_backprop_that_diverges_says_so():
    net = Network(4, 2, "tanh", "linear", hidden_bias=False)  # unbounded output
    kernel = NetworkKernel(net, U, LABELS)
    with np.errstate(all="ignore"), pytest.raises(FloatingPointError, match="eta"):
        nt.backprop(kernel, nt.initial_weights(net, 1, 1.0, "x"), 50.0, 1000)


def test_long_table_round_trip_and_samples():
    net = NETWORKS[0]
    kernel = kernel_for(net)
    x0 = nt.initial_weights(net, 2, 1.0, "table-test")
    traj = nt.gradient_flow(kernel, x0, t_max=1e3, per_decade=4)
    names = nt.weight_names(net)
    frame = nt.weights_frame(traj, names, seeds=[5, 9])
    assert len(frame) == 2 * traj.t.size * net.n_params
    assert list(frame["weight"].cat.categories) == names
    back = nt.arrays_from_frame(frame)
    assert sorted(back) == [5, 9]
    t, X, D = back[9]
    np.testing.assert_array_equal(t, traj.t)
    np.testing.assert_array_equal(X, traj.X[1])
    np.testing.assert_array_equal(D, traj.D[1])
    test = (U[:4], kernel.y[:4])
    samples = nt.samples_frame(traj, kernel, names, test, seeds=[5, 9])
    assert len(samples) == 2 * traj.t.size
    np.testing.assert_allclose(samples["E"].to_numpy()[: traj.t.size], traj.E[0], rtol=1e-13)
    layer_norms = samples["norm_layer1"] ** 2 + samples["norm_layer2"] ** 2
    np.testing.assert_allclose(layer_norms, samples["norm"] ** 2, rtol=1e-12)
    assert samples["train_errors"].between(0, len(U)).all()
    assert samples["test_errors"].between(0, 4).all()


def test_learning_rate_is_a_fraction_of_the_stability_limit():
    net = NETWORKS[0]
    kernel = kernel_for(net)
    x0 = nt.initial_weights(net, 3, 1.0, "rate")
    eta = nt.learning_rate(kernel, x0, 0.5)
    tops = [np.linalg.eigvalsh(kernel.hessian(x))[-1] for x in x0]
    assert eta == pytest.approx(1.0 / max(tops), rel=1e-12)
    # Below the limit backprop descends.
    E0 = kernel.energy_gradient(x0)[0]
    calm = nt.backprop(kernel, x0, eta, 200, per_decade=4)
    assert np.all(calm.E[:, -1] < E0)
    with pytest.raises(ValueError, match="fraction"):
        nt.learning_rate(kernel, x0, 1.5)
