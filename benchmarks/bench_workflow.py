"""The default workflow, run from clean and rerun with nothing to do.

* ``workflow_from_clean``: ``snakemake --cores 8`` on config.yaml in a fresh copy of the
  workflow; baseline: the same run with ``--cores 1``.
  Its note gives the peak memory (max_rss of Snakemake's per-job benchmark files, every
  rule has one) and the job that reached it: the issue asks for < 2 GiB per job.
* ``workflow_noop_rerun``: ``snakemake --cores 8`` once every output is up to date;
  baseline: ``snakemake --dry-run`` of the same state (building the DAG only), so the
  ratio is the cost of checking up-to-dateness beyond parsing and the DAG.
"""

from __future__ import annotations

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
        from_clean = timed_snakemake(folder, "--cores", "8")
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
        {"name": "workflow_noop_rerun", "ours_s": noop, "baseline_s": dag_only},
    ]
