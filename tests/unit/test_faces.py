"""Minima at infinity as faces: feasibility, reduced problems, tails, and the LP margin."""

import numpy as np
import pytest

from backprop_landscape.critical1d import critical_points
from backprop_landscape.faces import (
    analyse_face,
    analyse_faces,
    face_directions,
    face_slopes,
    pushable_rows,
    saturation_threshold,
)
from backprop_landscape.landscape import energy, energy_above_ray_limit
from backprop_landscape.problems import n2m1_problem
from backprop_landscape.tails import dominance_start, energy_tail, limit_is_minimum
from backprop_landscape.theta import THETA_NAMES, get_theta


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
    from backprop_landscape.faces import face_margins

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
