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
    """Base class; subclasses implement the stable primitives for z >= 0 or all z."""

    name: str
    tail: Tail
    d2_peak: float

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

    def curvature(self, z):
        """c(z) = theta'^2 - (1 - theta) theta'' = (1/2) d^2/dz^2 (1 - theta)^2."""
        return np.square(self.d1(z)) - self.one_minus(z) * self.d2(z)

    def log_curvature(self, z):
        """(sign, log|c(z)|) of the curvature c, finite where c itself underflows.

        theta'' has the sign of -z, so for z > 0 both parts of c add and for z < 0 they
        subtract; the difference is formed after factoring out the larger part.
        """
        z = np.asarray(z, dtype=float)
        square = 2.0 * self.log_d1(z)
        product = self.log_one_minus(z) + self.log_abs_d2(z)
        top = np.maximum(square, product)
        signed = np.exp(square - top) - np.sign(-z) * np.exp(product - top)
        with np.errstate(divide="ignore"):
            return np.sign(signed), top + np.log(np.abs(signed))

    def curvature_slope(self, z):
        """c'(z) = 3 theta' theta'' - (1 - theta) theta^(3)."""
        return 3.0 * self.d1(z) * self.d2(z) - self.one_minus(z) * self.d3(z)

    @cached_property
    def curvature_turning_points(self) -> np.ndarray:
        """Zeros of c'.  Past |z| = 40 every c here is in its monotone tail, so look inside."""
        from scipy.optimize import brentq  # only the root search needs scipy.optimize

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

    def value(self, z):
        return np.tanh(z)

    def one_minus(self, z):
        return 2.0 * special.expit(-2.0 * np.asarray(z, dtype=float))

    def d1(self, z):
        z = np.asarray(z, dtype=float)
        return 4.0 * special.expit(2.0 * z) * special.expit(-2.0 * z)

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


class Atan(Theta):
    """theta = (2/pi) arctan z; 1 - theta = (2/pi) atan2(1, z), exact for every z."""

    name = "atan"
    tail = Tail(C=TWO_OVER_PI, p=1.0, k=0.0, q=1.0, z_asym=6.0)
    d2_peak = float(1.0 / np.sqrt(3.0))

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


class Erf(Theta):
    """theta = erf; 1 - erf = erfc, and log erfc(z) = log 2 + log_ndtr(-sqrt(2) z)."""

    name = "erf"
    tail = Tail(C=float(1.0 / np.sqrt(np.pi)), p=1.0, k=1.0, q=2.0, z_asym=7.0)
    d2_peak = float(1.0 / np.sqrt(2.0))

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


class Softsign(Theta):
    """theta = z / (1 + |z|); only C^1 at 0: theta'' jumps from +2 to -2 there."""

    name = "softsign"
    tail = Tail(C=1.0, p=1.0, k=0.0, q=1.0, z_asym=100.0)
    d2_peak = 0.0

    def value(self, z):
        z = np.asarray(z, dtype=float)
        return z / (1.0 + np.abs(z))

    def one_minus(self, z):
        # For z > 0 the numerator is exactly 1: |z| - z cancels without rounding.
        z = np.asarray(z, dtype=float)
        return (1.0 + (np.abs(z) - z)) / (1.0 + np.abs(z))

    def d1(self, z):
        return np.square(_reciprocal_one_plus_abs(z))

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
