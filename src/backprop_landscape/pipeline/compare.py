"""Do two runs hold the same results?  The data of every table, not its provenance.

A table's bytes differ between two runs of one config when the code's commit differs,
because each table records the commit in its metadata; what must not differ is the
data: columns, values (exactly, NaN equal to NaN) and the ``attrs`` a job passes on.
This is the check behind "a change that moves code keeps the results"::

    python -m backprop_landscape.pipeline.compare results/ /tmp/results-before/

prints every table that is missing on one side or differs, and exits 1 if any does (or
if neither folder holds a table: two empty folders prove nothing).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq


def table_difference(a: Path, b: Path) -> str | None:
    """Why two Parquet tables differ in their data or attrs, or None if they agree.

    The frames are compared exactly, and before that the Arrow columns' types and null
    counts: a frame reads a null float and a NaN alike, an Arrow reader does not.
    """
    arrow_left, arrow_right = pq.read_table(a), pq.read_table(b)
    if not arrow_left.schema.remove_metadata().equals(arrow_right.schema.remove_metadata()):
        return f"Arrow schemas differ: {arrow_left.schema} != {arrow_right.schema}"
    nulls = [column.null_count for column in arrow_left.columns]
    theirs = [column.null_count for column in arrow_right.columns]
    if nulls != theirs:
        pairs = zip(arrow_left.column_names, zip(nulls, theirs))
        differing = {name: pair for name, pair in pairs if pair[0] != pair[1]}
        return f"null counts differ: {differing}"
    left, right = arrow_left.to_pandas(), arrow_right.to_pandas()
    try:
        pd.testing.assert_frame_equal(left, right, check_exact=True)
    except AssertionError as error:
        return str(error).strip().splitlines()[0]
    if left.attrs != right.attrs:
        return f"attrs differ: {left.attrs} != {right.attrs}"
    return None


def compare_runs(a, b, pattern: str = "**/*.parquet") -> list[str]:
    """One line per table that differs between the result folders a and b ([] if none)."""
    a, b = Path(a), Path(b)
    left = {path.relative_to(a) for path in a.glob(pattern)}
    right = {path.relative_to(b) for path in b.glob(pattern)}
    lines = [f"only in {a}: {path}" for path in sorted(left - right)]
    lines += [f"only in {b}: {path}" for path in sorted(right - left)]
    for path in sorted(left & right):
        why = table_difference(a / path, b / path)
        if why is not None:
            lines.append(f"{path}: {why}")
    return lines


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    lines = compare_runs(*argv)
    count = len(list(Path(argv[0]).glob("**/*.parquet")))
    if count == 0 and not lines:
        lines = [f"no tables under {argv[0]} or {argv[1]}: nothing to compare"]
    print("\n".join(lines) if lines else f"same data in all {count} tables")
    return 1 if lines else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
