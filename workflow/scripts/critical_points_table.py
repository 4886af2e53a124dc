"""Gather the critical points of every (problem, theta) job into one table."""

import pandas as pd
from joblog import log_to_file

from backprop_landscape.io import read_table, write_table

KEYS = ["problem", "theta", "type", "a"]

log = log_to_file(snakemake)
frames = [
    read_table(path).assign(**job)
    for path, job in zip(snakemake.input.tables, snakemake.params.jobs, strict=True)
]
table = pd.concat(frames, ignore_index=True)
table = table[KEYS + [c for c in table.columns if c not in KEYS]]
write_table(table, snakemake.output.table, params=dict(snakemake.params.items()))
log.info("%d critical points from %d jobs", len(table), len(frames))
