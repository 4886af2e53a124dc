"""Scale-out: every rule declares its resources, and the SLURM profile is a valid profile."""

from __future__ import annotations

import importlib.util
import os
import re
from pathlib import Path

import pytest
import yaml
from test_workflow import TINY_CONFIG, copy_workflow, snakemake, write_config

pytestmark = pytest.mark.workflow

REPO = Path(__file__).resolve().parents[2]
PROFILE = REPO / "profiles" / "slurm"


def rule_blocks() -> dict[str, str]:
    """Rule name -> its text, for every rule in workflow/rules/*.smk."""
    blocks = {}
    for path in sorted((REPO / "workflow" / "rules").glob("*.smk")):
        parts = re.split(r"^rule (\w+):\n", path.read_text(), flags=re.MULTILINE)
        blocks.update(zip(parts[1::2], parts[2::2]))
    return blocks


def test_every_rule_declares_threads_memory_and_runtime():
    blocks = rule_blocks()
    assert {"trajectory", "xor_backprop", "manifest"} <= set(blocks)
    for name, text in blocks.items():
        for word in ("threads:", "mem_mb=", "runtime="):
            assert word in text, f"rule {name} declares no {word.rstrip(':=')}"


def test_slurm_profile_names_real_rules_and_options():
    profile = yaml.safe_load((PROFILE / "config.yaml").read_text())
    assert profile["executor"] == "slurm"
    assert {"slurm_partition", "mem_mb", "runtime"} <= set(profile["default-resources"])
    assert set(profile["set-resources"]) <= set(rule_blocks())
    assert {"xor_backprop", "trajectory"} <= set(profile["set-resources"])
    assert profile["rerun-incomplete"] is True and profile["latency-wait"] > 0


@pytest.fixture
def tiny_folder(tmp_path) -> Path:
    folder = copy_workflow(tmp_path / "wf")
    write_config(folder, TINY_CONFIG)
    return folder


def test_slurm_profile_is_accepted_by_snakemake(tiny_folder):
    """Everything but the executor: resources parse, `attempt` expressions evaluate."""
    result = snakemake(
        tiny_folder, "--profile", str(PROFILE), "--executor", "local", "--cores", "1", "-n"
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    xor = output.split("rule xor_backprop:", 1)[1].split("\n\n", 1)[0]
    assert "mem_mb=3000" in xor and "runtime=60" in xor and "slurm_partition=CHANGE_ME" in xor


@pytest.mark.skipif(
    importlib.util.find_spec("snakemake_executor_plugin_slurm") is None,
    reason="snakemake-executor-plugin-slurm is not installed",
)
def test_slurm_profile_dry_run_with_the_plugin(tiny_folder):
    result = snakemake(tiny_folder, "--profile", str(PROFILE), "-n")
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]


def test_local_submit_script_is_executable():
    assert os.access(Path(__file__).with_name("local_submit.sh"), os.X_OK)
