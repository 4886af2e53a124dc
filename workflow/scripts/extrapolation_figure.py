"""Figure of open question 4: E against steps, and steps saved, for every job."""

from joblog import log_to_file

from backprop_landscape.io import read_table
from backprop_landscape.plotting import save_figure
from backprop_landscape.plotting_extrapolation import extrapolation_figure

log = log_to_file(snakemake)
traces = {
    (job["problem"], job["theta"]): read_table(path)
    for job, path in zip(snakemake.params.jobs, snakemake.input.traces, strict=True)
}
fig = extrapolation_figure(read_table(snakemake.input.table), traces)
save_figure(fig, [snakemake.output.png, snakemake.output.pdf])
log.info("drew %s from %d jobs", snakemake.output.png, len(traces))
