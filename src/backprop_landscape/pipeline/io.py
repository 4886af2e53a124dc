"""Parquet tables with provenance in the file metadata, written atomically.

A job's data columns never hold a time stamp or a host name; what produced them (the
job's params, the package version, the git commit) goes into the schema metadata under
the key ``backprop_landscape``, serialised with sorted keys so that it is deterministic.
The file is written beside its target and renamed into place, so a killed job leaves
no half-written table for a later job to read.
"""

from __future__ import annotations

import json
import os
import subprocess
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.parquet as pq

if TYPE_CHECKING:  # pandas costs 0.3 s per job; a job that writes arrays never loads it
    import pandas as pd

from .. import __version__, arrow

METADATA_KEY = b"backprop_landscape"


@lru_cache(maxsize=1)
def git_commit() -> str:
    """The commit of the checkout this package runs from, or "unknown" outside git."""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=Path(__file__).resolve().parent,
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out.stdout.strip() or "unknown"


def provenance(params: dict) -> dict:
    return {"params": params, "package_version": __version__, "git_commit": git_commit()}


def write_table(df: pd.DataFrame, path, params: dict | None = None) -> None:
    """Write ``df`` to ``path`` as Parquet with provenance metadata, atomically."""
    _write(pa.Table.from_pandas(df, preserve_index=False), path, params)


def write_columns(columns: dict, path, params: dict | None = None) -> None:
    """Write named arrays (numpy or pyarrow) as :func:`write_table` would write their frame.

    For jobs that build their table from arrays and need nothing else from pandas.  The
    file holds no pandas metadata, which changes nothing on reading back: a default
    RangeIndex, the same columns and dtypes (a pyarrow dictionary array reads as a
    pandas Categorical), no attrs.
    """
    names = list(columns)
    table = pa.Table.from_arrays([arrow.array(columns[n]) for n in names], names=names)
    _write(table, path, params)


def _write(table: pa.Table, path, params: dict | None) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    info = json.dumps(provenance(params or {}), sort_keys=True, default=_jsonable)
    table = table.replace_schema_metadata({**(table.schema.metadata or {}), METADATA_KEY: info})
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        pq.write_table(table, tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def read_table(path) -> pd.DataFrame:
    """Read a Parquet table written by :func:`write_table` (or any Parquet file)."""
    return _read(path).to_pandas()


def _read(path) -> pa.Table:
    # ParquetFile, not pq.read_table: read_table goes through pyarrow.dataset, whose
    # import (0.17 s, pandas included) a job that reads one small file does not need.
    with pq.ParquetFile(path) as handle:
        return handle.read()


def read_columns(path) -> dict:
    """A Parquet table as named numpy arrays, without pandas (for the problem tables).

    pyarrow's ``to_numpy`` imports pandas (0.3 s); a column of fixed-width numbers
    without nulls is read from its buffer instead (the same bytes), a dictionary column
    through its codes, anything else by ``to_numpy``.
    """
    table = _read(path)
    return {
        name: _column_array(column)
        for name, column in zip(table.column_names, table.columns, strict=True)
    }


_NUMBERS = {"double": "float64", "float": "float32", "int64": "int64", "int32": "int32"}
_NUMBERS |= {"int16": "int16", "int8": "int8", "uint8": "uint8"}


def _column_array(column):
    import numpy as np

    array = column.combine_chunks()
    if array.null_count == 0 and str(array.type) in _NUMBERS:
        return np.frombuffer(
            array.buffers()[1],
            dtype=_NUMBERS[str(array.type)],
            count=len(array),
            offset=array.offset,
        )
    if array.null_count == 0 and pa.types.is_dictionary(array.type):
        codes = _column_array(pa.chunked_array([array.indices]))
        return np.array(array.dictionary.to_pylist(), dtype=object)[codes]
    return array.to_numpy(zero_copy_only=False)


def read_provenance(path) -> dict:
    """The provenance dict stored in a table's metadata ({} if there is none)."""
    metadata = pq.read_schema(path).metadata or {}
    raw = metadata.get(METADATA_KEY)
    return json.loads(raw) if raw else {}


def _jsonable(value):
    """numpy scalars and arrays in params become plain JSON values."""
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"cannot record {value!r} of type {type(value).__name__} in provenance")
