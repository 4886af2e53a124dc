"""backprop_landscape.roots.brentq: scipy's Brent routine without importing scipy.optimize."""

import subprocess
import sys

import numpy as np
import pytest

from backprop_landscape.roots import brentq

CASES = [
    (lambda x: x * x - 2, 0.0, 2.0, {}),
    (lambda x: np.tanh(x) - 0.3, -5.0, 5.0, {"xtol": 1e-300, "rtol": 4 * np.finfo(float).eps}),
    (lambda x: np.exp(x) - 1e5, -1.0, 50.0, {"xtol": 1e-15, "maxiter": 500}),
]


@pytest.mark.parametrize("case", range(len(CASES)))
def test_same_floats_as_scipy(case):
    from scipy.optimize import brentq as scipy_brentq

    f, a, b, options = CASES[case]
    assert brentq(f, a, b, **options) == scipy_brentq(f, a, b, **options)


def test_refuses_what_scipy_refuses():
    with pytest.raises(ValueError, match="f\\(a\\) and f\\(b\\) must have different signs"):
        brentq(lambda x: x * x + 1, -1.0, 1.0)
    with pytest.raises(ValueError, match="NaN"):
        brentq(lambda x: np.nan if x > 0.5 else -1.0, 0.0, 1.0)
    with pytest.raises(ValueError, match="rtol too small"):
        brentq(lambda x: x, -1.0, 1.0, rtol=1e-20)


def test_does_not_import_scipy_optimize():
    code = (
        "import sys; from backprop_landscape.roots import brentq; brentq(lambda x: x, -1.0, 2.0);"
        " assert 'scipy.optimize' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
