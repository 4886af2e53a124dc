"""From trajectories to the tables of Section 3: growth laws, the Lemma, implicit bias.

A trajectory frame (from :mod:`trajectories` or :mod:`xor`) is wide: seed, t, one column
per weight, and for the one-neuron problems norm_x.  Everything here works per seed on
the samples with t > 0, so the log-spaced grid is used as it is.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from ..models.theta import Theta
from ..problems.separability import angle_to
from .growth import fit_growth, predicted_law, predicted_norm_law

if TYPE_CHECKING:  # the growth-laws job reads and writes columns: pandas costs it 0.3 s
    import pandas as pd

# A weight diverges when it still moves by more than this, relative to max(1, |w|), over
# the last two decades of t.  Convergence to a finite minimum is exponentially fast, so
# its change there is ~1e-12; log growth moves b ln 100 (0.58 ln 10 for tanh's 1/4).
DIVERGENCE_TOL = 1e-3
TAIL_DECADES = 2.0


def tail_change(t, w, decades: float = TAIL_DECADES) -> float:
    """|w(t_end) - w(t_end / 10**decades)|, interpolated on log t."""
    t, w = np.asarray(t, dtype=float), np.asarray(w, dtype=float)
    start = t[-1] / 10.0**decades
    if start <= t[0]:
        raise ValueError(f"need samples over {decades} decades; series spans {t[0]:g}..{t[-1]:g}")
    return float(abs(w[-1] - np.interp(np.log(start), np.log(t), w)))


def is_diverging(t, w, decades: float = TAIL_DECADES) -> bool:
    return tail_change(t, w, decades) > DIVERGENCE_TOL * max(1.0, abs(float(np.asarray(w)[-1])))


def weight_columns(frame: pd.DataFrame | dict) -> list[str]:
    """x1..xm for a one-neuron trajectory; the named weights of a network otherwise.

    ``frame``: a trajectory frame or its columns (a dict of arrays, in the frame's order).
    """
    skip = {"seed", "step", "epoch", "t", "E", "norm_x", "norm_grad"}
    return [c for c in frame if c not in skip]


def theory_for(theta: Theta | None, w_hat: np.ndarray | None, scalar: bool) -> dict:
    """Predicted (law, coef) per coordinate ("norm" and weight names), NaN where none.

    * the one-weight problem: the scalar law of theta's tail, for x1 and the norm;
    * a separable problem: the max-margin law for the norm (docs/theory.md); for a weight
      x_j the log law's coefficient is w_hat_j / (2k) (x ~ w_hat log t / (2k)), and power
      tails share the exponent 1/(2p+2) across coordinates;
    * anything else (non-separable problems, networks): nothing is predicted.
    """
    if theta is None:
        return {}
    if scalar:
        law = predicted_law(theta.tail)
        return {"norm": (law["law"], law["coef"]), "x1": (law["law"], law["coef"])}
    if w_hat is None:
        return {}
    norm_law = predicted_norm_law(theta.tail, float(np.linalg.norm(w_hat)))
    theory = {"norm": (norm_law["law"], norm_law["coef"])}
    for j, wj in enumerate(w_hat, start=1):
        if norm_law["law"] == "log":
            theory[f"x{j}"] = ("log", float(wj) / (2.0 * theta.tail.k))
        elif norm_law["law"] == "power":
            theory[f"x{j}"] = ("power", norm_law["coef"])
    return theory


def growth_laws(
    frame: pd.DataFrame | dict, theory: dict, decades: float = TAIL_DECADES, as_frame: bool = True
) -> pd.DataFrame | dict:
    """One row per (seed, coordinate) for the norm and every diverging weight.

    ``frame``: a trajectory frame or its columns (``pipeline.io.read_columns``); with
    ``as_frame=False`` the table comes back as columns too (numpy arrays).
    """
    columns = {c: np.asarray(frame[c]) for c in frame}
    weights = weight_columns(columns)
    rows = []
    for seed in np.unique(columns["seed"]):  # sorted, as groupby("seed") gives them
        keep = (columns["seed"] == seed) & (columns["t"] > 0)
        t = columns["t"][keep]
        series = {"norm": _norm_of(columns, weights, keep)}
        series |= {c: columns[c][keep] for c in weights}
        for coordinate, w in series.items():
            diverging = is_diverging(t, w, decades)
            if coordinate != "norm" and not diverging:
                continue
            fit = fit_growth(t, w, decades=decades) if diverging else _settled(t, w, decades)
            law, coef = theory.get(coordinate, ("", math.nan))
            rows.append(
                {
                    "seed": int(seed),
                    "coordinate": coordinate,
                    "law": fit["law"],
                    "coef": float(fit["coef"]),
                    "coef_stderr": float(fit["coef_stderr"]),
                    "theory_law": law,
                    "theory_coef": float(coef),
                    "t_dw_tail": float(fit["t_dw_tail"]),
                    "t_dw_drift": float(fit["t_dw_drift"]),
                    "diverging": diverging,
                    "w_end": float(w[-1]),
                }
            )
    if as_frame:
        import pandas as pd

        return pd.DataFrame(rows)
    return _row_columns(rows)


def _row_columns(rows: list[dict]) -> dict:
    """The columns pandas makes of a list of flat rows (ints, floats, bools, strings)."""
    if not rows:
        return {}
    out = {}
    for name in rows[0]:
        values = [row[name] for row in rows]
        out[name] = values if isinstance(values[0], str) else np.array(values)
    return out


def _settled(t, w, decades: float) -> dict:
    """A series that no longer moves: law bounded at its last value, nothing to fit."""
    tail = t >= t[-1] / 10.0**decades
    slopes = np.gradient(w[tail], np.log(t[tail])) if tail.sum() > 1 else np.zeros(1)
    return {
        "law": "bounded",
        "coef": float(w[-1]),
        "coef_stderr": float(np.std(w[tail])),
        "t_dw_tail": float(slopes[-1]),
        "t_dw_drift": 0.0,
    }


def _norm(run: pd.DataFrame) -> np.ndarray:
    if "norm_x" in run:
        return run["norm_x"].to_numpy()
    return np.linalg.norm(run[weight_columns(run)].to_numpy(), axis=1)


def _norm_of(columns: dict, weights: list[str], keep: np.ndarray) -> np.ndarray:
    """:func:`_norm` of the rows ``keep`` of a trajectory given as columns."""
    if "norm_x" in columns:
        return columns["norm_x"][keep]
    # Fortran order, the layout of a float frame's to_numpy: the row sums of the norm
    # then add in the same order, so both ways give the same bits.
    W = np.empty((int(np.count_nonzero(keep)), len(weights)), order="F")
    for j, c in enumerate(weights):
        W[:, j] = columns[c][keep]
    return np.linalg.norm(W, axis=1)


def divergence_counts(frame: pd.DataFrame, decades: float = TAIL_DECADES) -> tuple[int, int]:
    """(runs, runs whose norm still grows over the last decades) of a trajectory frame."""
    verdicts = [
        is_diverging(run["t"].to_numpy(), _norm(run), decades)
        for _, run in frame[frame["t"] > 0].groupby("seed")
    ]
    return len(verdicts), int(np.sum(verdicts))


def margin_angles(frame: pd.DataFrame, w_hat) -> pd.DataFrame:
    """Angle between x(t) and the max-margin direction, per seed and sample."""
    x = frame[weight_columns(frame)].to_numpy()
    out = frame[["seed", "t"]].copy()
    out["angle"] = angle_to(x, np.asarray(w_hat, dtype=float))
    return out


def network_trajectory(weights: pd.DataFrame, energy: pd.DataFrame) -> pd.DataFrame:
    """Long (seed, epoch, weight, value) records of a network as a wide trajectory frame."""
    wide = weights.pivot(index=["seed", "epoch"], columns="weight", values="value")
    wide.columns = [str(c) for c in wide.columns]
    wide = wide.reset_index().merge(energy, on=["seed", "epoch"], how="left")
    wide.insert(2, "t", wide["epoch"].astype(float))
    return wide


SOFT_SKIP = (
    "soft targets: the Lemma and the implicit bias are statements about hard targets "
    "(theta -> +-1 along a separating direction), skipped"
)


def _reduced(problem_frame: pd.DataFrame | dict):
    """(A~, t) of a problem table (a frame or its columns); t is None for hard targets."""
    from ..models.neuron import reduce_problem
    from ..problems.problem import problem_from_columns, problem_from_frame

    if isinstance(problem_frame, dict):
        data = problem_from_columns(problem_frame, "problem")
    else:
        data = problem_from_frame(problem_frame, "problem")
    return reduce_problem(data.A, data.y)


def theory_for_problem(problem_frame: pd.DataFrame, name: str, theta_name: str) -> dict:
    """:func:`theory_for` from a problem table: max-margin direction if it is separable.

    Nothing is predicted for soft targets: weights then settle where theta = t.
    """
    from ..models.theta import get_theta
    from ..problems.separability import is_separable, max_margin

    A_tilde, targets = _reduced(problem_frame)
    if targets is not None:
        return {}
    w_hat = max_margin(A_tilde)[0] if is_separable(A_tilde) else None
    return theory_for(get_theta(theta_name), w_hat, scalar=name == "scalar")


def lemma_row(problem_frame: pd.DataFrame, flow: pd.DataFrame, decades=TAIL_DECADES) -> dict:
    """Separability (LP), the Lemma's own hypothesis, and how many flow runs diverge.

    ``targets`` says "hard" or "soft"; the Lemma needs hard targets, so for soft ones
    separability, the hypothesis and the counts are left empty (None, 0 runs).
    """
    from ..problems.separability import is_separable, lemma_hypothesis

    A_tilde, targets = _reduced(problem_frame)
    if targets is not None:
        return {
            "separable": None,
            "lemma_hypothesis": None,
            "n_runs": 0,
            "n_diverged": 0,
            "targets": "soft",
        }
    n_runs, n_diverged = divergence_counts(flow, decades)
    return {
        "separable": bool(is_separable(A_tilde)),
        "lemma_hypothesis": bool(lemma_hypothesis(A_tilde)),
        "n_runs": n_runs,
        "n_diverged": n_diverged,
        "targets": "hard",
    }


def implicit_bias(
    problem_frame: pd.DataFrame, flow: pd.DataFrame, theta_name: str, decades=TAIL_DECADES
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Summary row and angle series of x(t) against the hard-margin direction.

    The measured rate is the tail value of t d||x||/dt (t d||x||^2/dt for Gaussian tails,
    whose prediction is about ||x||^2); NaN columns for a non-separable problem.
    """
    import pandas as pd

    from ..models.theta import get_theta
    from ..problems.separability import is_separable, max_margin
    from .growth import predicted_norm_law

    theta = get_theta(theta_name)
    A_tilde, targets = _reduced(problem_frame)
    squared = theta.tail.k > 0 and theta.tail.q == 2
    empty = pd.DataFrame({"seed": [], "t": [], "angle": []})
    if targets is not None:  # the max-margin bias is about hard targets: skipped
        row = {"separable": None, "rate_of": "norm^2" if squared else "norm"}
        return pd.DataFrame([row | dict.fromkeys(SUMMARY, math.nan) | {"targets": "soft"}]), empty
    row = {"separable": bool(is_separable(A_tilde)), "rate_of": "norm^2" if squared else "norm"}
    if not row["separable"]:
        nan = math.nan
        return pd.DataFrame([row | dict.fromkeys(SUMMARY, nan) | {"targets": "hard"}]), empty
    w_hat, gamma = max_margin(A_tilde)
    angles = margin_angles(flow, w_hat)
    rates = []
    for _, run in flow[flow["t"] > 0].groupby("seed"):
        norm = _norm(run)
        rates.append(fit_growth(run["t"].to_numpy(), norm**2 if squared else norm, decades=decades))
    law = predicted_norm_law(theta.tail, float(np.linalg.norm(w_hat)))
    final = angles[angles["t"] == angles["t"].max()]["angle"]
    row |= {
        "svm_norm": float(np.linalg.norm(w_hat)),
        "margin": float(gamma),
        "t_normdot_tail": float(np.median([r["t_dw_tail"] for r in rates])),
        "predicted": float(law["coef"]) if law["law"] != "power" else math.nan,
        "angle_final": float(final.median()),
        "angle_final_max": float(final.max()),
        "targets": "hard",
    }
    return pd.DataFrame([row]), angles.reset_index(drop=True)


SUMMARY = ("svm_norm", "margin", "t_normdot_tail", "predicted", "angle_final", "angle_final_max")
