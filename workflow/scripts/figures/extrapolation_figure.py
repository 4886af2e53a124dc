"""Figure of open question 4: E against steps, and steps saved, for every job."""

from backprop_landscape.figures import save_figure
from backprop_landscape.figures.extrapolation import extrapolation_figure
from backprop_landscape.pipeline.io import read_table
from backprop_landscape.pipeline.joblog import log_to_file

log = log_to_file(snakemake)
traces = {
    (job["problem"], job["theta"]): read_table(path)
    for job, path in zip(snakemake.params.jobs, snakemake.input.traces, strict=True)
}
fig = extrapolation_figure(read_table(snakemake.input.table), traces)
save_figure(fig, [snakemake.output.png, snakemake.output.pdf])
log.info("drew %s from %d jobs", snakemake.output.png, len(traces))
