"""The default workflow, run from clean and rerun with nothing to do.

* ``workflow_from_clean``: ``snakemake --cores 8`` on config.yaml in a fresh copy of the
  workflow; baseline: the same run with ``--cores 1``.
  Its note gives the peak memory (max_rss of the resources line that ends every job's
  log, see ``pipeline.joblog``; for a job in a thread, Snakemake's process's) and the job
  that reached it: the issue asks for < 2 GiB per job.
* ``workflow_cpu``: CPU seconds of the run from clean as the jobs record them (the
  resources lines, summed over ``results/logs/**/*.log``: ``getrusage`` of a script
  job's process at its exit, the thread's CPU time of a job run in a thread of
  Snakemake's process) against the CPU seconds of the whole ``snakemake`` process and
  everything it waited for (``getrusage`` of the children, as ``/usr/bin/time`` reports
  it).  The difference is Snakemake's own work: its scheduling and, per script job, the
  shell and the interpreter around the script before its first line.  The note
  gives the wall time and the CPU seconds per rule, largest first; ``python
  benchmarks/bench_workflow.py RESULTS`` prints that table for a finished run.
* ``workflow_noop_rerun``: ``snakemake --cores 8`` once every output is up to date;
  baseline: ``snakemake --dry-run`` of the same state (building the DAG only), so the
  ratio is the cost of checking up-to-dateness beyond parsing and the DAG.
"""

from __future__ import annotations

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


def log_rules(folder: Path) -> dict[str, str]:
    """Log file (relative to results/logs) -> rule, from a forced dry run."""
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
        elif match := re.match(r"^\s+log: results/logs/(\S+)", line):
            rules[match.group(1)] = rule
    return rules


def job_resources(results: Path) -> dict[str, tuple[float, float]]:
    """Log file (relative to results/logs) -> (CPU s, max_rss MB) of a finished run."""
    sys.path.insert(0, str(REPO / "src"))
    from backprop_landscape.pipeline.joblog import read_resources

    found = {}
    for path in sorted((results / "logs").rglob("*.log")):
        if (resources := read_resources(path)) is not None:
            found[str(path.relative_to(results / "logs"))] = resources
    return found


def cpu_per_rule(results: Path, workflow: Path = REPO) -> dict[str, tuple[int, float, float]]:
    """Rule -> (jobs, CPU s, largest max_rss MB) over the job logs of a finished run."""
    rules = log_rules(workflow)
    totals: dict[str, tuple[int, float, float]] = {}
    for log, (cpu, rss) in job_resources(results).items():
        rule = rules.get(log, "(unknown)")
        jobs, total, peak = totals.get(rule, (0, 0.0, 0.0))
        totals[rule] = (jobs + 1, total + cpu, max(peak, rss))
    return dict(sorted(totals.items(), key=lambda item: -item[1][1]))


def rule_table(totals: dict[str, tuple[int, float, float]]) -> str:
    lines = [f"{'rule':<24} {'jobs':>5} {'CPU s':>8} {'CPU s/job':>9} {'peak MB':>8}"]
    for rule, (jobs, cpu, peak) in totals.items():
        lines.append(f"{rule:<24} {jobs:>5} {cpu:>8.1f} {cpu / jobs:>9.2f} {peak:>8.0f}")
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
    """Largest max_rss (MB) over the jobs' resources lines, its job's log, the job count."""
    peaks = {log: rss for log, (_, rss) in job_resources(folder / "results").items()}
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
            "note": f"{n_jobs} jobs; peak memory {peak_mb:.0f} MB ({peak_job})",
        },
        {
            "name": "workflow_cpu",
            "ours_s": job_cpu,
            "baseline_s": run_cpu,
            "note": f"wall {from_clean:.1f} s; CPU per rule (job logs):\n" + rule_table(totals),
        },
        {"name": "workflow_noop_rerun", "ours_s": noop, "baseline_s": dag_only},
    ]


if __name__ == "__main__":
    print(rule_table(cpu_per_rule(Path(sys.argv[1]).resolve())))
