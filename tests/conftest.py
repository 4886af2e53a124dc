"""Shared test set-up: one BLAS thread, as in workflow jobs (see the Makefile).

Set before any test module imports numpy; `make test` exports it too.
"""

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
