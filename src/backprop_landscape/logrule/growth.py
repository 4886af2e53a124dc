"""Growth laws of diverging weights: the theory from theta's tail, and a regression.

Section 3 of the report argues that a weight driven to infinity by the flow
dx/dt = 2 (1 - theta(x)) theta'(x) grows like a + b log t for theta = tanh, so that
successive differences vanish and the weight *looks* converged.  The law depends on
theta's tail 1 - theta(z) ~ C z^-p exp(-k z^q) (see :class:`~.theta.Tail`):

* exponential tail (k > 0, q = 1):  x   ~ (1/(2k)) log t        law ``log``,     coef 1/(2k)
* Gaussian tail    (k > 0, q = 2):  x^2 ~ (1/(2k)) log t        law ``sqrtlog``, coef 1/(2k)
* power tail       (k = 0):         x^(2p+2) ~ 4 (p+1) p C^2 t  law ``power``,   coef 1/(2p+2)

:func:`predicted_law` gives the scalar prediction, :func:`predicted_norm_law` its
multi-dimensional analogue for the norm of x on separable data (implicit bias towards
the max-margin direction), and :func:`fit_growth` decides from samples (t, w) which of
the laws ``log``, ``power``, ``sqrtlog`` and ``bounded`` describes a series best
(:func:`.growth_many.fit_growth_many` does the same for the thousand weights of a
network at once).
The derivations are in ``docs/theory.md``.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np

from ..models.theta import Tail

LAWS: tuple[str, ...] = ("log", "power", "sqrtlog", "bounded")
N_PARAMS: dict[str, int] = {"log": 2, "power": 2, "sqrtlog": 2, "bounded": 3}
COEF_MEANING: dict[str, str] = {
    "log": "b in w = c0 + b log t (the limit of t dw/dt)",
    "power": "p in w = c t^p",
    "sqrtlog": "b in w^2 = c0 + b log t (the limit of t d(w^2)/dt)",
    "bounded": "w_inf in w = w_inf + c t^-r (the extrapolated limit)",
}

# Residual sums of squares below (RSS_FLOOR * scale)^2 per sample are not evidence: they
# are at the accuracy of an ODE solver's output, and log(0) must not reach the BIC.
RSS_FLOOR = 1e-12
# Larger |w| would overflow w^2 (sqrtlog) and the residual sums; no flow gets near it.
W_MAX = 1e100
# Exponent range of the bounded law's t^-r; r -> 0 turns it into a log law (c -> inf).
R_BOUNDS = (1e-4, 10.0)
R_GRID = np.geomspace(*R_BOUNDS, 81)


# --------------------------------------------------------------------------------------
# Theory
# --------------------------------------------------------------------------------------


def predicted_law(tail: Tail) -> dict:
    """Growth law of the one-weight flow dx/dt = 2 (1 - theta(x)) theta'(x), x -> +inf.

    Parameters
    ----------
    tail : Tail
        theta's declared tail, 1 - theta(z) ~ C z^-p exp(-k z^q).

    Returns
    -------
    dict
        ``law`` (one of :data:`LAWS`) and ``coef``, comparable with the ``coef`` that
        :func:`fit_growth` returns for that law: b = 1/(2k) for ``log`` and ``sqrtlog``,
        the exponent 1/(2p+2) for ``power``.  ``c0`` is the constant of x^q = c0 + b log t,
        (1/(2k)) log(4 C^2 k^2 q^2), when the tail makes the law free of log log t terms
        (2q - 2 - 2p = 0, as for tanh and erf), NaN otherwise; ``prefactor`` is c in
        x ~ c t^(1/(2p+2)) for power tails, NaN otherwise.
    """
    if tail.k > 0:
        law = {1.0: "log", 2.0: "sqrtlog"}.get(float(tail.q))
        if law is None:
            raise ValueError(
                f"no candidate law for a stretched tail exp(-k z^q) with q = {tail.q}; "
                "only q = 1 (log) and q = 2 (sqrtlog) are covered"
            )
        # With u = x^q: du/dt ~ 2 C^2 k q^2 x^(2q-2-2p) exp(-2 k u); see docs/theory.md.
        k, q = tail.k, tail.q
        free_of_loglog = 2.0 * q - 2.0 - 2.0 * tail.p == 0
        c0 = math.log(4.0 * tail.C**2 * k**2 * q**2) / (2.0 * k) if free_of_loglog else math.nan
        return {"law": law, "coef": 1.0 / (2.0 * k), "c0": c0, "prefactor": math.nan}
    if tail.p <= 0:
        raise ValueError(f"a power tail needs p > 0; got p = {tail.p}")
    # dx/dt ~ 2 p C^2 x^-(2p+1)  =>  x^(2p+2) ~ (2p+2) 2 p C^2 t.
    exponent = 1.0 / (2.0 * tail.p + 2.0)
    prefactor = ((2.0 * tail.p + 2.0) * 2.0 * tail.p * tail.C**2) ** exponent
    return {"law": "power", "coef": exponent, "c0": math.nan, "prefactor": prefactor}


def predicted_norm_law(tail: Tail, svm_norm: float) -> dict:
    """Growth law of ||x(t)|| for gradient flow on separable data, x -> inf along w_hat.

    Parameters
    ----------
    tail : Tail
        theta's declared tail.
    svm_norm : float
        ||w_hat|| = 1/gamma of the hard-margin SVM through the origin
        (:func:`backprop_landscape.problems.separability.max_margin`); NaN or inf for a
        non-separable problem, for which nothing is predicted.

    Returns
    -------
    dict
        ``law`` and ``coef``: ``log`` with b = ||w_hat|| / (2k) for exponential tails
        (Soudry et al. 2018), ``sqrtlog`` with b = ||w_hat||^2 / (2k) for Gaussian tails
        (heuristic: support vectors dominate), ``power`` with the exponent 1/(2p+2) for
        power tails, where the direction (and so the constant) is not implied.
        ``coef`` is NaN when nothing is predicted.
    """
    svm_norm = float(svm_norm)
    if svm_norm <= 0:
        raise ValueError(f"svm_norm = ||w_hat|| must be > 0; got {svm_norm}")
    scalar = predicted_law(tail)
    if scalar["law"] == "power":
        return {"law": "power", "coef": scalar["coef"]}
    if not np.isfinite(svm_norm):
        return {"law": scalar["law"], "coef": math.nan}
    # The support vectors' margins are z = gamma ||x||; the scalar law in z, rescaled.
    power = 1.0 if scalar["law"] == "log" else 2.0
    return {"law": scalar["law"], "coef": svm_norm**power / (2.0 * tail.k)}


def predicted_norm_rate(tail: Tail, svm_norm: float) -> float:
    """Predicted limit of t d||x||/dt (exponential tails) or t d||x||^2/dt (Gaussian tails).

    This is the ``coef`` of :func:`predicted_norm_law`; it is NaN for power tails (t d||x||/dt
    grows without limit and the max-margin direction is not implied) and for
    non-separable problems (``svm_norm`` NaN or inf).
    """
    law = predicted_norm_law(tail, svm_norm)
    return math.nan if law["law"] == "power" else float(law["coef"])


# --------------------------------------------------------------------------------------
# Regression
# --------------------------------------------------------------------------------------


@dataclass
class LawFit:
    """One candidate law fitted to the tail samples; ``fitted`` is w predicted at each t."""

    law: str
    coef: float
    coef_stderr: float
    params: dict
    fitted: np.ndarray = field(repr=False)


def fit_growth(t, w, *, decades: float = 2.0, laws=LAWS, min_points: int = 6) -> dict:
    """Fit the growth laws to the tail of a series w(t) and choose one by BIC.

    Parameters
    ----------
    t, w : array_like, shape (N,)
        Times (finite, > 0, strictly increasing, typically log-spaced) and the weight or
        norm at those times.
    decades : float, default 2
        The tail is every sample with t >= t[-1] / 10**decades.
    laws : sequence of str
        Candidates among :data:`LAWS`.
    min_points : int, default 6
        Fewest tail samples accepted (the bounded law has three parameters).

    Returns
    -------
    dict
        ``law``, ``coef``, ``coef_stderr`` and ``params`` of the chosen law (``coef`` as
        in :data:`COEF_MEANING`); per candidate ``bic``, ``rms``, ``coefs``; ``skipped``
        (law -> reason) for laws that do not apply (``power`` and ``sqrtlog`` need w of
        one sign); ``t_dw_tail`` and ``t_dw_drift`` (t dw/dt at the last sample and its
        change per decade, from a straight line through the local slopes dw/dlog t over
        the tail: constant for the log rule, and an underestimate of the end value for a
        convex t dw/dt such as a power law's); ``n_tail``, ``t_start``, ``t_end``.
        ``coef_stderr`` is inf for a bounded fit whose exponent r is undetermined
        (e.g. a flat series).

    Notes
    -----
    Criterion: BIC = n log(RSS/n) + k log n with RSS the residual sum of squares *in w*
    for every law (so the laws are comparable, whatever space each is fitted in) and k
    its parameter count (2, or 3 for ``bounded``).  The smallest BIC wins; ties go to the
    earlier law in ``laws``.  A bounded fit whose approach w_inf + c t^-r has
    r ln(t_end / t_0) < 1 is dropped when other laws apply: over the tail it is
    indistinguishable from unbounded growth.  RSS is floored at n (1e-12 max|w|)^2, the
    resolution of solver output, so exact synthetic series do not produce log(0).
    """
    t, w = _validate_series(t, w)
    laws = tuple(laws)
    unknown = sorted(set(laws) - set(LAWS))
    if unknown or not laws:
        raise ValueError(f"laws must be a non-empty subset of {LAWS}; got {tuple(laws)}")
    if not decades > 0:
        raise ValueError(f"decades must be > 0; got {decades}")
    if min_points < 4:
        raise ValueError(f"min_points must be >= 4; got {min_points}")

    tail = t >= t[-1] / 10.0**decades
    n = int(np.count_nonzero(tail))
    if n < min_points:
        raise ValueError(
            f"only {n} samples with t >= {t[-1] / 10.0**decades:.3g} (the last {decades} "
            f"decades); need at least {min_points}: sample more densely or raise decades"
        )
    # Slopes from the whole series, so the first tail sample has a neighbour on each side.
    t_dw = _local_slopes(t, w)[tail]
    t, w = t[tail], w[tail]

    fits, skipped = {}, {}
    for law in laws:
        reason = _inapplicable(law, w)
        if reason:
            skipped[law] = reason
        else:
            fits[law] = _FITTERS[law](t, w)
    if not fits:
        raise ValueError(f"no candidate law applies: {skipped}")
    # w_inf + c t^-r with r ln(t_end/t_0) < 1 never shows its limit inside the tail: it is
    # then a three-parameter imitation of unbounded growth, not evidence of a bound.
    excluded = {}
    bounded = fits.get("bounded")
    if bounded is not None and len(fits) > 1 and bounded.params["r"] * math.log(t[-1] / t[0]) < 1:
        excluded["bounded"] = "limit not approached in the tail: r ln(t_end / t_0) < 1"

    rss = {law: float(np.sum((w - f.fitted) ** 2)) for law, f in fits.items()}
    floor = n * max((RSS_FLOOR * np.max(np.abs(w))) ** 2, np.finfo(float).tiny)
    bic = {law: _bic(max(rss[law], floor), n, N_PARAMS[law]) for law in fits}
    eligible = [law for law in fits if law not in excluded]
    best = min(eligible, key=lambda law: (bic[law], laws.index(law)))
    drift, end_value = _line_through(np.log10(t), t_dw)
    chosen = fits[best]
    return {
        "law": best,
        "coef": chosen.coef,
        "coef_stderr": chosen.coef_stderr,
        "params": chosen.params,
        "criterion": "bic",
        "bic": bic,
        "rms": {law: math.sqrt(rss[law] / n) for law in fits},
        "coefs": {law: f.coef for law, f in fits.items()},
        "skipped": skipped,
        "excluded": excluded,
        "t_dw_tail": end_value,
        "t_dw_drift": drift,
        "n_tail": n,
        "t_start": float(t[0]),
        "t_end": float(t[-1]),
    }


def _bic(rss: float, n: int, n_params: int) -> float:
    """Bayesian information criterion of a least-squares fit with Gaussian residuals."""
    return n * math.log(rss / n) + n_params * math.log(n)


def _validate_series(t, w) -> tuple[np.ndarray, np.ndarray]:
    t = np.asarray(t, dtype=float)
    w = np.asarray(w, dtype=float)
    if t.ndim != 1 or t.shape != w.shape:
        raise ValueError(f"t and w must be 1-d of equal length; got {t.shape} and {w.shape}")
    if not (np.all(np.isfinite(t)) and np.all(np.isfinite(w))):
        raise ValueError("t and w must be finite (a diverged or NaN sample?)")
    if t.size and np.max(np.abs(w)) > W_MAX:
        raise ValueError(f"|w| exceeds {W_MAX:g}: rescale the series (w^2 would overflow)")
    if t.size and t[0] <= 0:
        raise ValueError(f"t must be > 0 (the laws use log t); got t[0] = {t[0]}")
    if np.any(np.diff(t) <= 0):
        i = int(np.flatnonzero(np.diff(t) <= 0)[0])
        raise ValueError(f"t must be strictly increasing; t[{i}] = {t[i]}, t[{i + 1}] = {t[i + 1]}")
    return t, w


def _inapplicable(law: str, w: np.ndarray) -> str:
    """Why ``law`` cannot be fitted to w, or '' when it can."""
    if law == "power" and not (np.all(w > 0) or np.all(w < 0)):
        return "w changes sign or reaches 0: |w| = c t^p cannot hold"
    if law == "sqrtlog" and not (np.all(w >= 0) or np.all(w <= 0)):
        return "w changes sign: w^2 = c0 + b log t fixes one sign"
    return ""


def _local_slopes(t: np.ndarray, w: np.ndarray) -> np.ndarray:
    """t dw/dt = dw/dlog t at every sample, by second-order differences on the log grid."""
    return np.gradient(w, np.log(t), edge_order=2)


def _line_through(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Slope of the least-squares line y ~ x, and its value at x[-1]."""
    fit = _ols(x, y)
    return fit.slope, fit.intercept + fit.slope * float(x[-1])


@dataclass
class _Line:
    intercept: float
    slope: float
    slope_stderr: float
    intercept_stderr: float


def _ols(x: np.ndarray, y: np.ndarray) -> _Line:
    """Straight line y = a + b x by least squares, with the usual standard errors.

    x is centred first, so the normal equations stay well conditioned for x = log t.
    """
    n = x.size
    x_mean, y_mean = float(np.mean(x)), float(np.mean(y))
    dx = x - x_mean
    sxx = float(np.dot(dx, dx))  # > 0: t is strictly increasing
    slope = float(np.dot(dx, y - y_mean)) / sxx
    resid = y - y_mean - slope * dx
    s2 = float(np.dot(resid, resid)) / max(n - 2, 1)
    intercept = y_mean - slope * x_mean
    return _Line(
        intercept=intercept,
        slope=slope,
        slope_stderr=math.sqrt(s2 / sxx),
        intercept_stderr=math.sqrt(s2 * (1.0 / n + x_mean**2 / sxx)),
    )


def _fit_log(t: np.ndarray, w: np.ndarray) -> LawFit:
    line = _ols(np.log(t), w)
    fitted = line.intercept + line.slope * np.log(t)
    params = {"c0": line.intercept, "b": line.slope}
    return LawFit("log", line.slope, line.slope_stderr, params, fitted)


def _fit_power(t: np.ndarray, w: np.ndarray) -> LawFit:
    # Fitted in log space: log|w| = log c + p log t, w of one sign (checked by the caller).
    sign = float(np.sign(w[0]))
    line = _ols(np.log(t), np.log(np.abs(w)))
    fitted = sign * np.exp(line.intercept + line.slope * np.log(t))
    params = {"c": sign * math.exp(line.intercept), "p": line.slope}
    return LawFit("power", line.slope, line.slope_stderr, params, fitted)


def _fit_sqrtlog(t: np.ndarray, w: np.ndarray) -> LawFit:
    sign = -1.0 if np.all(w <= 0) and np.any(w < 0) else 1.0
    line = _ols(np.log(t), w * w)
    fitted = sign * np.sqrt(np.maximum(line.intercept + line.slope * np.log(t), 0.0))
    params = {"c0": line.intercept, "b": line.slope, "sign": sign}
    return LawFit("sqrtlog", line.slope, line.slope_stderr, params, fitted)


def _fit_bounded(t: np.ndarray, w: np.ndarray) -> LawFit:
    """w = w_inf + c (t/t0)^-r, r in R_BOUNDS, with t0 the first tail time.

    Measuring time from t0 keeps c of the size of the variation in w, whatever t0 is.
    For fixed r the model is linear in (w_inf, c), so a grid over r gives a starting point
    close to the optimum, which curve_fit then refines and supplies the covariance for.
    """
    t0 = float(t[0])
    ell = np.log(t / t0)

    def model(ell, w_inf, c, r):
        return w_inf + c * np.exp(-r * ell)

    start = min((_bounded_linear(ell, w, r) for r in R_GRID), key=lambda fit: fit[0])
    _, w_inf, c, r = start
    stderr, at_start = math.inf, True
    with warnings.catch_warnings():
        # A flat series leaves r undetermined: the covariance is then reported as inf.
        from scipy.optimize import OptimizeWarning, curve_fit  # lazy: most jobs never solve one

        warnings.simplefilter("ignore", OptimizeWarning)
        try:
            popt, pcov = curve_fit(
                model,
                ell,
                w,
                p0=(w_inf, c, r),
                bounds=([-np.inf, -np.inf, R_BOUNDS[0]], [np.inf, np.inf, R_BOUNDS[1]]),
            )
        except (RuntimeError, ValueError):
            popt, pcov = None, None
    if popt is not None and np.all(np.isfinite(popt)):
        refined = float(np.sum((w - model(ell, *popt)) ** 2))
        if refined <= start[0]:
            w_inf, c, r = (float(v) for v in popt)
            at_start = False
            var = float(pcov[0, 0])
            stderr = math.sqrt(var) if np.isfinite(var) and var >= 0 else math.inf
    params = {"w_inf": w_inf, "c": c, "r": r, "t0": t0, "r_at_bound": _at_bound(r)}
    if at_start:
        params["note"] = "curve_fit did not improve on the grid over r; stderr unknown"
    return LawFit("bounded", w_inf, stderr, params, model(ell, w_inf, c, r))


def _bounded_linear(ell: np.ndarray, w: np.ndarray, r: float) -> tuple[float, float, float, float]:
    """(RSS, w_inf, c, r) of the least-squares fit with r fixed."""
    line = _ols(np.exp(-r * ell), w)
    rss = float(np.sum((w - line.intercept - line.slope * np.exp(-r * ell)) ** 2))
    return rss, line.intercept, line.slope, float(r)


def _at_bound(r: float) -> bool:
    return bool(np.isclose(r, R_BOUNDS[0], rtol=1e-3) or np.isclose(r, R_BOUNDS[1], rtol=1e-3))


_FITTERS = {"log": _fit_log, "power": _fit_power, "sqrtlog": _fit_sqrtlog, "bounded": _fit_bounded}
