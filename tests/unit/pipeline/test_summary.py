"""The Markdown summary quotes the tables it is given."""

import pandas as pd

from backprop_landscape.minima.counts import count_minima
from backprop_landscape.pipeline.summary import summary_markdown


def test_summary_quotes_the_tables():
    tables = {
        "bifurcation": pd.DataFrame(
            {
                "theta": ["tanh"],
                "a_star": [2.0],
                "x_fold": [float("nan")],
                "second_minimum_at_infinity": [True],
            }
        ),
        "critical_points": pd.DataFrame(
            {
                "type": [3, 3],
                "a": [10.0, 10.0],
                "theta": ["tanh"] * 2,
                "x": [-0.097491, float("inf")],
                "E": [1.26588, 4.0],
                "kind": ["min", "min"],
                "at_infinity": [False, True],
            }
        ),
        "growth_laws": pd.DataFrame(
            {
                "problem": ["scalar"],
                "theta": ["tanh"],
                "method": ["flow"],
                "seed": [0],
                "coordinate": ["norm"],
                "law": ["log"],
                "coef": [0.25],
                "theory_law": ["log"],
                "theory_coef": [0.25],
            }
        ),
        "lemma": pd.DataFrame(
            {"separable": [True], "theta": ["tanh"], "n_runs": [4], "n_diverged": [4]}
        ),
        "implicit_bias": pd.DataFrame(
            {
                "problem": ["scalar"],
                "theta": ["tanh"],
                "separable": [True],
                "svm_norm": [1.0],
                "t_normdot_tail": [0.25],
                "predicted": [0.25],
                "angle_final": [0.0],
            }
        ),
        "xor_seeds": pd.DataFrame({"seed": [0, 1], "solved": [True, False]}),
        "minima_counts": count_minima(
            pd.DataFrame(
                {
                    "problem": ["product/m1_a10"] * 2 + ["task/grid_n8_s0"],
                    "theta": ["tanh"] * 3,
                    "E": [1.27, 4.0, 3.5],
                    "at_infinity": [False, True, False],
                    "basin_fraction": [0.7, 0.3, 1.0],
                }
            ),
            {"product/m1_a10": (2, 1), "task/grid_n8_s0": (8, 3)},
            predictions={("product/m1_a10", "tanh"): [1.27, 4.0]},
        ),
    }
    text = summary_markdown(tables, 10.0)
    assert "| tanh | 2 | NaN | True |" in text
    assert "| tanh | inf | 4 | min | True |" in text
    assert "1 of 2 seeds solve XOR" in text
    assert "| product | tanh | 1 | 2 | 2 | 2 | True |" in text  # 2 predicted, 2 found
    assert "| tanh | grid | 8 | structured | 1 | 1 |" in text


def test_relaxation_section_reads_p_at_each_decade():
    from backprop_landscape.pipeline.summary import relaxation_section

    budgets = [1, 3, 10, 31, 100, 300]
    table = pd.DataFrame(
        {
            "problem": "product/m3_a10",
            "theta": "tanh",
            "E_global": 3.797655,
            "minima_at_infinity": False,
            "method": "annealing",
            "budget": budgets,
            "p_global": [0.0, 0.0, 0.1, 0.3, 0.5, 0.9],
            "n_repeats": 10,
        }
    )
    text = relaxation_section(table)
    assert "| P at 10 | P at 100 | P at 300 |" in text
    assert "| product/m3_a10 | tanh | 3.798 | False | annealing | 0.1 | 0.5 | 0.9 |" in text


def test_network_section_answers_for_xor_and_says_what_a_count_is():
    from backprop_landscape.minima.networks import COUNT_COLUMNS
    from backprop_landscape.pipeline.summary import network_section, xor_limits_section

    rows = []
    for target, decay, finite in [(1.0, 0.0, 0), (0.8, 0.001, 5)]:
        for hidden in (1, 2):
            row = dict.fromkeys(COUNT_COLUMNS, 0)
            row.update(
                problem="xor",
                model=f"net_h{hidden}_logistic",
                hidden=hidden,
                activation="logistic",
                target=target,
                decay=decay,
                n_starts=500,
                n_finite_minima=finite,
                n_minima_at_infinity=3 if decay == 0 else 0,
                n_saddles=2,
                E_global=0.0,
                global_at_infinity=decay == 0,
                global_basin=0.8,
            )
            rows.append(row)
    text = network_section(pd.DataFrame(rows, columns=COUNT_COLUMNS))
    assert "from 500 starts per job" in text
    assert "| xor | logistic | hard, no decay | 2 | 0 | 3 | 0 | 2 | 0 | True | 0.8 |" in text
    assert "| xor | logistic | +-0.8, decay 0.001 | 1 | 5 | 0 |" in text
    assert "XOR 2-2-1 (logistic, hard targets): finite minima found: none" in text
    assert "lower bound" in text
    limits = pd.DataFrame(
        {
            "seed": [0, 1, 2],
            "solved": [False, True, False],
            "kind": ["minimum-at-infinity"] * 3,
            "E_limit": [0.5, 0.0, 0.5],
            "hidden_pattern": [".. .. -+ -+", ".. .+ -. ..", ".. .. -+ -+"],
        }
    )
    text = xor_limits_section(limits)
    assert "2 seeds that stall (0, 2) approach E = 0.5: minimum-at-infinity" in text
    assert "1 seed that solves XOR (1) approaches E = 0" in text


def test_scale_section_reads_the_network_tables():
    from backprop_landscape.pipeline.summary import first_stable, scale_section

    assert first_stable([1, 10, 100, 1000], [True, False, True, True]) == 100
    assert first_stable([1, 10], [True, False]) != first_stable([1, 10], [True, False])  # NaN
    job = {"problem": "dataset/iris_c0_s0"}
    names = ["W1_h0_in0", "W1_h0_bias", "W2_out_h0", "b2_out"]
    laws = pd.DataFrame(
        {
            **job,
            "theta": "net_h1_tanh",
            "method": "flow",
            "seed": 0,
            "coordinate": ["norm", "norm_layer1", "norm_layer2", *names],
            "layer": [0, 1, 2, 1, 1, 2, 2],
            "law": ["log", "log", "log", "log", "bounded", "log", "sqrtlog"],
            "coef": [0.5, 0.3, 0.4, 0.3, 1.0, -0.25, 0.1],
            "t_dw_tail": 0.0,
            "t_dw_drift": 0.0,
        }
    )
    neuron = laws.iloc[:1].assign(theta="tanh", coordinate="norm")  # not a network: left out
    modes = pd.DataFrame(
        {
            **job,
            "network": "net_h1_tanh",
            "method": "flow",
            "seed": 0,
            "t": [1.0, 10.0, 100.0],
            "share": [0.0, 0.25, 0.5],
            "share_layer1": [0.0, 0.0, 0.5],
            "share_layer2": [0.0, 0.5, 0.5],
        }
    )
    scan = pd.DataFrame(
        {
            **job,
            "network": "net_h1_tanh",
            "seed": 0,
            "t0": [1.0, 10.0, 100.0],
            "K": 100.0,
            "improved": [True, False, True],
            "ratio": [3.0, 2.0, 0.9],
            "test_errors_jump": [1, 1, 0],
            "test_errors_flow": [0, 0, 0],
        }
    )
    nets = pd.DataFrame(
        {
            **job,
            "network": "net_h1_tanh",
            "seed": 0,
            "kind": ["stopped", "horizon"],
            "t": [10.0, 1e6],
            "train_errors": [0, 0],
            "test_errors": [2, 1],
            "test_error_rate": [2 / 30, 1 / 30],
            "test_margin_q00": [-1.0, -2.0],
            "test_margin_q50": [3.0, 6.0],
            "angle_to_horizon": [0.3, 0.0],
            "test_agreement": [29 / 30, 1.0],
        }
    )
    race = pd.DataFrame(
        {
            **job,
            "theta": ["net_h1_tanh"],
            "seed": 0,
            "eta": 0.01,
            "t_start": 1e3,
            "t_target": 1e5,
            "target": 1e-4,
            "steps_plain": 9.9e6,
            "plain_estimated": True,
            "steps_extrapolated": 4.0,
            "speedup": 2.475e6,
            "n_jumps": 3,
            "n_rejected": 1,
            "plain_flow_gap": 1e-9,
        }
    )
    text = scale_section(
        {
            "growth_laws": pd.concat([laws, neuron]),
            "scale_log_mode": modes,
            "scale_scan": scan,
            "scale_networks": nets,
            "extrapolation": race,
        }
    )
    # 4 weights, half in log mode at the end, half the output layer first at t = 10;
    # laws: 2 log, 1 bounded, 1 sqrtlog; median |coef| of the output weights' log laws.
    assert "| dataset/iris_c0_s0 | net_h1_tanh | 0 | 4 | 100 | 0.5 | 0.5 | 0.5 | 10 | 0.5 |" in text
    assert "| 0.25 | 0 | 0.25 | 0.25 |" in text
    assert "| 100 | 100 | 0.9 | 0 | 0 |" in text  # jumps improve from t0 = 100 on
    assert "| 9.9e+06 | True | 4 | 2.48e+06 | 3 | 1 |" in text
    assert "| stopped | 10 | 0 | 2 | 0.0667 | -1 | 3 | 0.3 | 0.967 |" in text


def test_escape_section_per_job_per_theta_and_beside_annealing():
    from backprop_landscape.pipeline.summary_escape import escape_section

    job = {"problem": "product/m2_a10", "model": "tanh"}
    one = {"problem": "n2m1/type3_a10", "model": "tanh"}
    minima = pd.DataFrame(
        [{**job, "theta": "tanh", "search": "multistart", "E": E} for E in (2.5, 5.3, 5.3, 8.0)]
        + [{**one, "theta": "tanh", "search": "exact", "E": E} for E in (1.3, 4.0)]
    )
    escape = pd.DataFrame(
        {
            "problem": [job["problem"]] * 3 + [one["problem"]],
            "model": "tanh",
            "minimum": [1, 2, 3, 1],
            "E_min": [5.3, 5.3, 8.0, 4.0],
            "E_escape": [5.8, 5.8, 8.5, 4.52],
            "delta_E": [0.5, 0.5, 0.5, 0.52],
            "to_minimum": [0, 0, 1, 0],
            "basin_fraction": [0.2, 0.2, 0.1, 0.33],
            "E_global": [2.5, 2.5, 2.5, 1.3],
        }
    )
    barriers = pd.DataFrame(
        {**job, "confirmed": [True, True, False], "resolved": [True, True, False]}
    )
    relaxation = pd.DataFrame(
        {
            **job,
            "theta": "tanh",
            "budget": 3000,
            "method": ["multistart", "annealing"],
            "p_global": [0.9, 1.0],
        }
    ).drop(columns="model")
    text = escape_section(escape, minima, barriers, relaxation)
    # minima 4, pairs 3 (2 confirmed, 1 unresolved), 3 spurious all joined, trapped 0.5
    assert "| product/m2_a10 | tanh | 4 | 3 | 2 | 1 | - | 3 | 3 | 0.5 |" in text
    assert "| tanh | 1 | 1 | 0.52 | 0.33 |" in text  # the exact one-weight problem
    assert "| product/m2_a10 | tanh | 3 | 0.5 | 0.5 | 3000 | 0.9 | 1 |" in text
