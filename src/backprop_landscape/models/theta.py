"""The sigmoid family theta: odd, strictly increasing, with limits -1 and +1.

Every member gives, vectorised over numpy arrays,

* ``value(z)``      theta(z)
* ``one_minus(z)``  1 - theta(z), never computed by subtraction
* ``one_plus(z)``   1 + theta(z) = one_minus(-z) by oddness
* ``d1(z)``, ``d2(z)``  theta' and theta''
* ``log_one_minus(z)``, ``log_d1(z)``  logarithms that stay finite where the
  values themselves underflow (z of several hundred and beyond)
* ``log_abs_d2(z)`` and the location ``d2_peak`` of the maximum of |theta''|;
  |theta''| is even and decreasing in |z| beyond ``d2_peak``
* ``curvature(z)``, ``log_curvature(z)``, ``curvature_slope(z)``: c = theta'^2 -
  (1 - theta) theta'' = (1/2) d^2/dz^2 (1 - theta)^2 and its slope, with the bound
  ``curvature_slope_bound`` on |c'| where theta'' is continuous
* ``fast_one_minus(a)``, ``fast_tail_terms(a)`` for a = |z|: closed forms with one or two
  transcendental calls per entry, clipped at ``fast_clip``, for the descent's fast path
* ``linear_range``: the |z| up to which products of theta' terms cannot underflow
* with a target t in [0, 1] (after the sign flip; t = 1 for the paper's hard targets):
  ``residual(z, t)`` = t - theta(z), ``log_residual(z, t)`` its (sign, log|.|),
  ``curvature(z, t)`` = theta'^2 - (t - theta) theta'' and ``log_curvature``, written so
  that t = 1 reproduces the hard-target values bit for bit

and declares its tail (see :class:`Tail`), from which behaviour at infinity is
decided without evaluating anything at huge arguments.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
from scipy import special

LOG_2 = float(np.log(2.0))
TWO_OVER_PI = 2.0 / np.pi
TWO_OVER_SQRT_PI = 2.0 / np.sqrt(np.pi)


@dataclass(frozen=True)
class Tail:
    """Leading behaviour of 1 - theta(z) as z -> +inf: ``C * z**(-p) * exp(-k * z**q)``.

    ``k == 0`` is a power tail (rate set by p), ``q == 1`` an exponential tail,
    ``q == 2`` a Gaussian one.  ``z_asym`` is where the leading form is accurate
    to about one per cent; beyond it the tail decides signs.
    """

    C: float
    p: float
    k: float
    q: float
    z_asym: float

    @property
    def kind(self) -> str:
        if self.k == 0:
            return "power"
        return {1.0: "exponential", 2.0: "gaussian"}.get(self.q, "stretched")


class Theta:
    """Base class; subclasses implement the stable primitives for z >= 0 or all z.

    A subclass that changes a primitive must also override the fast kernels
    (:meth:`fast_one_minus`, :meth:`fast_tail_terms`) if it inherits closed-form ones;
    the base class's kernels call the primitives and are always right.
    """

    name: str
    tail: Tail
    d2_peak: float
    #: |z| beyond which the fast kernels clip their argument: their terms are then below
    #: ~1e-260 and only count for rows that deep, which the descent takes from logarithms.
    fast_clip: float = np.inf
    #: theta'' is continuous and c' decays in the tails, so the largest |c'| on a fine
    #: grid over [-60, 60] bounds it (see :attr:`curvature_slope_bound`).
    smooth_curvature: bool = False

    def value(self, z):
        raise NotImplementedError

    def one_minus(self, z):
        raise NotImplementedError

    def one_plus(self, z):
        return self.one_minus(-np.asarray(z, dtype=float))

    def d1(self, z):
        raise NotImplementedError

    def d2(self, z):
        raise NotImplementedError

    def log_one_minus(self, z):
        raise NotImplementedError

    def log_one_plus(self, z):
        return self.log_one_minus(-np.asarray(z, dtype=float))

    def log_d1(self, z):
        raise NotImplementedError

    def log_abs_d2(self, z):
        raise NotImplementedError

    def d3(self, z):
        raise NotImplementedError

    def residual(self, z, t=None):
        """t - theta(z), the shortfall of the output from the (sign-flipped) target t.

        ``t`` None means the paper's hard target 1: then this is 1 - theta(z)
        (:meth:`one_minus`, exact in the tail).  A soft target t < 1 is reached at the
        finite z = theta^-1(t); the residual is written from the stable complements on
        each side, (1 - theta) - (1 - t) for z >= 0 and (1 + t) - (1 + theta) for z < 0,
        so that no 1 - theta is ever formed by subtraction.  Rows with t == 1 keep the
        hard-target value bit for bit.
        """
        z = np.asarray(z, dtype=float)
        if t is None:
            return self.one_minus(z)
        t = np.asarray(t, dtype=float)
        u = self.one_minus(z)
        soft = np.where(z >= 0, u - (1.0 - t), (1.0 + t) - self.one_plus(z))
        return np.where(t == 1.0, u, soft)

    def residual_and_d1(self, z, t=None):
        """(t - theta(z), theta'(z)) together, bit for bit :meth:`residual` and :meth:`d1`.

        The hot path of every descent loop (E and its gradient need both at each step):
        a theta whose two share work (tanh: expit(-2 z)) overrides
        :meth:`one_minus_and_d1`, which serves the hard targets.
        """
        if t is None:
            return self.one_minus_and_d1(z)
        return self.residual(z, t), self.d1(z)

    def one_minus_and_d1(self, z):
        """(1 - theta(z), theta'(z)), bit for bit :meth:`one_minus` and :meth:`d1`."""
        return self.one_minus(z), self.d1(z)

    def log_residual(self, z, t=None):
        """(sign, log|t - theta(z)|), finite where 1 - theta underflows (hard rows).

        For t == 1 the residual is 1 - theta > 0 and its log comes from
        :meth:`log_one_minus`; a soft row's residual is bounded away from underflow except
        at its own root theta(z) = t, where the log is -inf and the sign 0.
        """
        z = np.asarray(z, dtype=float)
        if t is None:
            return np.ones_like(z), self.log_one_minus(z)
        t = np.broadcast_to(np.asarray(t, dtype=float), z.shape)
        rho = self.residual(z, t)
        with np.errstate(divide="ignore"):
            plain = np.log(np.abs(rho))
        hard = t == 1.0
        log_abs = np.where(hard, self.log_one_minus(z), plain)
        return np.where(hard, 1.0, np.sign(rho)), log_abs

    def curvature(self, z, t=None):
        """c(z) = theta'^2 - (t - theta) theta'' = (1/2) d^2/dz^2 (theta - t)^2; t None: 1."""
        return np.square(self.d1(z)) - self.residual(z, t) * self.d2(z)

    def log_curvature(self, z, log_one_minus=None, log_d1=None, t=None):
        """(sign, log|c(z)|) of the curvature c, finite where c itself underflows.

        theta'' has the sign of -z, so for z > 0 (and a positive residual t - theta) both
        parts of c add and for z < 0 they subtract; the difference is formed after
        factoring out the larger part.  ``log_one_minus`` and ``log_d1``, if given, are the
        log of the residual (log(1 - theta(z)) for hard targets) and log theta'(z) already
        computed by the caller (they are not computed again).  With soft targets ``t``
        the residual may be negative; its sign enters the difference.
        """
        z = np.asarray(z, dtype=float)
        square = 2.0 * (self.log_d1(z) if log_d1 is None else log_d1)
        if t is None:
            sign_rho = 1.0
            log_om = self.log_one_minus(z) if log_one_minus is None else log_one_minus
        else:
            sign_rho, log_res = self.log_residual(z, t)
            log_om = log_res if log_one_minus is None else log_one_minus
        product = log_om + self.log_abs_d2(z)
        top = np.maximum(square, product)
        signed = np.exp(square - top) - sign_rho * np.sign(-z) * np.exp(product - top)
        with np.errstate(divide="ignore"):
            return np.sign(signed), top + np.log(np.abs(signed))

    def curvature_slope(self, z):
        """c'(z) = 3 theta' theta'' - (1 - theta) theta^(3)."""
        return 3.0 * self.d1(z) * self.d2(z) - self.one_minus(z) * self.d3(z)

    @cached_property
    def curvature_slope_bound(self) -> float | None:
        """An upper bound on |c'(z)| over all z; None where theta'' jumps (c then jumps too).

        Only thetas that declare ``smooth_curvature`` qualify: their c' is smooth and
        decays in the tails, so its maximum over a fine grid, plus 5%, bounds it.
        """
        if not self.smooth_curvature:
            return None
        z = np.linspace(-60.0, 60.0, 48001)  # spacing 0.0025: the grid misses < 1% of the sup
        return 1.05 * float(np.max(np.abs(self.curvature_slope(z))))

    @cached_property
    def d3_bound(self) -> float | None:
        """An upper bound on |theta^(3)| over all z (None where theta'' jumps), from a grid.

        A soft target t changes the curvature's slope by (1 - t) theta^(3), so
        sup |c_t'| <= :attr:`curvature_slope_bound` + (1 - t) d3_bound.
        """
        if not self.smooth_curvature:
            return None
        z = np.linspace(-60.0, 60.0, 48001)
        return 1.05 * float(np.max(np.abs(self.d3(z))))

    @cached_property
    def linear_range(self) -> float:
        """|z| up to which theta'(z)^2 >= 1e-200, so plain products of theta' cannot underflow.

        inf for power tails that never get that small before |z| = 1e300.
        """
        from ..roots import brentq  # scipy's Brent without importing scipy.optimize

        target = np.log(1e-200) / 2.0
        hi = 1.0
        while self.log_d1(hi) > target:
            hi *= 2.0
            if hi > 1e300:
                return np.inf  # power tails: theta' never gets that small
        return float(brentq(lambda z: self.log_d1(z) - target, 0.0, hi))

    def fast_one_minus(self, a):
        """u = 1 - theta(a) for a = |z| >= 0 to full relative accuracy, as fast as possible.

        This default calls :meth:`one_minus`; the built-in thetas use a closed form with
        one transcendental call per entry (clipped at ``fast_clip`` where that matters).
        """
        return self.one_minus(a)

    def fast_tail_terms(self, a):
        """(u, theta', |theta''|) at a = |z| >= 0, u = 1 - theta(a) to full relative accuracy.

        This default calls the primitives; the built-in thetas use closed forms (one or
        two transcendental calls per entry, arguments clipped at ``fast_clip``), checked
        against the primitives in the tests.
        """
        return self.one_minus(a), self.d1(a), np.abs(self.d2(a))

    @cached_property
    def curvature_turning_points(self) -> np.ndarray:
        """Zeros of c'.  Past |z| = 40 every c here is in its monotone tail, so look inside."""
        from ..roots import brentq  # scipy's Brent without importing scipy.optimize

        grid = np.sinh(np.linspace(-np.arcsinh(40.0), np.arcsinh(40.0), 4001))
        slope = self.curvature_slope(grid)
        turns = [
            brentq(self.curvature_slope, a, b, xtol=1e-15)
            for a, b, fa, fb in zip(grid[:-1], grid[1:], slope[:-1], slope[1:], strict=True)
            if fa * fb < 0
        ]
        return np.array(turns, dtype=float)

    def __repr__(self) -> str:
        return f"Theta({self.name!r})"


class Tanh(Theta):
    """theta = tanh; 1 - tanh z = 2 expit(-2z).  Logistic units are tanh(z/2)."""

    name = "tanh"
    tail = Tail(C=2.0, p=0.0, k=2.0, q=1.0, z_asym=2.5)
    d2_peak = float(np.arctanh(1.0 / np.sqrt(3.0)))
    fast_clip = 300.0
    smooth_curvature = True

    def value(self, z):
        return np.tanh(z)

    def one_minus(self, z):
        return 2.0 * special.expit(-2.0 * np.asarray(z, dtype=float))

    def d1(self, z):
        z = np.asarray(z, dtype=float)
        return 4.0 * special.expit(2.0 * z) * special.expit(-2.0 * z)

    def one_minus_and_d1(self, z):
        z = np.asarray(z, dtype=float)
        shared = special.expit(-2.0 * z)  # the factor one_minus and d1 both compute
        return 2.0 * shared, 4.0 * special.expit(2.0 * z) * shared

    def d2(self, z):
        return -2.0 * np.tanh(z) * self.d1(z)

    def d3(self, z):
        t, d1 = np.tanh(z), self.d1(z)
        return -2.0 * d1 * d1 + 4.0 * t * t * d1

    def log_one_minus(self, z):
        return LOG_2 + special.log_expit(-2.0 * np.asarray(z, dtype=float))

    def log_d1(self, z):
        z = np.asarray(z, dtype=float)
        return 2.0 * LOG_2 + special.log_expit(2.0 * z) + special.log_expit(-2.0 * z)

    def log_abs_d2(self, z):
        z = np.abs(np.asarray(z, dtype=float))
        with np.errstate(divide="ignore"):  # log 0 = -inf at z = 0 is the right value
            return LOG_2 + np.log(np.tanh(z)) + self.log_d1(z)

    def fast_one_minus(self, a):
        q = np.exp(-2.0 * np.minimum(a, self.fast_clip))
        return 2.0 * q / (1.0 + q)

    def fast_tail_terms(self, a):
        u = self.fast_one_minus(a)
        d1 = u * (2.0 - u)
        return u, d1, 2.0 * (1.0 - u) * d1


class Atan(Theta):
    """theta = (2/pi) arctan z; 1 - theta = (2/pi) atan2(1, z), exact for every z."""

    name = "atan"
    tail = Tail(C=TWO_OVER_PI, p=1.0, k=0.0, q=1.0, z_asym=6.0)
    d2_peak = float(1.0 / np.sqrt(3.0))
    fast_clip = 1e150  # b * b stays finite
    smooth_curvature = True

    def value(self, z):
        return TWO_OVER_PI * np.arctan(z)

    def one_minus(self, z):
        return TWO_OVER_PI * np.arctan2(1.0, np.asarray(z, dtype=float))

    def d1(self, z):
        return TWO_OVER_PI * np.exp(-_log1p_square(z))

    def d2(self, z):
        z = np.asarray(z, dtype=float)
        return -2.0 * z * TWO_OVER_PI * np.exp(-2.0 * _log1p_square(z))

    def d3(self, z):
        z = np.asarray(z, dtype=float)
        return TWO_OVER_PI * (6.0 * z * z - 2.0) * np.exp(-3.0 * _log1p_square(z))

    def log_one_minus(self, z):
        return np.log(self.one_minus(z))

    def log_d1(self, z):
        return np.log(TWO_OVER_PI) - _log1p_square(z)

    def log_abs_d2(self, z):
        z = np.abs(np.asarray(z, dtype=float))
        with np.errstate(divide="ignore"):
            return np.log(2.0 * TWO_OVER_PI) + np.log(z) - 2.0 * _log1p_square(z)

    # fast_one_minus: the default, one_minus = (2/pi) atan2(1, a), is one call already

    def fast_tail_terms(self, a):
        b = np.minimum(a, self.fast_clip)
        r = 1.0 / (1.0 + b * b)
        return TWO_OVER_PI * np.arctan2(1.0, b), TWO_OVER_PI * r, 2.0 * TWO_OVER_PI * b * r * r


class Erf(Theta):
    """theta = erf; 1 - erf = erfc, and log erfc(z) = log 2 + log_ndtr(-sqrt(2) z)."""

    name = "erf"
    tail = Tail(C=float(1.0 / np.sqrt(np.pi)), p=1.0, k=1.0, q=2.0, z_asym=7.0)
    d2_peak = float(1.0 / np.sqrt(2.0))
    fast_clip = 26.0
    smooth_curvature = True

    def value(self, z):
        return special.erf(z)

    def one_minus(self, z):
        return special.erfc(z)

    def d1(self, z):
        return TWO_OVER_SQRT_PI * np.exp(-_clipped_square(z))

    def d2(self, z):
        z = np.asarray(z, dtype=float)
        return -2.0 * z * self.d1(z)

    def d3(self, z):
        z = np.asarray(z, dtype=float)
        return (4.0 * z * z - 2.0) * self.d1(z)

    def log_one_minus(self, z):
        return LOG_2 + special.log_ndtr(-np.sqrt(2.0) * np.asarray(z, dtype=float))

    def log_d1(self, z):
        return np.log(TWO_OVER_SQRT_PI) - _clipped_square(z)

    def log_abs_d2(self, z):
        z = np.abs(np.asarray(z, dtype=float))
        with np.errstate(divide="ignore"):
            return LOG_2 + np.log(z) + self.log_d1(z)

    def fast_one_minus(self, a):
        return special.erfc(np.minimum(a, self.fast_clip))

    def fast_tail_terms(self, a):
        b = np.minimum(a, self.fast_clip)
        d1 = TWO_OVER_SQRT_PI * np.exp(-b * b)
        return special.erfc(b), d1, 2.0 * b * d1


class Softsign(Theta):
    """theta = z / (1 + |z|); only C^1 at 0: theta'' jumps from +2 to -2 there."""

    name = "softsign"
    tail = Tail(C=1.0, p=1.0, k=0.0, q=1.0, z_asym=100.0)
    d2_peak = 0.0
    fast_clip = 1e300

    def value(self, z):
        z = np.asarray(z, dtype=float)
        return z / (1.0 + np.abs(z))

    def one_minus(self, z):
        # For z > 0 the numerator is exactly 1: |z| - z cancels without rounding.
        z = np.asarray(z, dtype=float)
        return (1.0 + (np.abs(z) - z)) / (1.0 + np.abs(z))

    def d1(self, z):
        return np.square(_reciprocal_one_plus_abs(z))

    def one_minus_and_d1(self, z):
        z = np.asarray(z, dtype=float)
        abs_z = np.abs(z)
        denominator = 1.0 + abs_z  # shared by one_minus and d1
        return (1.0 + (abs_z - z)) / denominator, np.square(1.0 / denominator)

    def d2(self, z):
        return -2.0 * np.sign(z) * _reciprocal_one_plus_abs(z) ** 3

    def d3(self, z):
        return 6.0 * _reciprocal_one_plus_abs(z) ** 4

    def log_one_minus(self, z):
        z = np.asarray(z, dtype=float)
        return np.log1p(np.abs(z) - z) - np.log1p(np.abs(z))

    def log_d1(self, z):
        return -2.0 * np.log1p(np.abs(np.asarray(z, dtype=float)))

    def log_abs_d2(self, z):
        return LOG_2 - 3.0 * np.log1p(np.abs(np.asarray(z, dtype=float)))

    def fast_one_minus(self, a):
        return 1.0 / (1.0 + a)

    def fast_tail_terms(self, a):
        # theta'' jumps at 0, where d2 takes the mean, 0
        r = 1.0 / (1.0 + np.minimum(a, self.fast_clip))
        return r, r * r, np.where(a > 0, 2.0 * r * r * r, 0.0)


def _reciprocal_one_plus_abs(z):
    """1 / (1 + |z|): its powers underflow quietly where (1 + |z|)^k would overflow."""
    return 1.0 / (1.0 + np.abs(np.asarray(z, dtype=float)))


def _clipped_square(z):
    """z^2 capped near 1e300, so that exp(-z^2) underflows quietly instead of overflowing."""
    z = np.minimum(np.abs(np.asarray(z, dtype=float)), 1e150)
    return z * z


def _log1p_square(z):
    """log(1 + z^2) without overflow of z^2 for |z| up to the float limit."""
    z = np.abs(np.asarray(z, dtype=float))
    big = z > 1e150
    if not big.any():  # the usual case, and the same values as the general one below
        return np.log1p(z * z)
    safe = np.where(big, 1.0, z)
    return np.where(big, 2.0 * np.log(np.where(big, z, 1.0)), np.log1p(safe * safe))


THETAS: dict[str, Theta] = {t.name: t for t in (Tanh(), Atan(), Erf(), Softsign())}
THETA_NAMES: tuple[str, ...] = tuple(THETAS)


def get_theta(name: str) -> Theta:
    """Return the theta called ``name``; raise ValueError naming the choices otherwise."""
    try:
        return THETAS[name]
    except KeyError:
        raise ValueError(
            f"unknown theta {name!r}; choose one of {', '.join(THETA_NAMES)}"
        ) from None
