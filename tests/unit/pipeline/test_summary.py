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
        ),
    }
    text = summary_markdown(tables, 10.0)
    assert "| tanh | 2 | NaN | True |" in text
    assert "| tanh | inf | 4 | min | True |" in text
    assert "1 of 2 seeds solve XOR" in text
    assert "| tanh | 1 | 2 | 2 | 2 |" in text  # product: k = 2, k^1 predicted, 2 found
    assert "| tanh | grid | 8 | structured | 1 | 1 | 0 | 1 | 3.5 |" in text


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
