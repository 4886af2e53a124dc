"""Growth laws of many series at once: every weight of a network in one pass.

:func:`fit_growth_many` is :func:`.growth.fit_growth` vectorised over the columns of a
matrix -- the same candidate laws, tail, residuals in w, BIC, RSS floor, tie rule and
exclusion of a bounded fit that never approaches its limit -- so that the thousand
weights of a network are fitted in a fraction of a second instead of one curve_fit each.
"""

from __future__ import annotations

import math

import numpy as np

from .growth import LAWS, N_PARAMS, R_GRID, RSS_FLOOR, W_MAX, _validate_series

#: Golden-section refinements of the bounded law's exponent after the grid over r.
_R_REFINE = 30


def fit_growth_many(t, W, *, decades: float = 2.0, slopes=None, min_points: int = 6) -> dict:
    """:func:`.growth.fit_growth` for K series at once, the columns of W (shape (N, K)).

    The same laws, tail, residuals in w, BIC, RSS floor, ties and exclusion of a bounded
    fit that never approaches its limit -- vectorised over the series, so that the
    thousand weights of a network are fitted in one pass.  The bounded law's exponent r
    is found on :data:`R_GRID` and then refined by golden-section search on log r in the
    bracket of the best grid point (for fixed r the law is linear in w_inf and c, so this
    is the same profile least-squares problem curve_fit solves in fit_growth);
    its standard error is the linearised one of the three-parameter fit.

    Parameters
    ----------
    t : array_like, shape (N,)
        Times, > 0 and strictly increasing.
    W : array_like, shape (N, K)
        The series.
    decades : float
        The tail is t >= t[-1] / 10**decades.
    slopes : array_like, shape (N, K), optional
        Exact t dw/dt at the samples (e.g. -t grad E of a flow); default: local slopes
        dw/dlog t by second-order differences, as :func:`fit_growth` takes them.

    Returns
    -------
    dict of arrays of length K
        ``law`` (str), ``coef``, ``coef_stderr``, ``t_dw_tail``, ``t_dw_drift``,
        ``rms_<law>`` and ``bic_<law>`` per candidate (NaN where a law does not apply),
        and the scalars ``n_tail``, ``t_start``, ``t_end``.
    """
    t = np.asarray(t, dtype=float)
    W = np.asarray(W, dtype=float)
    if W.ndim == 1:
        W = W[:, None]
    if t.ndim != 1 or W.shape[0] != t.size:
        raise ValueError(f"W must have shape (N, K) with N = len(t); got {W.shape}, {t.shape}")
    _validate_series(t, np.zeros_like(t))
    if not (np.all(np.isfinite(W)) and np.max(np.abs(W), initial=0.0) <= W_MAX):
        raise ValueError(f"W must be finite with |w| <= {W_MAX:g}")
    tail = t >= t[-1] / 10.0**decades
    n = int(np.count_nonzero(tail))
    if n < min_points:
        raise ValueError(f"only {n} samples in the last {decades} decades; need {min_points}")
    D = np.gradient(W, np.log(t), axis=0, edge_order=2) if slopes is None else np.asarray(slopes)
    D = D[tail]
    t, W = t[tail], W[tail]
    K = W.shape[1]
    x = np.log(t)

    rss, coef, stderr = {}, {}, {}
    # log: w = c0 + b log t
    b, c0, se = _ols_many(x, W)
    rss["log"] = np.sum((W - c0 - b * x[:, None]) ** 2, axis=0)
    coef["log"], stderr["log"] = b, se
    # power: log|w| = log c + p log t, for series of one strict sign
    one_sign = np.all(W > 0, axis=0) | np.all(W < 0, axis=0)
    logw = np.log(np.where(one_sign, np.abs(W), 1.0))
    p, lc, se = _ols_many(x, logw)
    fitted = np.sign(W[0]) * np.exp(lc + p * x[:, None])
    rss["power"] = np.where(one_sign, np.sum((W - fitted) ** 2, axis=0), np.nan)
    coef["power"], stderr["power"] = np.where(one_sign, p, np.nan), np.where(one_sign, se, np.nan)
    # sqrtlog: w^2 = c0 + b log t, for series of one sign
    weak = np.all(W >= 0, axis=0) | np.all(W <= 0, axis=0)
    sign = np.where(np.all(W <= 0, axis=0) & np.any(W < 0, axis=0), -1.0, 1.0)
    b2, c2, se = _ols_many(x, W * W)
    fitted = sign * np.sqrt(np.maximum(c2 + b2 * x[:, None], 0.0))
    rss["sqrtlog"] = np.where(weak, np.sum((W - fitted) ** 2, axis=0), np.nan)
    coef["sqrtlog"], stderr["sqrtlog"] = np.where(weak, b2, np.nan), np.where(weak, se, np.nan)
    # bounded: w = w_inf + c (t/t0)^-r
    ell = x - x[0]
    bounded = _bounded_many(ell, W)
    rss["bounded"], coef["bounded"], stderr["bounded"] = bounded[:3]
    r = bounded[3]

    floor = n * np.maximum((RSS_FLOOR * np.max(np.abs(W), axis=0)) ** 2, np.finfo(float).tiny)
    bic = {
        law: np.where(np.isnan(rss[law]), np.inf, n * np.log(np.maximum(rss[law], floor) / n))
        + N_PARAMS[law] * math.log(n)
        for law in LAWS
    }
    others = np.isfinite(np.stack([bic[law] for law in LAWS if law != "bounded"])).any(axis=0)
    excluded = others & (r * float(ell[-1]) < 1.0)
    stack = np.stack(
        [np.where(excluded, np.inf, bic[law]) if law == "bounded" else bic[law] for law in LAWS]
    )
    best = np.argmin(stack, axis=0)  # ties: the earlier law, as in fit_growth
    laws = np.asarray(LAWS, dtype=object)[best]
    pick = lambda table: np.stack([table[law] for law in LAWS])[best, np.arange(K)]  # noqa: E731
    drift, _, _ = _ols_many(np.log10(t), D)
    _, intercept, _ = _ols_many(np.log10(t) - np.log10(t[-1]), D)
    out = {
        "law": laws,
        "coef": pick(coef),
        "coef_stderr": pick(stderr),
        "t_dw_tail": intercept,
        "t_dw_drift": drift,
        "n_tail": n,
        "t_start": float(t[0]),
        "t_end": float(t[-1]),
    }
    for law in LAWS:
        out[f"rms_{law}"] = np.sqrt(rss[law] / n)
        out[f"bic_{law}"] = np.where(np.isfinite(bic[law]), bic[law], np.nan)
    return out


def _ols_many(x: np.ndarray, Y: np.ndarray):
    """Slope, intercept and slope standard error of y ~ a + b x for every column of Y."""
    n = x.size
    dx = x - x.mean()
    sxx = float(dx @ dx)
    ym = Y.mean(axis=0)
    slope = dx @ (Y - ym) / sxx
    intercept = ym - slope * x.mean()
    resid = Y - intercept - slope * x[:, None]
    s2 = np.sum(resid * resid, axis=0) / max(n - 2, 1)
    return slope, intercept, np.sqrt(s2 / sxx)


def _bounded_rss(ell, W, r):
    """RSS, w_inf, c of w = w_inf + c e^(-r ell) for each column, r per column (K,)."""
    basis = np.exp(-ell[:, None] * r[None, :])  # (N, K)
    bm = basis.mean(axis=0)
    db = basis - bm
    sbb = np.maximum(np.sum(db * db, axis=0), np.finfo(float).tiny)
    wm = W.mean(axis=0)
    c = np.sum(db * (W - wm), axis=0) / sbb
    w_inf = wm - c * bm
    rss = np.sum((W - w_inf - c * basis) ** 2, axis=0)
    return rss, w_inf, c


def _bounded_many(ell, W):
    """(RSS, w_inf, stderr of w_inf, r) of the bounded law for every column of W."""
    K = W.shape[1]
    cols = np.arange(K)
    grid = np.array([_bounded_rss(ell, W, np.full(K, r))[0] for r in R_GRID])  # (R, K)
    j = np.argmin(grid, axis=0)
    lo = np.log(R_GRID[np.maximum(j - 1, 0)])
    hi = np.log(R_GRID[np.minimum(j + 1, R_GRID.size - 1)])
    g = (math.sqrt(5.0) - 1.0) / 2.0
    a, b = hi - g * (hi - lo), lo + g * (hi - lo)
    fa, fb = (_bounded_rss(ell, W, np.exp(p))[0] for p in (a, b))
    for _ in range(_R_REFINE):
        left = fa <= fb  # the minimum lies in [lo, b]
        hi, lo = np.where(left, b, hi), np.where(left, lo, a)
        new = np.where(left, hi - g * (hi - lo), lo + g * (hi - lo))
        f_new = _bounded_rss(ell, W, np.exp(new))[0]
        a, b, fa, fb = (
            np.where(left, new, b),
            np.where(left, a, new),
            np.where(left, f_new, fb),
            np.where(left, fa, f_new),
        )
    r = np.exp(0.5 * (lo + hi))
    rss = _bounded_rss(ell, W, r)[0]
    r = np.where(rss > grid[j, cols], R_GRID[j], r)  # never worse than the grid
    rss, w_inf, c = _bounded_rss(ell, W, r)
    # Linearised standard error of w_inf: Jacobian columns (1, e^-r ell, -c ell e^-r ell);
    # inf when the three columns are (nearly) dependent, e.g. a flat series (c = 0).
    basis = np.exp(-ell[:, None] * r[None, :])
    J = np.stack([np.ones_like(basis), basis, -c * ell[:, None] * basis], axis=2)  # (N, K, 3)
    JTJ = np.einsum("nki,nkj->kij", J, J)
    sv = np.linalg.svd(JTJ, compute_uv=False)
    determined = sv[:, -1] > 1e-12 * sv[:, 0]
    inv = np.linalg.pinv(JTJ)
    var = inv[:, 0, 0] * rss / max(ell.size - 3, 1)
    stderr = np.where(determined & (var >= 0), np.sqrt(np.abs(var)), np.inf)
    return rss, w_inf, stderr, r
