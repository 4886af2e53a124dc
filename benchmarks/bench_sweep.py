"""A sweep of more than 1,000 jobs: DAG building (dry run) and a rerun with nothing to do.

The default config with 84 values of a: 84 x 3 types = 252 problems and 1,008
critical-point jobs, besides the Section-3 jobs, about 1,400 in all.

* ``sweep_dry_run``: ``snakemake --dry-run`` from clean; baseline: the same for the
  default config (about 290 jobs), so the ratio shows how DAG building scales.
* ``sweep_noop_rerun``: ``snakemake --cores 8`` once everything is up to date (after one
  real run of the sweep, which this benchmark performs and which takes minutes);
  baseline: the no-op rerun of the default config.
Targets of both: 10 s on this 2-core machine.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_workflow import copy_workflow  # noqa: E402

from backprop_landscape.problems.names import format_number  # noqa: E402

N_A = 84


def sweep_config() -> dict:
    config = yaml.safe_load((REPO / "config.yaml").read_text())
    values = sorted({float(format_number(a)) for a in np.logspace(-1, 2, N_A)})
    config["n2m1"]["a"] = values
    return config


def timed(folder: Path, *args: str) -> float:
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "snakemake", *args],
        cwd=folder,
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - start


def run() -> list[dict]:
    with tempfile.TemporaryDirectory(prefix="bench-sweep-") as tmp:
        default, sweep = Path(tmp, "default"), Path(tmp, "sweep")
        for folder in (default, sweep):
            folder.mkdir()
            copy_workflow(folder)
        (sweep / "config.yaml").write_text(yaml.safe_dump(sweep_config()))
        dry_default = timed(default, "--dry-run", "--cores", "8")
        dry_sweep = timed(sweep, "--dry-run", "--cores", "8")
        for folder in (default, sweep):
            timed(folder, "--cores", "8")
        noop_default = timed(default, "--cores", "8")
        noop_sweep = timed(sweep, "--cores", "8")
    note = f"{N_A} values of a: over 1,000 jobs against the default config"
    return [
        {"name": "sweep_dry_run", "ours_s": dry_sweep, "baseline_s": dry_default, "note": note},
        {
            "name": "sweep_noop_rerun",
            "ours_s": noop_sweep,
            "baseline_s": noop_default,
            "note": note,
        },
    ]
