"""Products of exact one-weight blocks: every combination of the blocks' minima is a
minimum of the product, finite or at infinity, and nothing else is.

E of a block-diagonal A~ is the sum of the blocks' one-weight energies, so its local
minima are exactly the choices of one minimum per block (critical1d gives each block's
minima, finite and at infinity, exactly), with E the sum of the blocks' E.  The blocks
are chosen so that finite minima saturate a row: a row with a large input sits deep in
its tail at the block's minimum (z = 48.7 for tanh, 1.5e6 for atan), on the right side
or on the wrong one, and a block with a soft target has a finite minimum with two rows
deep on the wrong side.  Such rows are saturated at a finite point: they stay free rows
(pattern 0) of the product's minima, which find_minima missed before faces were decided
by direction.
"""

import itertools

import numpy as np
import pytest
import scipy.linalg as sl

from backprop_landscape.minima.critical1d import critical_points
from backprop_landscape.minima.search import find_minima
from backprop_landscape.models.theta import get_theta

# (inputs of the block's rows, their targets or None for hard ones), per theta: a block
# with a row saturated at its finite minimum, one with a soft target (its far minimum is
# finite with rows deep at -1), and the type-3 example (a minimum at +inf or far out)
BLOCKS = {
    "tanh": [([1, -10, -500], None), ([2, -30, -60], [0.8, 1, 1]), ([1, -10], None)],
    "erf": [([1, -10, -500], None), ([2, -30, -60], [0.8, 1, 1]), ([1, -10], None)],
    "atan": [([1, -10, -1e7], None), ([2, -30, -1e8], [0.8, 1, 1]), ([1, -10], None)],
    "softsign": [([1, -50, -1e7], None), ([2, -60, -1e8], [0.8, 1, 1]), ([1, -50], None)],
}


def _block_minima(theta, inputs, targets):
    s = np.array(inputs, dtype=float)
    t = None if targets is None else np.array(targets, dtype=float)
    table = critical_points(s[:, None], theta, t)
    return [(row.x, row.E) for row in table[table.kind == "min"].itertuples()], s


@pytest.mark.parametrize("m", [2, 3, 4])
@pytest.mark.parametrize("name", list(BLOCKS))
def test_every_combination_of_exact_block_minima_is_found(name, m):
    theta = get_theta(name)
    blocks = [BLOCKS[name][b % 3] for b in range(m)]
    exact = [_block_minima(theta, inputs, targets) for inputs, targets in blocks]
    A = sl.block_diag(*[s[:, None] for _, s in exact])
    t = np.concatenate([np.ones(len(i)) if tt is None else np.array(tt, float) for i, tt in blocks])
    table = find_minima(A, theta, targets=t, n_starts=2000, seed=0)
    combos = list(itertools.product(*[minima for minima, _ in exact]))
    assert len(table) == len(combos)
    unmatched = list(range(len(table)))
    for combo in combos:
        E = sum(e for _, e in combo)
        at_inf = any(np.isinf(x) for x, _ in combo)
        pattern, z_limit = [], []
        for (x, _), (_, s) in zip(combo, exact):
            if np.isinf(x):  # the block diverges: each row saturates on the side of s x
                side = np.sign(np.sign(x) * s).astype(int)
                pattern += list(side)
                z_limit += list(side.astype(float))
            else:  # a finite minimum: every row free, however deep in its tail
                pattern += [0] * len(s)
                z_limit += list(theta.value(s * x))
        hits = [
            i
            for i in unmatched
            if table.at_infinity.iloc[i] == at_inf
            and table.E.iloc[i] == pytest.approx(E, rel=1e-9)
            and table.saturated.iloc[i] == pattern
            and np.allclose(table.z_limit.iloc[i], z_limit, atol=1e-6)
        ]
        assert len(hits) == 1, (combo, table[["E", "at_infinity", "saturated"]])
        unmatched.remove(hits[0])
