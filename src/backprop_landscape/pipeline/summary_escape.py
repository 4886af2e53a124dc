"""The summary's answer to "are local minima easy to escape from?" (escape.parquet).

For every non-global minimum the escape table holds the lowest barrier to a lower
minimum, delta_E = E_escape - E_min, read off the disconnectivity graph of the computed
barriers, and the share of starts its basin captures.  Here: per job of the barriers
section, per theta for the exact one-weight problems, and beside open question 3's
annealing results on the same problems.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .markdown import markdown_table as _markdown
from .markdown import spread as _spread


def _new_saddles(pairs: pd.DataFrame) -> str:
    """Confirmed saddles of a network's bands that the stationary search had not found."""
    if "stationary_row" not in pairs or pairs["stationary_row"].isna().all():
        return "-"  # a neuron: no stationary search to compare with
    rows = pairs["stationary_row"].fillna(-1).to_numpy()
    return str(int((pairs["confirmed"].to_numpy(bool) & (rows < 0)).sum()))


def _jobs(escape: pd.DataFrame, minima: pd.DataFrame, barriers: pd.DataFrame) -> pd.DataFrame:
    """One row per (problem, model): minima, pairs, spurious minima, delta_E, trapped."""
    rows = []
    for (problem, model), group in escape.groupby(["problem", "model"], sort=False):
        n = int(((minima["problem"] == problem) & (minima["model"] == model)).sum())
        pairs = barriers[(barriers["problem"] == problem) & (barriers["model"] == model)]
        joined = group[group["to_minimum"] >= 0]
        depth = group["E_min"] - group["E_global"]
        rows.append(
            {
                "problem": problem,
                "model": model,
                "minima": n,
                "pairs": len(pairs),
                "confirmed": int(pairs["confirmed"].sum()),
                "unresolved": int((~pairs["resolved"].astype(bool)).sum()),
                "new_saddles": _new_saddles(pairs),
                "spurious": len(group),
                "joined": len(joined),
                "delta_E": _spread(joined["delta_E"]) if len(joined) else "-",
                "delta_E_over_depth": _spread(joined["delta_E"] / depth[joined.index])
                if len(joined)
                else "-",
                "trapped": float(group["basin_fraction"].sum()),
            }
        )
    return pd.DataFrame(rows)


def escape_section(
    escape: pd.DataFrame, minima: pd.DataFrame, barriers: pd.DataFrame, relaxation=None
) -> str:
    """The escape section: band jobs, exact one-weight problems, and open question 3."""
    exact = minima.loc[minima["search"] == "exact", ["problem", "model"]].drop_duplicates()
    is_exact = escape.set_index(["problem", "model"]).index.isin(
        exact.set_index(["problem", "model"]).index
    )
    parts = [
        "### Escape: barriers between minima\n\n"
        "For every non-global minimum, delta_E is the lowest barrier to a lower minimum "
        "above its own E (from the disconnectivity graph of the computed barriers: exact "
        "for one weight, else an index-1 saddle of a band confirmed by descents, or a "
        "band's highest E, an upper bound); delta_E_over_depth divides it by the "
        "minimum's height above the global one; trapped is the share of starts whose "
        "descent ends in a non-global minimum; spurious minima that no computed barrier "
        "joins to a lower one (a network's minima at infinity are not joined) count in "
        "spurious but not in joined.  Pairs: bands run (each minimum with its nearest "
        "few and the global one), confirmed: their index-1 saddles confirmed by descents "
        "into both minima, unresolved: bands whose highest image was an end (too sparse "
        "to see the barrier; they join nothing), new_saddles: a network's confirmed "
        "saddles that are not among its stationary search's classes (that search's "
        "saddle counts are lower bounds).  Median (range):"
    ]
    bands = _jobs(escape[~is_exact], minima, barriers)
    if len(bands):
        parts.append(_markdown(bands, ".3g"))
    one = escape[is_exact]
    if len(one):
        theta = minima.drop_duplicates(["problem", "model"]).set_index(["problem", "model"])
        one = one.assign(
            theta=[theta.loc[(p, m), "theta"] for p, m in zip(one["problem"], one["model"])]
        )
        table = (
            one.groupby("theta", sort=False)
            .agg(
                problems=("problem", "nunique"),
                spurious=("minimum", "size"),
                delta_E=("delta_E", _spread),
                trapped_max=("basin_fraction", "max"),
            )
            .reset_index()
        )
        parts.append(
            "One-weight problems (exact barriers; trapped_max the largest exact basin "
            "of a non-global minimum):\n\n" + _markdown(table, ".3g")
        )
    if relaxation is not None and len(relaxation):
        parts.append(_relaxation_beside(escape, relaxation))
    return "\n\n".join(parts)


def _relaxation_beside(escape: pd.DataFrame, relaxation: pd.DataFrame) -> str:
    """Open question 3's largest-budget P beside the highest delta_E on the same jobs."""
    top = relaxation[relaxation["budget"] == relaxation["budget"].max()]
    rows = []
    for (problem, theta), group in top.groupby(["problem", "theta"], sort=False):
        mine = escape[(escape["problem"] == problem) & (escape["model"] == theta)]
        p = group.set_index("method")["p_global"]
        rows.append(
            {
                "problem": problem,
                "theta": theta,
                "spurious": len(mine),
                "max_delta_E": float(mine["delta_E"].max()) if len(mine) else np.nan,
                "trapped": float(mine["basin_fraction"].sum()),
                "budget": int(group["budget"].iloc[0]),
                **{f"P {method}": float(p[method]) for method in p.index},
            }
        )
    return (
        "Open question 3 beside the barriers (P of reaching the global minimum at the "
        "largest budget):\n\n" + _markdown(pd.DataFrame(rows), ".4g")
    )
