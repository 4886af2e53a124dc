"""Networks in the workflow: one job's data, search and tables, and their counts.

A job of the minima stage takes a problem (``results/problems/{problem}.parquet``,
columns u1..um, y with labels +-1) and a network's name (its ``{model}`` wildcard, whose
grammar is ``problems.names.NETWORK``), and writes

* the table of stationary points (:func:`.stationary.find_stationary_points`: every
  class by index, from the Levenberg-Marquardt solve and the descents of every start),
* the table of limits at infinity and plateaus that those descents approach
  (:func:`.limits.analyse_limits` on the descents that end saturated).

:func:`network_minima` turns the two into rows of ``minima.parquet`` (the minima,
finite and at infinity, beside the neuron's), :func:`network_counts` into one row of the
counts of open question 1 in neurons, and :func:`trace_backprop` follows the last
weights of backprop runs (Figure 5's seeds) to what they approach.

A bias is part of the network, never a column of the data: an input column that is 1 on
every row (the neuron's way to write a bias, as in the task problems) is dropped, and the
network's own biases take its place.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..models.network import Network
from ..problems.datafile import DataFileError
from ..problems.names import parse_network
from .limits import DESCEND_ITER, LIMIT, LIMIT_COLUMNS, analyse_limits
from .stationary import find_stationary_points

#: Kinds of the tables that are minima (finite rows; limit rows).
FINITE_MINIMA = ("minimum", "degenerate-minimum")
SADDLES = ("saddle", "degenerate-saddle")
COUNT_COLUMNS = [
    "problem",
    "model",
    "hidden",
    "activation",
    "target",
    "decay",
    "n",
    "m",
    "n_params",
    "group_size",
    "n_starts",
    "n_minima",
    "n_finite_minima",
    "n_degenerate_minima",
    "n_minima_at_infinity",
    "n_plateaus",
    "n_saddles",
    "n_maxima",
    "finite_minimum_points",
    "E_global",
    "global_at_infinity",
    "global_basin",
    "limit_basin",
    "moving_fraction",
]


def network_for(model: str, m: int) -> tuple[Network, float]:
    """The network a model name describes for m inputs, and its target level t.

    Hidden and output units share the activation; both layers have biases; the decay
    covers every weight and bias.  Labels +-1 become targets +-t on the paper's scale
    (``Network.code_targets`` maps them into the output's range).
    """
    spec = parse_network(model)
    activation = spec["activation"]
    net = Network(m, spec["hidden"], activation, activation, decay=spec["decay"])
    return net, spec["target"]


def network_data(frame: pd.DataFrame, source: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Inputs and +-1 labels of a problem table, checked, without constant-one columns.

    Returns (U, labels, dropped): U (n, m) with every column that is 1 on all rows left
    out (``dropped`` names them: a bias input, which the network's own biases replace),
    labels (n,) in {-1, +1}.  A table that is not a data set with columns u1..um and y,
    holds a value that is not a finite number, or a label other than -1 and +1, is
    refused with a :class:`~backprop_landscape.problems.datafile.DataFileError` naming
    ``source`` (the file), the column and the row (rows count from 1).
    """
    columns = [str(c) for c in frame.columns]
    inputs = [f"u{j}" for j in range(1, len(columns))]
    if "y" not in columns or sorted(c for c in columns if c != "y") != sorted(inputs):
        raise DataFileError(
            f"data for a network in {source}: columns {columns}; expected u1..um and y"
        )
    if len(frame) == 0:
        raise DataFileError(f"data for a network in {source}: no rows")
    values = {}
    for column in [*inputs, "y"]:
        raw = frame[column]
        x = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
        bad = np.flatnonzero(~np.isfinite(x))
        if bad.size:
            i = int(bad[0])
            raise DataFileError(
                f"data for a network in {source}, column '{column}', row {i + 1}: "
                f"{raw.iloc[i]!r} is not a finite number"
            )
        values[column] = x
    labels = values["y"]
    bad = np.flatnonzero((labels != 1.0) & (labels != -1.0))
    if bad.size:
        i = int(bad[0])
        raise DataFileError(
            f"data for a network in {source}, column 'y', row {i + 1}: label "
            f"{labels[i]:g} is not -1 or +1"
        )
    dropped = [c for c in inputs if np.all(values[c] == 1.0)]
    kept = [c for c in inputs if c not in dropped]
    if not kept:
        raise DataFileError(
            f"data for a network in {source}: every input column ({', '.join(inputs)}) is "
            "1 on every row; a network needs an input besides its biases"
        )
    return np.column_stack([values[c] for c in kept]), labels, dropped


def search_network(
    net: Network,
    U,
    y,
    n_starts: int,
    seed=0,
    problem: str = "",
    model: str = "",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Stationary points and the limits the descents approach, for one network and data.

    Returns the table of :func:`.stationary.find_stationary_points` (attrs: its run
    counts) and that of :func:`.limits.analyse_limits` on the descents that end at a
    limit (attrs: n_starts and n_runs, the runs followed).  ``seed`` (an int or a
    Generator) draws the starts, then the probes' directions.
    """
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    points, runs, _ = find_stationary_points(
        net, U, y, n_starts=n_starts, seed=rng, problem=problem, model=model, return_runs=True
    )
    at_limit = np.flatnonzero(runs.descents.status == LIMIT)
    if at_limit.size:  # they have descended DESCEND_ITER steps: as many again to settle
        limits = analyse_limits(
            net,
            U,
            y,
            runs.descents.x[at_limit],
            list(at_limit),
            problem,
            model,
            rng,
            follow_iter=DESCEND_ITER,
        )
    else:
        limits = pd.DataFrame(columns=LIMIT_COLUMNS)
    limits.attrs.update(n_starts=int(n_starts), n_runs=int(at_limit.size))
    return points, limits


def network_minima(points: pd.DataFrame, limits: pd.DataFrame, n_starts: int) -> pd.DataFrame:
    """The minima of one job as rows of ``minima.parquet``.

    Finite minima (kinds minimum and degenerate-minimum) and minima at infinity, with the
    columns of the neuron's rows: E (the limit's E for a minimum at infinity),
    at_infinity, basin_fraction (the share of starts whose descent reached it),
    x (the representative; for a limit, the settled point of its first run), z_limit
    (the outputs on the samples there; for a limit, the limiting outputs), n_starts
    (starts whose descent reached it), and kind.
    """
    finite = points[points["kind"].isin(FINITE_MINIMA)]
    far = limits[limits["kind"] == "minimum-at-infinity"]
    rows = pd.concat(
        [
            pd.DataFrame(
                {
                    "E": finite["E"].astype(float),
                    "at_infinity": False,
                    "basin_fraction": finite["n_descents"].astype(float) / n_starts,
                    "x": finite["x"],
                    "z_limit": finite["outputs"],
                    "n_starts": finite["n_descents"].astype(np.int64),
                    "kind": finite["kind"],
                }
            ),
            pd.DataFrame(
                {
                    "E": far["E_limit"].astype(float),
                    "at_infinity": True,
                    "basin_fraction": far["n_runs"].astype(float) / n_starts,
                    "x": far["x_end"],
                    "z_limit": far["outputs"],
                    "n_starts": far["n_runs"].astype(np.int64),
                    "kind": far["kind"],
                }
            ),
        ],
        ignore_index=True,
    )
    return rows.sort_values("E", kind="stable").reset_index(drop=True)


def network_counts(
    points: pd.DataFrame, limits: pd.DataFrame, problem: str, model: str, n: int, m: int
) -> dict:
    """One row of the counts table: stationary classes and limits of one job, by kind.

    Counts are of classes (a class is every point equivalent under the symmetry group:
    ``finite_minimum_points`` counts the points, the sum of the finite minima's
    ``class_size``); limits are the rows of ``limits`` (one per limit E, limiting outputs
    and hidden pattern up to the group).  E_global is the lowest E of a minimum, finite or
    at infinity; global_basin the share of starts whose descent reached it (ties within
    1e-9 shared); limit_basin the share whose descent went to infinity; moving_fraction
    the share whose descent was still moving when it stopped.
    """
    spec = parse_network(model)
    attrs = points.attrs
    n_starts = int(attrs.get("n_starts", limits.attrs.get("n_starts", 0)))
    kinds = points["kind"]
    finite = points[kinds.isin(FINITE_MINIMA)]
    far = limits[limits["kind"] == "minimum-at-infinity"]
    E = np.concatenate([finite["E"].to_numpy(float), far["E_limit"].to_numpy(float)])
    basin = np.concatenate([finite["n_descents"].to_numpy(float), far["n_runs"].to_numpy(float)])
    at_inf = np.concatenate([np.zeros(len(finite), bool), np.ones(len(far), bool)])
    row = {
        "problem": problem,
        "model": model,
        **spec,
        "n": int(n),
        "m": int(m),
        "n_params": network_for(model, m)[0].n_params,
        "group_size": int(attrs.get("group_size", 1)),
        "n_starts": n_starts,
        "n_minima": int(len(E)),
        "n_finite_minima": int(len(finite)),
        "n_degenerate_minima": int((kinds == "degenerate-minimum").sum()),
        "n_minima_at_infinity": int(len(far)),
        "n_plateaus": int((limits["kind"] == "plateau").sum()),
        "n_saddles": int(kinds.isin(SADDLES).sum()),
        "n_maxima": int((kinds == "maximum").sum()),
        "finite_minimum_points": int(finite["class_size"].sum()),
        "E_global": np.nan,
        "global_at_infinity": False,
        "global_basin": 0.0,
        "limit_basin": attrs.get("n_descended_limit", 0) / max(n_starts, 1),
        "moving_fraction": attrs.get("n_descended_moving", 0) / max(n_starts, 1),
    }
    if len(E):
        best = E <= E.min() + 1e-9
        row |= {
            "E_global": float(E.min()),
            "global_at_infinity": bool(at_inf[best].all()),
            "global_basin": float(basin[best].sum()) / max(n_starts, 1),
        }
    return row


def final_weights(trajectory: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    """Each seed's weights at the last recorded epoch of a network trajectory (wide form)."""
    last = trajectory[trajectory["epoch"] == trajectory.groupby("seed")["epoch"].transform("max")]
    return last.set_index("seed")[names].sort_index()


def trace_backprop(net: Network, U, y, ends: pd.DataFrame, summary: pd.DataFrame, seed=0):
    """What each backprop run approaches: one row per seed.

    ``ends`` holds the last weights (index seed, columns the parameters in the
    network's order), ``summary`` the runs' seed, E_final and solved
    (``trajectories.xor``'s summary).  The runs are followed by
    :func:`.limits.analyse_limits` and each seed gets its limit's kind (finite, plateau,
    minimum-at-infinity), E_limit, hidden and output patterns and limiting outputs,
    and the number of seeds that share the limit.
    """
    limits = analyse_limits(net, U, y, ends.to_numpy(dtype=float), list(ends.index), seed=seed)
    of_seed = {run: row for _, row in limits.iterrows() for run in row["runs"]}
    rows = []
    for record in summary.sort_values("seed").itertuples(index=False):
        limit = of_seed[record.seed]
        rows.append(
            {
                "seed": int(record.seed),
                "E_final": float(record.E_final),
                "solved": bool(record.solved),
                "stalled": bool(record.stalled),
                "kind": limit["kind"],
                "E_limit": float(limit["E_limit"]),
                "hidden_pattern": limit["hidden_pattern"],
                "output_pattern": limit["output_pattern"],
                "outputs": list(limit["outputs"]),
                "n_seeds": int(limit["n_runs"]),
                "probe_drop": float(limit["probe_drop"]),
            }
        )
    return pd.DataFrame(rows)
