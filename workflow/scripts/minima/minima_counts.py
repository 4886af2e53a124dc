"""Per (problem, theta): minima found, finite and at infinity, what the count may miss,
whether it is certified, and the global basin."""

from backprop_landscape.minima.counts import count_minima, predicted_energies
from backprop_landscape.pipeline.io import read_table, write_table
from backprop_landscape.pipeline.joblog import end_job, log_to_file
from backprop_landscape.problems.names import parse_problem
from backprop_landscape.problems.problem import problem_from_frame

log = log_to_file(snakemake)
data = {
    problem: problem_from_frame(read_table(path), problem)
    for problem, path in zip(snakemake.params.problems, snakemake.input.problems, strict=True)
}
sizes = {problem: p.A.shape for problem, p in data.items()}
# Each multistart job's run counts (batches, stop, undecided, saturated) travel in its
# table's attrs.
runs = {
    (job["problem"], job["theta"]): read_table(path).attrs
    for job, path in zip(snakemake.params.jobs, snakemake.input.tables, strict=True)
}
minima = read_table(snakemake.input.minima)
# Families whose minima follow from exact one-weight blocks get their predicted minima.
predictions = {}
for (problem, theta), _ in minima.groupby(["problem", "theta"], sort=False):
    if parse_problem(problem)[0] in ("product", "ahw"):
        predictions[(problem, theta)] = predicted_energies(problem, theta)
counts = count_minima(minima, sizes, runs, predictions)
write_table(counts, snakemake.output.table, params=dict(snakemake.params.items()))
log.info("%d (problem, theta) rows:\n%s", len(counts), counts.to_string())
end_job(log)
