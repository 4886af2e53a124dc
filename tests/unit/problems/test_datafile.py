"""User data files: good ones load, each kind of defect is named with file, column and row."""

import numpy as np
import pandas as pd
import pytest

from backprop_landscape.problems.datafile import DataFileError, read_data_file


def write_csv(tmp_path, text, name="data.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_csv_with_zero_one_labels_loads_as_plus_minus_one(tmp_path):
    path = write_csv(tmp_path, "u1,u2,y\n1.5,2,1\n-3,4e-1,0\n")
    problem = read_data_file(path, "toy")
    assert problem.name == "file/toy"
    np.testing.assert_array_equal(problem.A, [[1.5, 2.0], [-3.0, 0.4]])
    np.testing.assert_array_equal(problem.y, [1, -1])


def test_parquet_loads(tmp_path):
    path = tmp_path / "d.parquet"
    pd.DataFrame({"u1": [1.0, 2.0], "y": [-1, 1]}).to_parquet(path)
    np.testing.assert_array_equal(read_data_file(path, "p").y, [-1, 1])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("u1,u3,y\n1,2,1\n", r"missing column 'u2'"),
        ("u1,u2\n1,2\n", r"missing column 'y'"),
        ("u1,u2,y\n1,2,1\n3,abc,1\n", r"column 'u2', row 2: 'abc' is not a finite number"),
        ("u1,y\n1,1\n,1\n", r"column 'u1', row 2: missing value \(NaN\)"),
        ("u1,y\n1,1\nnan,-1\n", r"column 'u1', row 2: missing value \(NaN\)"),
        ("u1,y\n1,1\n2,2\n", r"column 'y', row 2: target 2 lies outside \[-1, 1\]"),
        ("u1,y\n1,0.5\n2,-1.2\n", r"column 'y', row 2: target -1.2 lies outside"),
        ("u1,y\n1,1\n2,-1\n3,0\n", r"column 'y', row 3: label 0 is a third label"),
        ("u1,y\n", r"no rows"),
        ("u1,bias,y\n1,1,1\n", r"unexpected column 'bias'"),
    ],
)
def test_each_defect_is_named(tmp_path, text, message):
    path = write_csv(tmp_path, text)
    with pytest.raises(DataFileError, match=message) as error:
        read_data_file(path, "bad")
    assert str(path) in str(error.value)


def test_missing_file_is_named(tmp_path):
    with pytest.raises(DataFileError, match="does not exist"):
        read_data_file(tmp_path / "nope.csv", "nope")


@pytest.mark.parametrize(
    ("column", "targets", "coding"),
    [
        ("0.8,-0.8,0.5,-1", [0.8, -0.8, 0.5, -1.0], "symmetric"),
        ("0.9,0.1,0.5,1", [0.8, -0.8, 0.0, 1.0], "logistic"),
        ("1,-1,1,-1", [1, -1, 1, -1], "symmetric"),
        ("1,0,0,1", [1, -1, -1, 1], "logistic"),
    ],
)
def test_soft_targets_in_either_coding(tmp_path, column, targets, coding):
    rows = "".join(f"{i + 1},{y}\n" for i, y in enumerate(column.split(",")))
    problem = read_data_file(write_csv(tmp_path, "u1,y\n" + rows), "soft")
    np.testing.assert_allclose(problem.y, targets, rtol=0, atol=1e-15)
    assert problem.meta["coding"] == coding
    hard = np.all(np.abs(np.array(targets)) == 1)
    assert problem.y.dtype == (np.int64 if hard else np.float64) and problem.soft != hard
