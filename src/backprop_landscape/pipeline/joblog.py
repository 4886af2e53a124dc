"""Send a script job's logging, warnings and uncaught exceptions to its log file.

The last line of every job's log is what the job cost when its process exits: CPU
seconds from ``getrusage`` (its own and its children's, imports included) and the peak
resident memory (VmHWM).  The rules carry no Snakemake ``benchmark:`` for this: its sampler polls
each running job twice a second from Snakemake's own process (a new thread and a read of
/proc/PID/smaps_rollup per process each time): on a 2-core machine the multistart jobs
and their problems took 93 s from clean with it against 76 s without.  And its
``cpu_time`` keeps only the last sample, so it misses most of a short job.
``benchmarks/bench_workflow.py`` sums these lines per rule.

A job script starts with :func:`log_to_file` and ends with :func:`end_job`.  The same
script can also run in a thread of Snakemake's own process (``pipeline.inprocess``, for
the jobs whose work is not much longer than a process start-up): :func:`thread_job`
then keeps its log, and the two functions hand over to it.
"""

import atexit
import contextlib
import logging
import os
import resource
import sys
import threading
import time

#: The last line of a job's log; :func:`read_resources` parses it.
RESOURCES = "resources: cpu %.3f s, max_rss %.1f MB"
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# The logger of the job running in this thread, when it runs inside Snakemake's process.
_thread = threading.local()


def log_to_file(snakemake) -> logging.Logger:
    """Configure logging into ``snakemake.log[0]``; return the job's logger."""
    if (logger := getattr(_thread, "logger", None)) is not None:
        return logger  # thread_job already writes the log
    logging.basicConfig(
        filename=snakemake.log[0],
        filemode="w",
        level=logging.INFO,
        format=FORMAT,
    )
    logging.captureWarnings(True)
    logger = logging.getLogger(snakemake.rule)

    def log_exception(*exc_info):
        logger.error("job failed", exc_info=exc_info)
        sys.__excepthook__(*exc_info)

    sys.excepthook = log_exception
    # Registered after logging's own exit handler, so it runs first (atexit is LIFO).
    atexit.register(_log_resources, logger)
    return logger


def end_job(logger: logging.Logger) -> None:
    """Log what the job cost and leave its process without tearing the interpreter down.

    The last line of every job script, once its outputs are written and closed.  A
    process that loaded numpy, scipy and pandas spends about 0.2 s of CPU freeing them at
    exit (measured on this project's 2-core machine: 1.33 s in all against 1.11 s at
    ``atexit``), which nothing needs: the kernel reclaims the memory.  So the logs are
    flushed and closed and the process exits with status 0 at once.  A job that fails
    never gets here: it exits through the normal path with its error status.  In a
    thread of Snakemake's process (:func:`thread_job`) it returns: that process goes on.
    """
    if getattr(_thread, "logger", None) is logger:
        return  # thread_job logs the resources when the script returns
    atexit.unregister(_log_resources)
    _log_resources(logger)
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def _log_resources(logger: logging.Logger) -> None:
    own, children = (
        resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
    )
    cpu = own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime
    logger.info(RESOURCES, cpu, _peak_kib() / 1024.0)


def _peak_kib() -> float:
    """This process's peak resident memory in KiB: VmHWM, which starts afresh at exec.

    Not ``ru_maxrss``: Linux carries that over a fork and an exec, so a job started by
    Snakemake's process (several hundred MB once it has run jobs of its own) would report
    Snakemake's peak instead of its own.  ``ru_maxrss`` where /proc is missing.
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return float(line.split()[1])
    except OSError:
        pass
    return float(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


@contextlib.contextmanager
def thread_job(log_path: str, rule: str):
    """Log one job that runs in a thread of Snakemake's process into ``log_path``.

    The log holds what a script job's would: the job's messages and warnings from this
    thread alone (several jobs run at once, each in its own thread), the traceback if it
    fails (then re-raised for Snakemake, which reports the job failed and removes its
    outputs), and the resources line: this thread's CPU seconds while the job ran and
    the peak memory of the whole Snakemake process, which the job shares.
    """
    handler = logging.FileHandler(log_path, mode="w")
    handler.setFormatter(logging.Formatter(FORMAT))
    ident = threading.get_ident()
    handler.addFilter(lambda record: record.thread == ident)
    logging.captureWarnings(True)  # once for the process: warnings become log records
    logger = logging.getLogger(rule)
    loggers = (logger, logging.getLogger("py.warnings"))
    for each in loggers:
        each.setLevel(logging.INFO)
        each.addHandler(handler)
    _thread.logger = logger
    start = time.thread_time()  # this thread's CPU, ns-resolved and monotonic
    try:
        yield logger
    except BaseException:
        logger.error("job failed", exc_info=True)
        raise
    finally:
        logger.info(RESOURCES, time.thread_time() - start, _peak_kib() / 1024.0)
        del _thread.logger
        for each in loggers:
            each.removeHandler(handler)
        handler.close()


def read_resources(path) -> tuple[float, float] | None:
    """(CPU s, max_rss MB) from the resources line of a job's log, or None if it has none."""
    import re

    pattern = re.compile(r"resources: cpu ([0-9.]+) s, max_rss ([0-9.]+) MB$")
    with open(path) as handle:
        for line in reversed(handle.read().splitlines()):
            if match := pattern.search(line):
                return float(match.group(1)), float(match.group(2))
    return None
