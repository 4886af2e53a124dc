"""Run a job script in a thread of Snakemake's own process instead of a new one.

A script job costs a process: the interpreter, Snakemake's preamble (0.14 s of CPU to
import the part of Snakemake that unpickles the ``snakemake`` object) and the imports of
numpy and pyarrow (0.2-0.3 s), scipy and pandas where a job needs them (0.2-0.5 s each),
about 0.4-0.9 s on this project's 2-core machine before its first line.  Writing one
problem's table or the critical points of one weight takes milliseconds, a minimum
search of the default config about half a second.  Such a rule has a one-line ``run:``
that calls :func:`run_script` with its script; with ``force-use-threads`` (set in
profiles/default) Snakemake runs ``run:`` jobs in its thread pool, where the packages
are imported once for all of them.

The script is the same file a ``script:`` directive would run, and it sees the same
``snakemake`` object (Snakemake's own class, built from the job's input, output, params,
wildcards and log), so a rule moves between the two ways by one line and its results
do not change.  Logging goes through ``joblog.thread_job``.  What belongs here: jobs
whose work is not much longer than a start-up, and thread-safe: no matplotlib (pyplot's
state is global to the process), and computations that give the same bits in
concurrent threads as one at a time (tests/unit/pipeline/test_threads.py runs each kind
so).  The threads share one interpreter lock, so together they use about one core; the
long jobs (relaxation, extrapolation, the XOR and scale runs, seconds to minutes each)
and the figures keep processes of their own and use the others meanwhile.  On a
cluster a ``run:`` job that is not a local rule runs in the ``snakemake`` process of its
batch job.
"""

from __future__ import annotations

import functools
import os
import runpy
from pathlib import Path

from .joblog import thread_job


@functools.cache
def _one_blas_thread() -> None:
    """BLAS on one thread in this process, as Snakemake sets it for each script job
    (OPENBLAS_NUM_THREADS = threads = 1), so a job computes the same bits either way:
    the libraries already loaded (numpy's) by threadpoolctl, those a job loads later
    (scipy's own OpenBLAS) by the variable, which they read when they load.  Script jobs
    get their own value from Snakemake, whatever this process's is."""
    from threadpoolctl import threadpool_limits

    os.environ["OPENBLAS_NUM_THREADS"] = "1"
    threadpool_limits(limits=1, user_api="blas")


def run_script(script: str, job: dict, config: dict) -> None:
    """Run ``script`` for one job of a ``run:`` block, logging into its ``log[0]``.

    ``job`` is the block's ``locals()``: the names Snakemake gives it (``input``,
    ``output``, ``params``, ``wildcards``, ``threads``, ``resources``, ``log``, ``rule``,
    and ``basedir``, the rule file's folder, against which ``script`` is resolved as a
    ``script:`` path is); ``config`` is the workflow's.  An exception propagates to
    Snakemake, which marks the job failed and removes its outputs, after the traceback
    is written to the log.
    """
    from snakemake.iocontainers import Snakemake  # here: only Snakemake's process runs this

    _one_blas_thread()
    names = ("input", "output", "params", "wildcards", "threads", "resources", "log")
    snakemake = Snakemake(*(job[name] for name in names), config, job["rule"], None)
    with thread_job(snakemake.log[0], job["rule"]):
        path = Path(job["basedir"], script)
        runpy.run_path(str(path), init_globals={"snakemake": snakemake}, run_name="__main__")
