"""Backprop with log-rule extrapolation (open question 4) against plain backprop."""

import math

import numpy as np
import pandas as pd
import pytest

from backprop_landscape.models.neuron import energy, gradient, reduce_signs
from backprop_landscape.models.theta import get_theta
from backprop_landscape.problems.families import build_problem
from backprop_landscape.problems.separability import angle_to
from backprop_landscape.questions import extrapolation as ex
from backprop_landscape.questions import logmode
from backprop_landscape.seeds import starting_points
from backprop_landscape.trajectories import xor

TANH = get_theta("tanh")
SCALAR = np.ones((1, 1))  # Section 3's example: u = 1, y = 1, E = (1 - theta(x))^2


def linear(X):
    """E(x) = 2e5 - x1: plain backprop with eta = 1 from 0 is x_k = k exactly."""
    return 2e5 - X[:, 0], np.broadcast_to([[-1.0]], X.shape).copy()


def barrier(X):
    """e^-x with a steep wall beyond x = 8: in log mode until the wall, where E rises."""
    wall = np.maximum(X[:, 0] - 8.0, 0.0)
    E = np.exp(-X[:, 0]) + 0.5 * wall**2
    return E, (-np.exp(-X[:, 0]) + wall)[:, None]


def test_evaluators_match_the_landscape_and_the_xor_network():
    rng = np.random.default_rng(3)
    A = rng.normal(size=(7, 3))
    X = rng.normal(size=(5, 3)) * 3
    E, G = ex.neuron_evaluator(A, TANH)(X)
    np.testing.assert_allclose(E, energy(A, X, TANH), rtol=1e-13)
    np.testing.assert_allclose(G, gradient(A, X, TANH), rtol=1e-12, atol=1e-300)

    params = xor.initial_weights(range(6), hidden=3, scale=2.0)
    E, G = ex.XorEvaluator(6, hidden=3)(params)
    E_ref, G_ref = xor.loss_and_gradient(params)
    np.testing.assert_array_equal(E, E_ref)
    np.testing.assert_array_equal(G, G_ref)


def test_step_counts_are_exact_on_a_hand_made_case():
    """Plain: x_k = k, so E <= 1e5 first at k = 1e5.  Extrapolated: D = tau exactly (a pure
    power law, q = 1), detected at the checkpoint tau = 100 (window 10, 32, 100); each jump
    multiplies tau by K = 100 and lands exactly on the plain trajectory, x = tau: 1e4 at
    step 101, 1e6 (E < target) at step 102."""
    settings = ex.Settings(min_steps=100, max_exponent=1.5)
    plain = ex.descend(linear, [[0.0]], 1.0, 1e5, 200_000, settings, extrapolate=False)
    fast = ex.descend(linear, [[0.0]], 1.0, 1e5, 200_000, settings)
    assert plain.steps[0] == 100_000 and plain.n_plain[0] == 100_000 and plain.x[0, 0] == 1e5
    assert plain.n_jumps[0] == plain.n_rejected[0] == 0 and np.isnan(plain.detected_at[0])
    assert fast.steps[0] == 102 and fast.detected_at[0] == 100
    assert (fast.n_plain[0], fast.n_jumps[0], fast.n_rejected[0]) == (100, 2, 0)
    assert fast.exponent[0] == pytest.approx(1.0, abs=1e-9)
    assert fast.t_virtual[0] == pytest.approx(1e6, rel=1e-9)
    assert fast.x[0, 0] == pytest.approx(1e6, rel=1e-9)
    jumps = fast.trace[fast.trace["event"] == "jump"]
    np.testing.assert_allclose(jumps["t_virtual"], [1e4, 1e6], rtol=1e-9)
    # A target met at the start costs nothing, with or without extrapolation.
    for extrapolate in (False, True):
        run = ex.descend(linear, [[0.0]], 1.0, 3e5, 10, settings, extrapolate=extrapolate)
        assert run.steps[0] == 0 and run.iterations == 0


def test_scalar_tanh_extrapolation_saves_steps_and_lands_on_the_plain_trajectory():
    """x(t) ~ (1/4) log(64 t): E = 1/(16 t) reaches 1e-6 at t = 62500, i.e. 1.25e5 steps of
    eta = 0.5.  The extrapolated run gets there in a few thousand steps, at the state
    plain backprop reaches (its last jump aims at 0.8 target: x higher by log(1.25)/4)."""
    table, trace = ex.compare(ex.neuron_evaluator(SCALAR, TANH), [[0.5]], 0.5, 1e-6, 300_000)
    row = table.iloc[0]
    assert row.reached_plain and row.reached_extrapolated and not row.plain_estimated
    assert row.steps_plain == pytest.approx(1.25e5, rel=0.01)
    assert row.steps_extrapolated < row.steps_plain / 10 and row.n_jumps >= 1
    assert row.steps_saved == row.steps_plain - row.steps_extrapolated
    assert row.speedup == pytest.approx(row.steps_plain / row.steps_extrapolated)
    assert row.steps_extrapolated == row.n_plain + row.n_jumps + row.n_rejected
    # Same weight at the same error: the law carried the run along plain's trajectory.
    assert row.E_end_extrapolated <= 1e-6 and row.E_end_extrapolated > 0.5e-6
    x_plain = 0.25 * math.log(64 * 0.5 * row.steps_plain)  # the flow's law, checked here
    assert row.norm_ratio * x_plain == pytest.approx(x_plain + 0.25 * math.log(1.25), abs=0.02)
    assert row.t_virtual * ex.AIM == pytest.approx(row.steps_plain, rel=0.05)
    assert set(trace["method"]) == {"plain", "extrapolated"}


def test_power_tail_estimate_agrees_with_the_exact_law():
    """softsign: (1 + x)^4 = 8 t + (1 + x0)^4 and E = (1 + x)^-2, so E = 1e-6 needs
    t = (1e12 - (1 + x0)^4) / 8, 2.5e11 steps of eta = 0.5: far beyond any budget, so the
    plain count is estimated from E's tail; the extrapolated run reaches the target."""
    theta = get_theta("softsign")
    table, _ = ex.compare(ex.neuron_evaluator(SCALAR, theta), [[0.5]], 0.5, 1e-6, 100_000)
    row = table.iloc[0]
    assert row.plain_estimated and not row.reached_plain
    assert row.steps_plain == pytest.approx((1e12 - 1.5**4) / 8 / 0.5, rel=0.02)
    assert row.reached_extrapolated and row.steps_extrapolated < 5000
    assert row.exponent == pytest.approx(0.25, abs=0.02)  # D ~ t^(1/4), the power law


def test_estimate_steps_from_a_power_law_tail_and_not_from_a_plateau():
    steps = np.unique(np.geomspace(1, 1e5, 101).round())
    assert ex.estimate_steps(steps, 3.0 * steps**-0.5, 1e-6) == pytest.approx(9e12, rel=1e-6)
    assert math.isnan(ex.estimate_steps(steps, 0.5 + 1.0 / steps, 1e-6))
    assert ex.estimate_steps(steps, 3.0 / steps, 1e-3) == steps[np.argmax(3.0 / steps <= 1e-3)]


def test_rejected_jumps_never_increase_E():
    """Log mode until a wall at x = 8: jumps past it raise E, are rejected and shrink."""
    run = ex.descend(barrier, [[0.0]], 1.0, 1e-5, 5000)
    assert run.n_rejected[0] >= 3 and not run.reached[0] and run.detected_at[0] == 1000
    E = run.trace["E"].to_numpy()
    assert np.all(np.diff(E) <= 0)
    events = run.trace["event"].to_numpy()
    rejected = np.flatnonzero(events == "rejected")
    np.testing.assert_array_equal(E[rejected], E[rejected - 1])  # the state is kept
    assert run.x[0, 0] < 8.001  # the minimum e^-x = x - 8 just inside the wall


def test_no_detection_when_backprop_converges_to_a_finite_minimum():
    """Rows +-e1 and +-0.05 e2 pull x to the minimum 0 (E = 4), the second coordinate
    slowly (time scale ~1000 steps): D -> 0 without a growth law, so nothing fires."""
    A = np.array([[1.0, 0.0], [-1.0, 0.0], [0.0, 0.05], [0.0, -0.05]])
    x0 = np.random.default_rng(0).normal(size=(4, 2)) * 2.0
    table, _ = ex.compare(ex.neuron_evaluator(A, TANH), x0, 0.1, 1e-3, 20_000)
    assert table["detected_at"].isna().all() and (table["n_jumps"] == 0).all()
    assert not table["reached_extrapolated"].any() and table["steps_plain"].isna().all()
    np.testing.assert_allclose(table["E_end_extrapolated"], 4.0, rtol=1e-6)


def test_law_position_is_continuous_at_q_zero_and_exact_for_a_power_law():
    L, delta = np.array([2.0, 5.0]), math.log(10**0.5)
    at_zero = logmode.psi(0.0, L, delta)
    np.testing.assert_allclose(at_zero, L**2 / (2 * delta))
    np.testing.assert_allclose(logmode.psi(1e-5, L, delta), at_zero, rtol=1e-4)
    np.testing.assert_allclose(logmode.psi(-1e-5, L, delta), at_zero, rtol=1e-4)
    # D = e^(q s): w(L) - w(0) = D L + dD psi must be (e^(qL) - 1) / q.
    q = 0.25
    dD = 1.0 - math.exp(-q * delta)
    np.testing.assert_allclose(L + dD * logmode.psi(q, L, delta), np.expm1(q * L) / q, rtol=1e-12)


def test_xor_experiment_runs_every_seed_at_once():
    table, trace = ex.xor_experiment([0, 1, 2], 2, 0.5, 1.0, 0.9, 2000)
    assert list(table["seed"]) == [0, 1, 2] and table["solved"].dtype == bool
    assert table["reached_plain"].all() and (table["steps_plain"] > 0).all()
    assert set(trace["seed"]) == {0, 1, 2}


def test_settings_are_checked_and_read_from_a_config_section():
    with pytest.raises(ValueError, match="jump_factor = 1"):
        ex.Settings(jump_factor=1)
    with pytest.raises(ValueError, match="min_exponent"):
        ex.Settings(min_exponent=1.0, max_exponent=0.5)
    s = ex.Settings.from_mapping({"jump_factor": 10, "law_rtol": 0.1, "problems": ["x"]})
    assert (s.jump_factor, s.law_rtol, s.min_steps) == (10, 0.1, ex.Settings().min_steps)
    with pytest.raises(ValueError, match="target"):
        ex.descend(linear, [[0.0]], 1.0, 0.0, 10)


def test_figure_draws_every_job_and_the_steps_panel():
    from backprop_landscape.figures.extrapolation import extrapolation_figure, representative

    table, trace = ex.compare(ex.neuron_evaluator(SCALAR, TANH), [[0.5], [1.0]], 0.5, 1e-4, 5000)
    table = table.assign(problem="scalar", theta="tanh", solved=True)
    fig = extrapolation_figure(table, {("scalar", "tanh"): trace})
    assert len([ax for ax in fig.axes if ax.get_visible()]) == 2  # E(step), steps
    assert representative(table) in (0, 1)


def test_angle_to_plain_compares_the_final_weights_row_by_row():
    """angle_to with one direction per row (the table's angle_to_plain): each row's angle
    as with its own direction, NaN where either row has no direction."""
    x, y = np.random.default_rng(4).normal(size=(2, 6, 3))
    x[1], y[4] = 0.0, 0.0
    angles = angle_to(x, y)
    for i in (0, 2, 3, 5):
        assert angles[i] == pytest.approx(angle_to(x[i], y[i]), rel=1e-14)
    assert np.isnan(angles[[1, 4]]).all()
    assert angle_to(x[[0]], 5.0 * x[[0]])[0] == pytest.approx(0.0, abs=1e-7)


def test_a_warm_start_with_history_detects_log_mode_at_once():
    """Scalar tanh from x = 0.5, eta = 0.5: after 10^4 plain steps the run is in log mode.
    A warm start there with the last decade's checkpoints detects it at step 0 and jumps;
    plain backprop from the warm start needs exactly the cold run's remaining steps."""
    evaluate, eta, target = ex.neuron_evaluator(SCALAR, TANH), 0.5, 1e-6
    x, checkpoints = np.array([[0.5]]), {}
    for k in range(10_001):
        E, G = evaluate(x)
        if k in (1000, 3162, 10_000):
            checkpoints[k] = (np.array([float(k)]), -eta * k * G, E)
        if k < 10_000:
            x = x - eta * G
    history = [checkpoints[1000], checkpoints[3162]]
    settings = ex.Settings()
    cold = ex.descend(evaluate, [[0.5]], eta, target, 300_000, settings, extrapolate=False)
    plain = ex.descend(
        evaluate, x, eta, target, 300_000, settings, extrapolate=False, t_virtual0=1e4
    )
    assert plain.steps[0] == cold.steps[0] - 10_000
    assert plain.t_virtual[0] == cold.t_virtual[0]
    warm = ex.descend(evaluate, x, eta, target, 300_000, settings, t_virtual0=1e4, history=history)
    blind = ex.descend(evaluate, x, eta, target, 300_000, settings, t_virtual0=1e4)
    assert warm.detected_at[0] == 0 and warm.reached[0] and warm.n_jumps[0] >= 1
    assert warm.steps[0] < 100 < blind.detected_at[0]  # without history: a window first
    assert warm.E[0] <= target
    with pytest.raises(ValueError, match="t_virtual0"):
        ex.descend(evaluate, x, eta, target, 10, settings, t_virtual0=-1.0)


def _assert_same_descent(got: ex.Descent, want: ex.Descent):
    """Every result of two descents equal bit for bit (NaN equal to NaN), trace included."""
    for name in ("steps", "reached", "stalled", "x", "E", "t_virtual", "n_jumps"):
        np.testing.assert_array_equal(getattr(got, name), getattr(want, name), err_msg=name)
    for name in ("n_rejected", "n_plain", "detected_at", "exponent"):
        np.testing.assert_array_equal(getattr(got, name), getattr(want, name), err_msg=name)
    pd.testing.assert_frame_equal(got.trace, want.trace, check_exact=True)


@pytest.mark.parametrize(
    ("case", "budget"),
    [(("erf", 1), 300_000), (("tanh", 1), 300_000), ("xor", 12_000)],
)
def test_paired_descents_are_the_two_descents_bit_for_bit(case, budget):
    """The plain run and the run with jumps of paired_descents, which runs only the starts
    that detect log mode a second time, equal two separate descents in every value and
    trace row.  The cases mix starts that detect log mode with starts that never do
    (erf: 7 of 8 never do, tanh: 6 of 8, XOR within 12,000 steps: all but seeds 4 and 11)."""
    settings = ex.Settings()
    if case == "xor":
        seeds = list(range(20))
        evaluate, x0 = ex.XorEvaluator(20), xor.initial_weights(seeds, 2, 1.0)
        eta, target, common = 0.5, 2e-5, {"seeds": seeds}
    else:
        theta, seed = case
        problem = build_problem("random", {"n": 16, "m": 3, "seed": seed, "separable": True})
        evaluate = ex.neuron_evaluator(reduce_signs(problem.A, problem.y), get_theta(theta))
        x0 = starting_points(3, 8, 2.0, problem.name, "extrapolation", 0)
        eta, target, common = 0.2, 16e-4, {}
    plain, fast = ex.paired_descents(evaluate, x0, eta, target, budget, settings, **common)
    never = np.isnan(fast.detected_at)
    assert never.any() and not never.all()  # the case exercises both kinds of start
    _assert_same_descent(
        plain, ex.descend(evaluate, x0, eta, target, budget, settings, extrapolate=False, **common)
    )
    _assert_same_descent(fast, ex.descend(evaluate, x0, eta, target, budget, settings, **common))


def test_paired_descents_with_a_history_skip_the_start_that_converges():
    """Warm starts with a history (as the networks-at-scale race runs them): scalar tanh in
    log mode detects it at step 0 and jumps; a second run, in the bowl 0.01 (x - 3)^2,
    converges and never detects it.  Both results equal two separate descents."""
    scalar = ex.neuron_evaluator(SCALAR, TANH)

    def evaluate(X):
        E, G = scalar(X[:1])
        bowl = X[1:, 0] - 3.0
        return np.r_[E, 0.01 * bowl**2], np.vstack([G, 0.02 * bowl[:, None]])

    eta, target, x = 0.5, 1e-6, np.array([[0.5]])
    checkpoints = {}
    for k in range(10_001):
        E, G = scalar(x)
        if k in (1000, 3162):
            checkpoints[k] = (np.full(2, float(k)), np.vstack([-eta * k * G] * 2), np.r_[E, E])
        if k < 10_000:
            x = x - eta * G
    x0 = np.vstack([x, [[0.0]]])
    common = {"t_virtual0": 1e4, "history": [checkpoints[1000], checkpoints[3162]]}
    settings = ex.Settings()
    plain, fast = ex.paired_descents(evaluate, x0, eta, target, 300_000, settings, **common)
    assert fast.detected_at[0] == 0 and fast.n_jumps[0] >= 1 and fast.reached.all()
    assert np.isnan(fast.detected_at[1]) and fast.steps[1] == plain.steps[1] > 100
    _assert_same_descent(
        plain,
        ex.descend(evaluate, x0, eta, target, 300_000, settings, extrapolate=False, **common),
    )
    _assert_same_descent(fast, ex.descend(evaluate, x0, eta, target, 300_000, settings, **common))
