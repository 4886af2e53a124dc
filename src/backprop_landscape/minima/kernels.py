"""Per-row terms of E = sum_i (t_i - theta(z_i))^2, stable deep in the tails.

The descent needs, for every row of every start, the residual weight w = (t - theta)
theta', the curvature c = theta'^2 - (t - theta) theta'' and the row's error, and it
must tell tiny changes of E apart from rounding.  The targets t (after the sign flip)
travel with theta in :class:`RowTerms`; t = None is the paper's hard target 1, for which
every form below is exactly what it was before soft targets existed.  Three forms:

* *plain* (:func:`_plain_rows`, :func:`_plain_excess`): floating point from theta's fast
  closed forms (``theta.fast_tail_terms``), each row's error kept as its *excess* over
  its limit ((1 - t)^2 for z >= 0, (1 + t)^2 below: 0 and 4 for hard targets), so
  saturated rows keep their relative accuracy; a row crossing 0 changes its limit by
  4 t, which the *limit count* (the sum of t over the rows below 0) carries;
* *logarithmic* (:func:`_log_scaled_weights`, :func:`_excess`): w and c scaled by e^-L,
  and excesses as (sign, log|.|), for starts whose every row is deep in a tail;
* *differences* (:func:`_delta_energy`): E(new) - E(old) summed from per-row changes,
  each row's change within its own rounding counting as none.

Also here: when a row counts as saturated (:func:`saturation_threshold`).  Names with
an underscore are private to the minima package.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from ..models.theta import Theta
from ..roots import brentq  # scipy's Brent without importing scipy.optimize

SAT_TOL = 1e-6  # a row is saturated once 1 - theta(|z|) <= SAT_TOL
NOISE = 16 * np.finfo(float).eps  # per-row relative changes below this times |log e| are noise


# --------------------------------------------------------------------------------------
# Saturated rows
# --------------------------------------------------------------------------------------


@lru_cache(maxsize=64)
def _threshold(theta: Theta, sat_tol: float) -> float:
    target = np.log(sat_tol)
    hi = 1.0
    while theta.log_one_minus(hi) > target:
        hi *= 2.0
    return float(brentq(lambda z: theta.log_one_minus(z) - target, 0.0, hi, xtol=1e-12))


def saturation_threshold(theta: Theta, sat_tol: float = SAT_TOL) -> float:
    """z_far with 1 - theta(z_far) = sat_tol: beyond it a row counts as saturated.

    For the default 1e-6: tanh 7.25, erf 3.46, atan 6.4e5, softsign 1e6.
    """
    if not 0.0 < sat_tol < 1.0:
        raise ValueError(f"sat_tol must lie in (0, 1); got {sat_tol!r}")
    return _threshold(theta, float(sat_tol))


# --------------------------------------------------------------------------------------
# Logarithmic row terms and the scaled Newton system
# --------------------------------------------------------------------------------------


class RowTerms:
    """theta with the rows' targets t: what every row kernel needs.

    ``targets`` None means the hard targets (all 1).  Soft targets keep 1 - t and 1 + t
    (exact for t in [0, 1]) and the mask of hard rows, so that mixed problems treat each
    row in its own way.
    """

    def __init__(self, theta: Theta, targets=None):
        self.theta = theta
        if targets is not None and np.all(np.asarray(targets) == 1.0):
            targets = None
        self.targets = None if targets is None else np.asarray(targets, dtype=float)
        if self.targets is not None:
            self.below = 1.0 - self.targets  # 1 - t: the distance of the target below +1
            self.above = 1.0 + self.targets  # 1 + t: its distance above -1
            self.hard = self.targets == 1.0

    @property
    def soft(self) -> bool:
        return self.targets is not None

    def take(self, rows) -> RowTerms:
        """The same theta on a subset (or reordering) of the rows."""
        return RowTerms(self.theta, None if self.targets is None else self.targets[rows])


def _as_rows(rows) -> RowTerms:
    return rows if isinstance(rows, RowTerms) else RowTerms(rows)


def _log_scaled_weights(z, rows, live):
    """(L, w, c) for starts whose every live row is deep in a tail: the residual weights
    w = (t - theta) theta' and curvatures c of the live rows, times e^-L, L the largest
    log |weight| or log |curvature| (so the largest entry is 1; the Newton step does not
    depend on the scale), from theta's stable logarithms."""
    rows = _as_rows(rows)
    theta = rows.theta
    log_d1 = theta.log_d1(z)
    if rows.soft:
        t = np.broadcast_to(rows.targets, z.shape)
        sign_w, log_om = theta.log_residual(z, t)
        sign_c, log_c = theta.log_curvature(z, log_one_minus=log_om, log_d1=log_d1, t=t)
    else:
        sign_w, log_om = 1.0, theta.log_one_minus(z)
        sign_c, log_c = theta.log_curvature(z, log_one_minus=log_om, log_d1=log_d1)
    log_w = np.where(live, log_om + log_d1, -np.inf)
    log_c = np.where(live, log_c, -np.inf)
    L = np.maximum(log_w.max(axis=-1), log_c.max(axis=-1))
    return L, sign_w * np.exp(log_w - L[:, None]), sign_c * np.exp(log_c - L[:, None])


def _grad_hess(A, w, c, AA=None):
    """Scaled gradient -2 A' w and Hessian 2 A' diag(c) A for each start.

    AA holds the outer products a_i a_i' as rows (n, m^2), so H is one matrix product.
    """
    m = A.shape[1]
    AA = _outer_rows(A) if AA is None else AA
    return -2.0 * w @ A, (2.0 * c @ AA).reshape(len(c), m, m)


def _outer_rows(A):
    return (A[:, :, None] * A[:, None, :]).reshape(A.shape[0], -1)


def _excess(z, rows):
    """Each row's (t - theta)^2 minus its limit ((1 - t)^2 for z >= 0, (1 + t)^2 below),
    as (sign, log|.|), and the limit count (the sum of t over the rows below 0).

    With u = 1 - theta(|z|) (log from theta's ``log_one_minus``): above 0 the excess is
    u (u - 2 (1 - t)), u^2 for hard rows; below 0 it is -u (2 (1 + t) - u), -u (4 - u)
    for hard rows -- formed from the stable complement, so tiny changes of saturated
    rows stay visible.  One log(1 - theta) per entry.
    """
    rows = _as_rows(rows)
    pos = z >= 0
    log_tail = rows.theta.log_one_minus(np.abs(z))  # log(1 - theta) above 0, log(1 + theta) below
    if not rows.soft:
        log_abs = np.where(pos, 2.0 * log_tail, log_tail + np.log(4.0 - np.exp(log_tail)))
        return np.where(pos, 1.0, -1.0), log_abs, np.count_nonzero(~pos, axis=-1)
    u = np.exp(log_tail)
    gap = u - 2.0 * rows.below  # above 0 (soft rows): the excess is u * gap
    with np.errstate(divide="ignore"):  # a soft row exactly at its turning point: excess 0
        above = np.where(rows.hard, 2.0 * log_tail, log_tail + np.log(np.abs(gap)))
    below = log_tail + np.log(2.0 * rows.above - u)
    sign = np.where(pos, np.where(rows.hard, 1.0, np.sign(gap)), -1.0)
    return sign, np.where(pos, above, below), np.sum(np.where(pos, 0.0, rows.targets), axis=-1)


def _delta_energy(old, new):
    """E(new) - E(old) as (sign, log|.|), summed from per-row changes scaled by e^-top.

    A row that stays on its side of 0 changes by e_old * expm1(log e_new - log e_old),
    formed on its own, so a large unchanged row (a free row, a zero row) cancels exactly
    instead of swamping the tiny changes of saturated rows.  A relative change below the
    rounding of the row's own logarithm is noise and counts as none: otherwise a free row
    nudged by one ulp could veto the real, if tiny, decrease of a saturated one.  A row
    crossing 0 changes its limit by 4, which the count term carries.
    """
    (s_old, l_old, n_old), (s_new, l_new, n_new) = old, new
    step = l_new - l_old
    same = s_new == s_old
    noise = np.abs(step) <= NOISE * np.maximum(1.0, np.abs(l_old))
    changed = ~(same & noise)
    # scale by the largest row that changed, so that unchanged rows cannot push the
    # changes of deeply saturated rows below underflow
    top = np.where(changed, np.maximum(l_old, l_new), -np.inf).max(axis=1, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)
    near = np.abs(step) < 0.5  # expm1 keeps full accuracy; elsewhere plain differences do
    e_old = np.exp(np.where(changed, l_old - top, -np.inf))
    e_new = np.exp(np.where(changed, l_new - top, -np.inf))
    change = np.where(near, e_old * np.expm1(np.where(near, step, 0.0)), e_new - e_old)
    change = np.where(same, s_old * change, s_new * (e_new + e_old))
    moved = n_new != n_old
    with np.errstate(over="ignore"):  # a count change far off the scale: +-inf, sign kept
        count = 4.0 * (n_new - n_old) * np.exp(np.where(moved, -top[:, 0], 0.0))
    total = change.sum(axis=1) + count
    with np.errstate(divide="ignore"):
        return np.sign(total), top[:, 0] + np.log(np.abs(total))


# --------------------------------------------------------------------------------------
# Plain row terms: the fast path for the bulk of the iterations
# --------------------------------------------------------------------------------------


def _plain_excess(z, rows):
    """(e, neg) of :func:`_plain_rows` alone: one transcendental call per entry."""
    rows = _as_rows(rows)
    pos = z >= 0
    a = np.abs(z)
    u = rows.theta.fast_one_minus(a)
    if not rows.soft:
        return np.where(pos, u * u, -u * (4.0 - u)), np.count_nonzero(~pos, axis=-1)
    e = np.where(pos, u * (u - 2.0 * rows.below), -u * (2.0 * rows.above - u))
    return e, np.sum(np.where(pos, 0.0, rows.targets), axis=-1)


def _plain_rows(z, rows):
    """Per-row w = (t - theta) theta', curvature c and excess e, in plain floating point.

    e is (t - theta)^2 minus its limit ((1 - t)^2 above 0, (1 + t)^2 below), formed from
    u = 1 - theta(|z|) as u (u - 2 (1 - t)) or -u (2 (1 + t) - u) (u^2 and -u (4 - u)
    for hard rows) so that saturated rows keep their relative accuracy; ``neg`` is the
    limit count, the sum of t over the rows below 0 (their number for hard targets).
    Terms of rows deeper than ``theta.fast_clip`` are not exact (they are far below every
    other row's; only starts with every row that deep need them, and those take the
    logarithmic path).
    """
    rows = _as_rows(rows)
    pos = z >= 0
    u, d1, d2 = rows.theta.fast_tail_terms(np.abs(z))
    if not rows.soft:
        om = np.where(pos, u, 2.0 - u)
        w = om * d1
        c = d1 * d1 + np.where(pos, om, -om) * d2
        e = np.where(pos, u * u, -u * (4.0 - u))
        return w, c, e, np.count_nonzero(~pos, axis=-1)
    rho = np.where(pos, u - rows.below, rows.above - u)  # t - theta, from the complements
    w = rho * d1
    c = d1 * d1 + np.where(pos, rho, -rho) * d2
    e = np.where(pos, u * (u - 2.0 * rows.below), -u * (2.0 * rows.above - u))
    return w, c, e, np.sum(np.where(pos, 0.0, rows.targets), axis=-1)
