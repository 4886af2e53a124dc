"""Data sets shipped with scikit-learn as two-class problems with held-out rows."""

import math

import numpy as np
import pytest

from backprop_landscape.problems.datasets import dataset_problem, raw_dataset
from backprop_landscape.problems.names import DATASETS
from backprop_landscape.problems.problem import problem_from_frame, problem_to_frame

SIZES = {"breast_cancer": (569, 30), "wine": (178, 13), "iris": (150, 4), "digits": (1797, 64)}


@pytest.mark.parametrize("data", DATASETS)
def test_every_data_set_is_read_locally_as_two_classes(data):
    X, labels, features, meaning = raw_dataset(data)
    source = next(name for name in SIZES if data.startswith(name))
    assert X.shape == SIZES[source]
    assert set(np.unique(labels)) == {-1, 1} and len(features) == X.shape[1] and meaning


def test_labels_name_the_classes_of_the_split():
    _, iris, _, _ = raw_dataset("iris_c0")
    assert np.count_nonzero(iris == 1) == 50  # 50 setosa against 100 others
    _, even, _, _ = raw_dataset("digits_evenodd")
    _, zero, _, _ = raw_dataset("digits_d0")
    assert np.all(even[zero == 1] == 1)  # every 0 is even
    _, cancer, _, _ = raw_dataset("breast_cancer")
    assert np.count_nonzero(cancer == 1) == 212  # malignant


def test_split_is_deterministic_stratified_and_disjoint():
    a = dataset_problem("wine_c1", seed=3, test_fraction=0.25)
    b = dataset_problem("wine_c1", seed=3, test_fraction=0.25)
    c = dataset_problem("wine_c1", seed=4, test_fraction=0.25)
    np.testing.assert_array_equal(a.A, b.A)
    np.testing.assert_array_equal(a.A_test, b.A_test)
    assert a.meta["test_rows"] != c.meta["test_rows"]  # the seed moves rows
    train, test = set(a.meta["train_rows"]), set(a.meta["test_rows"])
    assert not train & test and len(train | test) == 178
    assert a.n_test == math.ceil(0.25 * 178)  # train_test_split rounds the test share up
    share = np.mean(a.y == 1), np.mean(a.y_test == 1)
    assert share[0] == pytest.approx(share[1], abs=0.05)  # stratified


def test_inputs_are_standardised_on_training_rows_with_a_bias_column():
    p = dataset_problem("breast_cancer", seed=0)
    assert p.name == "dataset/breast_cancer_s0" and p.m == 31
    np.testing.assert_allclose(p.A[:, :-1].mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(p.A[:, :-1].std(axis=0), 1.0, rtol=1e-12)
    assert np.all(p.A[:, -1] == 1.0) and np.all(p.A_test[:, -1] == 1.0)
    assert abs(p.A_test[:, :-1].mean()) < 0.5  # scaled with the training statistics


def test_columns_constant_on_training_rows_are_dropped():
    p = dataset_problem("digits_d3", seed=0)
    assert p.meta["dropped"]  # blank border pixels
    assert p.m == 64 - len(p.meta["dropped"]) + 1
    assert np.all(np.ptp(p.A[:, :-1], axis=0) > 0)


def test_table_keeps_the_contract_columns_and_marks_the_held_out_rows():
    p = dataset_problem("iris_c1", seed=0)
    frame = problem_to_frame(p)
    assert list(frame.columns) == [f"u{j}" for j in range(1, 6)] + ["y", "split"]
    assert (frame["split"] == "test").sum() == p.n_test
    back = problem_from_frame(frame, p.name)
    np.testing.assert_array_equal(back.A, p.A)  # every stage's reader: training rows only
    np.testing.assert_array_equal(back.y_test, p.y_test)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="unknown data set"):
        raw_dataset("moons")
    with pytest.raises(ValueError, match="test_fraction"):
        dataset_problem("iris_c0", 0, test_fraction=1.5)
