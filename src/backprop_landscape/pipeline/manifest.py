"""The results manifest: every table of a run with its size, rows and SHA-256 checksum.

Two runs of one config give byte-identical tables (see ``io.write_table``), so their
manifests are identical too: comparing two ``results/manifest.tsv`` compares the runs.
The rows are sorted by path and the file holds nothing that depends on the host, the
time or the order in which jobs finished.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

COLUMNS = ["path", "stage", "rows", "bytes", "sha256"]
CHUNK = 1 << 20


def file_sha256(path) -> str:
    """Hex SHA-256 of a file's bytes, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def manifest_frame(paths, root=".") -> pd.DataFrame:
    """One row per Parquet file: path (relative to ``root``, with /), stage, rows, bytes, sha256.

    ``stage`` is the folder below ``results/`` (``tables`` for the aggregates, else the
    per-job stage: ``problems``, ``minima``, ``trajectories``, ...).  Paths are sorted and
    each is listed once.
    """
    root = Path(root)
    rows = []
    for path in sorted({Path(p).as_posix() for p in paths}):
        full = root / path
        parts = Path(path).parts
        stage = parts[1] if len(parts) > 2 and parts[0] == "results" else ""
        rows.append(
            {
                "path": path,
                "stage": stage,
                "rows": int(pq.read_metadata(full).num_rows),
                "bytes": int(full.stat().st_size),
                "sha256": file_sha256(full),
            }
        )
    return pd.DataFrame(rows, columns=COLUMNS)


def write_manifest(paths, out, root=".") -> pd.DataFrame:
    """Write the manifest of ``paths`` as tab-separated text to ``out``, atomically."""
    frame = manifest_frame(paths, root)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    frame.to_csv(tmp, sep="\t", index=False, lineterminator="\n")
    tmp.replace(out)
    return frame


def read_manifest(path) -> pd.DataFrame:
    return pd.read_csv(path, sep="\t", dtype={"path": str, "stage": str, "sha256": str})
