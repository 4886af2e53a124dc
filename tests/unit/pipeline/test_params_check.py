"""Snakemake's params check without pandas: same strings, no import (pipeline.params_check)."""

import subprocess
import sys

import pandas as pd
import pytest
from snakemake.persistence import PersistenceBase as Persistence

from backprop_landscape.pipeline.params_check import defer_pandas_import

VALUES = [None, 3, 2.5e-300, float("nan"), True, "tanh", [1, 2.0], (1, "a"), {"a": [1]}]


class _Owner:  # the serialisers use nothing of self but this method (the class is abstract)
    _serialize_param_builtin = Persistence._serialize_param_builtin


def _serialise(value):
    return Persistence._serialize_param_pandas(_Owner(), value)


def test_the_check_imports_no_pandas_and_serialises_as_snakemake_does():
    code = (
        "import sys\n"
        "from snakemake.persistence import PersistenceBase as Persistence\n"
        "from backprop_landscape.pipeline.params_check import defer_pandas_import\n"
        "assert 'pandas' not in sys.modules\n"
        "assert defer_pandas_import()\n"
        "class Owner:\n"
        "    _serialize_param_builtin = Persistence._serialize_param_builtin\n"
        "p = Owner()\n"
        "out = [Persistence._serialize_param_pandas(p, v) for v in (3, 'tanh', [1, 2.0])]\n"
        "assert out == [repr(3), repr('tanh'), repr([1, 2.0])], out\n"
        "assert 'pandas' not in sys.modules, 'the params check imported pandas'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_without_pandas_the_strings_are_snakemakes(value, monkeypatch):
    assert defer_pandas_import()
    snakemakes = Persistence._serialize_param_pandas.__wrapped__(_Owner(), value)
    monkeypatch.delitem(sys.modules, "pandas")  # as in a process that never imported it
    assert _serialise(value) == snakemakes


def test_a_dataframe_param_is_still_hashed_by_pandas():
    assert defer_pandas_import()
    frame = pd.DataFrame({"a": [1, 2]})
    other = pd.DataFrame({"a": [1, 3]})
    assert _serialise(frame) == repr(pd.util.hash_pandas_object(frame).tolist())
    assert _serialise(frame) != _serialise(other)


def test_patching_twice_wraps_once():
    assert defer_pandas_import() and defer_pandas_import()
    inner = Persistence._serialize_param_pandas.__wrapped__
    assert not getattr(inner, "defers_pandas", False)
