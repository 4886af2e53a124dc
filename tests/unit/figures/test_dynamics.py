"""Section 3's figures of the gradient flow."""

import numpy as np
import pandas as pd

from backprop_landscape.figures.dynamics import log_rule_figure


def test_log_rule_figure_draws_each_problems_predicted_constant_from_its_own_laws():
    """The dashed line sits at the norm's predicted coefficient of that panel's problem (not
    another coordinate's, nor another problem's), and only where the predicted law is log."""
    t = np.logspace(0, 4, 41)
    flows = {
        name: pd.DataFrame({"seed": 0, "t": np.r_[0.0, t], "norm_x": np.r_[1.0, c * np.log(t) + 1]})
        for name, c in (("log", 0.25), ("power", 0.5))
    }
    laws = {
        "log": pd.DataFrame(
            {"coordinate": ["x1", "norm"], "theory_law": ["log", "log"], "theory_coef": [0.3, 0.25]}
        ),
        "power": pd.DataFrame(
            {"coordinate": ["norm"], "theory_law": ["power"], "theory_coef": [0.7]}
        ),
    }
    fig = log_rule_figure(flows, laws, "tanh")
    predicted = [
        [line.get_ydata() for line in ax.get_lines() if line.get_label() == "predicted"]
        for ax in fig.axes[:2]
    ]
    assert len(predicted[0]) == 1 and np.all(np.asarray(predicted[0][0]) == 0.25)
    assert predicted[1] == []
    # the diagnostic itself: t d||x||/dt of c log t + 1 is c
    diagnostic = next(line for line in fig.axes[0].get_lines() if line.get_label() == "start 0")
    np.testing.assert_allclose(diagnostic.get_ydata()[5:], 0.25, rtol=0.05)
