"""Job scripts run in threads of Snakemake's process: each job its own log, none exits it."""

import re
import threading
from pathlib import Path

import pytest
from snakemake.iocontainers import InputFiles, Log, OutputFiles, Params, Wildcards

from backprop_landscape.pipeline.inprocess import run_script
from backprop_landscape.pipeline.joblog import read_resources

REPO = Path(__file__).resolve().parents[3]
RULES = REPO / "workflow" / "rules"

SCRIPT = """
import time
from backprop_landscape.pipeline.joblog import end_job, log_to_file

log = log_to_file(snakemake)
for step in range(5):
    log.info("job %s step %d", snakemake.wildcards.name, step)
    time.sleep(0.01)
if snakemake.params.fail:
    raise ValueError(f"bad value in {snakemake.input.data}")
with open(snakemake.output.table, "w") as handle:
    handle.write(snakemake.wildcards.name)
end_job(log)  # exits a script process; here it must return
"""


def _job(tmp_path: Path, name: str, fail: bool = False) -> dict:
    """The locals of a ``run:`` block for one job of a rule ``probe``."""
    return {
        "input": InputFiles(fromdict={"data": f"in/{name}.csv"}),
        "output": OutputFiles(fromdict={"table": str(tmp_path / f"{name}.out")}),
        "params": Params(fromdict={"fail": fail}),
        "wildcards": Wildcards(fromdict={"name": name}),
        "threads": 1,
        "resources": {},
        "log": Log([str(tmp_path / f"{name}.log")]),
        "rule": "probe",
        "basedir": str(tmp_path / "rules"),
    }


@pytest.fixture
def script(tmp_path):
    (tmp_path / "scripts").mkdir()
    (tmp_path / "scripts" / "probe.py").write_text(SCRIPT)
    return "../scripts/probe.py"  # against basedir, as a script: path is


def test_concurrent_jobs_write_only_their_own_lines_and_the_process_goes_on(tmp_path, script):
    names = [f"j{k}" for k in range(4)]
    threads = [
        threading.Thread(target=run_script, args=(script, _job(tmp_path, name), {}))
        for name in names
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for name in names:
        assert (tmp_path / f"{name}.out").read_text() == name
        lines = (tmp_path / f"{name}.log").read_text().splitlines()
        steps = [line for line in lines if " step " in line]
        assert len(steps) == 5 and all(f"job {name} step" in line for line in steps)
        assert "resources:" in lines[-1]
        cpu, rss = read_resources(tmp_path / f"{name}.log")
        assert 0 <= cpu < 5 and rss > 10  # this thread's CPU; the process's memory


def test_a_failing_job_logs_its_traceback_and_raises_to_snakemake(tmp_path, script):
    with pytest.raises(ValueError, match="bad value in in/bad.csv"):
        run_script(script, _job(tmp_path, "bad", fail=True), {})
    text = (tmp_path / "bad.log").read_text()
    assert "job failed" in text and "ValueError: bad value in in/bad.csv" in text
    assert text.index("job failed") < text.index("resources:")
    assert not (tmp_path / "bad.out").exists()
    # The next job in the same thread gets a fresh log and handler, not the failed one's.
    run_script(script, _job(tmp_path, "next"), {})
    assert "bad" not in (tmp_path / "next.log").read_text()


def _in_process_scripts() -> list[tuple[str, Path]]:
    found = []
    for rules in sorted(RULES.glob("*.smk")):
        for rule, script in re.findall(
            r'^rule (\w+):(?:(?!^rule ).)*?run_script\("([^"]+)"', rules.read_text(), re.M | re.S
        ):
            found.append((rule, (RULES / script).resolve()))
    return found


def test_the_in_process_rules_run_existing_scripts_that_leave_pyplot_alone():
    found = _in_process_scripts()
    assert {"problem", "critical_points_1d", "growth_laws", "summary"} <= {r for r, _ in found}
    for rule, path in found:
        assert path.is_file(), (rule, path)
        # pyplot's state is global to the process: figures keep processes of their own.
        assert "matplotlib" not in path.read_text(), (rule, path)
