"""The figure of open question 1 in neurons draws every (problem, regime) panel."""

import pandas as pd

from backprop_landscape.figures import save_figure
from backprop_landscape.figures.networks import network_counts_figure, regime_label
from backprop_landscape.minima.networks import COUNT_COLUMNS


def test_counts_figure_has_a_panel_per_problem_and_regime(tmp_path):
    rows = []
    for problem in ("xor", "parity/n3"):
        for target, decay in [(1.0, 0.0), (0.8, 0.001)]:
            for hidden in (1, 2, 3):
                row = dict.fromkeys(COUNT_COLUMNS, 0)
                row.update(problem=problem, hidden=hidden, activation="logistic")
                row.update(target=target, decay=decay, n_saddles=hidden, n_finite_minima=hidden - 1)
                rows.append(row)
    fig = network_counts_figure(pd.DataFrame(rows, columns=COUNT_COLUMNS))
    assert len(fig.axes) == 4
    assert {ax.get_title() for ax in fig.axes} == {
        f"{p}\n{regime_label(t, d)}"
        for p in ("xor", "parity/n3")
        for t, d in [(1, 0), (0.8, 0.001)]
    }
    save_figure(fig, [tmp_path / "f.png"])
    assert (tmp_path / "f.png").stat().st_size > 0
    assert regime_label(1.0, 0.0) == "hard targets, no decay"
    assert regime_label(0.8, 0.001) == "targets +-0.8, decay 0.001"
