"""Snakemake's check of changed params, without importing pandas for it.

Snakemake decides whether a job's params changed by serialising each value; when pandas
is installed, it serialises through a function that imports pandas first, to hash a
DataFrame, Series or Index if the value is one (``PersistenceBase._serialize_param_pandas``
in Snakemake 9.27).  Our params are numbers, strings, lists and dicts, so that import
(about 0.3 s on this project's 2-core machine) is a seventh of a rerun with nothing to
do, which builds the DAG and imports nothing else heavy.

:func:`defer_pandas_import` makes the check import nothing: while pandas is not
imported, no value can be a pandas object, and the serialisation is Snakemake's own
for the other types (``_serialize_param_builtin``), so the stored and compared strings
are the ones Snakemake would make.  Once pandas is imported (a job in a thread of
Snakemake's process loads it), Snakemake's function runs as before.  If Snakemake's
private names change, nothing is patched and Snakemake behaves as it always did.
"""

from __future__ import annotations

import functools
import sys


def defer_pandas_import() -> bool:
    """Patch Snakemake's params serialiser once; True if it was (or already is) patched."""
    try:
        from snakemake.persistence import PersistenceBase
    except ImportError:
        return False
    original = getattr(PersistenceBase, "_serialize_param_pandas", None)
    if original is None or not hasattr(PersistenceBase, "_serialize_param_builtin"):
        return False
    if getattr(original, "defers_pandas", False):
        return True

    @functools.wraps(original)
    def serialize(self, value):
        if "pandas" not in sys.modules:  # then no value can be a pandas object
            return self._serialize_param_builtin(value)
        return original(self, value)

    serialize.defers_pandas = True
    PersistenceBase._serialize_param_pandas = serialize
    return True
