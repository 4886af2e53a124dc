"""Run the workflow on a tiny config in a temporary folder.

One real run (module fixture) is shared: the incremental tests only dry-run against
its outputs and metadata, and the bad-config tests each use a fresh, empty folder.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
import yaml

from backprop_landscape.io import read_table
from backprop_landscape.theta import THETA_NAMES

pytestmark = pytest.mark.workflow

REPO = Path(__file__).resolve().parents[2]

TINY_CONFIG = {
    "thetas": ["tanh", "atan"],
    "n2m1": {"types": [2, 3], "a": [1, 10]},
    "figures": {"paper_theta": "tanh", "case2_a": 1, "case3_a": 10},
}

CRITICAL_POINTS_COLUMNS = ["problem", "theta", "type", "a", "x", "E", "kind", "at_infinity"]
BIFURCATION_COLUMNS = ["theta", "a_star", "x_fold", "second_minimum_at_infinity"]


def copy_workflow(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "Snakefile", folder / "Snakefile")
    shutil.copytree(
        REPO / "workflow", folder / "workflow", ignore=shutil.ignore_patterns("__pycache__")
    )
    return folder


def write_config(folder: Path, config: dict | str) -> None:
    text = config if isinstance(config, str) else yaml.safe_dump(config, sort_keys=False)
    (folder / "config.yaml").write_text(text)


def snakemake(folder: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "snakemake", "--configfile", "config.yaml", *args],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=300,
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


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory) -> Path:
    folder = copy_workflow(tmp_path_factory.mktemp("run"))
    write_config(folder, TINY_CONFIG)
    result = snakemake(folder, "--cores", "2")
    assert result.returncode == 0, result.stderr[-3000:]
    return folder


def test_schema_offers_every_theta_of_the_package():
    schema = yaml.safe_load((REPO / "workflow/schemas/config.schema.yaml").read_text())
    assert tuple(schema["$defs"]["theta"]["enum"]) == tuple(THETA_NAMES)


def test_run_writes_contract_tables(finished_run):
    critical = read_table(finished_run / "results/tables/critical_points.parquet")
    assert list(critical.columns[: len(CRITICAL_POINTS_COLUMNS)]) == CRITICAL_POINTS_COLUMNS
    assert set(critical["theta"]) == {"tanh", "atan"}
    assert set(critical["problem"]) == {
        "n2m1/type2_a1",
        "n2m1/type2_a10",
        "n2m1/type3_a1",
        "n2m1/type3_a10",
    }
    assert set(critical["kind"]) <= {"min", "max"}
    assert (critical["at_infinity"] == critical["x"].abs().eq(float("inf"))).all()

    bifurcation = read_table(finished_run / "results/tables/bifurcation.parquet")
    assert list(bifurcation.columns[: len(BIFURCATION_COLUMNS)]) == BIFURCATION_COLUMNS
    assert list(bifurcation["theta"]) == ["tanh", "atan"]

    for name in ["fig1_tanh", "fig2_atan", "fig3_tanh", "fig4_atan", "bifurcation"]:
        for ext in ("png", "pdf"):
            assert (finished_run / f"results/figures/{name}.{ext}").stat().st_size > 0


def test_rerun_has_nothing_to_do(finished_run):
    assert planned_jobs(finished_run) == Counter()


def test_new_a_value_runs_only_new_jobs(finished_run):
    write_config(finished_run, {**TINY_CONFIG, "n2m1": {"types": [2, 3], "a": [1, 10, 5]}})
    try:
        jobs = planned_jobs(finished_run)
    finally:
        write_config(finished_run, TINY_CONFIG)
    assert jobs == Counter(
        n2m1_problem=2,  # type 2 and type 3 with a = 5
        critical_points_1d=4,  # those two problems times two thetas
        critical_points_table=1,
        bifurcation_figure=1,
        all=1,
    )


@pytest.mark.parametrize(
    ("figures", "expected"),
    [
        # case3_a = 1 is already in the sweep: only Figures 2 and 4 are redrawn.
        ({"case3_a": 1}, Counter(paper_figure=4, all=1)),
        # paper_theta only changes the titles of the old and the new paper theta.
        ({"paper_theta": "erf"}, Counter(paper_figure=4, all=1)),
    ],
)
def test_changed_param_reruns_exactly_its_jobs(finished_run, figures, expected):
    write_config(finished_run, {**TINY_CONFIG, "figures": {**TINY_CONFIG["figures"], **figures}})
    try:
        assert planned_jobs(finished_run) == expected
    finally:
        write_config(finished_run, TINY_CONFIG)


BAD_CONFIGS = {
    "unknown theta": ({"thetas": ["tanh", "sigmoid"]}, ["thetas[1]", "sigmoid"]),
    "negative a": ({"n2m1": {"types": [3], "a": [1, -2]}}, ["n2m1.a[1]", "-2"]),
    "non-numeric a": ({"n2m1": {"types": [3], "a": [1, "ten"]}}, ["n2m1.a[1]", "ten"]),
    "unknown key": ({"n2m1": {"types": [3], "a": [1], "b": 4}}, ["n2m1.b", "4"]),
    "unknown top-level key": ({"sweeps": [1]}, ["sweeps", "[1]"]),
    "wrong type": ({"thetas": "tanh"}, ["thetas", "tanh", "array"]),
    "wrong type of type": ({"n2m1": {"types": [2.5], "a": [1]}}, ["n2m1.types[0]", "2.5"]),
    "missing key": ({"figures": {"paper_theta": "tanh", "case2_a": 1}}, ["case3_a"]),
}


@pytest.mark.parametrize("case", list(BAD_CONFIGS))
def test_bad_config_stops_before_any_job(tmp_path, case):
    change, words = BAD_CONFIGS[case]
    folder = copy_workflow(tmp_path / "wf")
    write_config(folder, {**TINY_CONFIG, **change})
    result = snakemake(folder, "--cores", "1")
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "Bad config" in output
    for word in words:
        assert word in output, output[-2000:]
    assert not (folder / "results").exists()


def test_numbers_written_as_text_are_numbers(tmp_path):
    folder = copy_workflow(tmp_path / "wf")
    # YAML reads 1e1 (no dot) as the string "1e1"; the workflow reads it as 10.
    write_config(
        folder,
        "thetas: [tanh]\n"
        "n2m1: {types: [3], a: [1e1, '2']}\n"
        "figures: {paper_theta: tanh, case2_a: 1e0, case3_a: 1e1}\n",
    )
    result = snakemake(folder, "--dry-run", "--cores", "1")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "results/problems/n2m1/type3_a10.parquet" in result.stdout
    assert "results/problems/n2m1/type3_a2.parquet" in result.stdout
    assert "results/problems/n2m1/type2_a1.parquet" in result.stdout
