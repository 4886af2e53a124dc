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
