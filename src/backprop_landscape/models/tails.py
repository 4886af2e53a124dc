"""Behaviour of E at infinity, decided from theta's tail and never by evaluating at huge x.

Along x -> +inf on the line x * d (m = 1, or a ray of a larger problem), each row with
slope s = (A~ d)_i != 0 contributes to E - E_inf a term whose leading form is a
*monomial*  sign * A * x**(-P) * exp(-K * x**q)  (q is theta's tail exponent):

* s > 0, theta -> +1:  (1 - theta(s x))^2 ~ +C^2 (s x)^(-2p) exp(-2k (s x)^q)
* s < 0, theta -> -1:  (1 - theta)^2 - 4 = -(1 + theta)(3 - theta)
                                          ~ -4 C (|s| x)^(-p) exp(-k (|s| x)^q)

for the paper's hard target t = 1.  A soft target t < 1 (after the sign flip) changes
the limits to (1 -+ t)^2 and the rising row's term: with u = 1 - theta,
(u - (1 - t))^2 - (1 - t)^2 = u (u - 2 (1 - t)) ~ -2 (1 - t) C (s x)^(-p) exp(-k (s x)^q),
negative (the row's error climbs toward its limit: its own minimum is finite, at
theta = t), and the falling row's term is -v (2 t + u) ~ -2 (1 + t) C ... (v = 1 + theta).

The slowest monomial (smallest K, then smallest P; ties summed) dominates; its sign says
whether E reaches its limit from above (the limit is a local minimum at infinity) or from
below (a local maximum there).  Differentiating a monomial gives the monomial of E'.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .theta import Theta


@dataclass(frozen=True)
class Monomials:
    """Signed monomials sign * exp(log_coef) * x**(-power) * exp(-rate * x**q), x -> +inf."""

    sign: np.ndarray
    log_coef: np.ndarray
    power: np.ndarray
    rate: np.ndarray
    q: float

    def log_abs(self, x: float) -> np.ndarray:
        """log of each monomial's magnitude at x > 0 (finite for every x)."""
        return self.log_coef - self.power * np.log(x) - self.rate * x**self.q

    def derivative(self) -> Monomials:
        """Leading monomial of each term's derivative (the exponential factor dominates)."""
        exponential = self.rate > 0
        factor = np.where(exponential, self.rate * self.q, self.power)
        with np.errstate(divide="ignore"):
            log_coef = self.log_coef + np.log(factor)
        power = np.where(exponential, self.power - self.q + 1.0, self.power + 1.0)
        return Monomials(-self.sign, log_coef, power, self.rate, self.q)

    def dominant(self) -> tuple[int, np.ndarray]:
        """Sign of the leading behaviour, and the indices of the tied leading terms.

        Raises ValueError when the leading terms cancel exactly: then only higher-order
        terms of the tails could decide, and we refuse to guess.
        """
        live = np.isfinite(self.log_coef)
        if not live.any():
            raise ValueError("E is constant along this direction: no row varies")
        rate = np.where(live, self.rate, np.inf)
        lead = live & np.isclose(rate, rate[live].min(), rtol=1e-14, atol=0.0)
        power = np.where(lead, self.power, np.inf)
        lead &= np.isclose(power, power[lead].min(), rtol=1e-12, atol=1e-12)
        idx = np.flatnonzero(lead)
        scale = self.log_coef[idx].max()
        total = float(np.sum(self.sign[idx] * np.exp(self.log_coef[idx] - scale)))
        if abs(total) <= 1e-12 * len(idx):
            raise ValueError(
                "the leading tail terms cancel exactly; the limit's side is undecidable "
                "from the leading tails"
            )
        return int(np.sign(total)), idx


def energy_tail(slopes, theta: Theta, targets=None) -> Monomials:
    """Monomials of E(x d) - E_inf as x -> +inf, one per row; rows with slope 0 get -inf.

    ``targets`` (None: all 1) are the rows' sign-flipped targets t; a row with s > 0 and
    t < 1 gets the negative monomial -2 (1 - t) C (s x)^-p exp(-k (s x)^q).
    """
    s = np.asarray(slopes, dtype=float)
    tail = theta.tail
    log_abs_s = np.log(np.where(s == 0, 1.0, np.abs(s)))  # rows with s == 0 are masked below
    t = np.ones_like(s) if targets is None else np.broadcast_to(np.asarray(targets, float), s.shape)
    squared = (s > 0) & (t == 1.0)  # a hard row at +1: its error u^2 is the only term
    log_c = np.log(tail.C)
    with np.errstate(divide="ignore"):  # log(1 - t) of hard rows is masked by `squared`
        log_linear = np.log(2.0 * np.where(s > 0, 1.0 - t, 1.0 + t))
    log_coef = np.where(
        squared,
        2.0 * log_c - 2.0 * tail.p * log_abs_s,
        log_linear + log_c - tail.p * log_abs_s,
    )
    log_coef = np.where(s == 0, -np.inf, log_coef)
    power = np.where(squared, 2.0 * tail.p, tail.p)
    rate = np.where(squared, 2.0, 1.0) * tail.k * np.abs(s) ** tail.q
    return Monomials(np.where(squared, 1.0, -1.0), log_coef, power, rate, tail.q)


def limit_is_minimum(slopes, theta: Theta, targets=None) -> bool:
    """Whether x -> +inf along these slopes is a limiting local minimum of E."""
    sign, _ = energy_tail(slopes, theta, targets).dominant()
    return sign > 0


def dominance_start(monomials: Monomials, margin: float) -> float:
    """An x beyond which the leading monomial exceeds ``margin`` times every other one.

    The log-ratio of two monomials, f(x) = c - dP log x - dK x^q, has at most one turning
    point for x > 0, so past the turning point and past a root of f = log(margin) it stays
    above; we find that root by bracketing and brentq.
    """
    from ..roots import brentq  # scipy's Brent without importing scipy.optimize

    _, lead = monomials.dominant()
    j = lead[int(np.argmax(monomials.log_coef[lead]))]
    start = 1e-300
    q = monomials.q
    for i in np.flatnonzero(np.isfinite(monomials.log_coef)):
        if i in lead:
            continue
        d_coef = monomials.log_coef[j] - monomials.log_coef[i]
        d_power = monomials.power[j] - monomials.power[i]
        d_rate = monomials.rate[j] - monomials.rate[i]

        def excess(x, d_coef=d_coef, d_power=d_power, d_rate=d_rate):
            return d_coef - d_power * np.log(x) - d_rate * x**q - np.log(margin)

        turn = 1.0
        if d_rate != 0 and d_power != 0 and -d_power / (q * d_rate) > 0:
            turn = float((-d_power / (q * d_rate)) ** (1.0 / q))
        hi = max(turn, 1.0)
        while excess(hi) <= 0:
            hi *= 2.0
            if hi > 1e300:
                raise ValueError("tail terms never separate; cannot bound the search range")
        root = turn if excess(turn) > 0 else brentq(excess, turn, hi, xtol=1e-12, rtol=1e-12)
        start = max(start, root)
    return start


def dominance_onset(monomials: Monomials, margin: float) -> float:
    """The smallest x (>= 1e-300) beyond which the leading monomial exceeds ``margin``
    times every other one, found exactly rather than bounded.

    :func:`dominance_start` answers with some x beyond which dominance holds (often 1,
    far beyond where it begins when the slopes are large); this one scans the log-ratio
    f_i(x) = c - dP log x - dK x^q - log(margin) of the leader against each other term on
    a grid of decades and polishes the last sign change by brentq.  f_i has at most one
    turning point, so {f_i >= 0} ends in one interval [x_i, inf); the onset is max_i x_i.
    """
    from ..roots import brentq  # scipy's Brent without importing scipy.optimize

    _, lead = monomials.dominant()
    j = lead[int(np.argmax(monomials.log_coef[lead]))]
    q = monomials.q
    top = 300.0 / max(q, 1.0)  # x^q stays finite on the grid
    grid = 10.0 ** np.arange(-300.0, top + 1.0)
    onset = 1e-300
    for i in np.flatnonzero(np.isfinite(monomials.log_coef)):
        if i in lead:
            continue
        d_coef = monomials.log_coef[j] - monomials.log_coef[i]
        d_power = monomials.power[j] - monomials.power[i]
        d_rate = monomials.rate[j] - monomials.rate[i]

        def excess(x, d_coef=d_coef, d_power=d_power, d_rate=d_rate):
            return d_coef - d_power * np.log(x) - d_rate * x**q - np.log(margin)

        with np.errstate(over="ignore"):  # far out the excess is +inf, as it should be
            values = excess(grid)
        below = np.flatnonzero(values < 0)
        if not below.size:
            continue
        k = int(below[-1])
        if k + 1 >= grid.size:
            raise ValueError("tail terms never separate; cannot bound the search range")
        onset = max(onset, brentq(excess, grid[k], grid[k + 1], xtol=1e-300, rtol=1e-12))
    return onset
