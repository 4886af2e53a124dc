"""Every local minimum of E, finite and at infinity, by vectorised multistart descent.

:func:`find_minima` draws starts (:mod:`starts`), descends them all at once in the row
space of A~ (:mod:`descent`), and judges the runs that park at a face:

* **Rounds.**  Parked runs are judged exactly by :func:`faces.analyse_faces`, once per
  distinct candidate (pattern and rounded free-row limit), not per start; runs on a face
  that is not a minimum resume with that pattern banned, for a few more iterations, for
  at most ``max_rounds`` rounds.
* **Merging.**  Duplicates are merged by their points in clos TV: finite minima by
  z = A~ x (scale-free, and immune to the "subspace singularity" of a rank-deficient
  A~), minima at infinity by their pattern and exact limit z.  The result is one table
  row per minimum, sorted by E.

See ``docs/minima.md``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..models.neuron import energy, row_space
from ..models.theta import get_theta
from .cones import _as_matrix
from .counts import richness
from .descent import FINITE, MAX_ITER, PARKED, Runs, descend, pinned_blas
from .faces import analyse_faces
from .hashing import _unique_rows
from .kernels import SAT_TOL, saturation_threshold
from .starts import R_MAX, R_MIN, sample_starts

RESUME_ITER = 20  # iterations per later round for a run whose face was not a minimum
BASIS_RTOL = 1e-12  # singular values of A~ below this (relative) count as zero
Z_DECIMALS = 4  # rounding of z used to bucket runs before merging them
MERGE_TOL = 1e-5  # points closer than this (max norm, relative) are one minimum


# --------------------------------------------------------------------------------------
# Rounds: judge parked runs by their faces, resume the rejected ones
# --------------------------------------------------------------------------------------


def _parked_groups(B, runs, idx, theta):
    """Bucket parked runs by pattern and (rounded) free-row limit; (labels, representatives)."""
    z = runs.x[idx] @ B.T
    sat = runs.sigma[idx] != 0
    key = np.where(sat, runs.sigma[idx], np.round(theta.value(z), 3))
    first, labels = _unique_rows(key)
    return labels, idx[first]


def _judge_parked(A, B, basis, runs, verdict, faces, known, theta, sat_tol, targets):
    """Analyse each parked bucket once (all in one batch); return rejected patterns and runs.

    ``known`` maps every vertex pattern (all rows saturated: nothing else to tell runs
    apart) already found to be a minimum to its index in ``faces``, so that a pattern is
    judged once per call of find_minima, not once per round.
    """
    idx = np.flatnonzero((runs.status == PARKED) & (verdict < 0))
    if not idx.size:
        return [], idx
    labels, reps = _parked_groups(B, runs, idx, theta)
    cached = [
        known.get(runs.sigma[r].tobytes()) if np.all(runs.sigma[r] != 0) else None for r in reps
    ]
    todo = [g for g, c in enumerate(cached) if c is None]
    results = dict(
        zip(
            todo,
            analyse_faces(
                A,
                runs.sigma[reps[todo]],
                theta,
                runs.x[reps[todo]] @ basis.T,
                sat_tol=sat_tol,
                targets=targets,
            ),
        )
    )
    rejected, resume = [], []
    for g, rep in enumerate(reps):
        members = idx[labels == g]
        if cached[g] is not None:
            verdict[members] = cached[g]
            continue
        res = results[g]
        if res.is_minimum:
            faces.append(res)
            verdict[members] = len(faces) - 1
            if np.all(res.sigma != 0):
                known[res.sigma.astype(np.int8).tobytes()] = len(faces) - 1
        else:
            rejected.append(runs.sigma[rep])
            resume.append(members)
    return rejected, np.concatenate(resume) if resume else np.zeros(0, np.int64)


def _descend_in_rounds(
    A, B, basis, U, theta, max_iter, max_rounds, resume_iter, sat_tol, targets, faces, known
):
    """Descend one batch of starts U and judge its parked runs in rounds.

    ``faces`` (the minima at infinity found so far) and ``known`` (vertex patterns
    already judged) are shared by the batches of one search and grow in place; returns
    the batch's runs and, per run, its index into ``faces`` (-1: none).
    """
    runs = descend(B, U, theta, targets=targets, max_iter=max_iter, sat_tol=sat_tol)
    verdict = np.full(len(U), -1)
    banned = np.zeros((0, A.shape[0]), np.int8)
    for round_ in range(max_rounds):
        rejected, resume = _judge_parked(
            A, B, basis, runs, verdict, faces, known, theta, sat_tol, targets
        )
        if not resume.size or round_ == max_rounds - 1:
            break
        # A run parked on a face that is not a minimum resumes, with that pattern banned,
        # for at most resume_iter more iterations: most drift on along the face for ever.
        banned = np.unique(np.vstack([banned, np.array(rejected, np.int8)]), axis=0)
        budget = np.minimum(max_iter - runs.iterations[resume], resume_iter)
        more = descend(
            B,
            runs.x[resume],
            theta,
            targets=targets,
            max_iter=budget,
            sat_tol=sat_tol,
            banned=banned,
        )
        runs.x[resume], runs.status[resume], runs.sigma[resume] = more.x, more.status, more.sigma
        runs.iterations[resume] += more.iterations
    return runs, verdict


# --------------------------------------------------------------------------------------
# Merging and the table
# --------------------------------------------------------------------------------------


def _merge(points: np.ndarray, radius: float | None = None) -> np.ndarray:
    """Labels joining points within ``radius`` (max norm); by default MERGE_TOL relative
    to the largest entry."""
    if len(points) == 0:
        return np.zeros(0, np.int64)
    first, inverse = _unique_rows(np.round(points, Z_DECIMALS))
    reps = points[first]
    radius = MERGE_TOL * (1.0 + np.abs(reps).max()) if radius is None else radius
    from scipy.sparse import coo_matrix  # lazy: only the merge of many minima needs these
    from scipy.sparse.csgraph import connected_components
    from scipy.spatial import cKDTree

    pairs = cKDTree(reps).query_pairs(radius, p=np.inf, output_type="ndarray")
    graph = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(len(reps),) * 2)
    _, joined = connected_components(graph, directed=False)
    return joined[inverse.ravel()]


def _finite_rows(A, B, basis, runs, theta, S, targets=None):
    idx = np.flatnonzero(runs.status == FINITE)
    z = runs.x[idx] @ B.T
    # each margin to MERGE_TOL relative to itself (asinh z: about z near 0, log|z| far out),
    # so that a row with a huge input cannot widen the tolerance of all the others
    labels = _merge(np.arcsinh(z), MERGE_TOL)
    E = energy(B, runs.x[idx], theta, targets)
    rows, run_label = [], np.full(S, -1)
    for lab in np.unique(labels):
        members = idx[labels == lab]
        best = members[np.argmin(E[labels == lab])]
        zb = B @ runs.x[best]
        rows.append(
            _row(
                float(energy(B, runs.x[best], theta, targets)),
                False,
                members.size,
                S,
                basis @ runs.x[best],
                np.full(A.shape[1], np.nan),
                theta.value(zb),
                np.zeros(A.shape[0], np.int64),
            )
        )
        run_label[members] = len(rows) - 1
    return rows, run_label


def _infinite_rows(verdict, faces, S):
    if not faces:
        return [], np.full(S, -1)
    points = np.array([np.r_[10.0 * f.sigma, f.z_limit] for f in faces])
    labels = _merge(points)
    rows, face_row = [], np.full(len(faces), -1)
    counts = np.bincount(labels[verdict[verdict >= 0]], minlength=labels.max() + 1)
    for lab in np.unique(labels):
        group = np.flatnonzero(labels == lab)
        f = faces[group[0]]
        count = int(counts[lab])
        rows.append(_row(f.E_limit, True, count, S, f.x_base, f.direction, f.z_limit, f.sigma))
        face_row[group] = len(rows) - 1
    run_label = np.where(verdict >= 0, face_row[np.maximum(verdict, 0)], -1)
    return rows, run_label


def _row(E, at_infinity, count, S, x, direction, z_limit, saturated):
    return {
        "E": float(E),
        "at_infinity": bool(at_infinity),
        "basin_fraction": count / S,
        "n_starts": int(count),
        "x": [float(v) for v in x],
        "direction": [float(v) for v in direction],
        "z_limit": [float(v) for v in z_limit],
        "saturated": [int(v) for v in saturated],
    }


COLUMNS = [
    "E",
    "at_infinity",
    "basin_fraction",
    "n_starts",
    "x",
    "direction",
    "z_limit",
    "saturated",
]


def find_minima(
    A_tilde,
    theta,
    *,
    targets=None,
    n_starts: int = 1000,
    seed=0,
    starts=None,
    r_min: float = R_MIN,
    r_max: float = R_MAX,
    design: str = "mixed",
    missed_target: float | None = None,
    batch: int | None = None,
    max_starts: int | None = None,
    max_iter: int = MAX_ITER,
    max_rounds: int = 3,
    resume_iter: int = RESUME_ITER,
    sat_tol: float = SAT_TOL,
    return_labels: bool = False,
):
    """Every local minimum of E(x) = sum_i (theta((A~ x)_i) - t_i)^2 reached from the starts.

    Parameters
    ----------
    A_tilde : (n, m) array
        Sign-reduced inputs (see :func:`models.neuron.reduce_problem`).
    theta : Theta or str
    targets : (n,) array, optional
        The sign-flipped targets t = |y| (None: the paper's hard targets, all 1).
    n_starts, seed, r_min, r_max, design
        Starts from :func:`sample_starts` (seed: int or numpy Generator; design
        "mixed", "isotropic" or "per_weight"), unless ``starts`` (an (S, m) array) is
        given; ``n_starts`` is the first batch.
    missed_target, batch, max_starts
        Adaptive stopping: after each batch the share of starts whose basin was never
        seen is estimated (Good-Turing, :func:`counts.richness`); as long as it is not
        below ``missed_target`` and fewer than ``max_starts`` starts were drawn, another
        ``batch`` starts (default ``n_starts``) are drawn from the same generator and the
        same law.  ``missed_target`` None (the default) draws the first batch only;
        ``max_starts`` defaults to 10 ``n_starts``.  Not with ``starts``.
    max_iter : int
        Iteration budget per start, over all rounds.
    max_rounds : int
        Rounds of "judge parked runs, resume the rejected ones".
    resume_iter : int
        Iterations a resumed run gets per round.
    sat_tol : float
        A row whose 1 - theta(|z_i|) <= sat_tol is saturated; whether it diverges is
        decided by the face's directions (:func:`faces.analyse_faces`).
    return_labels : bool
        Also return, per start, the row of the minimum it reached (-1: undecided).

    Returns
    -------
    pandas.DataFrame
        One row per minimum, sorted by E: ``E`` (the limit for minima at infinity),
        ``at_infinity``, ``basin_fraction`` (share of all starts), ``n_starts``, ``x``
        (the minimiser; at infinity the base of the ray x + t * direction), ``direction``
        (a unit direction realising the pattern, the one maximising the smallest
        saturated slope under |d|_inf <= 1; NaN for finite minima),
        ``z_limit`` (the point theta(A~ x) of clos TV), ``saturated`` (+1 / -1 / 0 per row).
        ``attrs`` holds ``n_starts`` (all batches), ``n_batches``, ``stopped_by``
        ("target": the estimated missed mass fell below ``missed_target``; "budget":
        ``max_starts`` were spent first; "fixed": one batch, no target), ``missed_mass``
        and Chao1's ``n_estimated``, ``n_low``, ``n_high`` (:func:`counts.richness`),
        ``n_undecided`` (budget exhausted, stalled, or parked on a face that is not a
        minimum: repeatedly, or in the last round), ``n_saturated_undecided`` (the
        undecided runs that end with every row saturated: saturated plateaus and
        non-minimal limits at infinity, see :func:`_saturated_count`),
        ``n_finite_runs`` and ``n_infinite_runs``; basin fractions sum to
        1 - n_undecided / n_starts.
    """
    theta = get_theta(theta) if isinstance(theta, str) else theta
    A = _as_matrix(A_tilde)
    m = A.shape[1]
    if targets is not None:
        targets = np.asarray(targets, dtype=float)
        if targets.shape != (A.shape[0],) or np.any((targets < 0) | (targets > 1)):
            raise ValueError(f"targets must be {A.shape[0]} values in [0, 1] (after the sign flip)")
        targets = None if np.all(targets == 1.0) else targets
    if starts is not None and missed_target is not None:
        raise ValueError("adaptive stopping (missed_target) draws its own starts; give no starts")
    if missed_target is not None and not 0 < missed_target < 1:
        raise ValueError(f"missed_target must lie in (0, 1); got {missed_target!r}")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    batch = n_starts if batch is None else int(batch)
    max_starts = 10 * n_starts if max_starts is None else int(max_starts)
    if starts is None:
        starts = sample_starts(m, n_starts, rng, r_min, r_max, design)
    starts = np.asarray(starts, dtype=float)
    if starts.ndim != 2 or starts.shape[1] != m or not np.isfinite(starts).all():
        raise ValueError(f"starts must be a finite (S, {m}) array; got {starts.shape}")
    basis = row_space(A, BASIS_RTOL)  # descend in the row space: a rank-deficient A~ adds flat x
    if basis.shape[1] == 0:
        raise ValueError("A~ is zero: E is constant")
    B = A @ basis
    faces: list = []
    known: dict = {}
    batches = []
    stopped_by = "fixed"
    with pinned_blas():
        while True:
            runs, verdict = _descend_in_rounds(
                A, B, basis, starts @ basis, theta, max_iter, max_rounds, resume_iter, sat_tol,
                targets, faces, known,
            )  # fmt: skip
            batches.append((starts, runs, verdict))
            if missed_target is None:
                break
            table, labels, runs_all = _table(A, B, basis, batches, faces, theta, targets)
            drawn = len(labels)
            missed = richness(table["n_starts"].to_numpy(), drawn)["missed_mass"]
            if missed < missed_target:
                stopped_by = "target"
                break
            if drawn >= max_starts:
                stopped_by = "budget"
                break
            starts = sample_starts(m, min(batch, max_starts - drawn), rng, r_min, r_max, design)
    table, labels, runs_all = _table(A, B, basis, batches, faces, theta, targets)
    S = len(labels)
    fin = np.isin(labels, np.flatnonzero(~table["at_infinity"].to_numpy()))
    undecided = labels < 0
    estimate = richness(table["n_starts"].to_numpy(), S)
    table.attrs.update(
        n_starts=S,
        n_batches=len(batches),
        stopped_by=stopped_by,
        missed_mass=float(estimate["missed_mass"]),
        n_estimated=float(estimate["n_estimated"]),
        n_low=float(estimate["n_low"]),
        n_high=float(estimate["n_high"]),
        n_undecided=int(np.sum(undecided)),
        n_saturated_undecided=_saturated_count(A, runs_all.x[undecided] @ basis.T, theta, sat_tol),
        n_finite_runs=int(np.sum(fin)),
        n_infinite_runs=int(np.sum(~fin & ~undecided)),
    )
    return (table, labels) if return_labels else table


def _table(A, B, basis, batches, faces, theta, targets):
    """The table of minima over all batches so far, each start's row in it, and the runs."""
    runs = Runs(
        *(np.concatenate([getattr(b[1], f) for b in batches]) for f in Runs.__dataclass_fields__)
    )
    verdict = np.concatenate([b[2] for b in batches])
    S = len(verdict)
    fin_rows, fin_label = _finite_rows(A, B, basis, runs, theta, S, targets)
    inf_rows, inf_label = _infinite_rows(verdict, faces, S)
    table = pd.DataFrame(fin_rows + inf_rows, columns=COLUMNS)
    labels = np.where(fin_label >= 0, fin_label, inf_label + len(fin_rows))
    labels[(fin_label < 0) & (inf_label < 0)] = -1
    order = np.lexsort((table["at_infinity"].to_numpy(), table["E"].to_numpy()))
    table = table.iloc[order].reset_index(drop=True)
    rank = np.empty(len(order) + 1, np.int64)  # old row -> new row; the extra slot maps -1
    rank[order] = np.arange(len(order))
    rank[-1] = -1
    return table, rank[labels], runs


def _saturated_count(A, X, theta, sat_tol) -> int:
    """How many of the end points X have every row saturated (|z_i| >= z_far).

    An undecided run that ends so sits on a saturated plateau (|grad E| below 1e-14, E
    within sat_tol of 4 x the rows on the wrong side) or near a limit at infinity that
    is not a minimum but attracts the descent: a trap for backprop, not a minimum.
    """
    return int(np.all(np.abs(X @ A.T) >= saturation_threshold(theta, sat_tol), axis=1).sum())
