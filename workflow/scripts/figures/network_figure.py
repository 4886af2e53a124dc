"""Draw the figure of open question 1 in neurons: classes found against H."""

from backprop_landscape.figures import save_figure
from backprop_landscape.figures.networks import network_counts_figure
from backprop_landscape.pipeline.io import read_table
from backprop_landscape.pipeline.joblog import end_job, log_to_file

log = log_to_file(snakemake)
fig = network_counts_figure(read_table(snakemake.input.counts))
save_figure(fig, [snakemake.output.png, snakemake.output.pdf])
log.info("drew %s", snakemake.output.png)
end_job(log)
