"""Parquet with provenance, written atomically; the results manifest."""

import hashlib
import json

import pandas as pd
import pyarrow.parquet as pq
import pytest

from backprop_landscape import __version__
from backprop_landscape.pipeline import io
from backprop_landscape.pipeline.io import read_provenance, read_table, write_table
from backprop_landscape.pipeline.manifest import (
    file_sha256,
    manifest_frame,
    read_manifest,
    write_manifest,
)

FRAME = pd.DataFrame({"x": [1.0, -2.5, float("inf")], "kind": ["min", "max", "min"]})


def test_round_trip_with_provenance(tmp_path):
    path = tmp_path / "t.parquet"
    write_table(FRAME, path, params={"b": 2, "a": [1, 2]})
    pd.testing.assert_frame_equal(read_table(path), FRAME)
    info = read_provenance(path)
    assert info["params"] == {"a": [1, 2], "b": 2}
    assert info["package_version"] == __version__ and info["git_commit"]


def test_same_frame_and_params_give_the_same_bytes(tmp_path):
    write_table(FRAME, tmp_path / "a.parquet", params={"b": 2, "a": 1})
    write_table(FRAME, tmp_path / "b.parquet", params={"a": 1, "b": 2})  # key order differs
    assert (tmp_path / "a.parquet").read_bytes() == (tmp_path / "b.parquet").read_bytes()
    raw = pq.read_schema(tmp_path / "a.parquet").metadata[io.METADATA_KEY]
    assert list(json.loads(raw)) == sorted(json.loads(raw))


def test_leftover_temp_file_is_neither_read_nor_kept_in_the_way(tmp_path):
    """A killed writer leaves .name.tmp-<pid>; the table itself is written whole anyway."""
    path = tmp_path / "t.parquet"
    leftover = tmp_path / ".t.parquet.tmp-999999"
    leftover.write_bytes(b"PAR1 half-written")
    write_table(FRAME, path)
    pd.testing.assert_frame_equal(read_table(path), FRAME)
    assert leftover.read_bytes() == b"PAR1 half-written"
    assert sorted(p.name for p in tmp_path.glob("*.parquet")) == ["t.parquet"]


def test_failed_write_leaves_neither_table_nor_temp(tmp_path, monkeypatch):
    path = tmp_path / "t.parquet"

    def half_write(table, where, **kwargs):
        with open(where, "wb") as handle:
            handle.write(b"PAR1 half")
        raise OSError("disk full")

    monkeypatch.setattr(io.pq, "write_table", half_write)
    with pytest.raises(OSError, match="disk full"):
        write_table(FRAME, path)
    assert list(tmp_path.iterdir()) == []


def test_failed_rewrite_keeps_the_old_table(tmp_path, monkeypatch):
    path = tmp_path / "t.parquet"
    write_table(FRAME, path)
    before = path.read_bytes()
    monkeypatch.setattr(io.pq, "write_table", lambda *a, **k: (_ for _ in ()).throw(OSError()))
    with pytest.raises(OSError):
        write_table(FRAME.iloc[:1], path)
    assert path.read_bytes() == before


def test_manifest_is_sorted_with_checksums(tmp_path):
    for name in ("results/tables/b.parquet", "results/problems/x/a.parquet"):
        write_table(FRAME, tmp_path / name)
    paths = ["results/tables/b.parquet", "results/problems/x/a.parquet", "results/tables/b.parquet"]
    frame = manifest_frame(paths, root=tmp_path)
    assert list(frame["path"]) == sorted(set(paths))
    assert list(frame["stage"]) == ["problems", "tables"]
    assert list(frame["rows"]) == [3, 3]
    digest = hashlib.sha256((tmp_path / "results/tables/b.parquet").read_bytes()).hexdigest()
    assert frame["sha256"].iloc[1] == digest == file_sha256(tmp_path / paths[0])

    out = tmp_path / "results/manifest.tsv"
    write_manifest(paths, out, root=tmp_path)
    first = out.read_bytes()
    write_manifest(list(reversed(paths)), out, root=tmp_path)
    assert out.read_bytes() == first  # order of the inputs does not matter
    pd.testing.assert_frame_equal(read_manifest(out), frame)


def test_columns_written_without_pandas_read_back_as_the_frame(tmp_path):
    """write_columns/read_columns: the frame a job reads back is the one write_table writes."""
    import numpy as np

    from backprop_landscape.minima.critical1d import critical_point_columns, critical_points
    from backprop_landscape.models.theta import get_theta
    from backprop_landscape.pipeline.io import read_columns, write_columns
    from backprop_landscape.problems.problem import (
        Problem,
        problem_from_columns,
        problem_from_frame,
        problem_to_columns,
        problem_to_frame,
    )

    rng = np.random.default_rng(0)
    problem = Problem(
        "p",
        rng.normal(size=(5, 2)),
        np.array([1, -1, 1, 1, -1]),
        {},
        rng.normal(size=(3, 2)),
        np.array([1, 1, -1]),
    )
    A = np.array([[1.0], [-2.0], [0.5]])
    for columns, frame in [
        (problem_to_columns(problem), problem_to_frame(problem)),
        (critical_point_columns(A, get_theta("tanh")), critical_points(A, get_theta("tanh"))),
    ]:
        write_columns(columns, tmp_path / "a.parquet")
        write_table(frame, tmp_path / "b.parquet")
        pd.testing.assert_frame_equal(
            read_table(tmp_path / "a.parquet"), read_table(tmp_path / "b.parquet"), check_exact=True
        )
        assert (
            pq.read_schema(tmp_path / "a.parquet")
            .remove_metadata()
            .equals(pq.read_schema(tmp_path / "b.parquet").remove_metadata())
        )
    write_columns(problem_to_columns(problem), tmp_path / "a.parquet")
    back = problem_from_columns(read_columns(tmp_path / "a.parquet"), "p")
    same = problem_from_frame(read_table(tmp_path / "a.parquet"), "p")
    for field in ("A", "y", "A_test", "y_test"):
        np.testing.assert_array_equal(getattr(back, field), getattr(same, field))
    # the same layout too: A x sums in an order that depends on it
    without_split = Problem("q", problem.A, problem.y, {})
    write_columns(problem_to_columns(without_split), tmp_path / "c.parquet")
    back = problem_from_columns(read_columns(tmp_path / "c.parquet"), "q")
    same = problem_from_frame(read_table(tmp_path / "c.parquet"), "q")
    assert back.A.flags["F_CONTIGUOUS"] == same.A.flags["F_CONTIGUOUS"]


def test_write_columns_makes_nan_a_null_as_a_frame_does(tmp_path):
    """The same Arrow data as write_table's: pandas' NaN is a missing value, null in Arrow."""
    import numpy as np

    from backprop_landscape.pipeline.io import read_columns, write_columns

    columns = {"x": np.array([1.0, np.nan, 3.0]), "k": np.array([1, 2, 3]), "s": ["a", "", "c"]}
    write_columns(columns, tmp_path / "a.parquet")
    write_table(pd.DataFrame(columns), tmp_path / "b.parquet")
    mine, theirs = pq.read_table(tmp_path / "a.parquet"), pq.read_table(tmp_path / "b.parquet")
    assert mine.column("x").null_count == 1
    assert mine.select(["x", "k"]).equals(theirs.select(["x", "k"]))
    back = read_columns(tmp_path / "a.parquet")["x"]
    np.testing.assert_array_equal(back, [1.0, np.nan, 3.0])  # and back to NaN
