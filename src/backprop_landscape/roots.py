"""``brentq`` without the price of importing ``scipy.optimize``.

``from scipy.optimize import brentq`` runs ``scipy/optimize/__init__.py``, which imports
every solver (linprog, minimize, scipy.linalg, scipy.sparse): about 0.2-0.4 s in every
job process, while the one-weight jobs (``critical_points_1d``, the most frequent job of
the default run) only need Brent's method.  :func:`brentq` here calls the same compiled
routine, ``scipy.optimize._zeros._brentq``, loaded on its own from its file, with the
checks of ``scipy.optimize.brentq`` in front of it, so it returns the same floats.  If
the extension cannot be loaded this way (another scipy layout), it falls back to
``scipy.optimize.brentq``.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
from functools import lru_cache
from pathlib import Path

import numpy as np

# scipy.optimize._zeros_py's defaults: 4 * machine epsilon, 2e-12, 100 iterations.
RTOL = 4 * 2.220446049250313e-16
XTOL = 2e-12
MAXITER = 100


@lru_cache(maxsize=1)
def _zeros_extension():
    """scipy's compiled ``_zeros`` module, loaded without its package, or None."""
    try:
        import scipy

        folder = Path(scipy.__file__).parent / "optimize"
        for suffix in importlib.machinery.EXTENSION_SUFFIXES:
            path = folder / f"_zeros{suffix}"
            if path.exists():
                spec = importlib.util.spec_from_file_location("scipy.optimize._zeros", path)
                module = importlib.util.module_from_spec(spec)
                spec.loader.exec_module(module)
                return module if hasattr(module, "_brentq") else None
    except (ImportError, OSError, AttributeError):
        pass
    return None


def brentq(f, a: float, b: float, xtol: float = XTOL, rtol: float = RTOL, maxiter: int = MAXITER):
    """A root of ``f`` in [a, b] (f(a), f(b) of opposite signs), as ``scipy.optimize.brentq``."""
    zeros = _zeros_extension()
    if zeros is None:
        from scipy.optimize import brentq as scipy_brentq

        return scipy_brentq(f, a, b, xtol=xtol, rtol=rtol, maxiter=maxiter)
    if xtol <= 0:
        raise ValueError(f"xtol too small ({xtol:g} <= 0)")
    if rtol < RTOL:
        raise ValueError(f"rtol too small ({rtol:g} < {RTOL:g})")

    def checked(x, *args):  # scipy's _wrap_nan_raise: a NaN stops the search
        fx = f(x, *args)
        if np.isnan(fx):
            raise ValueError(f"The function value at x={x} is NaN; solver cannot continue.")
        return fx

    return zeros._brentq(checked, a, b, xtol, rtol, int(maxiter), (), False, True)
