"""Draw P(global minimum reached) against evaluations, one panel per (problem, theta)."""

from backprop_landscape.figures import save_figure
from backprop_landscape.figures.relaxation import relaxation_figure
from backprop_landscape.pipeline.io import read_table
from backprop_landscape.pipeline.joblog import end_job, log_to_file

log = log_to_file(snakemake)
fig = relaxation_figure(read_table(snakemake.input.table))
save_figure(fig, [snakemake.output.png, snakemake.output.pdf])
log.info("drew %s", snakemake.output.png)
end_job(log)
