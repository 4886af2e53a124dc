"""Markdown pieces of the summary: pipe tables and "median (range)" cells."""

from __future__ import annotations

import pandas as pd


def markdown_table(frame: pd.DataFrame, floatfmt: str = ".6g") -> str:
    """A pipe table without the optional `tabulate` dependency."""
    cells = [[cell(v, floatfmt) for v in row] for row in frame.itertuples(index=False)]
    header = "| " + " | ".join(map(str, frame.columns)) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    return "\n".join([header, rule] + ["| " + " | ".join(row) + " |" for row in cells])


def cell(value, floatfmt: str) -> str:
    if isinstance(value, float):
        return "NaN" if value != value else format(value, floatfmt)
    return str(value)


def spread(values: pd.Series) -> str:
    """Median and range over seeds: "9 (5-21)"."""
    lo, mid, hi = values.min(), values.median(), values.max()
    return f"{mid:.4g}" if lo == hi else f"{mid:.4g} ({lo:.4g}-{hi:.4g})"
