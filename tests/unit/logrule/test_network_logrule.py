"""The log rule per weight: log-mode detection, the vectorised growth fits, the rows."""

import numpy as np
import pandas as pd
import pytest

from backprop_landscape.logrule.growth import fit_growth
from backprop_landscape.logrule.growth_many import fit_growth_many
from backprop_landscape.logrule.network import (
    describe_weight,
    growth_rows,
    log_mode,
    log_mode_rows,
    network_tables,
)

T = np.geomspace(1e-2, 1e12, 141)  # 10 per decade, like the flow's grid


def test_a_plus_c_log_t_is_in_log_mode_once_a_decade_is_seen():
    w = 0.7 + 0.25 * np.log(T)
    D = np.full_like(T, 0.25)  # t dw/dt exactly
    mode = log_mode(T, D, tol=0.01, floor=1e-3)[:, 0]
    assert not mode[T < 1e-1 * (1 - 1e-9)].any()  # the first decade is not yet seen
    assert mode[T >= 1e-1 * (1 - 1e-9)].all()
    # From samples of w alone (local slopes), as for a trajectory without exact D.
    slopes = np.gradient(w, np.log(T), edge_order=2)
    assert log_mode(T, slopes, tol=1e-6, floor=1e-3)[-1, 0]


def test_log_mode_starts_when_the_correction_falls_below_the_tolerance():
    """w = c log t + B t^-q has D = c - q B t^-q: it enters log mode once the correction's
    change over a decade is below tol |D|, and stays; checked against the definition."""
    c, B, q, tol = 0.5, 3.0, 0.5, 0.05
    D = c - q * B * T**-q
    mode = log_mode(T, D, tol=tol, floor=1e-3)[:, 0]
    for i in np.flatnonzero(T >= 0.1):
        window = D[(T >= T[i] / 10 * (1 - 1e-12)) & (T <= T[i])]
        expected = abs(D[i]) >= 1e-3 and np.max(np.abs(window - D[i])) <= tol * abs(D[i])
        assert mode[i] == expected
    first = T[np.argmax(mode)]
    assert 1e2 < first < 1e5 and mode[T >= first].all()


def test_converging_weights_and_settled_weights_are_not_in_log_mode():
    D_conv = 2.0 * T * np.exp(-T)  # w = w_inf - 2 e^-t: D decays faster than any power
    D_tiny = np.full_like(T, 1e-5)  # flat but below the floor: settled
    D_power = 0.25 * T**0.25  # w ~ t^(1/4): D grows by 78 % a decade
    mode = log_mode(T, np.column_stack([D_conv, D_tiny, D_power]), tol=0.1, floor=1e-3)
    assert not mode.any()


def test_log_mode_validates_its_arguments():
    with pytest.raises(ValueError, match="increasing"):
        log_mode(T[::-1], np.ones_like(T))
    with pytest.raises(ValueError, match="tol"):
        log_mode(T, np.ones_like(T), tol=0.0)


SERIES = {
    "log": 0.3 + 0.25 * np.log(T[40:]),
    "negative log": -1.0 - 0.5 * np.log(T[40:]),
    "power": 2.0 * T[40:] ** 0.25,
    "sqrtlog": np.sqrt(1.0 + 0.5 * np.log(T[40:])),
    "bounded": 3.0 - 2.0 * T[40:] ** -0.3,
    "noisy log": 1.0 + 0.1 * np.log(T[40:]) + 1e-4 * np.random.default_rng(1).normal(size=101),
    "log with log log": np.log(T[40:]) - 0.5 * np.log(np.log(T[40:] + 2.0)),
}


def test_vectorised_fits_agree_with_the_one_series_fit():
    t = T[40:]
    many = fit_growth_many(t, np.column_stack(list(SERIES.values())))
    for k, (name, w) in enumerate(SERIES.items()):
        one = fit_growth(t, w)
        assert many["law"][k] == one["law"], name
        assert many["coef"][k] == pytest.approx(one["coef"], rel=1e-4, abs=1e-9), name
        assert many["t_dw_tail"][k] == pytest.approx(one["t_dw_tail"], rel=1e-9, abs=1e-12)
        assert many["t_dw_drift"][k] == pytest.approx(one["t_dw_drift"], rel=1e-9, abs=1e-12)
        for law, bic in one["bic"].items():
            if law != "bounded":  # curve_fit may stop short of the profile optimum
                assert many[f"bic_{law}"][k] == pytest.approx(bic, rel=1e-9), (name, law)
            else:
                assert many["bic_bounded"][k] <= bic + 1e-6, name
    assert many["coef"][4] == pytest.approx(3.0, rel=1e-6)  # the bounded law's limit
    assert many["law"][0] == "log" and many["coef"][0] == pytest.approx(0.25, rel=1e-12)


def test_exact_slopes_replace_the_local_ones():
    t = T[40:]
    w = 0.3 + 0.25 * np.log(t)
    fits = fit_growth_many(t, w[:, None], slopes=np.full((t.size, 1), 0.4))
    assert fits["t_dw_tail"][0] == pytest.approx(0.4) and fits["coef"][0] == pytest.approx(0.25)


def test_weight_names_say_layer_and_unit():
    assert describe_weight("W1_h3_in12") == {"layer": 1, "unit": "h3", "input": "in12"}
    assert describe_weight("W1_h0_bias") == {"layer": 1, "unit": "h0", "input": "bias"}
    assert describe_weight("W2_out_h7") == {"layer": 2, "unit": "out", "input": "h7"}
    assert describe_weight("b2_out") == {"layer": 2, "unit": "out", "input": "bias"}
    with pytest.raises(ValueError):
        describe_weight("x1")


def synthetic_run():
    """Four weights: two in log mode, one converging, one settled at a tiny rate."""
    names = ["W1_h0_in0", "W1_h0_bias", "W2_out_h0", "b2_out"]
    t = np.concatenate([[0.0], T])
    logt = np.log(np.maximum(t, 1e-300))
    W = np.column_stack(
        [
            0.2 + 0.3 * logt,
            1.0 - np.exp(-t),
            -0.5 - 0.25 * logt,
            0.1 + 1e-5 * logt,
        ]
    )
    W[0] = [0.2, 0.0, -0.5, 0.1]
    D = np.column_stack([0.3 + 0 * t, t * np.exp(-t), -0.25 + 0 * t, 1e-5 + 0 * t])
    D[0] = 0.0
    return t, W, D, names


def test_growth_rows_classify_each_weight_and_fit_the_layer_norms():
    t, W, D, names = synthetic_run()
    rows = growth_rows(t, W, D, names, decades=2.0).set_index("coordinate")
    assert list(rows.index[:3]) == ["norm", "norm_layer1", "norm_layer2"]
    assert rows.loc["W1_h0_in0", "law"] == "log"
    assert rows.loc["W1_h0_in0", "coef"] == pytest.approx(0.3, rel=1e-9)
    assert rows.loc["W2_out_h0", "coef"] == pytest.approx(-0.25, rel=1e-9)
    assert rows.loc["W1_h0_in0", "log_mode_end"] and rows.loc["W2_out_h0", "log_mode_end"]
    assert rows.loc["W1_h0_in0", "t_log_mode"] == pytest.approx(0.1, rel=0.2)
    assert not rows.loc["W1_h0_bias", "log_mode_end"] and not rows.loc["W1_h0_bias", "diverging"]
    assert rows.loc["W1_h0_bias", "law"] == "bounded"
    assert not rows.loc["b2_out", "log_mode_end"]  # below the floor: settled
    assert rows.loc["W1_h0_in0", "layer"] == 1 and rows.loc["W2_out_h0", "unit"] == "out"
    assert rows.loc["norm_layer2", "law"] == "log"
    assert rows["theory_coef"].isna().all()


def test_log_mode_rows_count_shares_per_layer():
    t, W, D, names = synthetic_run()
    modes = log_mode_rows(t, D, names)
    end = modes.iloc[-1]
    assert end["share"] == pytest.approx(0.5)  # W1_h0_in0 and W2_out_h0
    assert end["share_layer1"] == pytest.approx(0.5) and end["share_layer2"] == pytest.approx(0.5)
    assert end["n_settled"] == 2  # the converged weight and the tiny one
    assert end["q50"] == pytest.approx(np.median(D[-1]))


def test_network_tables_read_the_long_weight_table():
    t, W, D, names = synthetic_run()
    frame = pd.DataFrame(
        {
            "seed": 3,
            "t": np.repeat(t, 4),
            "weight": pd.Categorical(np.tile(names, t.size), categories=names),
            "value": W.ravel(),
            "t_dw": D.ravel(),
        }
    ).sample(frac=1.0, random_state=0)  # any row order
    laws, modes = network_tables(frame, decades=2.0)
    assert laws.columns[0] == "seed" and set(laws["seed"]) == {3}
    direct = growth_rows(t, W, D, names, decades=2.0)
    np.testing.assert_allclose(laws["coef"], direct["coef"])
    assert len(modes) == t.size
