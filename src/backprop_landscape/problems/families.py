"""Problem families: each yields a data set (A, y) and a name that is its path.

A problem's name is its path below ``results/problems/`` without the suffix, e.g.
``n2m1/type3_a10``.  Names are canonical, so one value of a gives one name.
"""

from __future__ import annotations

import itertools

import numpy as np

from .names import problem_name
from .problem import Problem

N2M1_DIRECTIONS = {
    1: lambda a: (0.0, a),  # V = span (0, a): clos TV = {0} x [-1, 1]
    2: lambda a: (1.0, a),  # V = span (1, a): e itself is a limit point
    3: lambda a: (1.0, -a),  # V = span (1, -a): a finite maximum and two minima for large a
}


def n2m1_name(kind: int, a: float) -> str:
    return problem_name("n2m1", kind=kind, a=a)


def n2m1_problem(kind: int, a: float) -> Problem:
    """The n = 2, m = 1 problem of Section 2 whose V is spanned by the type's vector."""
    if kind not in N2M1_DIRECTIONS:
        raise ValueError(f"n2m1 type must be 1, 2 or 3; got {kind!r}")
    a = float(a)
    if not np.isfinite(a) or a <= 0:
        raise ValueError(f"n2m1 a must be a finite number > 0; got a = {a!r}")
    A = np.array(N2M1_DIRECTIONS[kind](a), dtype=float).reshape(2, 1)
    return Problem(n2m1_name(kind, a), A, np.ones(2, dtype=np.int64), {"type": kind, "a": a})


def scalar_problem() -> Problem:
    """Section 3's one-weight example: n = m = 1, u = 1, y = 1, so E = (theta(x) - 1)^2."""
    return Problem("scalar", np.ones((1, 1)), np.ones(1, dtype=np.int64), {})


def random_name(n: int, m: int, separable: bool, seed: int) -> str:
    return problem_name("random", n=n, m=m, separable=separable, seed=seed)


def product_name(m: int, a: float) -> str:
    return problem_name("product", m=m, a=a)


def product_problem(m: int, a: float) -> Problem:
    """m independent copies of the type-3 example: A block diagonal, block (1, -a)'.

    E(x) is the sum of the blocks' one-weight energies E_3(x_j), so every local minimum
    is a choice of one minimum per block: k^m of them when a block has k (for tanh and
    a > 2, k = 2: one finite and one at infinity).  This is the simplest landscape whose
    count of minima grows exponentially in m, the phenomenon Auer, Herbster and Warmuth
    (1996) showed for a single neuron.
    """
    if isinstance(m, bool) or not isinstance(m, int | np.integer) or m < 1:
        raise ValueError(f"product m must be an integer >= 1; got m = {m!r}")
    block = n2m1_problem(3, a).A  # validates a
    A = np.kron(np.eye(int(m)), block)
    meta = {"m": int(m), "a": float(a)}
    return Problem(product_name(m, a), A, np.ones(2 * int(m), dtype=np.int64), meta)


MAX_PARITY_BITS = 16  # 65,536 rows


def parity_problem(n: int) -> Problem:
    """The parity of n bits: the rows of {0, 1}^n, label +1 where an odd number are 1.

    Rows in lexicographic order (``itertools.product``); for n = 2 this would be XOR in
    the order of ``trajectories.xor.INPUTS`` (:func:`xor_problem`, which has its own
    name).  Inputs are 0 / 1 as in Figure 5 and the XOR literature; there is no column of
    ones: a network brings its own biases.
    """
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or not 2 <= n <= MAX_PARITY_BITS:
        raise ValueError(f"parity n must be an integer in [2, {MAX_PARITY_BITS}]; got n = {n!r}")
    A = np.array(list(itertools.product((0.0, 1.0), repeat=int(n))))
    y = np.where(A.sum(axis=1) % 2 == 1, 1, -1).astype(np.int64)
    name = "xor" if n == 2 else problem_name("parity", n=n)
    return Problem(name, A, y, {"n_bits": int(n)})


def xor_problem() -> Problem:
    """XOR on (0,0), (0,1), (1,0), (1,1): labels -1, +1, +1, -1 (targets 0, 1, 1, 0 of a
    logistic output, ``Network.code_targets``), the data of Figure 5."""
    return parity_problem(2)


# The construction of Auer, Herbster and Warmuth (1996): see docs/minima.md for the
# derivation of these two constants.
AHW_TARGET = 0.5  # every example's (soft) target; 0.75 in a logistic unit's coding
AHW_RATIO = 32.0  # each example's input is this many times the previous one's


def ahw_name(n: int, d: int) -> str:
    return problem_name("ahw", n=n, d=d)


def ahw_chain(length: int) -> np.ndarray:
    """Inputs of one axis's chain: AHW_RATIO^(j - (length + 1) / 2), j = 1..length.

    Example j alone has its minimum at x = theta^-1(t) / u_j; consecutive minima lie a
    factor AHW_RATIO apart, centred on x = theta^-1(t) so that all of them fall inside
    the multistart's radii for chains of up to three examples.
    """
    if isinstance(length, bool) or not isinstance(length, int | np.integer) or length < 1:
        raise ValueError(f"a chain needs an integer length >= 1; got {length!r}")
    return AHW_RATIO ** (np.arange(int(length), dtype=float) - (int(length) - 1) / 2.0)


def ahw_lengths(n: int, d: int) -> list[int]:
    """Chain length on each of the d axes: floor(n / d), the first n mod d axes one more."""
    return [n // d + (1 if k < n % d else 0) for k in range(d)]


def ahw_problem(n: int, d: int) -> Problem:
    """Auer, Herbster and Warmuth (1996): n examples in d dimensions, floor(n/d)^d minima.

    One weight first: a chain of examples (u_j, t) with one soft target t = AHW_TARGET
    and inputs growing by the factor AHW_RATIO.  Example j's own error (theta(u_j x) -
    t)^2 is a valley at x_j = theta^-1(t) / u_j between two plateaus, t^2 (x -> 0) and
    (1 - t)^2 (x -> inf); at x_j every example with a larger input is saturated, on its
    flat plateau, and every one with a smaller input is in its linear regime with a
    slope too small to fill the valley, so each example keeps a minimum of its own: the
    chain has one per example, all finite (``docs/minima.md`` derives the constants and
    the exact search, critical1d, certifies the count).  The chain is then replicated
    on each coordinate axis, examples u_j e_k: E is a sum over axes, so its minima are
    the products of the chains' minima -- floor(n/d)^d of them (with n mod d leftover
    examples lengthening the first chains: at least that many).
    """
    for key, value in (("n", n), ("d", d)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
            raise ValueError(f"ahw {key} must be an integer >= 1; got {key} = {value!r}")
    if n < d:
        raise ValueError(f"ahw needs at least one example per axis: n = {n} < d = {d}")
    blocks = [ahw_chain(length)[:, None] for length in ahw_lengths(int(n), int(d))]
    A = np.zeros((int(n), int(d)))
    row = 0
    for k, chain in enumerate(blocks):
        A[row : row + len(chain), k] = chain[:, 0]
        row += len(chain)
    y = np.full(int(n), AHW_TARGET)
    meta = {"n": int(n), "d": int(d), "target": AHW_TARGET, "ratio": AHW_RATIO}
    return Problem(ahw_name(n, d), A, y, meta)


def build_problem(family: str, params: dict) -> Problem:
    """The problem of a family from its parameters (what a problems-stage job receives)."""
    if family == "n2m1":
        return n2m1_problem(params["kind"], params["a"])
    if family == "scalar":
        return scalar_problem()
    if family in ("random", "task"):
        A, y = _drawn_data(family, params)
        return Problem(problem_name(family, **params), A, y, dict(params))
    if family == "product":
        return product_problem(params["m"], params["a"])
    if family == "xor":
        return xor_problem()
    if family == "parity":
        return parity_problem(params["n"])
    if family == "ahw":
        return ahw_problem(params["n"], params["d"])
    if family == "file":
        from .datafile import read_data_file

        return read_data_file(params["path"], params["name"])
    if family == "dataset":
        from .datasets import DEFAULT_TEST_FRACTION, dataset_problem  # loads scikit-learn

        fraction = params.get("test_fraction", DEFAULT_TEST_FRACTION)
        return dataset_problem(params["data"], params["seed"], fraction)
    raise ValueError(f"unknown problem family {family!r}")


def _drawn_data(family: str, params: dict):
    """(A, y) of a random or task problem; their modules load only when needed (scipy)."""
    if family == "random":
        from .separability import random_problem

        return random_problem(params["n"], params["m"], params["seed"], params["separable"])
    from .tasks import task_data

    return task_data(params["task"], params["n"], params["seed"], params["shuffled"])
