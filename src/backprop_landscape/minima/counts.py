"""Open questions 1 and 2 in numbers: how many minima, and how large the global basin.

Reads the aggregate ``minima.parquet`` (one row per minimum found, see
:func:`search.find_minima`) and tells, per (problem, theta), how many minima there
are, finite and at infinity apart, where the global minimum is, and which share of the
starts reaches it.  Each problem is labelled with its family and its sweep coordinates,
so the tables can be grouped against m (question 1) or structured against shuffled
(question 2).  Starts that reach no minimum are counted too: ``undecided_fraction``, and
within it ``saturated_fraction``, the runs that end with every row saturated (saturated
plateaus and non-minimal limits at infinity, traps for backprop that are not minima).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

# Same energy within this (absolute, on E in [0, 4n]): one global minimum shared by ties.
GLOBAL_TOL = 1e-9

LABEL_COLUMNS = ["family", "n", "m", "seed", "task", "shuffled"]
COUNT_COLUMNS = [
    "problem",
    "theta",
    *LABEL_COLUMNS,
    "n_minima",
    "n_finite",
    "n_at_infinity",
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
    minima: pd.DataFrame, sizes: dict[str, tuple[int, int]], runs: dict | None = None
) -> pd.DataFrame:
    """One row per (problem, theta) of ``minima``: counts, global minimum and its basin.

    ``sizes`` maps each problem to its (n, m).  ``runs`` maps (problem, theta) to the
    job's run counts (the ``attrs`` of :func:`search.find_minima`: n_starts,
    n_undecided, n_saturated_undecided); without them the undecided share is 1 minus the
    basin fractions and the saturated share is NaN.  A job that found no minimum (every
    start undecided) still has its row, with zero counts and NaN energies.
    """
    runs = runs or {}
    rows = []
    for (problem, theta), group in minima.groupby(["problem", "theta"], sort=False):
        E = group["E"].to_numpy(dtype=float)
        found = np.isfinite(E)
        basin = group["basin_fraction"].to_numpy(dtype=float)
        at_inf = group["at_infinity"].to_numpy(dtype=bool)
        row = {"problem": problem, "theta": theta, **problem_labels(problem, *sizes[problem])}
        row |= {
            "n_minima": int(found.sum()),
            "n_finite": int((found & ~at_inf).sum()),
            "n_at_infinity": int((found & at_inf).sum()),
            "undecided_fraction": max(0.0, 1.0 - float(basin[found].sum())),
            "saturated_fraction": np.nan,
        }
        counts = runs.get((problem, theta), {})
        if counts.get("n_starts"):
            row["undecided_fraction"] = counts["n_undecided"] / counts["n_starts"]
            # NaN for tables written before find_minima counted saturated runs
            saturated = counts.get("n_saturated_undecided", np.nan)
            row["saturated_fraction"] = saturated / counts["n_starts"]
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


def product_prediction(counts: pd.DataFrame) -> pd.DataFrame:
    """For the product family: the count k^m predicted from the one-block problem (m = 1).

    The product's E is a sum of independent blocks, so its minima are all choices of one
    minimum per block; k is the count multistart finds for the block itself.  Returns
    theta, m, k, predicted, found (NaN / empty where m = 1 was not run).
    """
    product = counts[counts["family"] == "product"]
    block = product[product["m"] == 1].set_index("theta")["n_minima"]
    out = product[["theta", "m", "n_minima"]].rename(columns={"n_minima": "found"})
    out = out.assign(k=out["theta"].map(block).astype(float))
    out["predicted"] = out["k"] ** out["m"]
    out = out.sort_values(["theta", "m"], kind="stable")
    return out[["theta", "m", "k", "predicted", "found"]].reset_index(drop=True)
