"""Open questions 1 and 2 in numbers: how many minima, how sure, how large the global basin.

Reads the aggregate ``minima.parquet`` (one row per minimum, from the exact one-weight
search or the multistart :func:`search.find_minima`) and tells, per (problem, model),
how many minima there are, finite and at infinity apart, where the global minimum is,
and which share of the starts reaches it -- and what the count may miss:

* ``n_starts`` (the multistart's starts, 0 for the exact search), ``stopped_by``
  ("target": the estimated missed mass fell below the configured target; "budget":
  the start budget ran out first; "fixed": one batch; "exact": no starts),
  ``missed_mass`` (Good-Turing: the share of starts whose basin was seen once,
  estimating the share whose basin was never seen), and Chao1's ``n_estimated`` with
  its 95% interval ``n_low`` .. ``n_high`` (:func:`richness`);
* ``predicted``: for families whose minima follow from exact one-weight blocks (the
  product family, the Auer-Herbster-Warmuth construction), the count from the blocks'
  exact minima (critical1d), and ``certified``: the count is exact -- one-weight
  problems (the exact search), and those families when the minima found are exactly
  the predicted combinations (the same energies, one each).

Each problem is labelled with its family and its sweep coordinates, so the tables can be
grouped against m (question 1) or structured against shuffled (question 2).  Starts that
reach no minimum are counted too: ``undecided_fraction``, and within it
``saturated_fraction``, the runs that end with every row saturated (saturated plateaus
and non-minimal limits at infinity, traps for backprop that are not minima).
"""

from __future__ import annotations

import itertools
import re

import numpy as np
import pandas as pd

# Same energy within this (absolute, on E in [0, 4n]): one global minimum shared by ties.
GLOBAL_TOL = 1e-9
# A found minimum is a predicted combination when their energies agree this well.
PREDICTION_RTOL = 1e-7

LABEL_COLUMNS = ["family", "n", "m", "seed", "task", "shuffled"]
COUNT_COLUMNS = [
    "problem",
    "model",
    "n_minima",
    "n_finite",
    "n_at_infinity",
    "n_starts",
    "missed_mass",
    "certified",
    "n_estimated",
    "n_low",
    "n_high",
    "stopped_by",
    "predicted",
    "theta",
    *LABEL_COLUMNS,
    "E_global",
    "global_at_infinity",
    "global_basin",
    "largest_basin",
    "undecided_fraction",
    "saturated_fraction",
]

_TASK = re.compile(r"task/(?P<task>[a-z]+)_n\d+_s(?P<seed>\d+)(?P<shuffled>_shuffled)?")
_SEED = re.compile(r"_s(?P<seed>\d+)")


def richness(abundances, n_starts: int, z: float = 1.96) -> dict:
    """What a multistart's counts say about the minima it has not seen.

    ``abundances`` holds, per minimum found, the number of starts that reached it;
    ``n_starts`` is the number of all starts (the undecided ones included).

    * ``missed_mass``: the Good-Turing estimate f1 / N of the share of starts whose basin
      was never seen, f1 the number of minima reached by exactly one start (Good 1953,
      "The population frequencies of species and the estimation of population
      parameters", Biometrika 40).
    * ``n_estimated`` with ``n_low`` and ``n_high``: Chao1, the species-richness estimate of
      the total number of minima, S_obs + ((n - 1)/n) f1^2 / (2 f2) when f2 > 0 and the
      bias-corrected S_obs + ((n - 1)/n) f1 (f1 - 1) / 2 when f2 = 0, n the starts that
      reached a minimum; its 95% interval is Chao's log-normal one, S_obs + T / K to
      S_obs + T K with T = S_chao1 - S_obs and K = exp(z sqrt(log(1 + var / T^2))) (Chao
      1984, Scand. J. Statist. 11; Chao 1987, Biometrics 43, 783-791; variances as in
      Chao's SpadeR).  With no singletons (or one, and no doubletons) T = 0 and the
      interval is Chao's for that case, [S_obs, S_obs / (1 - P) + z sqrt(var) / (1 - P)],
      P = sum_k f_k e^-k / S_obs.
    """
    x = np.asarray(abundances, dtype=np.int64)
    x = x[x > 0]
    S = int(x.size)
    n = int(x.sum())
    f1, f2 = int(np.sum(x == 1)), int(np.sum(x == 2))
    out = {
        "missed_mass": f1 / n_starts if n_starts else np.nan,
        "f1": f1,
        "f2": f2,
        "n_estimated": float(S),
        "n_low": float(S),
        "n_high": float(S),
    }
    if S == 0:
        return out
    A = (n - 1) / n
    if f1 > 0 and f2 > 0:
        T = A * f1 * f1 / (2.0 * f2)
        r = f1 / f2
        var = f2 * (A * r**2 / 2.0 + A**2 * r**3 + A**2 * r**4 / 4.0)
    elif f1 > 1:
        T = A * f1 * (f1 - 1) / 2.0
        var = A * f1 * (f1 - 1) / 2.0 + A**2 * f1 * (2 * f1 - 1) ** 2 / 4.0
        var -= A**2 * f1**4 / (4.0 * (S + T))
    else:
        k = np.arange(1, x.max() + 1)
        f = np.bincount(x, minlength=x.max() + 1)[1:]
        var = float(np.sum(f * (np.exp(-k) - np.exp(-2 * k))) - np.sum(k * np.exp(-k) * f) ** 2 / n)
        P = float(np.sum(f * np.exp(-k)) / S)
        spread = z * np.sqrt(max(var, 0.0)) / (1.0 - P)
        out.update(
            n_low=float(max(S, S / (1.0 - P) - spread)), n_high=float(S / (1.0 - P) + spread)
        )
        return out
    K = np.exp(z * np.sqrt(np.log(1.0 + max(var, 0.0) / T**2)))
    out.update(n_estimated=S + T, n_low=S + T / K, n_high=S + T * K)
    return out


def problem_labels(name: str, n: int, m: int) -> dict:
    """Family and sweep coordinates of a problem, from its canonical name and its size."""
    family = name.split("/", 1)[0]
    labels = {"family": family, "n": int(n), "m": int(m), "seed": -1, "task": "", "shuffled": False}
    task = _TASK.fullmatch(name)
    if task:
        labels.update(task=task["task"], seed=int(task["seed"]), shuffled=bool(task["shuffled"]))
    elif family == "random":
        labels["seed"] = int(_SEED.search(name)["seed"])
    return labels


def count_minima(
    minima: pd.DataFrame,
    sizes: dict[str, tuple[int, int]],
    runs: dict | None = None,
    predictions: dict | None = None,
) -> pd.DataFrame:
    """One row per (problem, theta) of ``minima``: counts, what they may miss, the global
    minimum and its basin (columns :data:`COUNT_COLUMNS`, see the module docstring).

    ``sizes`` maps each problem to its (n, m).  ``runs`` maps (problem, theta) to the
    job's run counts (the ``attrs`` of :func:`search.find_minima`: n_starts, n_batches,
    stopped_by, n_undecided, n_saturated_undecided); rows with ``search == "exact"``
    come from the exact one-weight search and need none.  ``predictions`` maps (problem,
    theta) to the energies of the predicted minima (:func:`predicted_energies`).  A job
    that found no minimum (every start undecided) still has its row, with zero counts
    and NaN energies.
    """
    runs = runs or {}
    predictions = predictions or {}
    rows = []
    for (problem, theta), group in minima.groupby(["problem", "theta"], sort=False):
        E = group["E"].to_numpy(dtype=float)
        found = np.isfinite(E)
        basin = group["basin_fraction"].to_numpy(dtype=float)
        at_inf = group["at_infinity"].to_numpy(dtype=bool)
        n, m = sizes[problem]
        exact = _searched_exactly(group)
        row = {"problem": problem, "model": theta, "theta": theta}
        row |= problem_labels(problem, n, m)
        row |= {
            "n_minima": int(found.sum()),
            "n_finite": int((found & ~at_inf).sum()),
            "n_at_infinity": int((found & at_inf).sum()),
            "undecided_fraction": max(0.0, 1.0 - float(basin[found].sum())),
            "saturated_fraction": np.nan,
        }
        counts = runs.get((problem, theta), {})
        if exact:
            row |= {
                "n_starts": 0,
                "missed_mass": 0.0,
                "stopped_by": "exact",
                "undecided_fraction": 0.0,
                "saturated_fraction": 0.0,
            }
            row |= dict.fromkeys(("n_estimated", "n_low", "n_high"), float(row["n_minima"]))
        else:
            drawn = int(counts.get("n_starts") or 0)
            estimate = {}
            if drawn and "n_starts" in group:
                abundances = group["n_starts"].to_numpy()[found].astype(np.int64)
                estimate = richness(abundances, drawn)
            row |= {
                "n_starts": drawn,
                "missed_mass": float(
                    counts.get("missed_mass", estimate.get("missed_mass", np.nan))
                ),
                "stopped_by": str(counts.get("stopped_by", "fixed")),
                "n_estimated": float(estimate.get("n_estimated", np.nan)),
                "n_low": float(estimate.get("n_low", np.nan)),
                "n_high": float(estimate.get("n_high", np.nan)),
            }
            if drawn:
                row["undecided_fraction"] = counts["n_undecided"] / drawn
                # NaN for tables written before find_minima counted saturated runs
                saturated = counts.get("n_saturated_undecided", np.nan)
                row["saturated_fraction"] = saturated / drawn
        predicted = predictions.get((problem, theta))
        row["predicted"] = np.nan if predicted is None else float(len(predicted))
        row["certified"] = bool(
            exact or (predicted is not None and _matches(E[found], np.asarray(predicted)))
        )
        if found.any():
            E_global = float(E[found].min())
            best = found & (E <= E_global + GLOBAL_TOL)
            row |= {
                "E_global": E_global,
                "global_at_infinity": bool(at_inf[best].all()),
                "global_basin": float(basin[best].sum()),
                "largest_basin": float(basin[found].max()),
            }
        else:
            row |= {
                "E_global": np.nan,
                "global_at_infinity": False,
                "global_basin": 0.0,
                "largest_basin": 0.0,
            }
        rows.append(row)
    return pd.DataFrame(rows, columns=COUNT_COLUMNS)


def _searched_exactly(group: pd.DataFrame) -> bool:
    """Rows of the exact one-weight search say so in their ``search`` column."""
    return "search" in group and bool((group["search"] == "exact").all())


def _matches(found: np.ndarray, predicted: np.ndarray) -> bool:
    """The found energies are the predicted ones, one each (within PREDICTION_RTOL)."""
    if len(found) != len(predicted):
        return False
    a, b = np.sort(found), np.sort(predicted)
    return bool(np.all(np.abs(a - b) <= PREDICTION_RTOL * np.maximum(1.0, np.abs(b))))


def predicted_energies(problem: str, theta) -> list[float] | None:
    """E of every minimum of a problem whose minima follow from exact one-weight blocks.

    The product family (m copies of the type-3 block) and the Auer-Herbster-Warmuth
    construction (a chain per axis) have block-diagonal A~: E is the sum of the blocks'
    one-weight energies, so the minima are all choices of one minimum per block, with E
    the sum.  Each block's minima come from the exact search (critical1d).  None for
    other families.
    """
    from ..models.theta import get_theta
    from ..problems.families import ahw_chain, ahw_lengths, ahw_problem, n2m1_problem
    from ..problems.names import parse_problem
    from .critical1d import critical_points

    theta = get_theta(theta) if isinstance(theta, str) else theta
    family, fields = parse_problem(problem)
    if family == "product":
        blocks = [(n2m1_problem(3, fields["a"]).A, None)] * fields["m"]
    elif family == "ahw":
        t = ahw_problem(fields["n"], fields["d"]).y
        blocks = [(ahw_chain(k)[:, None], t[:k]) for k in ahw_lengths(fields["n"], fields["d"])]
    else:
        return None
    cache: dict = {}
    energies = []
    for A, t in blocks:
        key = (A.tobytes(), None if t is None else t.tobytes())
        if key not in cache:
            table = critical_points(A, theta, t)
            cache[key] = table.loc[table.kind == "min", "E"].to_list()
        energies.append(cache[key])
    return [float(sum(combo)) for combo in itertools.product(*energies)]


def prediction_table(counts: pd.DataFrame) -> pd.DataFrame:
    """Families with an exact prediction (product, ahw): found against predicted.

    Returns family, theta, m (weights: the product's m, the construction's d), n,
    predicted, found, certified, n_starts, missed_mass, stopped_by, sorted.
    """
    rows = counts[counts["predicted"].notna()]
    out = rows[
        [
            "family",
            "theta",
            "m",
            "n",
            "predicted",
            "n_minima",
            "certified",
            "n_starts",
            "missed_mass",
            "stopped_by",
        ]
    ].rename(columns={"n_minima": "found"})
    out = out.sort_values(["family", "theta", "m", "n"], kind="stable")
    return out.reset_index(drop=True)
