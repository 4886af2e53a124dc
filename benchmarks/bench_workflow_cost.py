"""The fixed cost of one workflow job, and the import floor of what a job loads.

* ``job_fixed_cost``: a throwaway Snakefile with N script jobs that only touch their
  output, run with ``--cores 1`` from clean, minus a dry run of the same (parsing and the
  DAG), divided by N: what one job costs as the workflow runs it.  Ours: the script
  imports ``pipeline.io`` and ``pipeline.joblog``, opens its log and ends with
  ``end_job``, as every job script does; baseline: an empty script.  The note gives the
  CPU seconds per job as well (``getrusage`` of the children, which a wall time on a
  shared machine is not).
* ``job_fixed_cost_empty``: the empty script job against a bare interpreter start
  (``python -c pass``): what Snakemake adds around a script.
* ``job_fixed_cost_in_process``: the same N jobs running our script in threads of
  Snakemake's process (``run: run_script(...)`` with ``--force-use-threads``, as the
  workflow's light rules do, see ``pipeline.inprocess``), against ours as a script job.
* ``import_<package>``: ``python -c "import <package>"``, best of 3 fresh interpreters,
  against ``python -c pass``; ours - baseline is the package's import floor.
* ``script_<rule>``: the top-level imports of the script of each frequent rule of the
  default run (the lines ``import``/``from`` at the head of the script), best of 3,
  against ``python -c pass``; the note lists the heavy packages the imports load.  What a
  job imports later, inside the functions it calls (``pa.array`` imports pandas, for one),
  is not in these figures: the workflow's ``job_fixed_cost`` and the per-rule CPU of
  ``workflow_cpu`` (bench_workflow.py) are the measures of a whole job.

Every subprocess gets ``PYTHONPATH=<this checkout>/src`` and one BLAS thread.
"""

from __future__ import annotations

import ast
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
N_JOBS = 20
REPEATS = 3
PACKAGES = [
    "numpy",
    "pyarrow.parquet",
    "pandas",
    "scipy.special",
    "scipy.linalg",
    "scipy.sparse",
    "scipy.integrate",
    "scipy.optimize",
    "matplotlib.figure",
    "matplotlib.pyplot",
]
# The default run's most frequent rules (484 jobs in all): these are 85% of them.  All but
# paper_figure now run in threads (pipeline.inprocess); script_<rule> is what each would
# load as a script job.
FREQUENT = {
    "problem": "problems/problem.py",
    "critical_points_1d": "minima/critical_points_1d.py",
    "multistart_minima": "minima/multistart_minima.py",
    "trajectory": "trajectories/trajectory.py",
    "growth_laws": "logrule/growth_laws.py",
    "network_stationary": "minima/network_stationary.py",
    "implicit_bias": "logrule/implicit_bias.py",
    "paper_figure": "figures/paper_figure.py",
}
HEAVY = ["pandas", "pyarrow.parquet", "scipy.optimize", "scipy.integrate", "matplotlib"]

SNAKEFILE = """{header}
rule all:
    input:
        expand("out/{{i}}.txt", i=range({n})),


rule noop:
    output:
        "out/{{i}}.txt",
    log:
        "logs/{{i}}.log",
{action}
"""
AS_SCRIPT = {"header": "", "action": '    script:\n        "{script}"'}
IN_THREAD = {
    "header": "from backprop_landscape.pipeline.inprocess import run_script\n\n",
    "action": '    run:\n        run_script("{script}", locals(), config)',
}
EMPTY = "from pathlib import Path\n\nPath(snakemake.output[0]).touch()\n"
OURS = (
    "from pathlib import Path\n\n"
    "from backprop_landscape.pipeline.io import write_table\n"
    "from backprop_landscape.pipeline.joblog import end_job, log_to_file\n\n"
    "log = log_to_file(snakemake)\n"
    "Path(snakemake.output[0]).touch()\n"
    "end_job(log)\n"
)


def environment() -> dict:
    path = os.pathsep.join(filter(None, [str(REPO / "src"), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path, "OPENBLAS_NUM_THREADS": "1"}


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(command: list[str], cwd: Path | None = None) -> tuple[float, float]:
    """Wall and CPU seconds (of the process and everything it waited for) of one command."""
    cpu, start = children_cpu(), time.perf_counter()
    subprocess.run(command, cwd=cwd, env=environment(), check=True, capture_output=True)
    return time.perf_counter() - start, children_cpu() - cpu


def best_of(command: list[str], repeats: int = REPEATS) -> float:
    return min(timed(command)[0] for _ in range(repeats))


def job_cost(script: str, in_process: bool = False) -> tuple[float, float]:
    """Wall and CPU seconds per job of N no-op jobs running ``script``, minus a dry run."""
    with tempfile.TemporaryDirectory(prefix="bench-job-cost-") as tmp:
        folder = Path(tmp)
        (folder / "noop.py").write_text(script)
        way = IN_THREAD if in_process else AS_SCRIPT
        action = way["action"].format(script="noop.py")
        snakefile = SNAKEFILE.format(header=way["header"], n=N_JOBS, action=action)
        (folder / "Snakefile").write_text(snakefile)
        snakemake = [sys.executable, "-m", "snakemake", "--quiet", "--cores", "1"]
        snakemake += ["--force-use-threads"] if in_process else []
        dry_wall, dry_cpu = timed([*snakemake, "--dry-run"], cwd=folder)
        wall, cpu = timed(snakemake, cwd=folder)
    return (wall - dry_wall) / N_JOBS, (cpu - dry_cpu) / N_JOBS


def script_imports(path: Path) -> str:
    """The import statements at the top level of a script, as one program."""
    tree = ast.parse(path.read_text())
    nodes = [node for node in tree.body if isinstance(node, ast.Import | ast.ImportFrom)]
    return "\n".join(ast.unparse(node) for node in nodes)


def loaded_heavy(code: str) -> list[str]:
    probe = f"{code}\nimport sys\nprint(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    out = subprocess.run(
        [sys.executable, "-c", probe], env=environment(), check=True, capture_output=True
    )
    return out.stdout.decode().split()


def run() -> list[dict]:
    bare = best_of([sys.executable, "-c", "pass"])
    ours_wall, ours_cpu = job_cost(OURS)
    empty_wall, empty_cpu = job_cost(EMPTY)
    thread_wall, thread_cpu = job_cost(OURS, in_process=True)
    entries = [
        {
            "name": "job_fixed_cost",
            "ours_s": ours_wall,
            "baseline_s": empty_wall,
            "note": f"{N_JOBS} jobs, --cores 1; CPU per job {ours_cpu:.3f} s "
            f"(empty script {empty_cpu:.3f} s)",
        },
        {"name": "job_fixed_cost_empty", "ours_s": empty_wall, "baseline_s": bare},
        {
            "name": "job_fixed_cost_in_process",
            "ours_s": thread_wall,
            "baseline_s": ours_wall,
            "note": f"{N_JOBS} jobs in threads, --cores 1; CPU per job {thread_cpu:.3f} s",
        },
    ]
    for package in PACKAGES:
        seconds = best_of([sys.executable, "-c", f"import {package}"])
        entries.append(
            {
                "name": f"import_{package}",
                "ours_s": seconds,
                "baseline_s": bare,
                "note": f"import floor {seconds - bare:.3f} s",
            }
        )
    for rule, script in FREQUENT.items():
        code = script_imports(REPO / "workflow" / "scripts" / script)
        seconds = best_of([sys.executable, "-c", code])
        heavy = ", ".join(loaded_heavy(code)) or "none of " + ", ".join(HEAVY)
        entries.append(
            {
                "name": f"script_{rule}",
                "ours_s": seconds,
                "baseline_s": bare,
                "note": f"imports {seconds - bare:.3f} s beyond the interpreter; loads {heavy}",
            }
        )
    return entries


if __name__ == "__main__":
    for entry in run():
        print(
            f"{entry['name']:<28} {entry['ours_s']:7.3f} {entry['baseline_s']:7.3f}  "
            f"{entry.get('note', '')}"
        )
