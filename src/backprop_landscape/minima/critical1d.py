"""Every critical point of E on the whole line for a one-weight problem (m = 1).

Method
------
1. E'(x) = sum_i e_i(x) with e_i = -2 s_i (t_i - theta(s_i x)) theta'(s_i x), s = A~ (n x 1)
   and t the sign-flipped targets (1 for hard ones).  We evaluate it as a *signed
   log-sum*: each log|e_i| comes from theta's stable ``log_residual`` (``log_one_minus``
   for hard rows) and ``log_d1``, so the sign of E' is exact even where every term
   underflows (a fold running off to infinity puts roots at x of several hundred).
2. Beyond +-X the tails decide: X is where the leading tail monomial of E' exceeds the sum
   of all others (see :func:`tails.dominance_start`), so E' keeps the sign of the leading
   term out there and has no root.
3. On [-X, X], intervals are bisected until each one either shows a sign change (its root
   is polished by brentq once E'' keeps one sign there) or is *certified* root-free by
   a Lipschitz bound: |E'(l)| + |E'(r)| > (r - l) sup |E''|, with sup |E''| bounded from
   theta's monotone envelopes (theta' and 1 - theta are monotone, |theta''| decreases past
   its peak).  Near a simple root the certified intervals grow geometrically, so the
   search ends; an interval that shrinks to the resolution without a certificate is a
   tangency (E' touches 0), reported with kind "inflection".
4. Each root is classed by the sign change of E'; +-inf are classed from the tails (a
   limit approached from above is a local minimum at infinity) and checked against the
   sign of E' at +-X.  With soft targets a row's limit at +1 is (1 - t)^2, approached
   from below (:mod:`models.tails`); X then also reaches past the z where 1 - theta falls
   to a hundredth of 1 - t, so that the leading tail terms hold there.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from ..models.neuron import energy, ray_limit
from ..models.tails import dominance_onset, dominance_start, energy_tail
from ..models.theta import Theta
from ..roots import brentq  # scipy's Brent without importing scipy.optimize
from .kernels import saturation_threshold
from .starts import R_MAX, R_MIN, one_weight_start_mass

if TYPE_CHECKING:  # pandas is imported where a frame is built: see critical_point_columns
    import pandas as pd

JUMP_PROBE = 1e-300  # one-sided probe of theta'' at its jump (softsign)
RESOLUTION = 1e-9  # roots closer than this (relative to max(1/max|s|, |x|)) count as one
TAIL_MARGIN = 4.0  # leading term must beat the others by this factor beyond X


class SignedDerivative:
    """E'(x) for a one-weight problem, as (sign, log|E'|), stable for every finite x."""

    def __init__(self, slopes, theta: Theta, targets=None):
        s = np.asarray(slopes, dtype=float)
        live = s != 0
        self.s = s[live]
        self.t = None if targets is None else np.asarray(targets, dtype=float)[live]
        self.theta = theta
        self.log_2s = np.log(2.0 * np.abs(self.s))
        self.term_sign = -np.sign(self.s)
        self.log_2s2 = np.log(2.0) + 2.0 * np.log(np.abs(self.s))  # s^2 may underflow

    def __call__(self, x: float) -> tuple[float, float]:
        z = self.s * x
        if self.t is None:
            sign, log_res = 1.0, self.theta.log_one_minus(z)
        else:
            sign, log_res = self.theta.log_residual(z, self.t)
        logs = self.log_2s + log_res + self.theta.log_d1(z)
        top = logs.max()
        if top == -np.inf:  # every row exactly at its own (soft) target
            return 0.0, -np.inf
        total = float(np.sum(self.term_sign * sign * np.exp(logs - top)))
        if total == 0.0:
            return 0.0, -np.inf
        return float(np.sign(total)), float(top + np.log(abs(total)))

    def curvature_range(self, lo: float, hi: float) -> tuple[float, float, float]:
        """An enclosure [lower, upper] * exp(log_scale) of E'' over [lo, hi].

        E'' = 2 sum_i s_i^2 c_i(s_i x) with c_i = theta'^2 - (t_i - theta) theta''.  c_i is
        monotone between its turning points (:func:`curvature_turning_points`; and jumps at 0
        for softsign), so its exact range on an interval is spanned by its values at the
        ends, at the turning points inside and at 0-/0+.  The enclosure tightens as the
        interval shrinks, so E'' that is small only through cancellation between rows is
        still resolved.
        """
        th = self.theta
        z_lo = np.minimum(self.s * lo, self.s * hi)
        z_hi = np.maximum(self.s * lo, self.s * hi)
        targets = np.ones(len(self.s)) if self.t is None else self.t
        signs, logs = [], []
        for a, b, log_weight, t in zip(z_lo, z_hi, self.log_2s2, targets, strict=True):
            turns = curvature_turning_points(th, float(t))
            inside = turns[(turns > a) & (turns < b)]
            # theta'' may jump at 0 (softsign): an end at z = 0 counts by its one-sided
            # limit from inside the interval, and an interval across 0 by both
            ends = [a if a != 0 else JUMP_PROBE, b if b != 0 else -JUMP_PROBE]
            jump = (-JUMP_PROBE, JUMP_PROBE) if a < 0 < b else ()
            points = np.concatenate([ends, inside, jump])
            soft = None if t == 1.0 else np.full(len(points), t)
            sign, log_abs = th.log_curvature(points, t=soft)
            top = log_abs.max()
            scaled = sign * np.exp(log_abs - top) if np.isfinite(top) else np.zeros_like(sign)
            for pick in (np.argmin(scaled), np.argmax(scaled)):
                signs.append(sign[pick])
                logs.append(log_abs[pick] + log_weight)
        signs, logs = np.array(signs).reshape(-1, 2), np.array(logs).reshape(-1, 2)
        log_scale = logs.max()
        bounds = np.sum(signs * np.exp(logs - log_scale), axis=0)
        return float(bounds[0]), float(bounds[1]), float(log_scale)


def _root(deriv: SignedDerivative, lo: float, hi: float, log_scale: float) -> float:
    """Root of E' in a sign-change bracket; values clamped away from 0 so none underflow."""

    def f(x):
        sign, log_abs = deriv(x)
        return sign * np.exp(max(log_abs - log_scale, -700.0))

    return brentq(f, lo, hi, xtol=1e-300, rtol=4 * np.finfo(float).eps, maxiter=500)


def curvature_turning_points(theta: Theta, t: float = 1.0) -> np.ndarray:
    """Zeros of c_t' (c_t = theta'^2 - (t - theta) theta''), where c_t turns; cached per t.

    c_t' = c_1' + (1 - t) theta^(3), so a soft target moves the turning points; past
    |z| = 40 every c_t here is in its monotone tail.
    """
    if t == 1.0:
        return theta.curvature_turning_points
    return _soft_turning_points(theta, float(t))


@lru_cache(maxsize=256)
def _soft_turning_points(theta: Theta, t: float) -> np.ndarray:
    def slope(z):
        return theta.curvature_slope(z) + (1.0 - t) * theta.d3(z)

    grid = np.sinh(np.linspace(-np.arcsinh(40.0), np.arcsinh(40.0), 4001))
    values = slope(grid)
    turns = [
        brentq(slope, a, b, xtol=1e-15)
        for a, b, fa, fb in zip(grid[:-1], grid[1:], values[:-1], values[1:], strict=True)
        if fa * fb < 0
    ]
    return np.array(turns, dtype=float)


def _search_range(slopes, theta: Theta, targets=None) -> tuple[float, float, float]:
    """(X, X+, X-): E' has the sign of its leading tail term on |x| >= X, and already on
    x >= X+ and on x <= -X-.

    X (which sets the starting partition) is as it always was; X+ and X- are where the
    dominance actually begins (:func:`tails.dominance_onset`, never beyond X), so that
    intervals out there are known to be root-free without bisecting them: with slopes of
    1e4, erf's Gaussian tails would otherwise need 1e5 tiny intervals to certify.
    """
    s = np.asarray(slopes, dtype=float)
    live = s != 0
    reach = theta.tail.z_asym / np.abs(s[live]).min()
    if targets is not None:  # a soft row's leading term -2 (1 - t) u holds once u << 1 - t
        for si, ti in zip(s[live], np.asarray(targets, dtype=float)[live], strict=True):
            if ti < 1.0:
                reach = max(reach, saturation_threshold(theta, 0.01 * (1.0 - ti)) / abs(si))
    margin = TAIL_MARGIN * int(live.sum())
    X, onsets = reach, []
    for direction in (1.0, -1.0):
        mono = energy_tail(direction * s[live], theta, _live(targets, live)).derivative()
        X = max(X, dominance_start(mono, margin))
        onsets.append(max(reach, dominance_onset(mono, margin)))
    return float(X), float(min(onsets[0], X)), float(min(onsets[1], X))


def _live(targets, live):
    return None if targets is None else np.asarray(targets, dtype=float)[live]


def _infinity_kind(slopes, theta: Theta, targets=None) -> str:
    sign, _ = energy_tail(slopes, theta, targets).dominant()
    return "min" if sign > 0 else "max"


def critical_roots(slopes, theta: Theta, targets=None) -> tuple[list[float], list[str], float]:
    """Finite critical points of E(x) = sum (theta(s_i x) - t_i)^2, their kinds, and X."""
    deriv = SignedDerivative(slopes, theta, targets)
    if deriv.s.size == 0:
        raise ValueError("E is constant: every row of A~ is zero")
    X, X_plus, X_minus = _search_range(slopes, theta, targets)
    # E varies on the scale 1 / max|s| near 0: the resolution is relative to that or to |x|.
    scale = 1.0 / float(np.abs(deriv.s).max())
    cache: dict[float, tuple[float, float]] = {}

    def at(x):
        if x not in cache:
            cache[x] = deriv(x)
        return cache[x]

    # Start from a partition even in asinh(x), so both scales near 0 and near X are seen.
    u = np.linspace(-np.arcsinh(X), np.arcsinh(X), 33)
    edges = np.unique(np.concatenate([np.sinh(u), [0.0]]))
    stack = [(float(a), float(b)) for a, b in zip(edges[:-1], edges[1:], strict=True)]
    roots: list[tuple[float, str]] = []
    while stack:
        lo, hi = stack.pop()
        if lo >= X_plus or hi <= -X_minus:
            continue  # the leading tail term has the sign of E' there: no root
        (s_lo, l_lo), (s_hi, l_hi) = at(lo), at(hi)
        width = hi - lo
        resolved = width <= RESOLUTION * max(scale, abs(lo), abs(hi))
        lower, upper, log_scale = deriv.curvature_range(lo, hi)
        monotone = lower > 0 or upper < 0
        if s_lo * s_hi < 0 and (monotone or resolved):
            x0 = _root(deriv, lo, hi, max(l_lo, l_hi))
            roots.append((x0, "min" if s_lo < 0 else "max"))
        elif s_lo * s_hi == 0 and monotone:
            roots.append((lo if s_lo == 0 else hi, "min" if lower > 0 else "max"))
        elif s_lo * s_hi > 0 and monotone:
            continue  # E' monotone without a sign change: no root
        elif s_lo * s_hi > 0 and np.logaddexp(l_lo, l_hi) > (
            log_scale + np.log(max(abs(lower), abs(upper))) + np.log(width)
        ):
            continue  # |E'| too large at the ends for a root pair, given sup |E''|
        elif resolved:
            roots.append((0.5 * (lo + hi), "inflection"))
        else:
            mid = 0.5 * (lo + hi)
            stack += [(lo, mid), (mid, hi)]
    return _merge(roots, scale), X


def _merge(roots: list[tuple[float, str]], scale: float) -> list[tuple[float, str]]:
    """Sort and drop repeats found from both sides of an interval edge."""
    merged: list[tuple[float, str]] = []
    for x, kind in sorted(roots):
        if merged and abs(x - merged[-1][0]) <= 2 * RESOLUTION * max(scale, abs(x)):
            continue
        merged.append((x, kind))
    return merged


def critical_points(A_tilde, theta: Theta, targets=None) -> pd.DataFrame:
    """All critical points of E for an n x 1 reduced matrix A~, with the two ends.

    ``targets`` are the sign-flipped targets t (None: the paper's hard targets, all 1).
    Returns columns x, E, kind ("min", "max" or "inflection"), at_infinity; sorted by x,
    with rows x = -inf and x = +inf whose E is the limit and whose kind comes from the tails.
    """
    import pandas as pd  # here: the critical_points_1d job writes columns without pandas

    return pd.DataFrame(_critical_rows(A_tilde, theta, targets), columns=COLUMNS)


COLUMNS = ["x", "E", "kind", "at_infinity"]


def _critical_rows(A_tilde, theta: Theta, targets=None) -> list[dict]:
    A_tilde = np.asarray(A_tilde, dtype=float)
    if A_tilde.ndim != 2 or A_tilde.shape[1] != 1:
        raise ValueError(f"critical_points needs an n x 1 matrix; got shape {A_tilde.shape}")
    slopes = A_tilde[:, 0]
    roots, X = critical_roots(slopes, theta, targets)
    xs = np.array([x for x, _ in roots], dtype=float)
    ends = {
        side * np.inf: (
            _infinity_kind(side * slopes, theta, targets),
            ray_limit(A_tilde, [side], [0.0], theta, targets),
        )
        for side in (-1.0, 1.0)
    }
    _check_ends(SignedDerivative(slopes, theta, targets), X, ends)
    rows = [{"x": -np.inf, "E": ends[-np.inf][1], "kind": ends[-np.inf][0], "at_infinity": True}]
    energies = energy(A_tilde, xs[:, None], theta, targets) if len(xs) else []
    rows += [
        {"x": float(x), "E": float(e), "kind": k, "at_infinity": False}
        for (x, k), e in zip(roots, energies, strict=True)
    ]
    rows.append({"x": np.inf, "E": ends[np.inf][1], "kind": ends[np.inf][0], "at_infinity": True})
    return rows


def critical_point_columns(A_tilde, theta: Theta, targets=None) -> dict:
    """The columns of :func:`critical_points` as arrays, for a job that needs no pandas.

    ``kind`` is a pyarrow large_string array, the type pyarrow gives the frame's column.
    """
    from ..arrow import array  # here: the Snakefile imports the minima stage

    rows = _critical_rows(A_tilde, theta, targets)
    return {
        "x": np.array([row["x"] for row in rows], dtype=float),
        "E": np.array([row["E"] for row in rows], dtype=float),
        "kind": array([str(row["kind"]) for row in rows]),
        "at_infinity": np.array([row["at_infinity"] for row in rows], dtype=bool),
    }


def _check_ends(deriv: SignedDerivative, X: float, ends: dict) -> None:
    """The tail verdict must agree with the computed sign of E' at +-X (else a bug)."""
    # At +inf a minimum needs E decreasing (E' < 0); at -inf it needs E' > 0.
    for end, expected_sign in ((np.inf, -1.0), (-np.inf, 1.0)):
        sign, _ = deriv(X if end > 0 else -X)
        kind = ends[end][0]
        if (sign == expected_sign) != (kind == "min"):
            raise RuntimeError(
                f"tail classification {kind!r} at x = {end} disagrees with sign(E') = {sign} "
                f"at x = {'+' if end > 0 else '-'}{X:g}"
            )


def one_weight_minima(
    A_tilde, theta: Theta, targets=None, critical=None, r_min=R_MIN, r_max=R_MAX
) -> pd.DataFrame:
    """The minima of a one-weight problem in the schema of :func:`search.find_minima`.

    Every minimum of :func:`critical_points` (``critical``, if already computed), finite
    and at +-inf, with ``E``, ``at_infinity``, ``x`` ([x]; at infinity the base [0] of the
    ray 0 + t * direction), ``direction`` ([+-1] at infinity, NaN finite), ``z_limit``
    (theta(A~ x), or at infinity +-1 on the rows that saturate and theta(0) = 0 on zero
    rows) and ``saturated``.  ``basin_fraction`` is exact: the share of the multistart's
    start law (:func:`starts.one_weight_start_mass`: sign +-1, radius log-uniform in
    [r_min, r_max]) that lies in the minimum's gradient-flow basin, the open interval to
    its neighbouring critical points (on one weight the flow runs down to the nearest
    minimum on its side).  An interval bounded by a tangency ("inflection") on its far
    side ends there, so such degenerate points bound basins too.  ``n_starts`` is NA: no
    start was drawn.
    """
    import pandas as pd

    A_tilde = np.asarray(A_tilde, dtype=float)
    critical = critical_points(A_tilde, theta, targets) if critical is None else critical
    s = A_tilde[:, 0]
    xs, kinds = critical["x"].to_numpy(), critical["kind"].to_numpy()
    rows = []
    for i in np.flatnonzero(kinds == "min"):
        x = float(xs[i])
        lo = -np.inf if i == 0 else float(xs[i - 1])
        hi = np.inf if i == len(xs) - 1 else float(xs[i + 1])
        if np.isinf(x):  # a minimum at +-inf owns everything beyond its neighbour
            lo, hi = (lo, np.inf) if x > 0 else (-np.inf, hi)
            side = np.sign(x) * np.sign(s)
            z_limit = side.astype(float)  # zero rows keep theta(0) = 0
            saturated = side.astype(np.int64)
            base, direction = [0.0], [float(np.sign(x))]
        else:
            z_limit = theta.value(s * x)
            saturated = np.zeros(len(s), np.int64)
            base, direction = [x], [np.nan]
        rows.append(
            {
                "E": float(critical["E"].iloc[i]),
                "at_infinity": bool(np.isinf(x)),
                "basin_fraction": one_weight_start_mass(lo, hi, r_min, r_max),
                "n_starts": pd.NA,
                "x": base,
                "direction": direction,
                "z_limit": [float(v) for v in z_limit],
                "saturated": [int(v) for v in saturated],
            }
        )
    columns = ["E", "at_infinity", "basin_fraction", "n_starts", "x", "direction", "z_limit"]
    table = pd.DataFrame(rows, columns=[*columns, "saturated"])
    table["n_starts"] = table["n_starts"].astype("Int64")
    order = np.lexsort((table["at_infinity"].to_numpy(), table["E"].to_numpy()))
    return table.iloc[order].reset_index(drop=True)
