"""Run the workflow on copies of the small config `.test/` in temporary folders.

The small config and its data files live in `.test/` as files, the way Snakemake
workflows ship one, so a user can run them too (`snakemake --cores 2 --directory .test`).
Every workflow test copies the Snakefile, `workflow/`, the workflow profile and the
files of `.test/` into a fresh folder and runs Snakemake there.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
TEST_DIR = REPO / ".test"
TINY_CONFIG = yaml.safe_load((TEST_DIR / "config.yaml").read_text())


def copy_workflow(folder: Path) -> Path:
    """The workflow and the small config's data files in ``folder`` (no config.yaml)."""
    folder.mkdir(parents=True, exist_ok=True)
    for data in TEST_DIR.glob("*.csv"):
        shutil.copy(data, folder / data.name)
    shutil.copy(REPO / "Snakefile", folder / "Snakefile")
    ignore = shutil.ignore_patterns("__pycache__")
    shutil.copytree(REPO / "workflow", folder / "workflow", ignore=ignore)
    shutil.copytree(REPO / "profiles" / "default", folder / "profiles" / "default")
    return folder


def local_rules() -> set[str]:
    """The rules of the Snakefile's one `localrules:` directive (run by Snakemake itself
    on the submitting host under a cluster executor, never submitted)."""
    text = (REPO / "Snakefile").read_text()
    block = text.split("\nlocalrules:\n", 1)[1].split("\n\n", 1)[0]
    return {name.strip(" ,") for name in block.split() if name.strip(" ,")}


def write_config(folder: Path, config: dict | str) -> None:
    text = config if isinstance(config, str) else yaml.safe_dump(config, sort_keys=False)
    (folder / "config.yaml").write_text(text)


def snakemake(folder: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "snakemake", "--configfile", "config.yaml", *args],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=900,  # a shared machine can be slow; the small run takes 1-2 minutes alone
    )


def planned_jobs(folder: Path) -> Counter:
    """Job counts per rule of a dry run, from its "Job stats" table."""
    result = snakemake(folder, "--dry-run", "--cores", "1")
    assert result.returncode == 0, result.stderr + result.stdout
    output = result.stdout + result.stderr
    if "Nothing to be done" in output:
        return Counter()
    stats = output.split("Job stats:", 1)[1]
    counts = Counter()
    for line in stats.splitlines()[3:]:
        match = re.fullmatch(r"(\w+)\s+(\d+)", line.strip())
        if match is None or match.group(1) == "total":
            break
        counts[match.group(1)] = int(match.group(2))
    return counts
