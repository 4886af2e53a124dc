"""Send a script job's logging, warnings and uncaught exceptions to its log file.

The last line of every job's log is what the job cost, from ``getrusage`` when its
process exits: CPU seconds (its own and its children's, imports included) and the peak
resident memory.  The rules carry no Snakemake ``benchmark:`` for this: its sampler polls
each running job twice a second from Snakemake's own process (a new thread and a read of
/proc/PID/smaps_rollup per process each time): on a 2-core machine the multistart jobs
and their problems took 93 s from clean with it against 76 s without.  And its
``cpu_time`` keeps only the last sample, so it misses most of a short job.
``benchmarks/bench_workflow.py`` sums these lines per rule.

A job script starts with :func:`log_to_file` and ends with :func:`end_job`.
"""

import atexit
import logging
import os
import resource
import sys

#: The last line of a job's log; :func:`read_resources` parses it.
RESOURCES = "resources: cpu %.3f s, max_rss %.1f MB"


def log_to_file(snakemake) -> logging.Logger:
    """Configure logging into ``snakemake.log[0]``; return the job's logger."""
    logging.basicConfig(
        filename=snakemake.log[0],
        filemode="w",
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
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
    never gets here: it exits through the normal path with its error status.
    """
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
    peak_kib = max(own.ru_maxrss, children.ru_maxrss)  # KiB on Linux
    logger.info(RESOURCES, cpu, peak_kib / 1024.0)


def read_resources(path) -> tuple[float, float] | None:
    """(CPU s, max_rss MB) from the resources line of a job's log, or None if it has none."""
    import re

    pattern = re.compile(r"resources: cpu ([0-9.]+) s, max_rss ([0-9.]+) MB$")
    with open(path) as handle:
        for line in reversed(handle.read().splitlines()):
            if match := pattern.search(line):
                return float(match.group(1)), float(match.group(2))
    return None
