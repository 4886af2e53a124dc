"""Figure of open question 4: E against steps, and steps saved, for every job."""

from backprop_landscape.figures import save_figure
from backprop_landscape.figures.extrapolation import extrapolation_figure
from backprop_landscape.pipeline.io import read_table
from backprop_landscape.pipeline.joblog import end_job, log_to_file

log = log_to_file(snakemake)
traces = {
    (job["problem"], job["theta"]): read_table(path)
    for job, path in zip(snakemake.params.jobs, snakemake.input.traces, strict=True)
}
table = read_table(snakemake.input.table)
# The networks of the scale section have their own figure (Figure 5 at scale).
table = table[[key in traces for key in zip(table["problem"], table["theta"], strict=True)]]
fig = extrapolation_figure(table, traces)
save_figure(fig, [snakemake.output.png, snakemake.output.pdf])
log.info("drew %s from %d jobs", snakemake.output.png, len(traces))
end_job(log)
