"""The batched descent's pieces: plain row terms, the batched Cholesky, BLAS threads,
row hashing, and capture by known minima."""

import numpy as np
import pytest

import backprop_landscape.minima.descent as descent
from backprop_landscape.minima.hashing import _unique_rows
from backprop_landscape.minima.kernels import _plain_excess, _plain_rows
from backprop_landscape.minima.starts import sample_starts
from backprop_landscape.minima.steps import _cholesky_solve
from backprop_landscape.models.neuron import gradient, hessian, reduce_signs
from backprop_landscape.models.theta import THETA_NAMES, get_theta
from backprop_landscape.problems.separability import random_problem


@pytest.fixture(params=THETA_NAMES)
def theta(request):
    return get_theta(request.param)


def test_plain_row_terms_match_theta(theta):
    """The closed-form kernels against theta's own methods, over 600 decades of |z|."""
    z = np.concatenate([-np.geomspace(1e-9, 250.0, 2001), [0.0], np.geomspace(1e-9, 250.0, 2001)])
    z = z[np.abs(z) < {"erf": 25.0}.get(theta.name, np.inf)]
    w, c, e, neg = _plain_rows(z[None, :], theta)
    om, d1, d2 = theta.one_minus(z), theta.d1(z), theta.d2(z)
    tail = theta.one_minus(np.abs(z))  # 1 - theta(|z|): the stable form of the excess
    excess = np.where(z >= 0, tail**2, -tail * (4.0 - tail))
    assert w[0] == pytest.approx(om * d1, rel=1e-12, abs=1e-300)
    curvature = d1 * d1 - om * d2
    clear = np.abs(curvature) > 1e-6 * (d1 * d1 + np.abs(om * d2))  # away from its zeros
    assert c[0][clear] == pytest.approx(curvature[clear], rel=1e-10, abs=1e-300)
    assert e[0] == pytest.approx(excess, rel=1e-12, abs=1e-300)
    assert _plain_excess(z[None, :], theta)[0][0] == pytest.approx(e[0], rel=1e-14, abs=1e-300)
    assert neg[0] == np.count_nonzero(z < 0)


def test_batched_cholesky_solves_and_flags_indefinite_matrices():
    rng = np.random.default_rng(0)
    M = rng.standard_normal((400, 5, 5))
    H = M @ np.swapaxes(M, 1, 2) + 0.1 * np.eye(5)
    H[:150] -= 3.0 * np.eye(5)  # many of these are indefinite
    g = rng.standard_normal((400, 5))
    pd, p = _cholesky_solve(H, g)
    lam = np.linalg.eigvalsh(H)
    assert np.all(pd <= (lam[:, 0] > 0)) and pd[150:].all()
    assert p[pd] == pytest.approx(-np.linalg.solve(H[pd], g[pd][..., None])[..., 0], rel=1e-8)


def test_pinned_blas_restores_the_thread_setting():
    from threadpoolctl import threadpool_info, threadpool_limits

    def blas_threads():
        return [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]

    if not blas_threads():
        pytest.skip("no BLAS thread pool loaded")
    with threadpool_limits(limits=2, user_api="blas"):
        before = blas_threads()
        with descent.pinned_blas():
            assert set(blas_threads()) == {1}
        assert blas_threads() == before


def test_unique_rows_agrees_with_numpy():
    rng = np.random.default_rng(3)
    R = np.round(rng.standard_normal((50, 4)), 1)[rng.integers(0, 50, 400)]
    R[::7] *= -0.0  # signed zeros are one value
    first, inverse = _unique_rows(R)
    _, first_np, inverse_np = np.unique(R, axis=0, return_index=True, return_inverse=True)
    assert len(first) == len(first_np)
    assert np.array_equal(R[first][inverse], R)


@pytest.mark.parametrize("name", ["tanh", "erf", "atan"])
def test_capture_by_a_known_minimum_is_sound(name, monkeypatch):
    """Runs inside the Newton-Kantorovich ball of a minimum found by another run stop
    there.  Check the certificate: pure Newton iteration from every captured point
    converges to the minimum it was assigned; and the shortcut saves iterations."""
    theta = get_theta(name)
    A_raw, y = random_problem(30, 4, 0, False)
    A = reduce_signs(A_raw, y)
    starts = sample_starts(4, 1500, seed=0)
    seen = []
    capture = descent._capture

    def spy(pb, st, act, X, H, p_newton, idx, is_finite):
        before = is_finite.copy()
        capture(pb, st, act, X, H, p_newton, idx, is_finite)
        new = np.flatnonzero(is_finite & ~before)
        seen.extend(zip(X[new], st.X[act[new]]))

    monkeypatch.setattr(descent, "_capture", spy)
    runs = descent.descend(A, starts, theta)
    assert len(seen) > 100
    for x, target in seen[:: max(1, len(seen) // 100)]:
        for _ in range(30):
            x = x - np.linalg.solve(hessian(A, x, theta), gradient(A, x, theta))
        assert np.abs(A @ (x - target)).max() < 1e-8 * (1 + np.abs(A @ target).max())
    monkeypatch.setattr(descent, "hessian_lipschitz", lambda A, theta, targets=None: None)
    assert descent.descend(A, starts, theta).iterations.sum() > runs.iterations.sum()
