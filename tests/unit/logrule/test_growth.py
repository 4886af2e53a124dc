"""Growth laws: the regression recovers each law, and the flows follow the predicted laws."""

import math

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from backprop_landscape.logrule.growth import (
    LAWS,
    fit_growth,
    predicted_law,
    predicted_norm_law,
    predicted_norm_rate,
)
from backprop_landscape.models.neuron import gradient
from backprop_landscape.models.theta import THETA_NAMES, Tail, get_theta
from backprop_landscape.problems.separability import angle_to, max_margin, random_problem

T_MAX = 1e12


def flow_in_log_time(rhs, x0, t_max=T_MAX, n=401):
    """Integrate dx/dt = rhs(x) in s = log(1 + t); return log-spaced t and x(t) (n x m)."""
    s_eval = np.log1p(np.geomspace(1e-2, t_max, n))
    sol = solve_ivp(
        lambda s, x: np.exp(s) * rhs(x),
        (0.0, float(np.log1p(t_max))),
        np.atleast_1d(np.asarray(x0, dtype=float)),
        method="DOP853",
        t_eval=s_eval,
        rtol=1e-11,
        atol=1e-12,
    )
    assert sol.success, sol.message
    return np.expm1(sol.t), sol.y.T


def scalar_flow(theta):
    """Section 3's one-weight flow dx/dt = 2 (1 - theta(x)) theta'(x) from x = 0."""
    t, x = flow_in_log_time(lambda x: 2.0 * theta.one_minus(x) * theta.d1(x), 0.0)
    return t, x[:, 0]


# --------------------------------------------------------------------------------------
# Predictions
# --------------------------------------------------------------------------------------

EXPECTED = {
    "tanh": ("log", 0.25),
    "erf": ("sqrtlog", 0.5),
    "atan": ("power", 0.25),
    "softsign": ("power", 0.25),
}


@pytest.mark.parametrize("name", THETA_NAMES)
def test_predicted_law_from_the_tail(name):
    law = predicted_law(get_theta(name).tail)
    assert law["law"] == EXPECTED[name][0]
    assert law["coef"] == pytest.approx(EXPECTED[name][1])


def test_predicted_power_prefactor():
    # softsign: dx/dt = 2/(1+x)^3 exactly, so (1+x)^4 = 8t + 1 and x ~ (8t)^(1/4).
    assert predicted_law(get_theta("softsign").tail)["prefactor"] == pytest.approx(8**0.25)


def test_stretched_tail_has_no_candidate_law():
    with pytest.raises(ValueError, match="q = 1.5"):
        predicted_law(Tail(C=1.0, p=0.0, k=1.0, q=1.5, z_asym=5.0))


def test_predicted_norm_law():
    assert predicted_norm_law(get_theta("tanh").tail, 2.0) == {"law": "log", "coef": 0.5}
    assert predicted_norm_law(get_theta("erf").tail, 2.0) == {"law": "sqrtlog", "coef": 2.0}
    assert predicted_norm_law(get_theta("atan").tail, 2.0) == {"law": "power", "coef": 0.25}
    assert predicted_norm_rate(get_theta("tanh").tail, 2.0) == 0.5
    assert math.isnan(predicted_norm_rate(get_theta("softsign").tail, 2.0))
    assert math.isnan(predicted_norm_rate(get_theta("tanh").tail, math.nan))
    with pytest.raises(ValueError, match="svm_norm"):
        predicted_norm_rate(get_theta("tanh").tail, 0.0)


# --------------------------------------------------------------------------------------
# The regression on synthetic series
# --------------------------------------------------------------------------------------


def synthetic(law, seed):
    """(t, w, true coef) for each law, with noise the fitter must see through."""
    rng = np.random.default_rng(seed)
    if law in ("log", "power"):
        t = np.geomspace(1.0, 1e6, 301)
        noise = rng.standard_normal(t.size)
        if law == "log":
            return t, 0.3 + 0.25 * np.log(t) + 0.005 * noise, 0.25
        return t, 2.0 * t**0.25 * (1.0 + 0.005 * noise), 0.25
    t = np.geomspace(1.0, 1e4, 301)
    noise = rng.standard_normal(t.size)
    if law == "sqrtlog":
        return t, np.sqrt(1.0 + 0.5 * np.log(t)) + 5e-4 * noise, 0.5
    return t, 3.0 - 2.0 * t**-0.5 + 1e-3 * noise, 3.0  # bounded: coef is w_inf


@pytest.mark.parametrize("law", LAWS)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_fitter_recovers_each_law(law, seed):
    t, w, true = synthetic(law, seed)
    fit = fit_growth(t, w)
    assert fit["law"] == law, fit["bic"]
    assert abs(fit["coef"] - true) < 4 * fit["coef_stderr"]
    assert abs(fit["coef"] - true) < 0.05 * abs(true)
    assert set(fit["bic"]) == set(LAWS) and fit["skipped"] == {}


def test_bounded_fit_recovers_the_rate():
    t, w, _ = synthetic("bounded", 0)
    params = fit_growth(t, w)["params"]
    assert params["r"] == pytest.approx(0.5, rel=0.05)
    assert not params["r_at_bound"]


def test_t_dw_tail_is_the_log_coefficient():
    t, w, _ = synthetic("log", 0)
    fit = fit_growth(t, w)
    assert fit["t_dw_tail"] == pytest.approx(0.25, abs=0.02)
    assert abs(fit["t_dw_drift"]) < 0.02  # per decade


def test_exact_series_are_classified_without_warnings():
    t = np.geomspace(1.0, 1e6, 101)
    fit = fit_growth(t, -0.3 - 0.25 * np.log(t))  # a weight diverging to -inf
    assert fit["law"] == "log" and fit["coef"] == pytest.approx(-0.25)
    assert fit["t_dw_tail"] == pytest.approx(-0.25)
    flat = fit_growth(t, np.full(t.size, 2.0))
    assert flat["coef"] == pytest.approx(0.0, abs=1e-12)
    assert all(np.isfinite(v) for v in flat["bic"].values())


def test_sign_changing_series_skips_power_and_sqrtlog():
    t = np.geomspace(1.0, 1e4, 101)
    fit = fit_growth(t, np.log(t) - 7.0)  # crosses zero inside the tail
    assert set(fit["skipped"]) == {"power", "sqrtlog"}
    assert fit["law"] == "log" and fit["coef"] == pytest.approx(1.0)


def test_tail_window_is_a_parameter():
    t = np.geomspace(1.0, 1e6, 61)
    w = np.log(t)
    assert fit_growth(t, w)["n_tail"] == 21
    assert fit_growth(t, w, decades=1.0)["n_tail"] == 11
    assert fit_growth(t, w, decades=1.0)["t_start"] == pytest.approx(1e5)


@pytest.mark.parametrize(
    ("t", "w", "message"),
    [
        (np.geomspace(1, 1e6, 6), np.arange(6.0), "only 2 samples"),
        ([1.0, 2.0, 2.0, 3.0], [0.0, 1.0, 2.0, 3.0], "strictly increasing"),
        ([0.0, 1.0, 2.0, 3.0], [0.0, 1.0, 2.0, 3.0], "t must be > 0"),
        ([1.0, 2.0, 3.0, 4.0], [0.0, np.nan, 2.0, 3.0], "finite"),
        ([1.0, 2.0, 3.0], [0.0, 1.0], "equal length"),
    ],
)
def test_bad_series_are_rejected_by_name(t, w, message):
    with pytest.raises(ValueError, match=message):
        fit_growth(t, w)


def test_unknown_law_is_rejected():
    t = np.geomspace(1.0, 1e4, 50)
    with pytest.raises(ValueError, match="laws must be"):
        fit_growth(t, np.log(t), laws=("exponential",))


# --------------------------------------------------------------------------------------
# The flows follow the predicted laws
# --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def scalar_flows():
    return {name: scalar_flow(get_theta(name)) for name in THETA_NAMES}


@pytest.mark.parametrize("name", THETA_NAMES)
def test_scalar_flow_follows_the_predicted_law(name, scalar_flows):
    t, x = scalar_flows[name]
    assert t[-1] == pytest.approx(T_MAX)
    predicted = predicted_law(get_theta(name).tail)
    fit = fit_growth(t, x)
    assert fit["law"] == predicted["law"], fit["bic"]
    assert fit["coef"] == pytest.approx(predicted["coef"], rel=0.01)


@pytest.mark.parametrize("name", THETA_NAMES)
def test_scalar_flow_t_dw_matches_the_law(name, scalar_flows):
    # The paper's diagnostic t dw/dt: b for log, b/(2w) for sqrtlog, p w for power.
    t, x = scalar_flows[name]
    predicted = predicted_law(get_theta(name).tail)
    expected = {
        "log": predicted["coef"],
        "sqrtlog": predicted["coef"] / (2.0 * x[-1]),
        "power": predicted["coef"] * x[-1],
    }[predicted["law"]]
    tolerance = 0.1 if predicted["law"] == "power" else 0.01  # a line through a convex curve
    assert fit_growth(t, x)["t_dw_tail"] == pytest.approx(expected, rel=tolerance)


@pytest.mark.parametrize(("name", "power"), [("tanh", 1), ("erf", 2)])
def test_exponential_tail_constant(name, power, scalar_flows):
    # tanh: x = (1/4) log(64 t); erf: x^2 = (1/2) log(16 t / pi), up to o(1).
    t, x = scalar_flows[name]
    predicted = predicted_law(get_theta(name).tail)
    expected = predicted["c0"] + predicted["coef"] * np.log(T_MAX)
    assert x[-1] ** power == pytest.approx(expected, rel=0.002)


@pytest.mark.parametrize("name", ["atan", "softsign"])
def test_power_tail_prefactor(name, scalar_flows):
    t, x = scalar_flows[name]
    predicted = predicted_law(get_theta(name).tail)
    assert x[-1] == pytest.approx(predicted["prefactor"] * T_MAX ** predicted["coef"], rel=0.01)


@pytest.mark.parametrize("name", ["tanh", "erf"])
def test_norm_on_separable_data_follows_the_max_margin_law(name):
    theta = get_theta(name)
    A, y = random_problem(12, 3, 0, separable=True)
    A_tilde = A * y[:, None]
    w_hat, gamma = max_margin(A_tilde)
    t, X = flow_in_log_time(lambda x: -gradient(A_tilde, x, theta), np.zeros(3))
    predicted = predicted_norm_law(theta.tail, 1.0 / gamma)
    fit = fit_growth(t, np.linalg.norm(X, axis=1))
    assert fit["law"] == predicted["law"]
    assert fit["coef"] == pytest.approx(predicted["coef"], rel=0.02)
    assert angle_to(X[-1], w_hat) < 0.01
