"""Problem families of the minima experiments: product and the structured tasks."""

import numpy as np
import pytest

from backprop_landscape.minima import find_minima
from backprop_landscape.minima.critical1d import critical_points
from backprop_landscape.models.neuron import energy, reduce_signs
from backprop_landscape.models.theta import get_theta
from backprop_landscape.problems.families import build_problem, n2m1_problem, product_problem
from backprop_landscape.problems.separability import is_separable
from backprop_landscape.problems.tasks import TASKS, task_data, task_name


def test_product_energy_is_the_sum_of_its_blocks():
    problem = product_problem(3, 10)
    block = n2m1_problem(3, 10).A
    theta = get_theta("tanh")
    x = np.array([0.3, -1.7, 5.0])
    blocks = sum(energy(block, x[j : j + 1], theta) for j in range(3))
    assert problem.name == "product/m3_a10" and problem.A.shape == (6, 3)
    assert energy(problem.A, x, theta) == pytest.approx(blocks, rel=1e-14)


@pytest.mark.parametrize("theta", ["tanh", "atan"])
def test_product_has_k_to_the_m_minima(theta):
    """k minima per block (exact, from critical1d) give k^m; multistart finds them all."""
    block = critical_points(n2m1_problem(3, 10).A, get_theta(theta))
    k = int((block["kind"] == "min").sum())
    assert k == 2  # a = 10 is past the fold for tanh (a* = 2) and atan (a* = 7.28)
    found = find_minima(product_problem(3, 10).A, theta, n_starts=1000, seed=0)
    assert len(found) == k**3
    E_blocks = np.sort(block.loc[block["kind"] == "min", "E"].to_numpy())
    assert found["E"].min() == pytest.approx(3 * E_blocks[0], rel=1e-9)
    assert found["E"].max() == pytest.approx(3 * E_blocks[-1], rel=1e-9)


@pytest.mark.parametrize("bad", [0, -1, 2.5, True])
def test_product_rejects_bad_m(bad):
    with pytest.raises(ValueError, match="product m"):
        product_problem(bad, 10)


@pytest.mark.parametrize("task", TASKS)
def test_tasks_are_reproducible_balanced_and_standardised(task):
    A, y = task_data(task, 30, 1, False)
    again, y_again = task_data(task, 30, 1, False)
    assert np.array_equal(A, again) and np.array_equal(y, y_again)
    assert A.shape == (30, 3) and set(np.unique(y)) == {-1, 1}
    assert np.allclose(A[:, 2], 1.0)  # the bias input
    assert np.allclose(A[:, :2].mean(axis=0), 0.0) and np.allclose(A[:, :2].std(axis=0), 1.0)
    assert not np.array_equal(A, task_data(task, 30, 2, False)[0])  # the seed matters


@pytest.mark.parametrize("task", TASKS)
def test_shuffled_control_keeps_inputs_and_label_counts(task):
    A, y = task_data(task, 40, 0, False)
    A_s, y_s = task_data(task, 40, 0, True)
    assert np.array_equal(A, A_s)
    assert np.array_equal(np.sort(y), np.sort(y_s)) and not np.array_equal(y, y_s)


def test_grid_labels_are_a_disc_not_a_half_plane():
    A, y = task_data("grid", 50, 0, False)
    x1, x2 = A[:, 0], A[:, 1]  # standardised per axis: the disc becomes an ellipse
    quadratic = np.column_stack([np.ones_like(x1), x1, x2, x1**2, x2**2])
    assert is_separable(reduce_signs(quadratic, y))  # an axis-aligned ellipse separates
    assert not is_separable(reduce_signs(A, y))  # no half-plane does


def test_topobathy_labels_are_land_and_sea():
    from matplotlib.cbook import get_sample_data

    data = get_sample_data("topobathy.npz")
    land = float((np.asarray(data["topo"]) > 0).mean())
    _, y = task_data("topobathy", 2000, 0, False)
    assert (y == 1).mean() == pytest.approx(land, abs=0.05)
    with pytest.raises(ValueError, match="exceeds the 10920 grid cells"):
        task_data("topobathy", 20000, 0, False)


def test_task_errors_name_the_value():
    with pytest.raises(ValueError, match="unknown task 'moons'"):
        task_data("moons", 10, 0, False)
    with pytest.raises(ValueError, match="n = 1"):
        task_data("grid", 1, 0, False)


def test_build_problem_gives_canonical_names():
    spec = {"task": "clusters", "n": 12, "seed": 3, "shuffled": True}
    assert build_problem("task", spec).name == task_name("clusters", 12, 3, True)
    assert task_name("clusters", 12, 3, True) == "task/clusters_n12_s3_shuffled"
    assert build_problem("product", {"m": 2, "a": 0.5}).name == "product/m2_a0.5"
