"""Minima at infinity as faces: feasibility, reduced problems, tails, and the LP margin."""

import numpy as np
import pytest
from scipy.optimize import linprog

from backprop_landscape.minima.cones import (
    _highs_directions,
    face_directions,
    face_margins,
    face_slopes,
    pushable_rows,
)
from backprop_landscape.minima.critical1d import critical_points
from backprop_landscape.minima.faces import _ray_verdict, _ray_verdicts, analyse_face, analyse_faces
from backprop_landscape.minima.kernels import saturation_threshold
from backprop_landscape.minima.search import find_minima
from backprop_landscape.models.neuron import energy, energy_above_ray_limit, reduce_signs
from backprop_landscape.models.tails import dominance_start, energy_tail, limit_is_minimum
from backprop_landscape.models.theta import THETA_NAMES, get_theta
from backprop_landscape.problems.families import n2m1_problem
from backprop_landscape.problems.separability import random_problem


@pytest.fixture(params=THETA_NAMES)
def theta(request):
    return get_theta(request.param)


@pytest.mark.parametrize("a", [0.25, 0.5, 1.5, 3.0, 10.0, 50.0])
@pytest.mark.parametrize("end", [1.0, -1.0])
def test_one_weight_ends_agree_with_critical_points(theta, a, end):
    """For m = 1 the face of x -> +-inf is a minimum exactly when critical1d says so."""
    A = n2m1_problem(3, a).A
    table = critical_points(A, theta)
    expected = table[table.x == end * np.inf].iloc[0]
    sigma = np.sign(end * A[:, 0]).astype(int)
    result = analyse_face(A, sigma, theta)
    assert result.is_minimum == (expected.kind == "min")
    assert result.E_limit == pytest.approx(expected.E)
    assert result.direction == pytest.approx([end])
    np.testing.assert_array_equal(result.z_limit, sigma)


def test_saturation_threshold_matches_the_tolerance(theta):
    z = saturation_threshold(theta, 1e-6)
    assert theta.one_minus(z) == pytest.approx(1e-6, rel=1e-9)


def test_infeasible_pattern_is_reported():
    A = np.array([[1.0], [2.0]])  # both slopes share a sign: they cannot part
    feasible, directions = face_directions(A, [[1, -1], [1, 1]])
    assert feasible.tolist() == [False, True]
    assert np.isnan(directions[0]).all() and directions[1] == pytest.approx([1.0])
    assert analyse_face(A, [1, -1], get_theta("tanh")).status == "infeasible"


def test_free_row_that_can_saturate_refines_the_pattern(theta):
    """sigma = (+1, 0) on rows (1, 0), (0, 1): the free row can go to +1 as well."""
    A = np.eye(2)
    assert pushable_rows(A, [[1, 0]])[0].tolist() == [1]
    result = analyse_face(A, [1, 0], theta)
    assert result.sigma.tolist() == [1, 1]  # refined by the reduced descent
    assert result.is_minimum and result.E_limit == 0.0


def test_reduced_problem_supplies_the_free_rows_limit():
    """x1 -> +inf saturates row 1; rows 2, 3 form a type-3 problem in x2 with a = 10."""
    theta = get_theta("tanh")
    A = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, -10.0]])
    free_min = critical_points(n2m1_problem(3, 10.0).A, theta)
    x_f = free_min[(free_min.kind == "min") & ~free_min.at_infinity].x.iloc[0]
    finite = analyse_face(A, [1, 0, 0], theta, x0=[0.0, -0.05])
    assert finite.is_minimum and finite.sigma.tolist() == [1, 0, 0]
    assert finite.x_base[1] == pytest.approx(x_f, rel=1e-8)
    assert finite.E_limit == pytest.approx(energy(n2m1_problem(3, 10.0).A, [x_f], theta))
    assert finite.z_limit[1:] == pytest.approx(theta.value(np.array([x_f, -10.0 * x_f])))
    # from x2 = 3 the free rows run off too: the candidate becomes the face (+, +, -)
    escaped = analyse_face(A, [1, 0, 0], theta, x0=[0.0, 3.0])
    assert escaped.sigma.tolist() == [1, 1, -1] and escaped.is_minimum
    assert escaped.E_limit == 4.0


def test_two_blocks_at_infinity_together_are_a_minimum():
    """Block-diagonal type-3 blocks with a > 2 (tanh): both at +inf is a minimum.

    Along rays that leave one block fixed its rows do not move; the LP must not read that
    as a tie (its cone asks every saturated row to grow at least at unit rate).
    """
    A = np.array([[1.0, 0.0], [-4.0, 0.0], [0.0, 1.0], [0.0, -10.0]])
    result = analyse_face(A, [1, -1, 1, -1], get_theta("tanh"))
    assert result.status == "minimum" and result.margin < 0
    assert result.E_limit == 8.0


def test_power_tails_never_have_a_minimum_with_a_row_at_minus_one():
    A = np.array([[1.0, 0.0], [-4.0, 0.0], [0.0, 1.0]])
    for name in ("atan", "softsign"):
        result = analyse_face(A, [1, -1, 1], get_theta(name))
        assert not result.is_minimum and result.ray_from_above is False


def _random_faces(n, m, count, seed):
    """Patterns of all-saturated faces reached by random directions (sigma = sign(A d))."""
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((n, m))
    sigmas = np.sign(rng.standard_normal((count, m)) @ A.T).astype(int)
    return A, np.unique(sigmas, axis=0)


@pytest.mark.parametrize("name", ["tanh", "erf"])
def test_lp_verdicts_agree_with_rays_sampled_in_the_cone(name):
    """Independent check of the LP margin on random faces of a 10 x 3 problem.

    A minimum must lie above its limit along every sampled ray of its cone (evaluated
    without cancellation); a rejected face's witness ray must approach from below, both
    by the tails and by direct evaluation far out.
    """
    theta = get_theta(name)
    A, sigmas = _random_faces(12, 3, 3000, seed=1)
    results = analyse_faces(A, sigmas, theta)
    rng = np.random.default_rng(2)
    statuses = {r.status for r in results}
    assert {"minimum", "not_minimum"} <= statuses
    z_far = 2.0 * theta.tail.z_asym
    for sigma, res in zip(sigmas, results):
        if res.status == "minimum":
            d = res.direction + 0.5 * rng.standard_normal((300, 3))
            s = d @ A.T
            inside = np.all(sigma * s > 0, axis=1)
            for di, si in zip(d[inside], s[inside]):
                r = z_far / np.min(sigma * si)  # every row at least z_far deep
                assert energy_above_ray_limit(A, di, np.zeros(3), [r, 2 * r], theta).min() >= 0
        elif res.status == "not_minimum" and res.margin > 0:
            witness = _witness(A, sigma, theta)
            slopes = face_slopes(A, sigma, witness)
            assert not limit_is_minimum(slopes, theta)
            # far enough out that the leading tail term dominates, E is below its limit
            r = dominance_start(energy_tail(slopes, theta), 4.0 * len(slopes))
            if r * np.abs(slopes).max() < 300.0:  # still representable
                assert energy_above_ray_limit(A, witness, np.zeros(3), [r], theta)[0] < 0


def _witness(A, sigma, theta):
    feasible, directions = face_directions(A, [sigma])
    margins, witnesses = face_margins(A, [sigma], directions, theta)
    assert feasible[0] and margins[0] > 0
    return witnesses[0]


def test_batch_and_single_analyses_agree():
    theta = get_theta("tanh")
    A, sigmas = _random_faces(8, 3, 60, seed=3)
    batch = analyse_faces(A, sigmas, theta)
    for sigma, res in zip(sigmas, batch):
        single = analyse_face(A, sigma, theta)
        assert single.status == res.status
        assert single.E_limit == pytest.approx(res.E_limit, nan_ok=True)


def test_invalid_patterns_are_rejected():
    A = np.eye(2)
    with pytest.raises(ValueError, match="-1, 0 or \\+1"):
        analyse_face(A, [2, 0], get_theta("tanh"))
    with pytest.raises(ValueError, match="finite point"):
        analyse_face(A, [0, 0], get_theta("tanh"))


def _margin_by_rows(A, sigma, factor):
    """The margin test in its original form, one HiGHS LP per row at -1: max t s.t.
    t <= factor s_j + s_i (sigma_j = +1), sigma_k s_k >= 1 (k in S), A~_F d = 0, t <= 1."""
    sat, free = sigma != 0, sigma == 0
    best = -np.inf
    for i in np.flatnonzero(sigma == -1):
        plus = np.flatnonzero(sigma == 1)
        rows = [np.r_[-(sigma[k] * A[k]), 0.0] for k in np.flatnonzero(sat)]
        rows += [np.r_[-(factor * A[j] + A[i]), 1.0] for j in plus]
        b = [-1.0] * int(sat.sum()) + [0.0] * plus.size
        res = linprog(
            np.r_[np.zeros(A.shape[1]), -1.0],
            A_ub=np.array(rows),
            b_ub=b,
            A_eq=np.c_[A[free], np.zeros(int(free.sum()))] if free.any() else None,
            b_eq=np.zeros(int(free.sum())) if free.any() else None,
            bounds=[(None, None)] * A.shape[1] + [(None, 1.0)],
            method="highs",
        )
        best = max(best, -res.fun)
    return best


@pytest.mark.parametrize("name", ["tanh", "erf"])
def test_margins_agree_with_the_original_per_row_lps(name):
    """One polyhedron with shared bases (ours) against one LP per row at -1 (the original
    formulation).  Faces: the minima at infinity a multistart finds on a random problem
    (mostly minima), the same with one row flipped or freed, and random faces of a
    random matrix (mostly not minima)."""
    theta = get_theta(name)
    factor = 2.0 ** (1.0 / theta.tail.q)
    A_raw, y = random_problem(30, 4, 1, False)
    A = reduce_signs(A_raw, y)
    table = find_minima(A, theta, n_starts=1500, seed=1)
    found = np.array(table.saturated[table.at_infinity].tolist())
    rng = np.random.default_rng(5)
    flipped, freed = found.copy(), found.copy()
    flipped[np.arange(len(found)), rng.integers(0, 30, len(found))] *= -1
    freed[np.arange(len(found)), rng.integers(0, 30, len(found))] = 0
    B, random_faces = _random_faces(10, 3, 400, seed=4)
    signs = _check_margins(A, np.vstack([found, flipped, freed]), theta, factor)
    signs += _check_margins(B, random_faces, theta, factor)
    assert signs.count(1) > 20 and signs.count(-1) > 20  # both verdicts well represented


def _check_margins(A, sigmas, theta, factor):
    feasible, directions = face_directions(A, sigmas)
    keep = feasible & np.any(sigmas == -1, axis=1)
    sigmas, directions = sigmas[keep], directions[keep]
    margins, witnesses = face_margins(A, sigmas, directions, theta)
    signs = []
    for sigma, margin, witness in zip(sigmas, margins, witnesses):
        reference = _margin_by_rows(A, sigma, factor)
        if abs(reference) < 1e-6:
            continue  # a tie: the two normalisations need not agree on its sign
        assert np.sign(margin) == np.sign(reference)
        signs.append(int(np.sign(margin)))
        if margin > 0:  # the witness lies in the open cone and its row at -1 wins
            s = face_slopes(A, sigma, witness)
            assert np.all(sigma[sigma != 0] * s[sigma != 0] > 0)
            assert not limit_is_minimum(s, theta)
    return signs


def test_vectorised_ray_verdicts_match_the_single_ones(theta):
    A, sigmas = _random_faces(9, 3, 300, seed=6)
    feasible, directions = face_directions(A, sigmas)
    sigmas, directions = sigmas[feasible], directions[feasible]
    batch = _ray_verdicts(A, sigmas, directions, theta)
    assert batch == [_ray_verdict(A, s, d, theta) for s, d in zip(sigmas, directions)]


def test_face_directions_are_optimal():
    """The batched LP's direction maximises the smallest saturated slope (as HiGHS's)."""
    A, sigmas = _random_faces(12, 3, 200, seed=7)
    feasible, directions = face_directions(A, sigmas)
    reference = _highs_directions(A, sigmas)
    assert np.array_equal(feasible, reference[:, -1] > 1e-9 * np.abs(A).sum(axis=1).max())
    d = directions[feasible] / np.abs(directions[feasible]).max(axis=1, keepdims=True)
    slopes = np.min(
        sigmas[feasible] * (d @ A.T), axis=1, where=sigmas[feasible] != 0, initial=np.inf
    )
    assert slopes == pytest.approx(reference[feasible, -1], rel=1e-7)


# --------------------------------------------------------------------------------------
# Faces by direction, and soft targets
# --------------------------------------------------------------------------------------


def test_rows_saturated_at_a_finite_point_stay_free(theta):
    """Block 1 at +inf, block 2 at its finite minimum with a row 48.7 deep in its tail.

    A run parks with that row saturated too; no direction of the face's cone moves it
    (block 2's other rows pin its weight), so it is released to the reduced problem and
    the face is the product's minimum at infinity (before: "infeasible", the minimum
    was missed).
    """
    from backprop_landscape.minima.cones import static_rows

    A = np.zeros((5, 2))
    A[:2, 0] = [1.0, -10.0]
    A[2:, 1] = [1.0, -10.0, -500.0]
    sigma = np.array([1, -1, 0, 0, 1])
    assert static_rows(A, sigma).tolist() == [False, False, False, False, True]
    block = critical_points(A[2:, 1:], theta)
    x2 = block[(block.kind == "min") & ~block.at_infinity].x.iloc[0]
    res = analyse_face(A, sigma, theta, np.array([20.0, x2]))
    assert res.sigma.tolist() == [1, -1, 0, 0, 0]
    ends = critical_points(A[:2, :1], theta)
    plus_end = ends[ends.x == np.inf].iloc[0]
    assert res.is_minimum == (plus_end.kind == "min")
    assert res.E_limit == pytest.approx(plus_end.E + block[block.x == x2].E.iloc[0], rel=1e-12)
    assert res.z_limit[4] == pytest.approx(theta.value(-500.0 * x2))


def test_a_pattern_with_no_row_that_can_diverge_is_no_face():
    A = np.array([[1.0, 0.0], [-10.0, 0.0], [0.0, 1.0], [500.0, 0.0]])
    res = analyse_face(A, np.array([0, 0, 0, 1]), get_theta("tanh"), np.array([-0.1, 0.3]))
    assert res.status == "infeasible" and not res.is_minimum


@pytest.mark.parametrize("name", ["tanh", "erf", "atan"])
def test_soft_face_verdicts_agree_with_rays_sampled_in_the_cone(name):
    """As for hard targets, with targets of 0.8 or 0.5 on a third of the rows: a soft row
    at +1 rises to its limit (1 - t)^2 from below, so it counts among the rows whose tail
    terms subtract; every minimum lies above its limit along sampled rays."""
    theta = get_theta(name)
    A, sigmas = _random_faces(12, 3, 3000, seed=1)
    targets = np.where(np.arange(12) % 3 == 0, np.where(np.arange(12) % 2 == 0, 0.8, 0.5), 1.0)
    results = analyse_faces(A, sigmas, theta, targets=targets)
    hard = analyse_faces(A, sigmas, theta)
    rng = np.random.default_rng(2)
    z_far = 2.0 * theta.tail.z_asym
    checked = 0
    for sigma, res, res_hard in zip(sigmas, results, hard):
        soft_plus = np.any((sigma == 1) & (targets < 1))
        if not soft_plus:  # the soft rows are at -1 or free: limits move, verdicts not
            assert res.status == res_hard.status
        if res.status == "minimum":
            assert theta.tail.k > 0 or not np.any(sigma * (targets < 1) > 0)
            limit = np.sum(np.where(sigma == 1, (1 - targets) ** 2, (1 + targets) ** 2))
            assert res.E_limit == pytest.approx(limit)
            d = res.direction + 0.5 * rng.standard_normal((300, 3))
            s = d @ A.T
            inside = np.all(sigma * s > 0, axis=1)
            for di, si in zip(d[inside], s[inside]):
                r = z_far / np.min(sigma * si)
                above = energy_above_ray_limit(A, di, np.zeros(3), [r, 2 * r], theta, targets)
                assert above.min() >= 0
                checked += 1
    assert checked > 0 or name == "atan"
