"""Log mode, detected: the law D(s) = c + B e^(q (s - s_2)) fitted on three checkpoints.

The derivation (D = tau [w(tau + 1) - w(tau)], the family of laws, the jump it gives) is
in the docstring of :mod:`backprop_landscape.questions.extrapolation`, which uses this
module: :class:`Window` keeps the last three checkpoints of every run, one per half
window in log time, and fits the law when they are there; :class:`Law` holds each run's
fitted law and moves it along to a later virtual time; :func:`psi`,
:func:`increment_ratio` and :func:`solve_exponent` are the closed forms they share,
written so that q -> 0 (the pure log rule) loses no digits.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .extrapolation import Settings

#: Increments of D below FLAT |D| mean D is constant (pure log rule, to rounding).
FLAT = 1e-9
TINY = np.finfo(float).tiny


class Law:
    """The fitted law of every run in log mode, anchored at its detecting checkpoint.

    w(tau_a e^L) = w_a + D_a L + dD_a psi(q, L), psi = [(e^(qL) - 1 - qL) / q] /
    (1 - e^(-q delta)), where dD_a = D_2 - D_1 is the last increment of D over the log-time
    span delta; ``log_now`` is L of the run's current state.
    """

    def __init__(self, S: int, P: int):
        self.x, self.D, self.dD = np.zeros((S, P)), np.zeros((S, P)), np.zeros((S, P))
        self.q, self.delta = np.full(S, np.nan), np.ones(S)
        self.tau, self.log_now = np.ones(S), np.zeros(S)

    def start(self, runs, X, tau, fit) -> None:
        self.x[runs], self.tau[runs], self.log_now[runs] = X[runs], tau[runs], 0.0
        self.D[runs], self.dD[runs] = fit["D"][runs], fit["dD"][runs]
        self.q[runs], self.delta[runs] = fit["q"][runs], fit["delta"][runs]

    def position(self, runs, L) -> np.ndarray:
        weight = psi(self.q[runs], L, self.delta[runs])
        return self.x[runs] + L[:, None] * self.D[runs] + weight[:, None] * self.dD[runs]


def psi(q, L, delta):
    """[(e^(qL) - 1 - qL) / q] / (1 - e^(-q delta)), and its limit L^2 / (2 delta) at q = 0."""
    q, L, delta = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (q, L, delta)))
    small = np.abs(q * np.maximum(L, delta)) < 1e-6
    qs = np.where(small, 1.0, q)
    big = (np.expm1(qs * L) - qs * L) / qs / (-np.expm1(-qs * delta))
    series = L * L / (2.0 * delta) * (1.0 + q * L / 3.0 + q * delta / 2.0)
    return np.where(small, series, big)


def increment_ratio(q, d1, d2):
    """(e^(q d2) - 1) / (1 - e^(-q d1)): the ratio of D's increments over log-time spans d1,
    d2 when D = c + B e^(qs); d2 / d1 at q = 0.  Increasing in q."""
    small = np.abs(q) * np.maximum(d1, d2) < 1e-9
    qs = np.where(small, 1.0, q)
    return np.where(small, d2 / d1, np.expm1(qs * d2) / -np.expm1(-qs * d1))


class Window:
    """The last three checkpoints (tau, D, E) of every run, and the detection test."""

    def __init__(self, S: int, P: int, s: Settings):
        self.s = s
        self.half = s.window_decades / 2.0
        self.tau = np.ones((S, 3))
        self.D = np.zeros((S, 3, P))
        self.E = np.zeros((S, 3))
        self.count = np.zeros(S, dtype=np.int64)
        self.next_check = np.ones(S)

    def reset(self, runs, tau) -> None:
        self.count[runs] = 0
        self.next_check[runs] = self._after(tau[runs])

    def _after(self, tau):
        """The first checkpoint 10^(j h) strictly above tau."""
        j = np.floor(np.log10(np.maximum(tau, 1.0)) / self.half + 1e-9) + 1.0
        return 10.0 ** (j * self.half)

    def record(self, runs, tau, D, E):
        """Store a checkpoint for ``runs``; return (fired, fit) for every run.

        ``fit`` holds, per run, D (= D_2), dD (= D_2 - D_1), q, delta (= log tau_2/tau_1)
        and a (the decay exponent of E over the last half window).
        """
        i = np.flatnonzero(runs)
        for store in (self.tau, self.D, self.E):
            store[i, :2] = store[i, 1:]
        self.tau[i, 2], self.D[i, 2], self.E[i, 2] = tau[i], D[i], E[i]
        self.count[i] = np.minimum(self.count[i] + 1, 3)
        self.next_check[i] = self._after(tau[i])

        S, P = D.shape
        fired = np.zeros(S, dtype=bool)
        fit = {
            "D": np.zeros((S, P)),
            "dD": np.zeros((S, P)),
            "q": np.full(S, np.nan),
            "delta": np.ones(S),
            "a": np.zeros(S),
        }
        i = i[(self.count[i] == 3) & (tau[i] >= self.s.min_steps)]
        E0, E1, E2 = self.E[i].T
        i = i[(E0 > E1) & (E1 > E2)]
        if i.size == 0:
            return fired, fit
        log_tau = np.log(self.tau[i])
        d1, d2 = log_tau[:, 1] - log_tau[:, 0], log_tau[:, 2] - log_tau[:, 1]
        D0, D1, D2 = self.D[i, 0], self.D[i, 1], self.D[i, 2]
        inc1, inc2 = D1 - D0, D2 - D1
        n1, n2, norm = (np.linalg.norm(v, axis=1) for v in (inc1, inc2, D2))
        flat = (n1 <= FLAT * norm) & (n2 <= FLAT * norm) & (norm > 0)
        ratio = np.einsum("ij,ij->i", inc2, inc1) / np.maximum(n1 * n1, TINY)
        residual = np.linalg.norm(inc2 - ratio[:, None] * inc1, axis=1)
        lo, hi = self.s.min_exponent, self.s.max_exponent
        in_range = (ratio >= increment_ratio(lo, d1, d2)) & (ratio <= increment_ratio(hi, d1, d2))
        geometric = (n1 > 0) & (ratio > 0) & (residual <= self.s.law_rtol * norm) & in_range
        q = np.where(flat, 0.0, solve_exponent(ratio, d1, d2, lo, hi))
        # The law must be near its asymptotic form: D within rtol of its limit c
        # (|B| small, log rule) or a pure power law (|c| = |D - B| small).
        B = inc2 / -np.expm1(-np.where(q != 0, q, 1.0) * d2)[:, None]
        part = np.where(q > 0, np.linalg.norm(D2 - B, axis=1), np.linalg.norm(B, axis=1))
        ok = flat | (geometric & (q != 0) & (part <= self.s.law_rtol * norm))
        fired[i] = ok
        fit["D"][i] = D2
        fit["dD"][i] = np.where(flat[:, None], 0.0, inc2)
        fit["q"][i] = np.where(ok, q, np.nan)
        fit["delta"][i] = d2
        fit["a"][i] = np.log(self.E[i, 1] / self.E[i, 2]) / d2
        return fired, fit


def solve_exponent(ratio, d1, d2, lo: float, hi: float, iterations: int = 60):
    """q in [lo, hi] with increment_ratio(q, d1, d2) = ratio, by bisection (clipped)."""
    low, high = np.full(ratio.shape, lo), np.full(ratio.shape, hi)
    for _ in range(iterations):
        mid = 0.5 * (low + high)
        above = increment_ratio(mid, d1, d2) > ratio
        high, low = np.where(above, mid, high), np.where(above, low, mid)
    return 0.5 * (low + high)
