"""A job's log ends with what the job cost: CPU seconds and peak memory, at its exit."""

import subprocess
import sys
import textwrap
from pathlib import Path

from backprop_landscape.pipeline.joblog import read_resources

SRC = Path(__file__).resolve().parents[3] / "src"


def _job(tmp_path, body: str) -> tuple[int, Path]:
    """Run a script that logs as a workflow job does; return its exit code and log path."""
    log = tmp_path / "job.log"
    script = textwrap.dedent(
        f"""
        import sys, time
        sys.path.insert(0, {str(SRC)!r})
        from types import SimpleNamespace
        from backprop_landscape.pipeline.joblog import log_to_file
        log = log_to_file(SimpleNamespace(log=[{str(log)!r}], rule="probe"))
        log.info("working")
        """
    ) + textwrap.dedent(body)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=60)
    return done.returncode, log


def test_the_last_line_holds_the_cpu_and_the_peak_memory_of_the_job(tmp_path):
    code, log = _job(
        tmp_path,
        """
        block = bytearray(200 * 2**20)  # 200 MB, every page touched
        block[:: 4096] = b"x" * len(block[:: 4096])
        end = time.process_time() + 0.3
        while time.process_time() < end:  # 0.3 s of CPU at least
            pass
        """,
    )
    assert code == 0
    lines = log.read_text().splitlines()
    assert "working" in lines[0] and "resources:" in lines[-1]
    cpu, rss = read_resources(log)
    assert cpu >= 0.3
    assert rss >= 200


def test_a_failed_job_still_records_its_cost_after_the_error(tmp_path):
    code, log = _job(tmp_path, "raise ValueError('bad value 7 in column u3')\n")
    assert code != 0
    text = log.read_text()
    assert "bad value 7 in column u3" in text
    assert text.index("job failed") < text.index("resources:")
    assert read_resources(log) is not None


def test_a_log_without_the_line_reads_as_none(tmp_path):
    (tmp_path / "old.log").write_text("2026-12-02 10:00:00,000 INFO x: done\n")
    assert read_resources(tmp_path / "old.log") is None
