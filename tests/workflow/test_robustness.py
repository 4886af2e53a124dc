"""Same config, same bytes: reruns, core counts, a killed run, a cluster executor, the lock.

Every test here runs a SMALL config (one theta, about 40 jobs) and compares its tables
with one reference run (module fixture), Parquet file by Parquet file: equal as Arrow
tables (schema, metadata and data) and equal as bytes.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from runner import (
    REPO,
    TINY_CONFIG,
    copy_workflow,
    local_rules,
    planned_jobs,
    snakemake,
    write_config,
)

from backprop_landscape.pipeline.io import METADATA_KEY

pytestmark = pytest.mark.workflow

LOCAL_SUBMIT = Path(__file__).with_name("local_submit.sh")
# What `make run` runs (the Makefile's run target), with 2 cores.
RUN = ("--cores", "2", "--rerun-incomplete")

SMALL_CONFIG = {
    **TINY_CONFIG,
    "thetas": ["tanh"],
    "n2m1": {"types": [3], "a": [10]},
    "random": {"n": [5], "m": [2], "seeds": [0]},
    "data_files": {},
    "trajectories": {**TINY_CONFIG["trajectories"], "n2m1_a": []},
    "xor": {**TINY_CONFIG["xor"], "seeds": 2, "epochs": 2000},
    # no data files here, so the networks run on XOR only
    "networks": {**TINY_CONFIG["networks"], "problems": ["xor"], "hidden": [1]},
}


def small_folder(tmp_path_factory, name: str) -> Path:
    folder = copy_workflow(tmp_path_factory.mktemp(name))
    write_config(folder, SMALL_CONFIG)
    return folder


def run_ok(folder: Path, *args: str) -> subprocess.CompletedProcess:
    result = snakemake(folder, *args)
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    return result


def tables(results: Path) -> list[str]:
    """Every Parquet table below ``results``, relative; hidden (temporary) files excluded."""
    return sorted(
        path.relative_to(results).as_posix()
        for path in results.rglob("*.parquet")
        if not any(part.startswith(".") for part in path.relative_to(results).parts)
    )


def assert_same_tables(results: Path, expected: Path) -> None:
    names = tables(results)
    assert names == tables(expected)
    assert len(names) > 20
    for name in names:
        mine, theirs = pq.read_table(results / name), pq.read_table(expected / name)
        assert mine.equals(theirs, check_metadata=True), name
        assert (results / name).read_bytes() == (expected / name).read_bytes(), name
    assert (results / "manifest.tsv").read_bytes() == (expected / "manifest.tsv").read_bytes()


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> Path:
    """An uninterrupted run of SMALL_CONFIG on 2 cores."""
    folder = small_folder(tmp_path_factory, "reference")
    run_ok(folder, "--cores", "2")
    return folder


# ---------------------------------------------------------------------------------------
# Determinism
# ---------------------------------------------------------------------------------------


def test_one_core_and_a_rerun_from_clean_give_the_same_bytes(tmp_path_factory, reference):
    folder = small_folder(tmp_path_factory, "one_core")
    run_ok(folder, "--cores", "1")
    assert_same_tables(folder / "results", reference / "results")

    (folder / "results").rename(folder / "first")
    shutil.rmtree(folder / ".snakemake")
    run_ok(folder, "--cores", "2")
    assert_same_tables(folder / "results", folder / "first")


def test_tables_hold_no_clock_host_or_folder(reference):
    """Provenance is params, version and commit only; nothing of when or where it ran."""
    host = socket.gethostname()
    banned = [str(reference), str(REPO), date.today().isoformat()]
    banned += [str(Path.home())] if len(Path.home().parts) > 1 else []
    for name in tables(reference / "results"):
        path = reference / "results" / name
        table = pq.read_table(path)
        # our provenance, and pandas' own schema note where a job wrote through pandas
        # (the light jobs write their columns with pyarrow alone)
        assert METADATA_KEY in table.schema.metadata, name
        assert set(table.schema.metadata) <= {b"pandas", METADATA_KEY}, name
        for field in table.schema:
            kind = field.type
            assert not (pa.types.is_temporal(kind) or pa.types.is_timestamp(kind)), name
        strings = [
            value
            for column in table.columns
            if pa.types.is_string(column.type) or pa.types.is_large_string(column.type)
            for value in column.to_pylist()
        ]
        text = "\n".join(
            [*map(str, strings), *(v.decode() for v in table.schema.metadata.values())]
        )
        for word in banned:
            assert word not in text, f"{name} holds {word!r}"
        assert re.search(rf"\b{re.escape(host)}\b", text) is None, f"{name} names the host"


# ---------------------------------------------------------------------------------------
# A killed run, and a second Snakemake on the same folder
# ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def killed_run(tmp_path_factory) -> SimpleNamespace:
    """SMALL_CONFIG started, met by a second Snakemake mid-way, then killed with SIGKILL."""
    folder = small_folder(tmp_path_factory, "killed")
    command = [sys.executable, "-m", "snakemake", "--configfile", "config.yaml", "--cores", "2"]
    first = subprocess.Popen(
        command,
        cwd=folder,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group, jobs included
    )
    try:
        deadline = time.monotonic() + 240
        while len(tables(folder / "results")) < 8:
            assert first.poll() is None, "the run ended before it could be interrupted"
            assert time.monotonic() < deadline, "no outputs appeared"
            time.sleep(0.05)
        # A second `make run`: its --rerun-incomplete would redo the running jobs (they are
        # marked incomplete), so only the lock stands between it and the first run's files.
        before = set(tables(folder / "results"))
        second = snakemake(folder, *RUN)
        after = set(tables(folder / "results"))
        first_still_running = first.poll() is None
    finally:
        os.killpg(first.pid, signal.SIGKILL)
        first.wait()
    return SimpleNamespace(
        folder=folder,
        second=second,
        first_still_running=first_still_running,
        deleted=before - after,
    )


def test_second_snakemake_on_a_running_folder_is_refused(killed_run):
    assert killed_run.first_still_running, "the first run ended before the second started"
    output = killed_run.second.stdout + killed_run.second.stderr
    assert killed_run.second.returncode != 0
    assert "Directory cannot be locked" in output, output[-2000:]
    assert not killed_run.deleted  # it touched none of the first run's tables


def test_killed_run_resumes_to_the_same_tables(killed_run, reference):
    folder = killed_run.folder
    assert not (folder / "results/manifest.tsv").exists(), "the run was not interrupted"
    # What a job killed inside io.write_table leaves: a half-written hidden temp file.
    half_written = b"PAR1 half-written"
    leftovers = [
        folder / "results/tables/.growth_laws.parquet.tmp-999999",
        folder / "results/trajectories/scalar/tanh/.flow.parquet.tmp-999998",
    ]
    for leftover in leftovers:
        leftover.parent.mkdir(parents=True, exist_ok=True)
        leftover.write_bytes(half_written)

    # SIGKILL leaves Snakemake's lock behind (its own message says to --unlock), and jobs
    # that were running are marked incomplete: `make run` passes --rerun-incomplete.
    run_ok(folder, "--unlock")
    run_ok(folder, *RUN)

    assert_same_tables(folder / "results", reference / "results")
    for leftover in leftovers:  # never read, renamed into place or listed
        assert leftover.read_bytes() == half_written
    assert ".tmp" not in (folder / "results/manifest.tsv").read_text()


def test_make_run_reruns_incomplete_jobs():
    recipe = (REPO / "Makefile").read_text().split("\nrun:", 1)[1].split("\n\n", 1)[0]
    assert "--rerun-incomplete" in recipe


# ---------------------------------------------------------------------------------------
# Scale-out: every job but the localrules submitted as its own process through the
# cluster-generic executor
# ---------------------------------------------------------------------------------------


def test_cluster_generic_runs_every_job_as_its_own_process(
    tmp_path_factory, reference, monkeypatch
):
    folder = small_folder(tmp_path_factory, "cluster")
    planned = planned_jobs(folder)
    # The localrules (and `all`, which has no action) run in Snakemake's own process.
    expected = Counter({rule: n for rule, n in planned.items() if rule not in local_rules()})
    assert expected and sum(expected.values()) < sum(planned.values())
    records = folder / "jobs"
    monkeypatch.setenv("LOCAL_SUBMIT_RECORDS", str(records))
    run_ok(
        folder,
        "--executor",
        "cluster-generic",
        "--cluster-generic-submit-cmd",
        str(LOCAL_SUBMIT),
        "--jobs",
        "4",
        "--seconds-between-status-checks",
        "1",
    )

    jobs = [json.loads(path.read_text()) for path in sorted(records.glob("*.json"))]
    assert Counter(job["properties"]["rule"] for job in jobs) == expected
    pids = [job["pid"] for job in jobs]
    assert len(set(pids)) == len(pids) and os.getpid() not in pids
    assert_same_tables(folder / "results", reference / "results")
