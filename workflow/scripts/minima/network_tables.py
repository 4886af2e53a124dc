"""The networks' aggregates: stationary points, limits, and counts by kind per job."""

import pandas as pd

from backprop_landscape.minima.networks import COUNT_COLUMNS, network_counts, network_data
from backprop_landscape.pipeline.io import read_table, write_table
from backprop_landscape.pipeline.joblog import end_job, log_to_file

log = log_to_file(snakemake)
jobs = snakemake.params.jobs
sizes = {
    problem: network_data(read_table(path), path)[0].shape
    for problem, path in zip(snakemake.params.problems, snakemake.input.problems, strict=True)
}
points = [read_table(path) for path in snakemake.input.tables]
limits = [read_table(path) for path in snakemake.input.limits]
counts = pd.DataFrame(
    [
        network_counts(p, lim, job["problem"], job["model"], *sizes[job["problem"]])
        for p, lim, job in zip(points, limits, jobs, strict=True)
    ],
    columns=COUNT_COLUMNS,
)
params = dict(snakemake.params.items())
write_table(pd.concat(points, ignore_index=True), snakemake.output.points, params=params)
write_table(pd.concat(limits, ignore_index=True), snakemake.output.limits, params=params)
write_table(counts, snakemake.output.counts, params=params)
log.info("%d jobs:\n%s", len(jobs), counts.to_string())
end_job(log)
