"""Draw a figure of open question 1 (minima_count) or 2 (task_minima)."""

from backprop_landscape.figures import minima as plotting_minima
from backprop_landscape.figures import save_figure
from backprop_landscape.pipeline.io import read_table
from backprop_landscape.pipeline.joblog import end_job, log_to_file

log = log_to_file(snakemake)
draw = {
    "minima_count": plotting_minima.minima_count_figure,
    "task_minima": plotting_minima.task_minima_figure,
}[snakemake.wildcards.plot]
fig = draw(read_table(snakemake.input.counts), list(snakemake.params.thetas))
save_figure(fig, [snakemake.output.png, snakemake.output.pdf])
log.info("drew %s", snakemake.output.png)
end_job(log)
