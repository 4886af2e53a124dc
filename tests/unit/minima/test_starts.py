"""Starting points: spread over scales, directions and orthants, per weight or not."""

import numpy as np
import pytest

from backprop_landscape.minima.starts import sample_starts


@pytest.mark.parametrize("design", ["isotropic", "per_weight", "mixed"])
def test_starts_spread_over_scales_and_directions(design):
    starts = sample_starts(4, 20000, seed=0, r_min=1e-2, r_max=1e2, design=design)
    radii = np.linalg.norm(starts, axis=1)
    assert radii.min() >= 1e-2 and radii.max() <= 1e2
    counts, _ = np.histogram(np.log10(radii), bins=4, range=(-2, 2))
    assert counts.min() > 0.98 * counts.mean()  # log-uniform and stratified: decades alike
    units = starts / radii[:, None]
    assert np.abs(units.mean(axis=0)).max() < 0.02  # no direction favoured
    assert np.abs(np.mean(np.sign(starts), axis=0)).max() < 0.02  # every orthant alike


def test_per_weight_starts_put_weights_at_different_scales():
    """Isotropic directions keep the weights within a few times of each other; per-weight
    ones spread them over decades, as basins of weights with different input scales need."""
    spread = {}
    for design in ("isotropic", "per_weight"):
        x = np.abs(sample_starts(3, 4000, seed=1, design=design))
        spread[design] = np.median(np.log10(x.max(axis=1) / x.min(axis=1)))
    assert spread["isotropic"] < 1.0 < 2.0 < spread["per_weight"]
    mixed = sample_starts(3, 1001, seed=1)
    assert len(mixed) == 1001
    np.testing.assert_array_equal(mixed, sample_starts(3, 1001, seed=np.random.default_rng(1)))
