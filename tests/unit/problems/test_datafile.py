"""User data files: good ones load, each kind of defect is named with file, column and row."""

import numpy as np
import pandas as pd
import pytest

from backprop_landscape.problems.datafile import DataFileError, input_width, read_data_file


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
        ("u1,u2,y\n1,2,1\n3,abc,1\n", r"column 'u2', row 2 \(line 3\): 'abc' is not a finite"),
        ("u1,y\n1,1\n,1\n", r"column 'u1', row 2 \(line 3\): missing value \(NaN\)"),
        ("u1,y\n1,1\nnan,-1\n", r"column 'u1', row 2 \(line 3\): missing value \(NaN\)"),
        ("u1,y\n1,1\n2,2\n", r"column 'y', row 2 \(line 3\): target 2 lies outside \[-1, 1\]"),
        ("u1,y\n1,0.5\n2,-1.2\n", r"column 'y', row 2 \(line 3\): target -1.2 lies outside"),
        ("u1,y\n1,1\n2,-1\n3,0\n", r"column 'y', row 3 \(line 4\): label 0 is a third label"),
        ("u1,y\n", r"no rows"),
        ("u1,bias,y\n1,1,1\n", r"column 'bias': unexpected column"),
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


def write_parquet(tmp_path, columns, name="data.parquet"):
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / name
    pq.write_table(pa.table(columns), path)
    return path


# Each case: how to write the file, and what its message must say: the defect, the
# column (None when the defect has none) and the row (None when it has none).
CASES = {
    "empty file": (lambda t: write_csv(t, ""), r"is empty \(0 bytes\)", None, None),
    "empty parquet": (lambda t: write_csv(t, "", "d.parquet"), r"is empty", None, None),
    "header only": (lambda t: write_csv(t, "u1,u2,y\n"), r"no rows \(only a header\)", None, None),
    "ragged long row": (
        lambda t: write_csv(t, "u1,u2,y\n1,2,1\n3,4,5,-1\n"),
        r"4 fields, the header has 3",
        None,
        "row 2 (line 3)",
    ),
    "ragged short row": (
        lambda t: write_csv(t, "u1,u2,y\n1,2,1\n3,-1\n"),
        r"2 fields, the header has 3",
        None,
        "row 2 (line 3)",
    ),
    "not parquet": (
        lambda t: write_csv(t, "u1,y\n1,1\n", "d.parquet"),
        r"not a readable Parquet file",
        None,
        None,
    ),
    "duplicated input": (
        lambda t: write_csv(t, "u1,u2,u1,y\n1,2,3,1\n"),
        r"duplicated \(columns 1 and 3\)",
        "u1",
        None,
    ),
    "duplicated label": (lambda t: write_csv(t, "u1,y,y\n1,1,1\n"), r"duplicated", "y", None),
    "duplicated parquet": (
        lambda t: _duplicate_parquet(t),
        r"duplicated",
        "y",
        None,
    ),
    "u0": (lambda t: write_csv(t, "u0,u1,y\n1,2,1\n"), r"unexpected column", "u0", None),
    "U1": (lambda t: write_csv(t, "U1,y\n1,1\n"), r"unexpected column.*lower-case u", "U1", None),
    "extra column": (lambda t: write_csv(t, "u1,bias,y\n1,1,1\n"), r"unexpected", "bias", None),
    "text input": (
        lambda t: write_csv(t, "u1,y\n1,1\nabc,-1\n"),
        r"'abc' is not a finite number",
        "u1",
        "row 2 (line 3)",
    ),
    "NaN": (lambda t: write_csv(t, "u1,y\n1,1\nnan,-1\n"), r"missing value", "u1", "row 2"),
    "inf": (lambda t: write_csv(t, "u1,y\n1,1\n-inf,-1\n"), r"not a finite number", "u1", "row 2"),
    "text label": (
        lambda t: write_csv(t, "u1,y\n1,yes\n2,no\n"),
        r"'yes' is not a finite number; labels are -1/\+1 or 0/1",
        "y",
        "row 1 (line 2)",
    ),
    "boolean label csv": (
        lambda t: write_csv(t, "u1,y\n1,True\n2,False\n"),
        r"'True' is not a finite number",
        "y",
        "row 1",
    ),
    "boolean label parquet": (
        lambda t: write_parquet(t, {"u1": [1.0, 2.0], "y": [True, False]}),
        r"stored as bool \(first value True\); expected numbers",
        "y",
        "row 1",
    ),
    "text label parquet": (
        lambda t: write_parquet(t, {"u1": [1.0, 2.0], "y": ["a", "b"]}),
        r"stored as .*string",
        "y",
        "row 1",
    ),
    "label outside the codings": (
        lambda t: write_csv(t, "u1,y\n1,0.5\n2,1.5\n"),
        r"target 1.5 lies outside \[-1, 1\]",
        "y",
        "row 2",
    ),
    "two hard codings": (
        lambda t: write_csv(t, "u1,y\n1,1\n2,-1\n3,0\n"),
        r"label 0 is a third label",
        "y",
        "row 3",
    ),
    "all inputs zero": (
        lambda t: write_csv(t, "u1,u2,y\n0,0,1\n0,0,-1\n"),
        r"zero in every row, so E does not depend on weight x1",
        "u1",
        None,
    ),
    "zero input column": (
        lambda t: write_csv(t, "u1,u2,y\n1,0,1\n2,0,-1\n"),
        r"zero in every row, so E does not depend on weight x2",
        "u2",
        None,
    ),
    "near the float limit": (
        lambda t: write_csv(t, "u1,u2,y\n1,2,1\n3,1e308,-1\n"),
        r"\|1e\+308\| exceeds 1e\+06.*rescale",
        "u2",
        "row 2 (line 3)",
    ),
    "beyond the bound": (
        lambda t: write_parquet(t, {"u1": [1.0, -2e6], "y": [1, -1]}),
        r"\|-2e\+06\| exceeds 1e\+06",
        "u1",
        "row 2",
    ),
}


def _duplicate_parquet(tmp_path):
    """A Parquet file with two columns named y (pyarrow writes it; pandas cannot)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "dup.parquet"
    table = pa.Table.from_arrays([pa.array([1.0]), pa.array([1]), pa.array([1])], ["u1", "y", "y"])
    pq.write_table(table, path)
    return path


@pytest.mark.parametrize("case", list(CASES))
def test_each_defect_names_file_column_and_row(tmp_path, case):
    write, message, column, row = CASES[case]
    path = write(tmp_path)
    with pytest.raises(DataFileError, match=message) as error:
        read_data_file(path, "bad")
    text = str(error.value)
    assert text.startswith(f"data file {path}")
    if column is not None:
        assert f"column '{column}'" in text
    if row is not None:
        assert f"{row}:" in text or f"{row} " in text
    else:
        assert "row " not in text.replace("no rows", "")


@pytest.mark.parametrize(
    "case",
    ["empty file", "empty parquet", "not parquet", "duplicated input", "duplicated parquet"]
    + ["u0", "U1", "extra column"],
)
def test_header_defects_stop_the_dag(tmp_path, case):
    """input_width (run while the DAG is built) refuses what the header alone shows."""
    write, message, column, _ = CASES[case]
    path = write(tmp_path)
    with pytest.raises(DataFileError, match=message) as error:
        input_width(path)
    assert str(path) in str(error.value)
    if column is not None:
        assert f"column '{column}'" in str(error.value)


def test_a_row_of_zeros_is_accepted(tmp_path):
    """u = 0 adds the constant y^2 to E; every stage handles it (see the module)."""
    problem = read_data_file(write_csv(tmp_path, "u1,u2,y\n0,0,1\n1,2,-1\n"), "zr")
    np.testing.assert_array_equal(problem.A, [[0.0, 0.0], [1.0, 2.0]])


def test_header_quirks_are_read_alike_by_both_readers(tmp_path):
    """A byte-order mark, spaces around names and blank lines change nothing."""
    path = write_csv(tmp_path, "\ufeffu1 , u2,y\n1,2,1\n\n3,4,-1\n\n")
    assert input_width(path) == 2
    np.testing.assert_array_equal(read_data_file(path, "q").A, [[1.0, 2.0], [3.0, 4.0]])
