"""The comparison of two result folders notices one changed value, table or attr."""

import numpy as np
import pandas as pd

from backprop_landscape.pipeline.compare import compare_runs, main
from backprop_landscape.pipeline.io import write_table

FRAME = pd.DataFrame({"E": [0.5, 1.0, np.nan], "kind": ["min", "max", "min"]})


def two_runs(tmp_path):
    for run in ("a", "b"):
        write_table(FRAME, tmp_path / run / "tables" / "t.parquet", params={"p": 1})
        write_table(FRAME.head(1), tmp_path / run / "x" / "y.parquet", params={"p": 2})
    return tmp_path / "a", tmp_path / "b"


def test_equal_runs_agree_nan_included(tmp_path, capsys):
    a, b = two_runs(tmp_path)
    assert compare_runs(a, b) == []
    assert main([str(a), str(b)]) == 0
    assert "same data in all 2 tables" in capsys.readouterr().out


def test_one_value_moved_by_one_ulp_is_a_difference(tmp_path):
    a, b = two_runs(tmp_path)
    tampered = FRAME.copy()
    tampered.loc[0, "E"] = np.nextafter(0.5, 1.0)
    write_table(tampered, b / "tables" / "t.parquet", params={"p": 1})
    lines = compare_runs(a, b)
    assert len(lines) == 1 and lines[0].startswith("tables/t.parquet:")
    assert main([str(a), str(b)]) == 1


def test_a_missing_table_and_different_attrs_are_differences(tmp_path):
    a, b = two_runs(tmp_path)
    (b / "x" / "y.parquet").unlink()
    with_attrs = FRAME.copy()
    with_attrs.attrs = {"saturated_fraction": 0.25}
    write_table(with_attrs, b / "tables" / "t.parquet", params={"p": 1})
    lines = compare_runs(a, b)
    assert any(line.startswith(f"only in {a}: x/y.parquet") for line in lines)
    assert any(line.startswith("tables/t.parquet: attrs differ") for line in lines)


def test_two_empty_folders_do_not_pass(tmp_path, capsys):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    assert main([str(tmp_path / "a"), str(tmp_path / "b")]) == 1
    assert "nothing to compare" in capsys.readouterr().out


def test_a_nan_where_the_other_run_has_a_null_is_a_difference(tmp_path):
    """A frame reads null and NaN alike; an Arrow reader (Polars, R, DuckDB) does not."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    a, b = two_runs(tmp_path)
    nan_not_null = pa.table({"E": pa.array([0.5, 1.0, np.nan], from_pandas=False)})
    nan_not_null = nan_not_null.append_column(
        "kind", pa.array(["min", "max", "min"], pa.large_string())
    )
    pq.write_table(nan_not_null, b / "tables" / "t.parquet")
    (line,) = compare_runs(a, b)
    assert "null counts differ" in line and "'E': (1, 0)" in line
