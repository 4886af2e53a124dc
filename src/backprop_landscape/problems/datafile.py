"""A user's data set (family ``file``): a CSV or Parquet table with columns u1..um and y.

Labels may be -1/+1 or 0/1 (0 is read as -1), or soft targets as practitioners used
them: in [-1, 1] (+-0.8), or, in a logistic unit's coding, in [0, 1] (0.1/0.9), mapped
to 2y - 1.  A file with some y < 0 is in the symmetric coding; one whose targets all lie
in [0, 1] and are not all 0 or 1 is in the logistic coding.  Every defect stops with a message that
names the file, the column and the row (rows count from 1, the first data row; in a CSV
that is line row + 1, after the header).  :func:`input_width` reads only the header,
while the DAG is built; it needs neither pandas nor numpy's full import time.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

from .problem import Problem

INPUT_COLUMN = re.compile(r"^u([1-9][0-9]*)$")


class DataFileError(ValueError):
    """A data file that cannot be used, with the place of the defect in the message."""


def input_width(path) -> int:
    """Number of input columns u1..um of a data file, from its header alone."""
    path = Path(path)
    if not path.is_file():
        raise DataFileError(f"data file {path} does not exist")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        with open(path) as handle:
            names = handle.readline().strip().split(",")
    elif suffix in (".parquet", ".pq"):
        import pyarrow as pa
        import pyarrow.parquet as pq

        try:
            names = pq.read_schema(path).names
        except (pa.ArrowException, OSError) as error:
            raise DataFileError(
                f"data file {path}: not a readable Parquet file ({error})"
            ) from None
    else:
        raise DataFileError(f"data file {path}: unknown format {suffix!r}; use .csv or .parquet")
    return sum(1 for name in names if INPUT_COLUMN.match(name.strip()))


def _raw_table(path: Path) -> pd.DataFrame:
    """Every cell as text (CSV) or as stored (Parquet); nothing parsed silently."""
    import pandas as pd  # here: the Snakefile imports this module for input_width

    suffix = path.suffix.lower()
    if suffix == ".csv":
        return pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    if suffix in (".parquet", ".pq"):
        return pd.read_parquet(path)
    raise DataFileError(f"data file {path}: unknown format {suffix!r}; use .csv or .parquet")


def _check_columns(path: Path, columns) -> list[str]:
    inputs = sorted((int(m.group(1)), c) for c in columns if (m := INPUT_COLUMN.match(str(c))))
    m = len(inputs)
    for j, (number, _) in enumerate(inputs, start=1):
        if number != j:
            raise DataFileError(f"data file {path}: missing column 'u{j}' (found u{number})")
    if m == 0:
        raise DataFileError(f"data file {path}: missing column 'u1'; expected u1..um and y")
    if "y" not in columns:
        raise DataFileError(f"data file {path}: missing column 'y'")
    extra = [c for c in columns if c != "y" and not INPUT_COLUMN.match(str(c))]
    if extra:
        raise DataFileError(
            f"data file {path}: unexpected column {extra[0]!r}; expected u1..u{m}, y"
        )
    return [c for _, c in inputs]


def _numbers(path: Path, frame: pd.DataFrame, column: str) -> np.ndarray:
    """Column as floats; the first text cell or missing value is reported by row."""
    import pandas as pd

    raw = frame[column]
    values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(values)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        cell = raw.iloc[i]
        missing = cell is None or (isinstance(cell, str) and cell.strip().lower() in ("", "nan"))
        missing |= isinstance(cell, float) and np.isnan(cell)
        what = "missing value (NaN)" if missing else f"{cell!r} is not a finite number"
        raise DataFileError(f"data file {path}, column '{column}', row {i + 1}: {what}")
    return values


def _labels(path: Path, values: np.ndarray) -> tuple[np.ndarray, str]:
    """Targets in the symmetric coding, and the coding the file was read in.

    Hard labels (-1/+1, or 0/1 read as -1/+1) come back as int64, soft targets as
    float64: as they are when some y < 0 ("symmetric"), as 2 y - 1 when all lie in
    [0, 1] ("logistic").  A target outside [-1, 1], or -1 next to 0 among hard labels
    (two codings mixed), is reported with its row.
    """
    where = f"data file {path}, column 'y'"
    outside = np.abs(values) > 1.0
    if outside.any():
        i = int(np.flatnonzero(outside)[0])
        raise DataFileError(
            f"{where}, row {i + 1}: target {values[i]:g} lies outside [-1, 1] "
            "(labels -1/+1 or 0/1, soft targets in [-1, 1] or [0, 1])"
        )
    if np.isin(values, (-1.0, 0.0, 1.0)).all():
        if (values == -1).any() and (values == 0).any():
            i = max(int(np.argmax(values == -1)), int(np.argmax(values == 0)))
            raise DataFileError(
                f"{where}, row {i + 1}: label {values[i]:g} is a third label; "
                "use -1/+1 or 0/1, not both"
            )
        coding = "logistic" if (values == 0).any() else "symmetric"
        return np.where(values > 0, 1, -1).astype(np.int64), coding
    if (values < 0).any():
        return values.astype(np.float64), "symmetric"
    return 2.0 * values - 1.0, "logistic"


def read_data_file(path, name: str) -> Problem:
    """Load and check a user's data set; the problem is called ``file/<name>``."""
    path = Path(path)
    if not path.is_file():
        raise DataFileError(f"data file {path} (for file/{name}) does not exist")
    frame = _raw_table(path)
    inputs = _check_columns(path, list(frame.columns))
    if len(frame) == 0:
        raise DataFileError(f"data file {path}: no rows")
    A = np.column_stack([_numbers(path, frame, c) for c in inputs])
    y, coding = _labels(path, _numbers(path, frame, "y"))
    return Problem(f"file/{name}", A, y, {"source": str(path), "coding": coding})
