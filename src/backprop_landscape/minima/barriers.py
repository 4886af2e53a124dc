"""Barriers between local minima, and the disconnectivity graph they build.

A barrier between two minima is the lowest possible maximum of E along a path joining
them (DESIGN.md).  Three sources, one table (:data:`BARRIER_COLUMNS`):

* **One weight, exact** (:func:`one_weight_barriers`).  On the line the only path between
  two adjacent minima is the interval between them, so the barrier is the largest E of
  the critical points strictly inside it (maxima, and tangencies) -- exact to the
  precision of :func:`critical1d.critical_points`.  A minimum at +-inf is the limit of
  the ray, and its barrier to the adjacent finite minimum is sup E on [x_min, inf): a
  finite maximum when there is one inside; with none, the limit itself (``saddle``
  empty, ``saddle_at_infinity`` True: the contract's "infinity").  Minima that are not
  adjacent are joined through the ones between: the disconnectivity graph does that.
* **m >= 2, neuron** (:func:`neuron_barriers`).  A band (:mod:`bands`) between the two
  points, its highest image refined to an index-1 saddle and confirmed by descending from
  it into both minima.  A minimum at infinity (a face: pattern sigma on the saturated rows
  S, base x*, direction d with sigma_i a_i . d > 0 on S and A~_F d = 0) is represented by
  the point x* + R d, R the least r at which every saturated row's margin sigma_i z_i
  reaches saturation_threshold(theta, ``depth``).  Beyond R the path runs out along the
  ray: E there is E_inf + :func:`models.neuron.energy_above_ray_limit` (stable, from the
  tails; nothing is evaluated at a huge x), sampled on r = R 10^(0..12) -- the ray's sup
  beyond R, with the limit E_inf as its infimum.  The barrier is max(band's barrier, that
  sup).  Exact: the ray's limit, and a confirmed saddle's E (a stationary point of index
  1 whose descents end in the two minima; the descent towards infinity counts as ending
  on the face when every saturated row is past saturation_threshold(theta, 1e-6) with
  its sign, and the free rows' theta(z) agree with the face's limit to 1e-4).
  Approximate: the ray's sup (sampled), and the choice of the path's end x* + R d: with
  an unconfirmed saddle, ``E_barrier`` is the band's highest E -- the maximum along *a*
  path, an upper bound.
* **Networks** (:func:`network_barriers`): the same band on ``Network``'s batched E, finite
  minima only.

Pairs (:func:`select_pairs`): every minimum with its k nearest others (distance between
their limit points z_limit, the outputs on the samples, or between their parameters),
and always with the global minimum -- at most n (k + 1) pairs, not n^2 / 2.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..models.neuron import energy_above_ray_limit, ray_limit
from ..models.theta import Theta
from .bands import band_barriers, near, network_model, neuron_model
from .critical1d import critical_points
from .kernels import saturation_threshold

BARRIER_COLUMNS = [
    "minimum_a",
    "minimum_b",
    "E_a",
    "E_b",
    "E_barrier",
    "saddle",
    "saddle_at_infinity",
    "confirmed",
    "method",
]
BAND_DEPTH = 1e-2  # the band's end on a face: saturated rows at 1 - theta = BAND_DEPTH
FACE_SAT = 1e-6  # a descent's end is on the face when its saturated rows are this deep
FACE_RTOL = 1e-4  # ... and its free rows' theta(z) agree with the face's limit so well
RAY_DECADES = np.logspace(0.0, 12.0, 241)  # r / R sampled beyond the band's end


# --------------------------------------------------------------------------------------
# One weight: exact
# --------------------------------------------------------------------------------------


def _minima_order(critical: pd.DataFrame) -> np.ndarray:
    """Row of each minimum (in x order) in :func:`critical1d.one_weight_minima`'s table."""
    mins = critical[critical["kind"] == "min"]
    order = np.lexsort((mins["at_infinity"].to_numpy(), mins["E"].to_numpy()))
    rank = np.empty(len(order), np.int64)
    rank[order] = np.arange(len(order))
    return rank


def one_weight_barriers(critical: pd.DataFrame) -> pd.DataFrame:
    """Exact barriers between adjacent minima of a one-weight problem.

    ``critical``: the table of :func:`critical1d.critical_points` (x order, with the rows
    at +-inf).  One row per pair of minima adjacent on the line, columns
    :data:`BARRIER_COLUMNS`: ``minimum_a`` < ``minimum_b`` in x, numbered as the rows of
    :func:`critical1d.one_weight_minima` (sorted by E, then finite first); E_barrier the
    largest E strictly between them, ``saddle`` its [x], or None (``saddle_at_infinity``)
    when the largest is
    a limit at +-inf (only when no finite critical point lies between them);
    ``confirmed`` True, ``method`` "exact"; plus ``x_a``, ``x_b``.
    """
    x = critical["x"].to_numpy(dtype=float)
    E = critical["E"].to_numpy(dtype=float)
    mins = np.flatnonzero(critical["kind"].to_numpy() == "min")
    rank = _minima_order(critical)
    rows = []
    for k, (i, j) in enumerate(zip(mins[:-1], mins[1:], strict=True)):
        inside = np.arange(i + 1, j)
        if inside.size:
            top = inside[np.argmax(E[inside])]
            E_barrier, saddle = float(E[top]), [float(x[top])]
        else:  # only a limit can lie between them: then one of the two is at infinity
            top = i if E[i] >= E[j] else j
            E_barrier, saddle = float(E[top]), None
        rows.append(
            {
                "minimum_a": int(rank[k]),
                "minimum_b": int(rank[k + 1]),
                "E_a": float(E[i]),
                "E_b": float(E[j]),
                "E_barrier": E_barrier,
                "saddle": saddle,
                "saddle_at_infinity": saddle is None,
                "confirmed": True,
                "resolved": True,
                "method": "exact",
                "x_a": float(x[i]),
                "x_b": float(x[j]),
            }
        )
    return pd.DataFrame(rows, columns=[*BARRIER_COLUMNS, "resolved", "x_a", "x_b"])


# --------------------------------------------------------------------------------------
# Pairs
# --------------------------------------------------------------------------------------


def global_minimum(minima: pd.DataFrame) -> int:
    """Row of the lowest E (the first, finite before at infinity, on a tie)."""
    E = minima["E"].to_numpy(dtype=float)
    far = minima["at_infinity"].to_numpy(bool) if "at_infinity" in minima else np.zeros(len(E))
    return int(np.lexsort((far, E))[0])


def select_pairs(minima: pd.DataFrame, k: int = 3, by: str = "z_limit") -> np.ndarray:
    """The pairs of minima whose barriers are computed: shape (pairs, 2), a < b, sorted.

    Each minimum is paired with its ``k`` nearest others (Euclidean distance between the
    vectors in column ``by``: ``z_limit``, the limit point in clos TV or the outputs on
    the samples; or ``x``, the parameters) and with the global minimum.  At most
    n (k + 1) pairs.  Symmetric images of a network's minimum have the same outputs
    (distance 0), so ``by="x"`` tells them apart.
    """
    n = len(minima)
    if n < 2:
        return np.zeros((0, 2), np.int64)
    F = np.array(minima[by].tolist(), dtype=float).reshape(n, -1)
    D = np.linalg.norm(F[:, None, :] - F[None, :, :], axis=2)
    np.fill_diagonal(D, np.inf)
    nearest = np.argsort(D, axis=1, kind="stable")[:, : min(int(k), n - 1)]
    g = global_minimum(minima)
    a = np.concatenate([np.repeat(np.arange(n), nearest.shape[1]), np.arange(n)])
    b = np.concatenate([nearest.ravel(), np.full(n, g)])
    pairs = np.unique(np.sort(np.column_stack([a, b]), axis=1), axis=0)
    return pairs[pairs[:, 0] != pairs[:, 1]]


# --------------------------------------------------------------------------------------
# Neuron, m >= 2: bands, with faces at infinity
# --------------------------------------------------------------------------------------


class _Ends:
    """Band end points of the minima, their matchers, and the rays' sups beyond them."""

    def __init__(self, A, theta, minima, targets, depth):
        self.A, self.theta, self.targets = A, theta, targets
        n, m = len(minima), A.shape[1]
        self.far = minima["at_infinity"].to_numpy(bool)
        self.x = np.array(minima["x"].tolist(), dtype=float).reshape(n, m)
        self.point = self.x.copy()
        self.sigma = np.zeros((n, A.shape[0]), np.int64)
        self.ray_sup = np.full(n, -np.inf)
        self.limit = minima["E"].to_numpy(dtype=float).copy()
        self.z_limit = np.array(minima["z_limit"].tolist(), dtype=float)
        self.z_sat = saturation_threshold(theta, FACE_SAT)
        z_deep = saturation_threshold(theta, depth)
        for i in np.flatnonzero(self.far):
            d = np.asarray(minima["direction"].iloc[i], dtype=float)
            sigma = np.asarray(minima["saturated"].iloc[i], dtype=np.int64)
            S = sigma != 0
            slope, offset = sigma[S] * (A[S] @ d), sigma[S] * (A[S] @ self.x[i])
            R = max(float(np.max((z_deep - offset) / slope)), 0.0)
            self.point[i] = self.x[i] + R * d
            self.sigma[i] = sigma
            above = energy_above_ray_limit(A, d, self.x[i], R * RAY_DECADES, theta, targets)
            self.limit[i] = ray_limit(A, d, self.x[i], theta, targets)
            self.ray_sup[i] = self.limit[i] + max(float(np.max(above)), 0.0)

    def matcher(self, which):
        def match(X, p):
            idx = which[p]
            z = X @ self.A.T
            out = near(X, self.point[idx])
            sig = self.sigma[idx]
            sat = sig != 0
            deep = np.all(~sat | (sig * z >= self.z_sat), axis=1)
            free = np.abs(self.theta.value(z) - self.z_limit[idx]) <= FACE_RTOL
            on_face = deep & np.all(sat | free, axis=1)
            return np.where(self.far[idx], on_face, out)

        return match


def neuron_barriers(
    A_tilde,
    theta: Theta,
    minima: pd.DataFrame,
    pairs=None,
    targets=None,
    k: int = 3,
    depth: float = BAND_DEPTH,
    **band,
) -> pd.DataFrame:
    """Barriers between minima of a neuron (a table of :func:`search.find_minima`).

    ``pairs`` (array (P, 2) of rows of ``minima``) defaults to :func:`select_pairs` with
    ``k``.  A one-weight problem is answered exactly (:func:`one_weight_barriers`, adjacent
    pairs; ``minima`` and ``pairs`` are then not used).  Columns :data:`BARRIER_COLUMNS`
    (``method`` "band") plus ``index`` and ``grad_norm`` at the saddle, ``E_band`` (the
    highest image), ``E_ray`` (the sup of E along the rays beyond the ends on faces; -inf
    for finite ends).  ``saddle`` is the refined point, or None (``saddle_at_infinity``)
    when the ray's sup
    is above the band's barrier.  See the module doc for what is exact.
    """
    A = np.asarray(A_tilde, dtype=float)
    if A.shape[1] == 1:
        return one_weight_barriers(critical_points(A, theta, targets))
    pairs = select_pairs(minima, k) if pairs is None else np.asarray(pairs, dtype=np.int64)
    if not len(pairs):  # fewer than two minima: nothing to join
        return _empty_table()
    ends = _Ends(A, theta, minima.reset_index(drop=True), targets, depth)
    evaluate, hessian = neuron_model(A, theta, targets)
    a, b = pairs[:, 0], pairs[:, 1]
    res = band_barriers(
        evaluate,
        hessian,
        ends.point[a],
        ends.point[b],
        is_a=ends.matcher(a),
        is_b=ends.matcher(b),
        **band,
    )
    E_ray = np.maximum(ends.ray_sup[a], ends.ray_sup[b])
    return _table(minima, pairs, res, E_ray)


BAND_COLUMNS = [*BARRIER_COLUMNS, "resolved", "index", "grad_norm", "E_band", "E_ray"]


def _empty_table() -> pd.DataFrame:
    """The table of a job with no pair to join, with the band's columns and types."""
    types = {"minimum_a": "int64", "minimum_b": "int64", "saddle": "object"}
    types |= {"saddle_at_infinity": "bool", "confirmed": "bool", "method": "object"}
    types |= {"resolved": "bool"}
    types |= {"index": "int64"}
    return pd.DataFrame({c: pd.Series(dtype=types.get(c, "float64")) for c in BAND_COLUMNS})


def _table(minima, pairs, res, E_ray) -> pd.DataFrame:
    E = minima["E"].to_numpy(dtype=float)
    a, b = pairs[:, 0], pairs[:, 1]
    ray_wins = E_ray > res["E_barrier"]
    saddle = [
        None if w else [float(v) for v in s] for w, s in zip(ray_wins, res["saddle"], strict=True)
    ]
    E_barrier = np.maximum(res["E_barrier"], E_ray)
    # A true barrier lies above both (strict) minima.  An unconfirmed band whose highest
    # image is no higher than its upper end did not resolve the barrier: its images are
    # too far apart near that end (e.g. a power-tail minimum at |x| ~ 1e4 joined to one
    # near the origin), and E between images may rise above them.  Such a pair says
    # nothing about the barrier; it is kept, with E_barrier NaN, resolved False.
    top = np.maximum(E[a], E[b])
    resolved = res["confirmed"] | (E_barrier > top + 1e-9 * (1.0 + np.abs(top)))
    table = pd.DataFrame(
        {
            "minimum_a": a,
            "minimum_b": b,
            "E_a": E[a],
            "E_b": E[b],
            "E_barrier": np.where(resolved, E_barrier, np.nan),
            "resolved": resolved,
            "saddle": saddle,
            "saddle_at_infinity": ray_wins,
            "confirmed": res["confirmed"] & ~ray_wins,
            "method": "band",
            "index": res["index"],
            "grad_norm": res["grad_norm"],
            "E_band": res["E_band"],
            "E_ray": E_ray,
        }
    )
    return table


def network_barriers(net, U, y, minima: pd.DataFrame, pairs=None, k: int = 3, **band):
    """Barriers between finite minima of a ``Network`` (rows with ``x``; ``at_infinity``
    rows, if any, are left out of the default pairs and refused in given ones).

    Default pairs: :func:`select_pairs` by parameters (``by="x"``) among the finite rows.
    Columns as :func:`neuron_barriers` (``E_ray`` is -inf: no face is joined).
    """
    minima = minima.reset_index(drop=True)
    far = minima["at_infinity"].to_numpy(bool) if "at_infinity" in minima else np.zeros(0)
    if pairs is None:
        finite = np.flatnonzero(~far) if far.size else np.arange(len(minima))
        local = select_pairs(minima.iloc[finite].reset_index(drop=True), k, by="x")
        pairs = finite[local]
    pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    if far.size and far[pairs].any():
        raise ValueError("network_barriers joins finite minima only")
    if not len(pairs):  # fewer than two finite minima: nothing to join
        return _empty_table()
    X = np.array(minima["x"].tolist(), dtype=float)
    evaluate, hessian = network_model(net, U, y)
    res = band_barriers(evaluate, hessian, X[pairs[:, 0]], X[pairs[:, 1]], **band)
    return _table(minima, pairs, res, np.full(len(pairs), -np.inf))


# --------------------------------------------------------------------------------------
# The disconnectivity graph, and the answer: how high is the way down?
# --------------------------------------------------------------------------------------


def disconnectivity(minima: pd.DataFrame, barriers: pd.DataFrame) -> pd.DataFrame:
    """The tree of superbasins: minima merged at barrier energies (union-find).

    Barriers are taken in order of E_barrier; each one that joins two superbasins not yet
    joined makes a node at that energy (at least the higher of the two minima's E, were a
    band's bound ever below it).  Rows: leaves 0..n-1 (the minima, ``E`` their energy),
    then merge nodes n, n+1, ... in order of energy.  Columns ``node``, ``E``, ``leaf``,
    ``children`` (two nodes, [] for a leaf), ``members`` (the minima below, sorted),
    ``parent`` (-1 for a root: minima the given barriers never join stay separate trees),
    ``at_infinity`` (leaves), ``lowest`` (the lowest minimum below the node).
    """
    n = len(minima)
    E_min = minima["E"].to_numpy(dtype=float)
    far = minima["at_infinity"].to_numpy(bool) if "at_infinity" in minima else np.zeros(n, bool)
    root = list(range(n))  # union-find over minima; node_of maps a set's root to its node
    node_of = list(range(n))

    def find(i):
        while root[i] != i:
            root[i] = root[root[i]]
            i = root[i]
        return i

    nodes = [
        {"node": i, "E": E_min[i], "leaf": True, "children": [], "members": [i], "parent": -1}
        for i in range(n)
    ]
    heights = barriers["E_barrier"].to_numpy(dtype=float)
    order = np.argsort(heights, kind="stable")
    for r in order[np.isfinite(heights[order])]:  # an unresolved band (NaN) joins nothing
        row = barriers.iloc[r]
        a, b = find(int(row["minimum_a"])), find(int(row["minimum_b"]))
        if a == b:
            continue
        left, right = node_of[a], node_of[b]
        height = max(float(row["E_barrier"]), nodes[left]["E"], nodes[right]["E"])
        new = len(nodes)
        members = sorted(nodes[left]["members"] + nodes[right]["members"])
        nodes.append(
            {
                "node": new,
                "E": height,
                "leaf": False,
                "children": [left, right],
                "members": members,
                "parent": -1,
            }
        )
        nodes[left]["parent"] = nodes[right]["parent"] = new
        root[b] = a
        node_of[a] = new
    tree = pd.DataFrame(nodes, columns=["node", "E", "leaf", "children", "members", "parent"])
    tree["at_infinity"] = [bool(far[i]) if i < n else False for i in range(len(tree))]
    tree["lowest"] = [int(min(ms, key=lambda i: (E_min[i], far[i]))) for ms in tree["members"]]
    return tree


def escape_barriers(minima: pd.DataFrame, barriers: pd.DataFrame) -> pd.DataFrame:
    """For every non-global minimum: the lowest barrier on the way to a lower one.

    Read off :func:`disconnectivity`: the energy of the first merge that puts a strictly
    lower minimum (lower by more than 1e-10 (1 + |E|): symmetric images are not lower)
    into the minimum's superbasin -- the lowest maximum of E over paths through the
    computed barriers, intermediate minima allowed.  Columns ``minimum``, ``E_min``,
    ``at_infinity``, ``E_escape``, ``delta_E`` = E_escape - E_min, ``to_minimum`` (the
    lowest minimum of the superbasin joined), ``basin_fraction`` (the minimum's, from
    ``minima``).  A minimum no computed barrier joins to a lower one has NaN and -1.
    """
    tree = disconnectivity(minima, barriers)
    n = len(minima)
    E_min = minima["E"].to_numpy(dtype=float)
    far = minima["at_infinity"].to_numpy(bool) if "at_infinity" in minima else np.zeros(n, bool)
    basin = (
        minima["basin_fraction"].to_numpy(dtype=float)
        if "basin_fraction" in minima
        else np.full(n, np.nan)
    )
    parent = tree["parent"].to_numpy()
    rows = []
    for i in range(n):
        lower = E_min[i] - 1e-10 * (1.0 + abs(E_min[i]))
        if E_min.min() >= lower:  # a global minimum (or a symmetric image of it)
            continue
        node, escape, target = i, np.nan, -1
        while parent[node] >= 0:
            up = parent[node]
            best = int(tree["lowest"].iloc[up])
            if E_min[best] < lower:
                escape, target = float(tree["E"].iloc[up]), best
                break
            node = up
        rows.append(
            {
                "minimum": i,
                "E_min": E_min[i],
                "at_infinity": bool(far[i]),
                "E_escape": escape,
                "delta_E": escape - E_min[i],
                "to_minimum": target,
                "basin_fraction": basin[i],
            }
        )
    columns = ["minimum", "E_min", "at_infinity", "E_escape", "delta_E", "to_minimum"]
    return pd.DataFrame(rows, columns=[*columns, "basin_fraction"])


def escape_table(minima: pd.DataFrame, barriers: pd.DataFrame, jobs) -> pd.DataFrame:
    """:func:`escape_barriers` of every job (``{"problem", "model"}``) of two aggregates.

    ``minima`` is minima.parquet (each job's minima in its own table's order, the order
    that numbers ``minimum_a`` and ``minimum_b``), ``barriers`` the stacked barriers with
    problem and model columns.  A job whose minima no barrier joins (one minimum, or only
    minima at infinity of a network) keeps its non-global minima with NaN escapes.
    """
    frames = []
    for job in jobs:
        mine = (minima["problem"] == job["problem"]) & (minima["model"] == job["model"])
        ours = (barriers["problem"] == job["problem"]) & (barriers["model"] == job["model"])
        rows = escape_barriers(minima[mine].reset_index(drop=True), barriers[ours])
        E_global = float(minima.loc[mine, "E"].min()) if mine.any() else np.nan
        frames.append(rows.assign(problem=job["problem"], model=job["model"], E_global=E_global))
    table = (
        pd.concat(frames, ignore_index=True)
        if frames
        else escape_barriers(minima[:0], barriers[:0])
    )
    first = ["problem", "model"]
    return table.reindex(columns=[*first, *(c for c in table.columns if c not in first)])
