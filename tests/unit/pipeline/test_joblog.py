"""A job's log ends with what the job cost: CPU seconds and peak memory, at its exit."""

import subprocess
import sys
import textwrap
from pathlib import Path

from backprop_landscape.pipeline.joblog import read_resources

SRC = Path(__file__).resolve().parents[3] / "src"


def _job(tmp_path, body: str) -> tuple[int, Path, bytes]:
    """Run a script that logs as a workflow job does: its exit code, log path, stdout."""
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
    return done.returncode, log, done.stdout


def test_the_last_line_holds_the_cpu_and_the_peak_memory_of_the_job(tmp_path):
    code, log, stdout = _job(
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
    code, log, stdout = _job(tmp_path, "raise ValueError('bad value 7 in column u3')\n")
    assert code != 0
    text = log.read_text()
    assert "bad value 7 in column u3" in text
    assert text.index("job failed") < text.index("resources:")
    assert read_resources(log) is not None


def test_a_log_without_the_line_reads_as_none(tmp_path):
    (tmp_path / "old.log").write_text("2026-12-02 10:00:00,000 INFO x: done\n")
    assert read_resources(tmp_path / "old.log") is None


def test_end_job_exits_at_once_with_status_0_and_everything_written(tmp_path):
    """end_job skips the interpreter's teardown: logs and outputs must be complete."""
    out = tmp_path / "table.txt"
    code, log, stdout = _job(
        tmp_path,
        f"""
        import numpy as np
        from backprop_landscape.pipeline.joblog import end_job
        with open({str(out)!r}, "w") as handle:
            handle.write("done")
        log.info("last words")
        print("to stdout", end="")
        end_job(log)
        raise RuntimeError("never reached")
        """,
    )
    assert code == 0 and stdout == b"to stdout"
    assert out.read_text() == "done"
    text = log.read_text()
    assert "last words" in text and "never reached" not in text
    assert text.count("resources:") == 1 and text.rstrip().splitlines()[-1].find("resources") > 0


def test_a_job_reports_its_own_peak_memory_not_that_of_the_process_that_started_it(tmp_path):
    # Linux carries ru_maxrss over fork and exec: a small job started by a large
    # Snakemake process would report the parent's peak (VmHWM starts afresh at exec).
    parent = bytearray(600 * 2**20)
    parent[::4096] = b"x" * len(parent[::4096])
    code, log, _ = _job(tmp_path, "")
    assert code == 0
    _, rss = read_resources(log)
    assert rss < 400, rss
    del parent
