"""Limits at infinity and plateaus of a network: where diverging runs go, and whether
a descending path leaves the limit.

Where descents go (:func:`descend_starts`): every start is descended by the
saddle-free Newton steps of :mod:`.probing` until it settles -- at a finite stationary
point (a minimum, for almost every start), or at a limit its E approaches while some
units saturate -- so minima are found with their descent basins, which the
Levenberg-Marquardt search of :mod:`.levenberg` (it converges to any stationary point,
saddles most of all) does not give.

For runs whose weights diverge -- such descents, the diverged runs of the
stationary-point search, or backprop's last weights -- :func:`analyse_limits` scales a
run back if it is saturated
beyond analysis (:func:`pull_back`), follows it by the saddle-free Newton descent of
:mod:`.probing` until it settles, and describes its limit: the pattern of saturated
(sample, unit) pairs (:func:`saturation_pattern`), the limit E with saturated values
replaced by their bounds (:func:`limit_energy`), and the verdict: a *plateau* when a
probe finds a path that leaves the limit descending below it, a *minimum-at-infinity*
when none is found.  See docs/networks.md for what such a verdict can and cannot show.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd

from ..models.network import Network
from .levenberg import refine
from .probing import DROP_RTOL, descend, probe_descent
from .symmetry import flips_are_symmetries, invariant_groups

DESCEND_ITER = 100  # saddle-free Newton iterations of the descent from every start
FINITE, LIMIT, MOVING = 0, 1, 2  # where a descent ended
FOLLOW_ITER = 400  # iterations to follow a diverging run
LIMIT_GAP = 1e-6  # a (unit, sample) pair whose gap is below this (of the range) is saturated
LIMIT_RADII = (1e-2, 1e-1, 0.3)  # probe distances around a settled run, times 1 + max |w|
PULL_GAP = 1e-8  # runs saturated deeper than this gap are scaled back before being followed
# Runs whose limit E and limiting outputs agree to this (relative) approach one limit:
# they approach it at the log rule's pace and stop at different distances from it
LIMIT_RTOL = 1e-4

LIMIT_COLUMNS = [
    "problem",
    "model",
    "kind",
    "E_limit",
    "E_end",
    "n_runs",
    "n_patterns",
    "runs",
    "hidden_pattern",
    "output_pattern",
    "outputs",
    "norm_end",
    "probe_drop",
    "probe_rise",
    "x_end",
]


@cache
def _z_saturated(activation) -> float:
    """|z| at which a unit's gap is LIMIT_GAP of its range: beyond it the pair is saturated."""
    return activation.z_at_gap(LIMIT_GAP)


def saturation_pattern(net: Network, U, X):
    """Which hidden units saturate on which samples, and which outputs, at each point.

    A (sample, unit) pair is saturated, +1 or -1 by the sign of its pre-activation,
    when the unit's gap there is below LIMIT_GAP of its range -- its value then differs
    from the limit by less than E can resolve along a descent -- and free (0) otherwise.

    Returns
    -------
    hidden : ndarray of int (S, n, H)
    output : ndarray of int (S, n)
    """
    a, z = net.preactivations(X, U)
    S, n = z.shape
    out = np.zeros((S, n), dtype=np.int64)
    if net.g.bounded:
        zs = _z_saturated(net.g)
        out = np.where(np.abs(z) >= zs, np.sign(z), 0).astype(np.int64)
    hid = np.zeros((S, n, max(net.hidden, 0)), dtype=np.int64)
    if a is not None and net.f.bounded:
        zs = _z_saturated(net.f)
        hid = np.where(np.abs(a) >= zs, np.sign(a), 0).astype(np.int64)
    return hid, out


def limit_energy(net: Network, U, y, X):
    """E with every saturated pair replaced by its limit: shape (S,).

    Saturated hidden values become the bound they tend to (lo or hi), the output is
    recomputed from them, and saturated outputs become their bounds; the free parts keep
    their values at X.  This is the E of the limit the point is heading to, without the
    tails that the point still carries.  (With weight decay no run diverges, and the
    penalty at X is added as it is.)
    """
    U, y = net.check_data(U, y)
    X = np.atleast_2d(np.asarray(X, dtype=float))
    hid, out = saturation_pattern(net, U, X)
    a, z = net.preactivations(X, U)
    if a is not None:
        parts = net.unpack(X)
        h = net.f.value(a)
        if net.f.bounded:
            h = np.where(hid != 0, net.f.limit(hid), h)
        z = np.einsum("snh,sh->sn", h, parts["v"]) + parts["c"][:, None]
    o = net.g.value(z)
    if net.g.bounded:
        o = np.where(out != 0, net.g.limit(out), o)
    E = np.sum(np.square(o - y), axis=1)
    if net.decay:
        E = E + net.decay * (X * X) @ net.decay_mask
    return E


def _canonical_patterns(net: Network, hid) -> np.ndarray:
    """A label per run for its hidden saturation pattern up to the symmetry group.

    A unit's pattern is its column of signs over the samples; a flip (when it is a
    symmetry) negates the column, so each column is signed to make its first nonzero
    entry +1, and a permutation reorders the columns, so they are sorted.  Two runs get
    the same label exactly when some group element maps one pattern onto the other.
    """
    S, n, H = hid.shape
    if H == 0:
        return np.zeros(S, dtype=np.int64)
    cols = hid.transpose(0, 2, 1).reshape(S * H, n)
    if flips_are_symmetries(net):
        first = np.take_along_axis(cols, np.argmax(cols != 0, axis=1)[:, None], axis=1)
        cols = cols * np.where(first < 0, -1, 1)
    _, ids = np.unique(cols, axis=0, return_inverse=True)
    ids = np.sort(ids.reshape(S, H), axis=1)
    return np.unique(ids, axis=0, return_inverse=True)[1].ravel()


def _pattern_strings(hid, out):
    """Readable patterns: hidden as one group of H signs per sample, output as n signs."""
    sym = np.array([".", "+", "-"])  # index 0 free, 1 for +1, -1 (last) for -1
    hidden = [" ".join("".join(sym[row]) for row in h) for h in hid]
    output = ["".join(sym[o]) for o in out]
    return hidden, output


def pull_back(net: Network, U, X, depth: float | None = None) -> np.ndarray:
    """Scale runs that are saturated beyond analysis back toward the origin.

    Past gaps of about 1e-8 the changes of E along a descent fall below its rounding and
    gradients underflow, so a run the search stopped at z_far cannot be followed or
    probed from there.  Each row whose saturation depth exceeds ``depth`` (default: a
    gap of PULL_GAP) is multiplied by the factor that brings it to that depth, found by
    a few secant steps (hidden pre-activations scale exactly, the output nearly so).
    """
    X = np.array(np.atleast_2d(X), dtype=float, copy=True)
    if depth is None:
        bounded = [f for f in (net.f, net.g) if f.bounded]
        if not bounded:
            return X
        depth = min(_z_pull(f) / f.z_far for f in bounded)
    for _ in range(4):  # over refinements of the factor, not runs
        d = net.saturation_depth(X, U)
        over = d > depth * (1.0 + 1e-3)
        if not over.any():
            break
        X[over] *= (depth / d[over])[:, None]
    return X


@cache
def _z_pull(activation) -> float:
    return activation.z_at_gap(PULL_GAP)


@dataclass
class Descents:
    """Per-start outcome of :func:`descend_starts` (arrays over starts)."""

    x: np.ndarray  # (S, P) end point (refined where FINITE)
    E: np.ndarray  # (S,) E there
    status: np.ndarray  # (S,) FINITE, LIMIT or MOVING
    grad_norm: np.ndarray  # (S,) ||grad E|| at the end
    grad_tol: np.ndarray  # (S,) the norm of its rounding level


def descend_starts(net: Network, U, y, starts, n_iter: int = DESCEND_ITER) -> Descents:
    """Descend every start and say where it ended: finite, at a limit, or still moving.

    Each start is descended (:func:`.probing.descend`, at most ``n_iter`` iterations)
    until it settles: no visible decrease for a few iterations, or E within rounding of
    the E of the limit it heads to (:func:`limit_energy`).  An end whose gradient is
    then refined to rounding level (:func:`.levenberg.refine`) with no unit saturated
    to double precision on any sample is FINITE, a stationary point where the descent
    stopped (deeper in saturation the gradient underflows to 0 and would pass the test);
    else an end with some saturated (sample, unit) pair (:func:`saturation_pattern`) is
    a LIMIT, on its way to infinity (follow it with :func:`analyse_limits`); else it is
    MOVING, a descent too slow to finish in ``n_iter`` iterations.  With weight decay E
    grows without bound as ||w|| -> inf, so there is no limit to head to: every end is
    refined, FINITE or MOVING.
    """
    U, y = net.check_data(U, y)
    starts = np.atleast_2d(np.asarray(starts, dtype=float))
    if net.decay:  # E grows like lambda ||w||^2: every descent ends at a finite point
        X, E, _ = descend(net, U, y, starts, n_iter)
        saturated = np.zeros(len(X), dtype=bool)
    else:
        settle = lambda Z: limit_energy(net, U, y, Z)  # noqa: E731
        X, E, _ = descend(net, U, y, starts, n_iter, settle=settle)
        hid, out = saturation_pattern(net, U, X)
        saturated = (hid != 0).any(axis=(1, 2)) | (out != 0).any(axis=1)
    _, gnorm, gtol, refined = refine(net, U, y, X, n_iter=0)
    free = np.flatnonzero(~saturated & ~refined)  # near a finite point, not yet at rounding
    if free.size:
        X[free], gnorm[free], gtol[free], refined[free] = refine(net, U, y, X[free])
        E[free] = net.energy(X[free], U, y)
    finite = refined & (net.saturation_depth(X, U) < 1.0)
    status = np.where(finite, FINITE, np.where(saturated, LIMIT, MOVING))
    return Descents(X, E, status, gnorm, gtol)


def analyse_limits(
    net: Network,
    U,
    y,
    X,
    runs=None,
    problem: str = "",
    model: str = "",
    seed=0,
    follow_iter: int = FOLLOW_ITER,
):
    """Follow diverging runs until they settle and say what each approaches.

    Each row of X (the end of a run: backprop's last weights, or a diverged run of the
    search) is scaled back if it is saturated beyond analysis (:func:`pull_back`) and
    descended (:func:`descend`) until E stops decreasing visibly.  Then:

    * a run that has stopped at a finite stationary point (||grad E|| at rounding level,
      no pair saturated) is ``finite``;
    * otherwise its *limit* is described by the saturated pairs
      (:func:`saturation_pattern`) and the limit E (:func:`limit_energy`), and the runs
      with the same limit E and limiting outputs on the samples (to LIMIT_RTOL: a
      settled run is still approaching its limit, at the log rule's pace) and the same
      hidden pattern up to the symmetry group (permuted units, flipped signs) form one
      row (global minima at infinity, E_limit <= DROP_RTOL, are one row per limiting
      output whatever their hidden patterns; ``n_patterns`` counts them);
    * the row's first run is probed (:func:`probe_descent` from the settled point, radii
      LIMIT_RADII): a *plateau* when some probe path rises by at most RISE_RTOL (1 + E)
      and then descends below E_limit - DROP_RTOL (1 + E_limit), otherwise a
      *minimum-at-infinity* -- no descending path found near the limit.  A limit with
      E_limit <= DROP_RTOL is a global minimum at infinity (E >= 0) and is not probed.

    Parameters
    ----------
    net : Network
    U, y : array_like
        Inputs (n, m) and targets (n,) in the output's coding.
    X : array_like, shape (S, P)
        End points of the runs.
    runs : sequence, optional
        A label per run (seeds, say); default 0..S-1.
    problem, model : str
    seed : int or Generator
        For the probes' random directions.
    follow_iter : int
        Descent iterations to follow each run.

    Returns
    -------
    DataFrame
        Columns ``LIMIT_COLUMNS``: problem, model, kind (finite, plateau,
        minimum-at-infinity), E_limit, E_end (E at the settled point), n_runs,
        n_patterns (distinct hidden patterns up to symmetry among them), runs (labels),
        hidden_pattern (per sample, one of + - . per hidden unit: saturated high, low,
        free), output_pattern, outputs (the limiting outputs on the samples: saturated
        ones at their bounds), norm_end (max |w| there), probe_drop and probe_rise
        (E_limit minus the lowest E a valid probe reached, 0 if none, and the climb on
        its way out), x_end.  Sorted by E_limit.
    """
    U, y = net.check_data(U, y)
    X = np.atleast_2d(np.asarray(X, dtype=float))
    labels = list(range(len(X))) if runs is None else list(runs)
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    Xe, Ee, _ = descend(
        net, U, y, pull_back(net, U, X), follow_iter, settle=lambda Z: limit_energy(net, U, y, Z)
    )
    hid, out = saturation_pattern(net, U, Xe)
    saturated = (hid != 0).any(axis=(1, 2)) | (out != 0).any(axis=1)
    _, gnorm, gtol, refined = refine(net, U, y, Xe, n_iter=0)
    finite = ~saturated & refined
    E_lim = np.where(finite, Ee, limit_energy(net, U, y, Xe))
    o = net.outputs(Xe, U)
    if net.g.bounded:
        o = np.where(out != 0, net.g.limit(out), o)
    pattern = _canonical_patterns(net, hid)
    # global minima at infinity (E_limit ~ 0, see below) differ only in how the units
    # saturate, and there are many ways; they are one row per limiting output
    lowest = ~finite & (E_lim <= DROP_RTOL)
    groups = invariant_groups(
        E_lim, o, finite.astype(np.int64), np.where(lowest, -1, pattern), LIMIT_RTOL
    )
    hidden_s, output_s = _pattern_strings(hid, out)
    rows = []
    for g in np.unique(groups):  # over distinct limits, not runs
        members = np.flatnonzero(groups == g)
        rep = members[0]
        rows.append({"rep": rep, "members": members})
    reps = np.array([r["rep"] for r in rows])
    kind = np.where(finite[reps], "finite", "").astype(object)
    drop = np.zeros(len(reps))
    rise = np.zeros(len(reps))
    # E >= 0 everywhere, so a limit within DROP_RTOL of 0 is a global minimum at infinity:
    # no probe could find DROP_RTOL below it, and probing it would only cost time
    floor = ~finite[reps] & (E_lim[reps] <= DROP_RTOL)
    kind[floor] = "minimum-at-infinity"
    probe = np.flatnonzero(~finite[reps] & ~floor)
    if probe.size:
        _, drop[probe], rise[probe] = probe_descent(
            net, U, y, Xe[reps[probe]], rng, radii=LIMIT_RADII, reference=E_lim[reps[probe]]
        )
        kind[probe] = np.where(drop[probe] > 0, "plateau", "minimum-at-infinity")
    table = pd.DataFrame(
        {
            "problem": problem,
            "model": model,
            "kind": kind,
            "E_limit": E_lim[reps],
            "E_end": Ee[reps],
            "n_runs": [len(r["members"]) for r in rows],
            "n_patterns": [len(np.unique(pattern[r["members"]])) for r in rows],
            "runs": [[labels[i] for i in r["members"]] for r in rows],
            "hidden_pattern": [hidden_s[i] for i in reps],
            "output_pattern": [output_s[i] for i in reps],
            "outputs": [list(map(float, o[i])) for i in reps],
            "norm_end": np.abs(Xe[reps]).max(axis=1),
            "probe_drop": drop,
            "probe_rise": rise,
            "x_end": [list(map(float, Xe[i])) for i in reps],
        },
        columns=LIMIT_COLUMNS,
    )
    return table.sort_values("E_limit", kind="stable").reset_index(drop=True)
