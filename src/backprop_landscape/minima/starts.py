"""Starting points of the multistart search, spread over directions and over scales.

Half of the default starts have isotropic directions, half are drawn "per weight" (each
weight its own log-uniform magnitude, so that one weight can sit near 100 while another
sits near 0.01); radii are log-uniform in [r_min, r_max], and everything is stratified
(Latin hypercube).
"""

from __future__ import annotations

import numpy as np
from scipy import special

DESIGNS = ("mixed", "isotropic", "per_weight")
R_MIN, R_MAX = 1e-2, 1e2  # default radii of the starts


def sample_starts(
    m: int,
    n_starts: int,
    seed=0,
    r_min: float = R_MIN,
    r_max: float = R_MAX,
    design: str = "mixed",
):
    """n_starts points in R^m spread over directions and over scales.

    * ``"isotropic"``: unit directions uniform on the sphere, radii log-uniform in
      [r_min, r_max];
    * ``"per_weight"``: radii as above, but the direction's coordinates (the weights)
      get independent random signs and log-uniform magnitudes over as many decades
      (r_max / r_min) before normalising -- weights multiply input features whose scales
      may differ by orders of magnitude, so basins can sit at a different scale in each
      weight (one weight near 100, another near 0.01), which an isotropic direction
      (all weights alike) rarely produces;
    * ``"mixed"`` (default): the first half isotropic, the rest per weight.

    Both are stratified (Latin hypercube): each log-radius, each direction coordinate and
    each sign is drawn once from each of n equal-probability slices, so every decade and
    every orthant gets its share even for small n.  ``seed`` is an int or a numpy
    Generator.
    """
    if not (0 < r_min <= r_max and np.isfinite(r_max)):
        raise ValueError(f"need 0 < r_min <= r_max < inf; got r_min={r_min!r}, r_max={r_max!r}")
    if n_starts < 1 or m < 1:
        raise ValueError(f"need n_starts >= 1 and m >= 1; got {n_starts!r}, {m!r}")
    if design not in DESIGNS:
        raise ValueError(f"unknown design {design!r}; choose one of {', '.join(DESIGNS)}")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    n_iso = {"mixed": n_starts // 2, "isotropic": n_starts, "per_weight": 0}[design]
    lo, hi = np.log(r_min), np.log(r_max)
    U = _latin_hypercube(n_iso, m + 1, rng)
    directions = special.ndtri(U[:, 1:])  # stratified normal draws
    norms = np.linalg.norm(directions, axis=1, keepdims=True)
    directions /= np.where(norms > 0, norms, 1.0)  # a zero draw has probability 0
    isotropic = directions * np.exp(lo + (hi - lo) * U[:, :1])
    W = _latin_hypercube(n_starts - n_iso, 2 * m + 1, rng)
    shape = np.where(W[:, m : 2 * m] < 0.5, -1.0, 1.0) * np.exp((lo - hi) * W[:, :m])
    shape /= np.linalg.norm(shape, axis=1, keepdims=True)
    per_weight = shape * np.exp(lo + (hi - lo) * W[:, 2 * m :])
    return np.concatenate([isotropic, per_weight])


def _latin_hypercube(n: int, d: int, rng) -> np.ndarray:
    """n points in (0, 1)^d, one in each of n equal slices of every coordinate."""
    slices = np.argsort(rng.random((d, n)), axis=1).T  # an independent permutation per axis
    return (slices + rng.uniform(size=(n, d))) / n


def one_weight_start_mass(lo, hi, r_min: float = R_MIN, r_max: float = R_MAX) -> float:
    """Probability that a start of :func:`sample_starts` with m = 1 lies in (lo, hi).

    For one weight every design draws the same law: a sign, + or - with probability 1/2,
    times a radius log-uniform on [r_min, r_max] (a direction in R^1 is +-1).  Its CDF is
    F(x) = 1/2 + sign(x) log(clip(|x|, r_min, r_max) / r_min) / (2 log(r_max / r_min)),
    so the mass of an interval is exact; ``lo`` and ``hi`` may be infinite.
    """
    if not (0 < r_min <= r_max and np.isfinite(r_max)):
        raise ValueError(f"need 0 < r_min <= r_max < inf; got r_min={r_min!r}, r_max={r_max!r}")
    if not lo <= hi:
        raise ValueError(f"need lo <= hi; got ({lo!r}, {hi!r})")

    def cdf(x: float) -> float:
        if x == 0:
            return 0.5
        if r_max == r_min:  # every start at +-r_min
            return 0.5 + np.sign(x) * 0.5 * float(abs(x) >= r_min)
        radius = min(max(abs(x), r_min), r_max)
        return 0.5 + np.sign(x) * 0.5 * np.log(radius / r_min) / np.log(r_max / r_min)

    return float(cdf(hi) - cdf(lo))
