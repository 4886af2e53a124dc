"""Bifurcation diagram of the type-3 example: critical points x against a."""

from backprop_landscape.figures import paper as plotting
from backprop_landscape.figures import save_figure
from backprop_landscape.pipeline.io import read_table
from backprop_landscape.pipeline.joblog import end_job, log_to_file

log = log_to_file(snakemake)
critical = read_table(snakemake.input.critical)
bifurcation = read_table(snakemake.input.bifurcation)
fig = plotting.bifurcation_figure(critical, bifurcation, snakemake.params.thetas)
save_figure(fig, [snakemake.output.png, snakemake.output.pdf])
log.info("drew the bifurcation diagram for %s", ", ".join(snakemake.params.thetas))
end_job(log)
