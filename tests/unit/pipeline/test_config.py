"""Cross-key config checks: each message names the keys and values to change."""

import copy
import inspect
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from backprop_landscape.logrule.growth import fit_growth
from backprop_landscape.logrule.tables import growth_laws
from backprop_landscape.pipeline.config import MIN_TAIL_POINTS, consistency_errors
from backprop_landscape.trajectories.neuron import log_time_grid

REPO = Path(__file__).resolve().parents[3]
DEFAULT = yaml.safe_load((REPO / "config.yaml").read_text())


def config(**changes):
    """The default config, numbers as the workflow reads them, with some keys replaced."""
    base = copy.deepcopy(DEFAULT)
    base["trajectories"]["t_max"] = float(base["trajectories"]["t_max"])
    base["xor"]["epochs"] = int(float(base["xor"]["epochs"]))
    for section, values in changes.items():
        base[section] = {**base[section], **values}

    return base


def test_default_config_is_consistent():
    assert consistency_errors(config()) == []


def test_min_tail_points_is_what_the_fit_needs():
    assert MIN_TAIL_POINTS == inspect.signature(fit_growth).parameters["min_points"].default


def test_random_n_must_exceed_every_m():
    (message,) = consistency_errors(config(random={"n": [4, 10], "m": [2, 4], "seeds": [0]}))
    assert "random.n = [4, 10]" in message and "random.m = [2, 4]" in message


def test_minima_random_n_must_exceed_every_m():
    sizes = {"n": [6], "m": [2, 6], "seeds": [0]}
    (message,) = consistency_errors(config(minima={"random": sizes}))
    assert "minima.random.n = [6]" in message and "minima.random.m = [2, 6]" in message


def test_minima_thetas_must_be_studied_thetas():
    changed = config(minima={"thetas": ["tanh", "erf"]})
    changed["thetas"] = ["tanh", "atan"]
    changed["extrapolation"]["thetas"] = ["atan"]
    (message,) = consistency_errors(changed)
    assert "minima.thetas" in message and "erf" in message


def test_extrapolation_ranges_must_be_ordered():
    messages = consistency_errors(
        config(extrapolation={"min_jump_factor": 5, "jump_factor": 2, "min_exponent": 0.5})
    )
    assert len(messages) == 2
    assert "extrapolation.min_jump_factor = 5" in messages[0] and "jump_factor = 2" in messages[0]
    assert "extrapolation.min_exponent = 0.5" in messages[1] and "max_exponent = 0.5" in messages[1]


def test_file_problems_must_be_data_files():
    (message,) = consistency_errors(config(relaxation={"problems": ["file/iris"]}))
    assert "relaxation.problems[0] = 'file/iris'" in message and "data_files" in message


def test_tail_longer_than_backprop_names_the_keys():
    changes = {"trajectories": {"backprop_steps": 1000}, "logrule": {"tail_decades": 3.5}}
    (message,) = consistency_errors(config(**changes))
    assert "logrule.tail_decades = 3.5" in message
    assert "trajectories.backprop_steps = 1000" in message
    assert "spans only 3 decades" in message


@pytest.mark.parametrize(
    ("per_decade", "decades", "ok"), [(4, 1.0, False), (4, 1.5, True), (6, 1.0, True)]
)
def test_tail_check_agrees_with_the_fit(per_decade, decades, ok):
    """A log-diverging flow on the configured grid is fitted exactly when the check passes."""
    changes = {"trajectories": {"t_max": 1e6, "per_decade": per_decade}}
    errors = consistency_errors(config(**changes, logrule={"tail_decades": decades}))
    assert ([e for e in errors if "gradient flow" in e] == []) == ok
    t = log_time_grid(1e6, per_decade=per_decade)
    frame = pd.DataFrame({"seed": 0, "t": t, "x1": 0.5 * np.log1p(t)})
    if ok:
        assert set(growth_laws(frame, {}, decades=decades)["law"]) == {"log"}
    else:
        with pytest.raises(ValueError, match="samples"):
            growth_laws(frame, {}, decades=decades)
