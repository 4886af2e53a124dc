"""Draw a figure of open question 1 (minima_count) or 2 (task_minima)."""

from joblog import log_to_file

from backprop_landscape import plotting, plotting_minima
from backprop_landscape.io import read_table

log = log_to_file(snakemake)
draw = {
    "minima_count": plotting_minima.minima_count_figure,
    "task_minima": plotting_minima.task_minima_figure,
}[snakemake.wildcards.plot]
fig = draw(read_table(snakemake.input.counts), list(snakemake.params.thetas))
plotting.save_figure(fig, [snakemake.output.png, snakemake.output.pdf])
log.info("drew %s", snakemake.output.png)
