"""Gradient flow in log time, discrete backprop, and the t dw/dt diagnostic."""

import numpy as np
import pytest

from backprop_landscape.models.neuron import energy
from backprop_landscape.models.theta import get_theta
from backprop_landscape.trajectories.neuron import (
    backprop,
    gradient_flow,
    log_step_grid,
    log_time_grid,
    t_times_increment,
)

RNG = np.random.default_rng(20261129)
TANH = get_theta("tanh")
ATAN = get_theta("atan")


def separable(n, m, rng):
    """A~ for Gaussian inputs labelled by a random plane through 0 (linearly separable)."""
    A = rng.normal(size=(n, m))
    y = np.sign(A @ rng.normal(size=m))
    return A * y[:, None]


def xs(frame):
    return frame.filter(regex=r"^x\d+$").to_numpy()


def test_log_time_grid_starts_at_zero_and_ends_at_t_max():
    t = log_time_grid(1e12, per_decade=20, t_min=1e-2)
    assert t[0] == 0.0 and t[1] == pytest.approx(1e-2) and t[-1] == 1e12
    ratios = t[2:] / t[1:-1]
    np.testing.assert_allclose(ratios, 10 ** (1 / 20), rtol=1e-9)


def test_log_step_grid_with_successors():
    base = log_step_grid(1000, per_decade=10)
    steps = log_step_grid(1000, per_decade=10, with_successor=True)
    assert base[0] == 0 and base[-1] == 1000 and steps[-1] == 1000
    assert np.all(np.diff(steps) > 0)
    assert set(base) | set(base[base < 1000] + 1) == set(steps)


def test_flow_agrees_with_small_step_backprop_to_first_order():
    """Euler's global error is eta c(t) + O(eta^2), so with x_eta the backprop iterate
    err(eta) = |x_eta - x| ~ 2 |x_eta - x_{eta/2}| (Richardson) and err halves with eta.
    The flow itself is accurate to ~1e-9, far below eta = 1e-3."""
    A = RNG.normal(size=(5, 3))
    x0 = np.array([0.3, -0.2, 0.1])
    eta, t_end = 1e-3, 5.0
    n_steps = round(t_end / eta)
    steps = np.arange(0, n_steps + 1, 500)
    coarse = xs(backprop(A, x0, TANH, eta, n_steps, steps))
    fine = xs(backprop(A, x0, TANH, eta / 2, 2 * n_steps, 2 * steps))
    flow = xs(gradient_flow(A, x0, TANH, t_eval=steps * eta))
    err_coarse = np.abs(coarse - flow).max()
    err_fine = np.abs(fine - flow).max()
    richardson = 2 * np.abs(coarse - fine).max()
    assert 0 < err_coarse < 50 * eta  # O(eta); the constant is pinned down just below
    assert err_coarse == pytest.approx(richardson, rel=0.05)
    assert err_coarse / err_fine == pytest.approx(2.0, rel=0.05)


def test_scalar_tanh_grows_like_a_quarter_log_t(recwarn):
    """1 - tanh x ~ 2 e^{-2x} (C=2, k=2) and tanh' ~ 4 e^{-2x}, so dx/dt ~ 16 e^{-4x},
    x ~ log(64 t) / 4 and t dx/dt -> 1/(2k) = 1/4.  The next terms of the tails are
    relatively O(e^{-2x}) = O(t^{-1/2}), so at t >= 1e10 the limit holds to ~1e-5."""
    frame = gradient_flow([[1.0]], [0.0], TANH, t_max=1e12)
    assert frame["t"].iloc[-1] == 1e12
    assert frame.attrs["solver"]["nfev"] < 5000
    t, x = frame["t"].to_numpy(), frame["x1"].to_numpy()
    tdx = t_times_increment(t, x)
    np.testing.assert_allclose(tdx[t >= 1e10], 0.25, rtol=1e-4)
    np.testing.assert_allclose(x[-1], np.log(64e12) / 4, rtol=1e-6)
    assert len(recwarn) == 0


def test_scalar_atan_grows_like_t_to_the_quarter():
    """Power tail p = 1: 1 - theta ~ C/x, theta' ~ C/x^2 (C = 2/pi), dx/dt ~ 2 C^2 x^-3,
    so x^4 ~ 8 C^2 t: log-log slope 1/4 and x^4 / t -> 8 C^2."""
    frame = gradient_flow([[1.0]], [0.0], ATAN, t_max=1e12)
    tail = frame[frame["t"] >= 1e8]
    slope = np.polyfit(np.log(tail["t"]), np.log(tail["x1"]), 1)[0]
    assert slope == pytest.approx(0.25, rel=0.02)
    C = 2 / np.pi
    assert tail["x1"].iloc[-1] ** 4 / 1e12 == pytest.approx(8 * C**2, rel=0.01)


@pytest.mark.parametrize("name", ["tanh", "atan", "erf", "softsign"])
def test_energy_never_increases_along_the_flow(name):
    A = separable(12, 3, RNG)
    A[:3] *= -1  # flip three labels: the problem is no longer separable
    frame = gradient_flow(A, RNG.normal(size=(3, 3)), get_theta(name), t_max=1e8)
    for _, run in frame.groupby("seed"):
        E = run["E"].to_numpy()
        assert np.all(np.diff(E) <= 1e-9 * E[:-1])


def test_separable_flow_diverges_slowly():
    """The lemma: no bounded solution; the norm keeps growing, but only like log t, so
    t d|x|/dt settles at a positive constant."""
    frame = gradient_flow(separable(20, 3, RNG), np.zeros(3), TANH, t_max=1e12)
    t, norm = frame["t"].to_numpy(), frame["norm_x"].to_numpy()
    assert np.all(np.diff(norm[t > 1]) > 0)
    tdn = t_times_increment(t, norm)
    assert tdn[-1] > 0
    assert tdn[np.searchsorted(t, 1e10)] == pytest.approx(tdn[-1], rel=0.05)


def test_flow_stays_finite_on_a_problem_with_both_labels_on_each_input():
    """Rows u and -u give E = sum 2 + 2 theta(u.x)^2, so x.grad E >= 0: |x| never grows and
    x -> 0.  In log time this is stiff (eigenvalues ~ -e^s), which the solver must handle."""
    U = RNG.normal(size=(4, 3))
    A = np.vstack([U, -U])
    frame = gradient_flow(A, RNG.normal(size=(2, 3)), ATAN, t_max=1e12)
    assert np.all(np.isfinite(xs(frame)))
    for _, run in frame.groupby("seed"):
        norm = run["norm_x"].to_numpy()
        assert np.all(np.diff(norm) <= 1e-9 * norm[0])
        assert norm[-1] < 1e-5


def test_stacked_starts_match_single_solves():
    A = separable(8, 2, RNG)
    X0 = RNG.normal(size=(3, 2))
    stacked = gradient_flow(A, X0, TANH, t_max=1e10, seeds=[7, 8, 9])
    assert list(stacked["seed"].unique()) == [7, 8, 9]
    for i, x0 in enumerate(X0):
        single = gradient_flow(A, x0, TANH, t_max=1e10)
        run = stacked[stacked["seed"] == 7 + i]
        np.testing.assert_allclose(xs(run), xs(single), rtol=1e-6, atol=1e-8)


def test_backprop_frame_and_vectorisation_across_seeds():
    A = separable(10, 3, RNG)
    X0 = RNG.normal(size=(4, 3))
    frame = backprop(A, X0, ATAN, eta=0.1, n_steps=1000)
    assert list(frame.columns) == [
        "seed",
        "step",
        "t",
        "x1",
        "x2",
        "x3",
        "E",
        "norm_x",
        "norm_grad",
    ]
    np.testing.assert_array_equal(frame["t"], frame["step"] * 0.1)
    assert frame["step"].max() == 1000
    for seed, x0 in enumerate(X0):
        single = backprop(A, x0, ATAN, eta=0.1, n_steps=1000)
        np.testing.assert_allclose(xs(frame[frame["seed"] == seed]), xs(single), rtol=1e-12)
    first = frame[frame["step"] == 0]
    np.testing.assert_allclose(first["E"], energy(A, X0, ATAN))


def test_t_times_increment_is_exact_for_log_growth():
    t = log_time_grid(1e6, per_decade=10)
    w = np.stack([1.0 + 0.3 * np.log1p(t), np.full_like(t, 2.0)], axis=1)
    out = t_times_increment(t, w)
    assert out[0, 0] == 0.0
    np.testing.assert_allclose(out[t > 1e3, 0], 0.3, rtol=1e-3)  # log1p(t) ~ log t there
    np.testing.assert_allclose(out[:, 1], 0.0, atol=1e-14)
    np.testing.assert_allclose(t_times_increment(t, w.T, axis=1), out.T)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="x0"):
        gradient_flow([[1.0, 2.0]], [0.0], TANH)
    with pytest.raises(ValueError, match="eta"):
        backprop([[1.0]], [0.0], TANH, eta=0.0, n_steps=10)
    with pytest.raises(ValueError, match="record_steps"):
        backprop([[1.0]], [0.0], TANH, eta=0.1, n_steps=10, record_steps=[11])


@pytest.mark.parametrize("name", ["tanh", "atan", "erf", "softsign"])
def test_soft_target_flow_and_backprop_settle_where_theta_equals_the_target(name):
    """E = (theta(x) - 0.8)^2: both dynamics converge to theta^-1(0.8), E -> 0, no warning."""
    from backprop_landscape.models.theta import get_theta
    from backprop_landscape.trajectories.neuron import backprop, gradient_flow

    theta = get_theta(name)
    t = np.array([0.8])
    flow = gradient_flow(np.ones((1, 1)), [[0.0], [-3.0]], theta, t_max=1e8, targets=t)
    steps = backprop(np.ones((1, 1)), [[0.0], [-3.0]], theta, 0.5, 20000, targets=t)
    for frame in (flow, steps):
        end = frame.groupby("seed").last()
        np.testing.assert_allclose(theta.value(end["x1"].to_numpy()), 0.8, atol=1e-6)
        assert (end["E"] < 1e-10).all()


def test_columns_without_a_frame_are_the_frame_exactly():
    """as_frame=False (the trajectory job writes these without pandas): same data, attrs."""
    import pandas as pd

    A = separable(8, 2, RNG)
    X0 = RNG.normal(size=(3, 2))
    for run in (
        lambda **kw: gradient_flow(A, X0, TANH, t_max=1e6, **kw),
        lambda **kw: backprop(A, X0, TANH, eta=0.1, n_steps=200, **kw),
    ):
        frame = run()
        columns, attrs = run(as_frame=False)
        assert all(isinstance(v, np.ndarray) for v in columns.values())
        pd.testing.assert_frame_equal(pd.DataFrame(columns), frame, check_exact=True)
        assert attrs == frame.attrs
    assert "solver" in gradient_flow(A, X0, TANH, t_max=1e6, as_frame=False)[1]
