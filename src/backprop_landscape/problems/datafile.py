"""A user's data set (family ``file``): a CSV or Parquet table with columns u1..um and y.

Labels may be -1/+1 or 0/1 (0 is read as -1), or soft targets as practitioners used
them: in [-1, 1] (+-0.8), or, in a logistic unit's coding, in [0, 1] (0.1/0.9), mapped
to 2y - 1.  A file with some y < 0 is in the symmetric coding; one whose targets all lie
in [0, 1] and are not all 0 or 1 is in the logistic coding.  Every defect stops with a message that
names the file, the column and the row (rows count from 1, the first data row; a CSV's
messages also give the line).  :func:`input_width` reads only the header, while the DAG
is built, and refuses every defect of the header there (empty file, not a Parquet file,
duplicated, misspelt, missing or extra columns); it needs neither pandas nor numpy's full
import time.  :func:`read_data_file` refuses the defects of the cells, in the problem job,
before anything is written.

What is refused, beyond what cannot be parsed, is what some later stage cannot handle:

- an input column that is zero in every row: E does not depend on that weight, so the
  minimum search's problem is degenerate (its reduced problem has a flat direction);
- an input beyond ``MAX_ABS_INPUT`` in magnitude (see there).

A row of zeros (u = 0) is accepted: its margin is 0 for every x, so it adds the
constant (theta(0) - y)^2 = y^2 to E; the separability LP reports it as never strictly
separable (Gordan's certificate is that row), the faces at infinity keep it free with
z = 0, and the trajectories and networks run on it (checked on the small config).
"""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

from .problem import Problem

INPUT_COLUMN = re.compile(r"^u([1-9][0-9]*)$")
# Largest |u| accepted.  Not the float limit: the stages stop being right long before
# overflow.  The separability LP (problems/separability.py) bounds |w| <= 1 and its
# margin by 1, and calls a margin zero below 1e-9 times the largest row 1-norm, so rows
# with a 1-norm beyond about 1e9 are misjudged as not separable (measured: a separable
# file scaled by 1e9 is reported non-separable); HiGHS refuses coefficients above 1e15
# ("Model error") and the minimum search produces NaN there.  1e6 keeps a row's 1-norm
# below 1e9 up to m = 1000 columns; the multistart's radii (1e-2..1e2) suit inputs of
# order 1 anyway, so data this large should be rescaled.
MAX_ABS_INPUT = 1e6
HINT = "expected columns u1..um (lower-case u, numbered from 1) and y"


class DataFileError(ValueError):
    """A data file that cannot be used, with the place of the defect in the message."""


def _format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".parquet", ".pq"):
        raise DataFileError(f"data file {path}: unknown format {suffix!r}; use .csv or .parquet")
    return "csv" if suffix == ".csv" else "parquet"


def _exists(path: Path, name: str | None = None) -> None:
    if not path.is_file():
        named = f" (for file/{name})" if name else ""
        raise DataFileError(f"data file {path}{named} does not exist")
    if path.stat().st_size == 0:
        raise DataFileError(f"data file {path} is empty (0 bytes); {HINT}, then data rows")


def _parquet_error(path: Path, error: Exception) -> DataFileError:
    return DataFileError(f"data file {path}: not a readable Parquet file ({error})")


def _header(path: Path) -> list[str]:
    """Column names as written, from the header alone."""
    if _format(path) == "csv":
        try:
            with open(path, newline="", encoding="utf-8-sig") as handle:
                names = next(csv.reader(handle, skipinitialspace=True), [])
        except (UnicodeDecodeError, csv.Error) as error:
            raise DataFileError(f"data file {path}: not a readable CSV file ({error})") from None
        return [name.strip() for name in names]
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        return list(pq.read_schema(path).names)
    except (pa.ArrowException, OSError) as error:
        raise _parquet_error(path, error) from None


def _check_columns(path: Path, columns) -> list[str]:
    """The input columns u1..um in order; any other defect of the header is refused."""
    columns = [str(c) for c in columns]
    if not any(columns):
        raise DataFileError(f"data file {path}: the header is empty; {HINT}")
    for j, name in enumerate(columns):
        if name in columns[:j]:
            first = columns.index(name) + 1
            raise DataFileError(
                f"data file {path}, column {name!r}: duplicated (columns {first} and {j + 1})"
            )
    extra = [c for c in columns if c != "y" and not INPUT_COLUMN.match(c)]
    if extra:  # extra columns are refused, not ignored: a silent drop could hide a typo
        raise DataFileError(f"data file {path}, column {extra[0]!r}: unexpected column; {HINT}")
    inputs = sorted((int(INPUT_COLUMN.match(c).group(1)), c) for c in columns if c != "y")
    if not inputs:
        raise DataFileError(f"data file {path}: missing column 'u1'; {HINT}")
    for j, (number, _) in enumerate(inputs, start=1):
        if number != j:
            raise DataFileError(f"data file {path}: missing column 'u{j}' (found u{number})")
    if "y" not in columns:
        raise DataFileError(f"data file {path}: missing column 'y'")
    return [c for _, c in inputs]


def input_width(path) -> int:
    """Number of input columns u1..um of a data file, from its header alone."""
    path = Path(path)
    _exists(path)
    return len(_check_columns(path, _header(path)))


def _read_csv(path: Path) -> tuple[pd.DataFrame, list[int]]:
    """Every cell as text and the line of each data row; blank lines are skipped."""
    import pandas as pd  # here: the Snakefile imports this module for input_width

    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle, skipinitialspace=True)
        header = [name.strip() for name in next(reader, [])]
        _check_columns(path, header)
        rows, lines = [], []
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) != len(header):
                raise DataFileError(
                    f"data file {path}, row {len(rows) + 1} (line {reader.line_num}): "
                    f"{len(cells)} fields, the header has {len(header)}"
                )
            rows.append(cells)
            lines.append(reader.line_num)
    return pd.DataFrame(rows, columns=header, dtype=str), lines


def _read_parquet(path: Path) -> pd.DataFrame:
    """The table as stored; a column that is not numeric is refused with its type."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(path)
        _check_columns(path, parquet.schema_arrow.names)  # before reading: names may repeat
        table = parquet.read()
    except (pa.ArrowException, OSError) as error:
        raise _parquet_error(path, error) from None
    for name, column in zip(table.column_names, table.columns, strict=True):
        kind = column.type
        numeric = pa.types.is_integer(kind) or pa.types.is_floating(kind)
        if not (numeric or pa.types.is_decimal(kind) or pa.types.is_null(kind)):
            first = column[0].as_py() if len(column) else None
            raise DataFileError(
                f"data file {path}, column {name!r}, row 1: stored as {kind} "
                f"(first value {first!r}); expected numbers"
            )
    return table.to_pandas()


def _where(path: Path, column: str, i: int, lines: list[int] | None) -> str:
    line = f" (line {lines[i]})" if lines is not None else ""
    return f"data file {path}, column '{column}', row {i + 1}{line}"


def _numbers(path: Path, frame: pd.DataFrame, column: str, lines=None) -> np.ndarray:
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
        if column == "y":
            what += "; labels are -1/+1 or 0/1, soft targets in [-1, 1] or [0, 1]"
        raise DataFileError(f"{_where(path, column, i, lines)}: {what}")
    return values


def _check_inputs(path: Path, A: np.ndarray, inputs: list[str], lines) -> None:
    """Refuse inputs too large for the stages, and inputs that are zero in every row."""
    large = np.abs(A) > MAX_ABS_INPUT
    if large.any():
        i, j = (int(k) for k in np.argwhere(large)[0])
        raise DataFileError(
            f"{_where(path, inputs[j], i, lines)}: |{A[i, j]:g}| exceeds {MAX_ABS_INPUT:g}, "
            "beyond which the separability LP and the minimum search are not reliable; "
            "rescale the inputs"
        )
    zero = np.flatnonzero(~np.any(A != 0, axis=0))
    if zero.size:
        column = inputs[int(zero[0])]
        raise DataFileError(
            f"data file {path}, column '{column}': zero in every row, so E does not depend "
            f"on weight x{zero[0] + 1} and the minimum search is degenerate; drop the column"
        )


def _labels(path: Path, values: np.ndarray, lines=None) -> tuple[np.ndarray, str]:
    """Targets in the symmetric coding, and the coding the file was read in.

    Hard labels (-1/+1, or 0/1 read as -1/+1) come back as int64, soft targets as
    float64: as they are when some y < 0 ("symmetric"), as 2 y - 1 when all lie in
    [0, 1] ("logistic").  A target outside [-1, 1], or -1 next to 0 among hard labels
    (two codings mixed), is reported with its row.
    """
    outside = np.abs(values) > 1.0
    if outside.any():
        i = int(np.flatnonzero(outside)[0])
        raise DataFileError(
            f"{_where(path, 'y', i, lines)}: target {values[i]:g} lies outside [-1, 1] "
            "(labels -1/+1 or 0/1, soft targets in [-1, 1] or [0, 1])"
        )
    if np.isin(values, (-1.0, 0.0, 1.0)).all():
        if (values == -1).any() and (values == 0).any():
            i = max(int(np.argmax(values == -1)), int(np.argmax(values == 0)))
            raise DataFileError(
                f"{_where(path, 'y', i, lines)}: label {values[i]:g} is a third label; "
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
    _exists(path, name)
    if _format(path) == "csv":
        frame, lines = _read_csv(path)
    else:
        frame, lines = _read_parquet(path), None
    inputs = _check_columns(path, list(frame.columns))
    if len(frame) == 0:
        raise DataFileError(f"data file {path}: no rows (only a header)")
    A = np.column_stack([_numbers(path, frame, c, lines) for c in inputs])
    _check_inputs(path, A, inputs, lines)
    y, coding = _labels(path, _numbers(path, frame, "y", lines), lines)
    return Problem(f"file/{name}", A, y, {"source": str(path), "coding": coding})
