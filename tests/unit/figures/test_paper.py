"""The figures of backprop_landscape.figures.paper: geometry of the curve TV, and the files."""

import numpy as np
import pandas as pd
import pytest

from backprop_landscape.figures import paper as plotting
from backprop_landscape.figures import save_figure
from backprop_landscape.minima.critical1d import critical_points
from backprop_landscape.models.neuron import reduce_signs
from backprop_landscape.models.theta import THETA_NAMES, get_theta
from backprop_landscape.problems.families import n2m1_problem


def type3(a=10.0):
    problem = n2m1_problem(3, a)
    return reduce_signs(problem.A, problem.y)


@pytest.mark.parametrize("name", THETA_NAMES)
def test_image_curve_runs_between_the_limit_points(name):
    curve = plotting.image_curve(type3(), get_theta(name))
    np.testing.assert_array_equal(curve[0], [-1.0, 1.0])
    np.testing.assert_array_equal(curve[-1], [1.0, -1.0])
    assert np.all(np.abs(curve) <= 1.0)
    # x increases along the curve: theta(x) is monotone, theta(-a x) too
    assert np.all(np.diff(curve[:, 0]) >= 0) and np.all(np.diff(curve[:, 1]) <= 0)


def test_image_curve_of_type1_stays_on_the_axis():
    problem = n2m1_problem(1, 2.0)
    curve = plotting.image_curve(reduce_signs(problem.A, problem.y), get_theta("tanh"))
    np.testing.assert_array_equal(curve[:, 0], 0.0)


def test_image_point_at_infinity_is_the_limit():
    theta = get_theta("atan")
    np.testing.assert_array_equal(plotting.image_point([1.0, -10.0], theta, np.inf), [1, -1])
    np.testing.assert_array_equal(plotting.image_point([1.0, -10.0], theta, -np.inf), [-1, 1])
    np.testing.assert_allclose(plotting.image_point([1.0, -10.0], theta, 0.0), [0.0, 0.0])


def test_paper_figures_are_written_reproducibly(tmp_path):
    theta = get_theta("tanh")
    A_tilde = type3()
    critical = critical_points(A_tilde, theta)
    for draw, stem in ((plotting.energy_figure, "fig2"), (plotting.image_figure, "fig4")):
        paths = [tmp_path / f"{stem}.png", tmp_path / f"{stem}.pdf"]
        save_figure(draw(A_tilde, theta, critical, title=stem), paths)
        first = [path.read_bytes() for path in paths]
        save_figure(draw(A_tilde, theta, critical, title=stem), paths)
        assert [path.read_bytes() for path in paths] == first
        assert first[0].startswith(b"\x89PNG") and first[1].startswith(b"%PDF")


def test_bifurcation_figure_has_one_panel_per_theta(tmp_path):
    rows = []
    for name in ("tanh", "atan", "erf"):
        for a in (1.0, 10.0):
            table = critical_points(type3(a), get_theta(name))
            rows.append(table.assign(theta=name, type=3, a=a))
    critical = pd.concat(rows, ignore_index=True)
    bifurcation = pd.DataFrame(
        {
            "theta": ["tanh", "atan", "erf"],
            "a_star": [2.0, 7.3, np.nan],
            "x_fold": [np.nan, 1.2, np.nan],
            "second_minimum_at_infinity": [True, False, True],
        }
    )
    fig = plotting.bifurcation_figure(critical, bifurcation, ["tanh", "atan", "erf"])
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in visible] == [
        r"$\theta$ = tanh",
        r"$\theta$ = atan",
        r"$\theta$ = erf",
    ]
    save_figure(fig, [tmp_path / "bifurcation.png"])
    assert (tmp_path / "bifurcation.png").stat().st_size > 0
