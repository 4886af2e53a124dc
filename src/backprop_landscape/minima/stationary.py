"""Every stationary point of a network's E, by index, one row per class.

:func:`find_stationary_points` chains the steps; S starts are handled at once as arrays
(S, P), and every Python loop runs over iterations, probes or classes of points, never
over starts.

1. Starts and the Levenberg-Marquardt solve of grad E = 0, then Newton refinement to
   rounding level (:mod:`.levenberg`); and a descent of E from every start
   (:func:`.limits.descend_starts`), whose finite ends join the solve's.  The solve
   reaches stationary points of every index -- saddles most of all, which is what it is
   for -- but a minimum's basin under it can be tiny (a soft-target task with weight
   decay: no start of 500 reached its global minimum); the descent reaches the minima,
   each with its basin.
2. Classification by the Hessian's eigenvalues, and probing of degenerate points for a
   descending path (:mod:`.probing`).
3. **Classes** (here, with :mod:`.symmetry`): E and the outputs on the samples are
   invariant under the symmetry group.  Nondegenerate points with equal invariants and
   index merge when an image of one is the other; each class's ``class_size`` is the
   orbit size of its representative.  Degenerate points lie on sets of stationary
   points of positive dimension (a unit with v_j = 0 leaves W_j free, for example),
   along which the index may change, so all degenerate points with the same E and
   outputs are one row: index and nullity of its representative (a point of least
   index; a probed minimum if there is one), ``index_max`` the largest index seen on
   it, ``n_points`` the distinct points found, ``class_size`` the orbit size of the
   representative point.  It is a degenerate-minimum when one of its index-0 points (up
   to PROBE_POINTS, spread over the set) has no descending path.

The runs that diverge are followed to their limits at infinity by :mod:`.limits`.  See
``docs/networks.md`` for what a count of found points can and cannot show.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..models.network import Network
from .levenberg import (
    CONVERGED,
    DIVERGED,
    MAX_ITER,
    STALLED,
    refine,
    sample_starts,
    solve_gradient_system,
)
from .limits import DESCEND_ITER, FINITE, LIMIT, MOVING, descend_starts
from .probing import classify, probe_descent
from .symmetry import (
    SAME_RTOL,
    distinct_points,
    group_size,
    invariant_groups,
    orbit_sizes,
    symmetry_classes,
    symmetry_distance,
)

PROBE_POINTS = 4  # index-0 points probed per degenerate set, spread over it
COLUMNS = [
    "problem",
    "model",
    "E",
    "index",
    "degenerate",
    "kind",
    "class_size",
    "grad_norm",
    "grad_tol",
    "nullity",
    "index_max",
    "n_starts",
    "n_descents",
    "n_points",
    "eig_min",
    "eig_max",
    "depth",
    "x",
    "outputs",
]


def find_stationary_points(
    net: Network,
    U,
    y,
    n_starts: int = 2000,
    seed=0,
    starts=None,
    r_min: float = 0.1,
    r_max: float = 10.0,
    max_iter: int = MAX_ITER,
    problem: str = "",
    model: str = "",
    return_runs: bool = False,
    descend_iter: int = DESCEND_ITER,
):
    """Every stationary point the search reaches, one row per class (see the module doc).

    Parameters
    ----------
    net : Network
    U, y : array_like
        Inputs (n, m) and targets (n,) in the output unit's coding
        (``Network.code_targets``).
    n_starts, seed, r_min, r_max :
        The start design (:func:`sample_starts`), unless ``starts`` (S, P) is given.
    max_iter : int
        Levenberg-Marquardt iterations per start.
    problem, model : str
        Written into the table's first two columns.
    return_runs : bool
        Also return the per-start :class:`Runs` (with the descents in ``runs.descents``,
        a :class:`.limits.Descents`, None without) and each start's row in the table
        (-1 when the run diverged, stalled or was not refined; the descents' rows are
        ``runs.descent_rows``).
    descend_iter : int
        Iterations of the descent from every start (0: no descent).

    Returns
    -------
    DataFrame
        Columns ``COLUMNS``: problem, model, E, index, degenerate, kind, class_size,
        grad_norm (at the representative), grad_tol (the norm of its rounding level),
        nullity, index_max (largest index on a degenerate set; the index otherwise),
        n_starts (starts whose Levenberg-Marquardt run ended in the class), n_descents
        (starts whose descent ended there), n_points (distinct points found),
        eig_min, eig_max (Hessian spectrum at the representative), depth (its deepest
        saturation, |pre-activation| / z_far: near 1 it is resolved only to double
        precision), x (the representative, a list), outputs (on the samples).  Sorted
        by E, then index.  ``attrs``: n_starts, n_converged, n_diverged, n_stalled,
        n_unrefined (of the solve), n_descended_finite, n_descended_limit,
        n_descended_moving (of the descents), group_size.
    """
    U, y = net.check_data(U, y)
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    if starts is None:
        starts = sample_starts(net.n_params, n_starts, rng, r_min, r_max)
    starts = np.atleast_2d(np.asarray(starts, dtype=float))
    runs = solve_gradient_system(net, U, y, starts, max_iter)
    conv = np.flatnonzero(runs.status == CONVERGED)
    Xr, gnorm, gtol, refined = refine(net, U, y, runs.x[conv])
    keep = conv[refined]
    Xk, gnorm, gtol = Xr[refined], gnorm[refined], gtol[refined]
    descents, reached = None, np.zeros(0, dtype=np.int64)
    if descend_iter:
        descents = descend_starts(net, U, y, starts, descend_iter)
        reached = np.flatnonzero(descents.status == FINITE)
        Xk = np.concatenate([Xk, descents.x[reached]])
        gnorm = np.concatenate([gnorm, descents.grad_norm[reached]])
        gtol = np.concatenate([gtol, descents.grad_tol[reached]])
    from_descent = np.arange(len(Xk)) >= len(keep)
    table, labels = _table(net, U, y, Xk, gnorm, gtol, rng, problem, model, from_descent)
    table.attrs.update(
        n_starts=len(starts),
        n_converged=len(conv),
        n_diverged=int(np.count_nonzero(runs.status == DIVERGED)),
        n_stalled=int(np.count_nonzero(runs.status == STALLED)),
        n_unrefined=int(np.count_nonzero(~refined)),
        **{
            f"n_descended_{name}": int(
                np.count_nonzero(descents.status == code) if descents is not None else 0
            )
            for name, code in (("finite", FINITE), ("limit", LIMIT), ("moving", MOVING))
        },
        group_size=group_size(net),
    )
    if not return_runs:
        return table
    start_rows = np.full(len(starts), -1)
    start_rows[keep] = labels[: len(keep)]
    runs.descents = descents
    runs.descent_rows = np.full(len(starts), -1)
    runs.descent_rows[reached] = labels[len(keep) :]
    return table, runs, start_rows


def _spread(X, members, first, k: int) -> np.ndarray:
    """Up to k of ``members`` far apart from each other (farthest-point order from ``first``).

    A set of stationary points can be a minimum along one stretch and a saddle along
    another (where another branch crosses it); probing points spread over the set, not
    the k best refined (which crowd where runs converge fastest), sees both.
    """
    chosen = [first]
    dist = np.abs(X[members] - X[first]).max(axis=1)
    while len(chosen) < min(k, len(members)) and dist.max() > SAME_RTOL:
        nxt = int(np.argmax(dist))
        chosen.append(members[nxt])
        dist = np.minimum(dist, np.abs(X[members] - X[members[nxt]]).max(axis=1))
    return np.array(chosen)


def _table(net, U, y, X, gnorm, gtol, rng, problem, model, from_descent):
    """Classify and merge refined points; returns the table and each point's row.

    ``from_descent`` marks the points that descents reached (the rest are ends of the
    Levenberg-Marquardt solve): they are counted apart, n_descents and n_starts.

    Nondegenerate points: one row per symmetry class (within a group of equal
    invariants and index).  Degenerate points: one row per group of equal E and outputs
    -- a set of stationary points; its representative is a point of smallest index, and
    it is a degenerate-minimum when some index-0 point of it (up to PROBE_POINTS of
    them, spread over the set, are probed) has no descending path, otherwise a
    degenerate-saddle.
    """
    if len(X) == 0:
        return pd.DataFrame(columns=COLUMNS), np.zeros(0, dtype=np.int64)
    E = net.energy(X, U, y)
    out = net.outputs(X, U)
    c = classify(net, U, y, X)
    degenerate = c["nullity"] > 0
    groups = invariant_groups(E, out, degenerate, c["index"])
    quality = gnorm / np.maximum(gtol, 1e-300)
    row_of = np.empty(len(X), dtype=np.int64)
    rows, probes = [], []
    for g in np.unique(groups):  # over groups of refined points, not starts
        members = np.flatnonzero(groups == g)
        if not degenerate[members[0]]:
            # many starts reach the same point: compare distinct points only (the
            # comparison under the group is quadratic in their number)
            same = distinct_points(X[members])
            _, first, inverse = np.unique(same, return_index=True, return_inverse=True)
            sub = symmetry_classes(net, X[members[first]], SAME_RTOL)[inverse.ravel()]
            for k in range(sub.max() + 1):
                cls = members[sub == k]
                row_of[cls] = len(rows)
                rows.append((cls[np.argmin(quality[cls])], cls))
            continue
        lowest = members[c["index"][members] == c["index"][members].min()]
        rep = lowest[np.argmin(quality[lowest])]
        if c["index"][rep] == 0:  # index-0 points, spread over the set, are probed
            probes.append((len(rows), _spread(X, lowest, rep, PROBE_POINTS)))
        row_of[members] = len(rows)
        rows.append((rep, members))
    reps = np.array([rep for rep, _ in rows])
    kind = c["kind"][reps].copy()
    if probes:
        candidates = np.concatenate([pts for _, pts in probes])
        descends, _, _ = probe_descent(net, U, y, X[candidates], rng)
        k = 0
        for row, pts in probes:  # over probed sets, not points
            stays = np.flatnonzero(~descends[k : k + len(pts)])
            kind[row] = "degenerate-minimum" if stays.size else "degenerate-saddle"
            if stays.size:  # represent the set by a point that is a minimum
                reps[row] = pts[stays[0]]
            k += len(pts)
    sizes = orbit_sizes(net, X[reps]) if net.hidden else np.ones(len(reps), dtype=np.int64)
    n_points = [len(np.unique(distinct_points(X[cls]))) for _, cls in rows]
    table = pd.DataFrame(
        {
            "problem": problem,
            "model": model,
            "E": E[reps],
            "index": c["index"][reps],
            "degenerate": degenerate[reps],
            "kind": kind,
            "class_size": sizes,
            "grad_norm": gnorm[reps],
            "grad_tol": gtol[reps],
            "nullity": c["nullity"][reps],
            "index_max": [int(c["index"][cls].max()) for _, cls in rows],
            "n_starts": [int(np.count_nonzero(~from_descent[cls])) for _, cls in rows],
            "n_descents": [int(np.count_nonzero(from_descent[cls])) for _, cls in rows],
            "n_points": n_points,
            "eig_min": c["eig_min"][reps],
            "eig_max": c["eig_max"][reps],
            "depth": net.saturation_depth(X[reps], U),
            "x": [list(map(float, X[r])) for r in reps],
            "outputs": [list(map(float, out[r])) for r in reps],
        },
        columns=COLUMNS,
    )
    order = np.lexsort((table["index"].to_numpy(), table["E"].to_numpy()))
    new_row = np.empty(len(order), dtype=np.int64)
    new_row[order] = np.arange(len(order))
    return table.iloc[order].reset_index(drop=True), new_row[row_of]


def match_points(net: Network, U, y, table: pd.DataFrame, X) -> np.ndarray:
    """The row of ``table`` each stationary point of X belongs to, or -1.

    The rule that built the table: a nondegenerate point matches a nondegenerate row
    with the same E, outputs on the samples and index (to SAME_RTOL) when one of its
    images under the symmetry group lies within SAME_RTOL of the row's representative;
    a degenerate point matches the degenerate row with the same E and outputs (it may
    lie anywhere on that row's set of stationary points).  Used to check another search
    against this one.
    """
    U, y = net.check_data(U, y)
    X = np.atleast_2d(np.asarray(X, dtype=float))
    out = np.full(len(X), -1, dtype=np.int64)
    if len(X) == 0 or len(table) == 0:
        return out
    c = classify(net, U, y, X)
    degenerate = c["nullity"] > 0
    mine = np.column_stack([net.energy(X, U, y), net.outputs(X, U)])
    rows = np.column_stack([table["E"].to_numpy(), np.array(table["outputs"].tolist())])
    scale = 1.0 + np.maximum(np.abs(mine).max(), np.abs(rows).max())
    close = np.abs(mine[:, None, :] - rows[None, :, :]).max(axis=2) <= SAME_RTOL * scale
    row_degenerate = table["degenerate"].to_numpy().astype(bool)
    close &= degenerate[:, None] == row_degenerate[None, :]
    close &= degenerate[:, None] | (c["index"][:, None] == table["index"].to_numpy()[None, :])
    reps = np.array(table["x"].tolist())
    for i, k in zip(*np.nonzero(close)):  # over candidate pairs of found points
        if out[i] >= 0:
            continue
        if row_degenerate[k] or symmetry_distance(net, X[i], reps[k])[0, 0] <= SAME_RTOL:
            out[i] = k
    return out
