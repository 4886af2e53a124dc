"""Stack per-job tables into an aggregate, the job's keys (problem, theta, ...) first."""

import pandas as pd

from backprop_landscape.pipeline.io import read_table, write_table
from backprop_landscape.pipeline.joblog import end_job, log_to_file

log = log_to_file(snakemake)
jobs = snakemake.params.jobs
frames = [
    read_table(path).assign(**job) for path, job in zip(snakemake.input.tables, jobs, strict=True)
]
table = pd.concat(frames, ignore_index=True)
keys = list(jobs[0])
table = table[keys + [c for c in table.columns if c not in keys]]
write_table(table, snakemake.output.table, params=dict(snakemake.params.items()))
log.info("%d rows from %d jobs", len(table), len(frames))
end_job(log)
