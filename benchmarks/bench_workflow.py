"""The default workflow, run from clean and rerun with nothing to do.

* ``workflow_from_clean``: ``snakemake --cores 8`` on config.yaml in a fresh copy of the
  workflow; baseline: the same run with ``--cores 1``.
  Its note gives the peak memory (max_rss of Snakemake's per-job benchmark files, every
  rule has one) and the job that reached it: the issue asks for < 2 GiB per job.
* ``workflow_cpu``: CPU seconds of the run from clean as Snakemake's per-job benchmark
  files record them (``cpu_time``, summed over ``results/benchmarks/**/*.tsv``) against
  the CPU seconds of the whole ``snakemake`` process and everything it waited for
  (``getrusage`` of the children, as ``/usr/bin/time`` reports it).  A ratio well below 1
  is Snakemake's own work plus what its sampling of short jobs misses.  The note gives
  the wall time and the CPU seconds per rule, largest first; ``python
  benchmarks/bench_workflow.py RESULTS`` prints that table for a finished run.
* ``workflow_noop_rerun``: ``snakemake --cores 8`` once every output is up to date;
  baseline: ``snakemake --dry-run`` of the same state (building the DAG only), so the
  ratio is the cost of checking up-to-dateness beyond parsing and the DAG.
"""

from __future__ import annotations

import csv
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def copy_workflow(folder: Path) -> None:
    shutil.copy(REPO / "Snakefile", folder / "Snakefile")
    shutil.copy(REPO / "config.yaml", folder / "config.yaml")
    shutil.copytree(REPO / "workflow", folder / "workflow")
    # The workflow profile (threads, resources) is part of the workflow.
    shutil.copytree(REPO / "profiles" / "default", folder / "profiles" / "default")


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def benchmark_rules(folder: Path) -> dict[str, str]:
    """Benchmark file (relative to results/benchmarks) -> rule, from a forced dry run."""
    out = subprocess.run(
        [sys.executable, "-m", "snakemake", "--dry-run", "--forceall", "--cores", "1"],
        cwd=folder,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    rules, rule = {}, None
    for line in out.splitlines():
        if match := re.match(r"^(?:local)?rule (\w+):", line):
            rule = match.group(1)
        elif match := re.match(r"^\s+benchmark: results/benchmarks/(\S+)", line):
            rules[match.group(1)] = rule
    return rules


def cpu_per_rule(results: Path, workflow: Path = REPO) -> dict[str, tuple[int, float, float]]:
    """Rule -> (jobs, CPU s, wall s) summed over the benchmark files of a finished run."""
    rules = benchmark_rules(workflow)
    totals: dict[str, tuple[int, float, float]] = {}
    for path in sorted((results / "benchmarks").rglob("*.tsv")):
        with path.open() as handle:
            row = list(csv.DictReader(handle, delimiter="\t"))[-1]
        rule = rules.get(str(path.relative_to(results / "benchmarks")), "(unknown)")
        jobs, cpu, wall = totals.get(rule, (0, 0.0, 0.0))
        totals[rule] = (jobs + 1, cpu + float(row["cpu_time"]), wall + float(row["s"]))
    return dict(sorted(totals.items(), key=lambda item: -item[1][1]))


def rule_table(totals: dict[str, tuple[int, float, float]]) -> str:
    lines = [f"{'rule':<24} {'jobs':>5} {'CPU s':>8} {'CPU s/job':>9} {'wall s/job':>10}"]
    for rule, (jobs, cpu, wall) in totals.items():
        lines.append(f"{rule:<24} {jobs:>5} {cpu:>8.1f} {cpu / jobs:>9.2f} {wall / jobs:>10.2f}")
    return "\n".join(lines)


def timed_snakemake(folder: Path, *args: str) -> float:
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "snakemake", "--quiet", "all", *args],
        cwd=folder,
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - start


def peak_job_memory(folder: Path) -> tuple[float, str, int]:
    """Largest max_rss (MB) over the per-job benchmark files, its job, and the job count."""
    import pandas as pd

    files = sorted((folder / "results" / "benchmarks").rglob("*.tsv"))
    peaks = {
        str(path.relative_to(folder / "results" / "benchmarks")): float(
            pd.read_csv(path, sep="\t")["max_rss"].max()
        )
        for path in files
    }
    job = max(peaks, key=peaks.get)
    return peaks[job], job, len(peaks)


def clean(folder: Path) -> None:
    shutil.rmtree(folder / "results", ignore_errors=True)
    shutil.rmtree(folder / ".snakemake", ignore_errors=True)


def run() -> list[dict]:
    with tempfile.TemporaryDirectory(prefix="bench-workflow-") as tmp:
        folder = Path(tmp)
        copy_workflow(folder)
        cpu = children_cpu()
        from_clean = timed_snakemake(folder, "--cores", "8")
        run_cpu = children_cpu() - cpu
        totals = cpu_per_rule(folder / "results", folder)
        job_cpu = sum(total[1] for total in totals.values())
        peak_mb, peak_job, n_jobs = peak_job_memory(folder)
        noop = timed_snakemake(folder, "--cores", "8")
        dag_only = timed_snakemake(folder, "--cores", "8", "--dry-run")
        clean(folder)
        one_core = timed_snakemake(folder, "--cores", "1")
    return [
        {
            "name": "workflow_from_clean",
            "ours_s": from_clean,
            "baseline_s": one_core,
            "note": f"{n_jobs} jobs benchmarked; peak memory {peak_mb:.0f} MB ({peak_job})",
        },
        {
            "name": "workflow_cpu",
            "ours_s": job_cpu,
            "baseline_s": run_cpu,
            "note": f"wall {from_clean:.1f} s; CPU per rule (benchmark files):\n"
            + rule_table(totals),
        },
        {"name": "workflow_noop_rerun", "ours_s": noop, "baseline_s": dag_only},
    ]


if __name__ == "__main__":
    print(rule_table(cpu_per_rule(Path(sys.argv[1]).resolve())))
