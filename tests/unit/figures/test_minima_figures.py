"""The open-question figures draw what the counts table holds."""

import numpy as np
import pandas as pd

from backprop_landscape.figures import minima as plotting_minima
from backprop_landscape.minima.counts import count_minima


def counts_table():
    rows, sizes, predictions = [], {}, {}
    for theta in ("tanh", "atan"):
        for m in (1, 2, 3):
            name = f"product/m{m}_a10"
            sizes[name] = (2 * m, m)
            rows += [(name, theta, float(i), i > 0, 2.0**-m) for i in range(2**m)]
            predictions[(name, theta)] = [float(i) for i in range(2**m)]
        for shuffled, found in ((False, 3), (True, 5)):
            name = "task/grid_n8_s0" + ("_shuffled" if shuffled else "")
            sizes[name] = (8, 3)
            rows += [(name, theta, float(i), False, 1 / found) for i in range(found)]
    frame = pd.DataFrame(rows, columns=["problem", "theta", "E", "at_infinity", "basin_fraction"])
    return count_minima(frame, sizes, predictions=predictions)


def test_count_figure_plots_k_to_the_m_on_a_log_axis():
    fig = plotting_minima.minima_count_figure(counts_table(), ["tanh", "atan"])
    first = fig.axes[0]
    assert first.get_yscale() == "log" and first.get_title() == "theta = tanh"
    (predicted,) = [line for line in first.lines if line.get_label() == "product: predicted"]
    assert np.array_equal(predicted.get_ydata(), [2.0, 4.0, 8.0])
    (found,) = [line for line in first.lines if line.get_label() == "product: found"]
    assert np.array_equal(found.get_ydata(), [2.0, 4.0, 8.0])


def test_task_figure_puts_structured_beside_shuffled():
    fig = plotting_minima.task_minima_figure(counts_table(), ["tanh", "atan"])
    top_left = fig.axes[0]
    heights = [patch.get_height() for patch in top_left.patches]
    assert heights == [3.0, 5.0]  # structured grid: 3 minima, shuffled: 5
    assert [t.get_text() for t in top_left.get_xticklabels()] == ["grid"]
