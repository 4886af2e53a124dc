"""Draw P(global minimum reached) against evaluations, one panel per (problem, theta)."""

from joblog import log_to_file

from backprop_landscape import plotting
from backprop_landscape.io import read_table
from backprop_landscape.plotting_relaxation import relaxation_figure

log = log_to_file(snakemake)
fig = relaxation_figure(read_table(snakemake.input.table))
plotting.save_figure(fig, [snakemake.output.png, snakemake.output.pdf])
log.info("drew %s", snakemake.output.png)
