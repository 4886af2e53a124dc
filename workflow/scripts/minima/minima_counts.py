"""Per (problem, theta): minima found, finite and at infinity, and the global basin."""

from backprop_landscape.minima.counts import count_minima
from backprop_landscape.pipeline.io import read_table, write_table
from backprop_landscape.pipeline.joblog import log_to_file

log = log_to_file(snakemake)
sizes = {
    problem: read_table(path).drop(columns="y").shape
    for problem, path in zip(snakemake.params.problems, snakemake.input.problems, strict=True)
}
# Each job's run counts (undecided, saturated) travel in its table's attrs.
runs = {
    (job["problem"], job["theta"]): read_table(path).attrs
    for job, path in zip(snakemake.params.jobs, snakemake.input.tables, strict=True)
}
counts = count_minima(read_table(snakemake.input.minima), sizes, runs)
write_table(counts, snakemake.output.table, params=dict(snakemake.params.items()))
log.info("%d (problem, theta) rows:\n%s", len(counts), counts.to_string())
