"""Activations of a network's units: logistic, tanh, atan, erf and linear.

Every activation gives, vectorised over numpy arrays,

* ``value(z)``, ``d1(z)``, ``d2(z)``: f, f', f'';
* for a bounded one, with range (lo, hi), the two *gaps* ``upper_gap(z) = hi - f(z)``
  and ``lower_gap(z) = f(z) - lo``, each computed without subtraction, so that an output
  deep in saturation keeps its tiny distance to the bound (1 - sigma(z) = sigma(-z),
  1 - tanh z = 2 expit(-2z), 1 - erf z = erfc z);
* ``residual(z, y)``: out - y with the same care, written as a gap plus the exact
  distance of the target to the nearer bound (for a hard target y = hi the residual is
  exactly -upper_gap(z), not f(z) - 1 rounded to 0);
* ``flip``: how a hidden unit's sign flip (W_j, b_j, v_j) -> -(W_j, b_j, v_j) is
  absorbed: ``"odd"`` (f(-a) = -f(a): nothing else changes), ``"logistic"``
  (sigma(-a) = 1 - sigma(a): the output bias takes up v_j) or ``None``;
* ``z_far``: the |z| beyond which both gaps are below 1e-17 (the unit is saturated to
  double precision relative to its range); infinite for a linear unit; ``z_at_gap`` the
  same for any level.

``atan`` and ``erf`` reuse the stable primitives of :mod:`.theta`; ``softsign`` is not
offered, because it is only C^1 at 0 and the Hessian that classifies stationary points
jumps there.
"""

from __future__ import annotations

from functools import cached_property

import numpy as np
from scipy import special

SATURATED_GAP = 1e-17  # a gap below this, relative to the range, is saturation


class Activation:
    """Base class: a smooth increasing unit function f with its stable gaps."""

    name: str
    lo: float | None = None
    hi: float | None = None
    flip: str | None = None

    @property
    def bounded(self) -> bool:
        return self.hi is not None

    def value(self, z):
        raise NotImplementedError

    def d1(self, z):
        raise NotImplementedError

    def d2(self, z):
        raise NotImplementedError

    def upper_gap(self, z):
        raise NotImplementedError

    def lower_gap(self, z):
        raise NotImplementedError

    def residual(self, z, y):
        """out - y for pre-activations z (..., n) and targets y (n,), without cancellation.

        For a bounded unit, r = (hi - y) - upper_gap(z) when y is in the upper half of the
        range and r = lower_gap(z) - (y - lo) otherwise: hi - y and y - lo are exact for
        the hard targets (0), and the gap keeps full relative precision however deep z is.
        """
        z = np.asarray(z, dtype=float)
        y = np.asarray(y, dtype=float)
        if not self.bounded:
            return z - y
        upper = y >= 0.5 * (self.lo + self.hi)
        return np.where(
            upper,
            (self.hi - y) - self.upper_gap(np.where(upper, z, 0.0)),
            self.lower_gap(np.where(upper, 0.0, z)) - (y - self.lo),
        )

    def limit(self, sign):
        """f(+inf) for sign > 0 and f(-inf) for sign < 0 (bounded units only)."""
        return np.where(np.asarray(sign) > 0, self.hi, self.lo)

    @cached_property
    def z_far(self) -> float:
        """|z| beyond which both gaps are below SATURATED_GAP times the range."""
        return self.z_at_gap(SATURATED_GAP)

    def z_at_gap(self, level: float) -> float:
        """The |z| at which the larger gap falls to ``level`` times the range (inf if unbounded)."""
        if not self.bounded:
            return np.inf
        width = self.hi - self.lo

        def excess(z):  # > 0 while a gap is still above the level (both are positive)
            return max(float(self.upper_gap(z)), float(self.lower_gap(-z))) / width - level

        top = 2.0
        while excess(top) > 0:  # doubling bracket: power tails need z near 1e17
            top *= 2.0
        # bisection (the gaps fall monotonically) to the last bit: no scipy.optimize to
        # import for this one-off root, which every network job would pay for
        lo, hi = 0.0, top
        while lo < (mid := 0.5 * (lo + hi)) < hi:
            lo, hi = (mid, hi) if excess(mid) > 0 else (lo, mid)
        return hi

    def __repr__(self) -> str:
        return f"Activation({self.name!r})"


class Logistic(Activation):
    """sigma(z) = 1 / (1 + e^-z), range (0, 1); sigma' = sigma(z) sigma(-z)."""

    name = "logistic"
    lo, hi = 0.0, 1.0
    flip = "logistic"

    def value(self, z):
        return special.expit(z)

    def upper_gap(self, z):
        return special.expit(-np.asarray(z, dtype=float))

    def lower_gap(self, z):
        return special.expit(z)

    def d1(self, z):
        z = np.asarray(z, dtype=float)
        return special.expit(z) * special.expit(-z)

    def d2(self, z):
        # sigma'' = sigma' (1 - 2 sigma) = -sigma' tanh(z / 2): no 1 - 2 sigma by subtraction
        z = np.asarray(z, dtype=float)
        return -self.d1(z) * np.tanh(0.5 * z)


class Tanh(Activation):
    """tanh, range (-1, 1); 1 - tanh z = 2 expit(-2z), tanh' = 4 expit(2z) expit(-2z)."""

    name = "tanh"
    lo, hi = -1.0, 1.0
    flip = "odd"

    def value(self, z):
        return np.tanh(z)

    def upper_gap(self, z):
        return 2.0 * special.expit(-2.0 * np.asarray(z, dtype=float))

    def lower_gap(self, z):
        return 2.0 * special.expit(2.0 * np.asarray(z, dtype=float))

    def d1(self, z):
        z = np.asarray(z, dtype=float)
        return 4.0 * special.expit(2.0 * z) * special.expit(-2.0 * z)

    def d2(self, z):
        z = np.asarray(z, dtype=float)
        return -2.0 * np.tanh(z) * self.d1(z)


class Linear(Activation):
    """f(z) = z: no saturation, f'' = 0 (a linear output is plain least squares)."""

    name = "linear"
    flip = "odd"

    def value(self, z):
        return np.asarray(z, dtype=float)

    def d1(self, z):
        return np.ones_like(np.asarray(z, dtype=float))

    def d2(self, z):
        return np.zeros_like(np.asarray(z, dtype=float))


class FromTheta(Activation):
    """A sigmoid of :mod:`.theta` (odd, limits -1 and +1) used as a unit."""

    lo, hi = -1.0, 1.0
    flip = "odd"

    def __init__(self, theta_name: str):
        from .theta import get_theta

        self.theta = get_theta(theta_name)
        self.name = theta_name

    def value(self, z):
        return self.theta.value(z)

    def upper_gap(self, z):
        return self.theta.one_minus(z)

    def lower_gap(self, z):
        return self.theta.one_plus(z)

    def d1(self, z):
        return self.theta.d1(z)

    def d2(self, z):
        return self.theta.d2(z)


_FACTORIES = {
    "logistic": Logistic,
    "tanh": Tanh,
    "linear": Linear,
    "atan": lambda: FromTheta("atan"),
    "erf": lambda: FromTheta("erf"),
}
ACTIVATION_NAMES: tuple[str, ...] = tuple(_FACTORIES)
_CACHE: dict[str, Activation] = {}


def get_activation(name: str) -> Activation:
    """The activation called ``name``; ValueError naming the choices otherwise."""
    if name not in _FACTORIES:
        raise ValueError(
            f"unknown activation {name!r}; choose one of {', '.join(ACTIVATION_NAMES)}"
        )
    if name not in _CACHE:
        _CACHE[name] = _FACTORIES[name]()
    return _CACHE[name]
