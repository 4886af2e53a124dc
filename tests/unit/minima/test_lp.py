"""The batched LP solvers against HiGHS, one LP at a time."""

import numpy as np
import pytest
from scipy.optimize import linprog

from backprop_landscape.minima.lp import LPBlocks, solve_lp_batch, solve_lp_blocks


def test_batched_dual_simplex_matches_highs_on_random_lps():
    rng = np.random.default_rng(1)
    k, r, w = 120, 30, 5
    G = rng.standard_normal((k, r, w))
    h = rng.uniform(0.1, 1.0, (k, r))
    h[:30, :4] = -rng.uniform(1.0, 4.0, (30, 4))  # some are infeasible
    c = rng.standard_normal((k, w))
    lo, hi = -3.0 * np.ones(w), 3.0 * np.ones(w)
    sol = solve_lp_batch(c, G, h, lo, hi)
    lam = sol.multipliers(c)  # dual certificates of the final vertices
    for j in range(k):
        ref = linprog(-c[j], A_ub=G[j], b_ub=h[j], bounds=list(zip(lo, hi)), method="highs")
        if ref.status == 2:
            assert sol.status[j] == 1
        else:
            assert sol.status[j] == 0
            assert c[j] @ sol.x[j] == pytest.approx(-ref.fun, rel=1e-9, abs=1e-9)
            assert np.all(lam[j] >= -1e-9)


def test_stacked_blocks_match_highs_one_block_at_a_time():
    """max x[-1] s.t. M x <= b per block, solved stacked; an infeasible block gives NaN."""
    rng = np.random.default_rng(2)
    k, r, w = 40, 8, 4
    M = rng.standard_normal((k, r, w))
    b = rng.uniform(0.1, 1.0, (k, r))  # x = 0 is feasible
    M[0, :2] = 0.0
    M[0, 0, 0], M[0, 1, 0] = 1.0, -1.0
    b[0, :2] = -1.0  # x_0 <= -1 and x_0 >= 1: infeasible
    lo, hi = np.r_[-2.0 * np.ones(w - 1), -np.inf], np.r_[2.0 * np.ones(w - 1), 1.0]
    x = solve_lp_blocks([LPBlocks(M[:20], b[:20], lo, hi), LPBlocks(M[20:], b[20:], lo, hi)])
    x = np.concatenate(x)
    assert np.isnan(x[0]).all()
    c = np.r_[np.zeros(w - 1), -1.0]
    for j in range(1, k):
        ref = linprog(c, A_ub=M[j], b_ub=b[j], bounds=list(zip(lo, hi)), method="highs")
        assert ref.status == 0
        assert x[j, -1] == pytest.approx(-ref.fun, rel=1e-9, abs=1e-9)
        assert np.all(M[j] @ x[j] <= b[j] + 1e-9)
