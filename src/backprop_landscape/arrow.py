"""pyarrow arrays from numpy arrays and strings, without importing pandas.

``pa.array`` and ``pa.table`` of numpy arrays import pandas (0.3 s) to ask whether their
input is a pandas object; a job that writes a few arrays builds them from their buffers
here instead (the same bytes, no nulls).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

_TYPES = {
    np.dtype(np.float64): pa.float64(),
    np.dtype(np.int64): pa.int64(),
    np.dtype(np.int32): pa.int32(),
    np.dtype(np.int8): pa.int8(),
}


def array(values) -> pa.Array:
    """A pyarrow array of a numpy array (float64, int64, int32, int8, bool) or of strings.

    Strings become large_string, the type pyarrow gives a pandas string column.  NaN in a
    float array becomes null, as ``pa.Table.from_pandas`` makes it (pandas' missing value):
    the same Parquet file as a frame's.
    """
    if isinstance(values, pa.Array):
        return values
    if isinstance(values, list | tuple) and all(isinstance(v, str) for v in values):
        return _strings(values, pa.large_string(), np.int64)
    values = np.ascontiguousarray(values)
    if values.dtype == np.bool_:
        bits = np.packbits(values, bitorder="little")
        return pa.Array.from_buffers(pa.bool_(), len(values), [None, pa.py_buffer(bits)])
    if values.ndim != 1 or values.dtype not in _TYPES:
        raise TypeError(f"cannot build an arrow array of {values.dtype} with shape {values.shape}")
    valid = ~np.isnan(values) if values.dtype.kind == "f" else None
    validity = None if valid is None or valid.all() else np.packbits(valid, bitorder="little")
    buffers = [None if validity is None else pa.py_buffer(validity), pa.py_buffer(values)]
    return pa.Array.from_buffers(_TYPES[values.dtype], len(values), buffers)


def dictionary(codes, categories) -> pa.DictionaryArray:
    """A dictionary array (int8 codes, string categories): a pandas Categorical in Parquet."""
    codes = array(np.asarray(codes, dtype=np.int8))
    return pa.DictionaryArray.from_arrays(codes, _strings(list(categories), pa.string(), np.int32))


def _strings(values, kind, offset_type) -> pa.Array:
    encoded = [value.encode() for value in values]
    offsets = np.cumsum([0, *map(len, encoded)]).astype(offset_type)
    buffers = [None, pa.py_buffer(offsets), pa.py_buffer(b"".join(encoded))]
    return pa.Array.from_buffers(kind, len(values), buffers)
