"""Batch backprop on XOR (Figure 5): kernel against a plain forward pass, gradient against
finite differences, vectorised runs against the per-seed loop."""

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit

from backprop_landscape.trajectories.xor import (
    INPUTS,
    TARGETS,
    XorResult,
    initial_weights,
    log_rule_diagnostic,
    loss_and_gradient,
    outputs,
    pack,
    unpack,
    weight_names,
    xor_backprop,
)

RNG = np.random.default_rng(20261130)


def plain_outputs(params, hidden):
    """Forward pass written out from the weight names, one seed, no tricks."""
    w = dict(zip(weight_names(hidden), params, strict=True))
    out = []
    for x in INPUTS:
        h = [
            expit(w[f"W1_h{j}_in0"] * x[0] + w[f"W1_h{j}_in1"] * x[1] + w[f"b1_h{j}"])
            for j in range(hidden)
        ]
        out.append(expit(sum(w[f"W2_out_h{j}"] * h[j] for j in range(hidden)) + w["b2_out"]))
    return np.array(out)


@pytest.mark.parametrize("hidden", [1, 2, 3])
def test_pack_unpack_round_trip(hidden):
    params = RNG.normal(size=(4, 4 * hidden + 1))
    np.testing.assert_array_equal(pack(*unpack(params)), params)
    assert len(weight_names(hidden)) == 4 * hidden + 1


@pytest.mark.parametrize("hidden", [2, 3])
def test_loss_matches_a_plain_forward_pass(hidden):
    params = RNG.normal(scale=2.0, size=(3, 4 * hidden + 1))
    E, _ = loss_and_gradient(params)
    for p, e, out in zip(params, E, outputs(params)):
        expected = plain_outputs(p, hidden)
        np.testing.assert_allclose(out, expected, rtol=1e-14)
        np.testing.assert_allclose(e, np.sum((expected - TARGETS) ** 2), rtol=1e-13)


@pytest.mark.parametrize("hidden", [2, 3])
def test_gradient_against_central_differences(hidden):
    params = RNG.normal(size=(3, 4 * hidden + 1))
    _, grad = loss_and_gradient(params)
    h = 1e-6
    steps = h * np.eye(params.shape[1])
    for p, g in zip(params, grad):
        fd = (loss_and_gradient(p + steps)[0] - loss_and_gradient(p - steps)[0]) / (2 * h)
        np.testing.assert_allclose(g, fd, rtol=1e-6, atol=1e-9)


def test_initial_weights_are_per_seed_and_within_scale():
    many = initial_weights(range(6), hidden=2, scale=0.5)
    assert np.all(np.abs(many) <= 0.5)
    np.testing.assert_array_equal(initial_weights([5], hidden=2, scale=0.5)[0], many[5])


def test_vectorised_equals_per_seed_loop():
    """All seeds at once against one seed at a time (the benchmark's baseline)."""
    kwargs = dict(hidden=3, eta=0.5, n_epochs=2000, per_decade=10)
    fast = xor_backprop(seeds=[0, 3, 11], **kwargs)
    runs = [xor_backprop(seeds=[seed], **kwargs) for seed in (0, 3, 11)]
    slow = XorResult(*(pd.concat(tables, ignore_index=True) for tables in zip(*runs)))
    np.testing.assert_array_equal(fast.weights[["seed", "epoch"]], slow.weights[["seed", "epoch"]])
    np.testing.assert_allclose(fast.weights["value"], slow.weights["value"], rtol=0, atol=1e-12)
    np.testing.assert_allclose(fast.energy["E"], slow.energy["E"], rtol=0, atol=1e-12)


def test_recorded_weights_are_the_iterates():
    """Epoch k is the start after k updates of w - eta grad E."""
    run = xor_backprop(seeds=[2], eta=0.5, n_epochs=3, record_epochs=[0, 1, 2, 3])
    values = run.weights.pivot(index="epoch", columns="weight", values="value")
    w = values.loc[0, weight_names(2)].to_numpy()
    for k in (1, 2, 3):
        w = w - 0.5 * loss_and_gradient(w)[1][0]
        np.testing.assert_allclose(values.loc[k, weight_names(2)], w, rtol=1e-13)


def test_energy_decreases_over_ten_thousand_epochs():
    run = xor_backprop(seeds=4, n_epochs=10_000)
    for _, e in run.energy.groupby("seed"):
        E = e["E"].to_numpy()
        assert E[-1] < E[0]
        assert np.all(np.diff(E) <= 1e-12)  # eta = 0.5 is small enough here to descend
    assert list(run.summary.columns) == [
        "seed",
        "E_final",
        "max_abs_error",
        "correct",
        "solved",
        "stalled",
    ]
    np.testing.assert_array_equal(run.summary["stalled"], ~run.summary["solved"])


def test_log_rule_diagnostic_is_the_exact_increment():
    run = xor_backprop(seeds=2, n_epochs=1000, per_decade=5)
    diag = log_rule_diagnostic(run.weights)
    values = run.weights.set_index(["seed", "weight", "epoch"])["value"]
    assert len(diag) > 0
    for row in diag.sample(10, random_state=0).itertuples():
        w0 = values[(row.seed, row.weight, row.epoch)]
        w1 = values[(row.seed, row.weight, row.epoch + 1)]
        assert row.t_dw == row.epoch * (w1 - w0)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="eta"):
        xor_backprop(seeds=1, eta=-1.0, n_epochs=10)
    with pytest.raises(ValueError, match="n_epochs"):
        xor_backprop(seeds=1, n_epochs=10.5)
    with pytest.raises(ValueError, match="record_epochs"):
        xor_backprop(seeds=1, n_epochs=10, record_epochs=[20])
