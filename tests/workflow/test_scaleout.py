"""Scale-out: every rule declares its resources, and the SLURM profile is a valid profile."""

from __future__ import annotations

import importlib.util
import os
import re
from pathlib import Path

import pytest
import yaml
from runner import REPO, TINY_CONFIG, copy_workflow, local_rules, snakemake, write_config

pytestmark = pytest.mark.workflow

PROFILE = REPO / "profiles" / "slurm"


def rule_blocks() -> dict[str, str]:
    """Rule name -> its text, for every rule in workflow/rules/*.smk."""
    blocks = {}
    for path in sorted((REPO / "workflow" / "rules").glob("*.smk")):
        parts = re.split(r"^rule (\w+):\n", path.read_text(), flags=re.MULTILINE)
        blocks.update(zip(parts[1::2], parts[2::2]))
    return blocks


def test_workflow_profile_gives_every_rule_memory_and_runtime():
    """Resources live in one place, the workflow profile, and name only real rules."""
    profile = yaml.safe_load((REPO / "profiles" / "default" / "config.yaml").read_text())
    assert {"mem_mb", "runtime"} <= set(profile["default-resources"])
    blocks = rule_blocks()
    assert {"trajectory", "xor_backprop", "manifest"} <= set(blocks)
    assert set(profile["set-resources"]) <= set(blocks)
    assert {"xor_backprop", "trajectory", "multistart_minima"} <= set(profile["set-resources"])
    for name, text in blocks.items():
        for word in ("threads:", "resources:"):
            assert word not in text, f"rule {name} sets {word} (they belong in the profile)"


def test_slurm_profile_sets_submission_not_resources():
    """The workflow profile takes precedence: resources set here would be dropped."""
    profile = yaml.safe_load((PROFILE / "config.yaml").read_text())
    assert profile["executor"] == "slurm"
    assert not {"default-resources", "set-resources"} & set(profile)
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
    assert "mem_mb=3000" in xor and "runtime=60" in xor  # from profiles/default, attempt 1


@pytest.mark.skipif(
    importlib.util.find_spec("snakemake_executor_plugin_slurm") is None,
    reason="snakemake-executor-plugin-slurm is not installed",
)
def test_slurm_profile_dry_run_with_the_plugin(tiny_folder):
    result = snakemake(tiny_folder, "--profile", str(PROFILE), "-n")
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]


def test_local_submit_script_is_executable():
    assert os.access(Path(__file__).with_name("local_submit.sh"), os.X_OK)


def test_slurm_profile_status_checks_and_groups():
    """squeue (works with and without accounting), short first checks, real rules grouped."""
    profile = yaml.safe_load((PROFILE / "config.yaml").read_text())
    assert profile["slurm-status-command"] == "squeue"
    assert profile["slurm-init-seconds-before-status-checks"] <= 10
    blocks = rule_blocks()
    assert set(profile["groups"]) <= set(blocks)
    assert set(profile["group-components"]) <= set(profile["groups"].values())
    assert profile["cores"] == 1  # a group job asks for one CPU and runs its jobs in turn


def test_local_rules_are_quick_rules_declared_once():
    """Aggregates, figures, summary and manifest run on the submitting host, and only there."""
    local = local_rules()
    blocks = rule_blocks()
    assert local - {"all"} <= set(blocks)
    assert {"summary", "manifest", "minima_counts", "lemma_table", "paper_figure"} <= local
    assert {name for name in blocks if name.endswith("_table")} <= local
    assert {name for name in blocks if name.endswith("_figure")} <= local
    heavy = {"xor_backprop", "trajectory", "multistart_minima", "relaxation", "extrapolation"}
    assert not heavy & local
    profile = yaml.safe_load((PROFILE / "config.yaml").read_text())
    assert not set(profile["groups"]) & local
    for path in (REPO / "workflow" / "rules").glob("*.smk"):
        assert "localrules" not in path.read_text(), f"{path.name}: localrules go in the Snakefile"
