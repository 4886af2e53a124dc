"""Lazy exports for the subpackages' ``__init__`` (PEP 562).

A workflow job imports only the modules it uses: ``from backprop_landscape.minima
import critical_points`` must not pay for the multistart search's scipy imports.  Each
subpackage therefore names its public objects and the module that defines them, and a
name's module is imported the first time the name is read.
"""

from __future__ import annotations

import importlib


def lazy_exports(package: str, exports: dict[str, str]):
    """``__getattr__`` and ``__dir__`` for a package that exports ``name -> .module``."""

    def __getattr__(name: str):
        if name in exports:
            return getattr(importlib.import_module(exports[name], package), name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        return sorted(exports)

    return __getattr__, __dir__
