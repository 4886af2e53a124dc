"""Bifurcation diagram of the type-3 example: critical points x against a."""

from joblog import log_to_file

from backprop_landscape import plotting
from backprop_landscape.io import read_table

log = log_to_file(snakemake)
critical = read_table(snakemake.input.critical)
bifurcation = read_table(snakemake.input.bifurcation)
fig = plotting.bifurcation_figure(critical, bifurcation, snakemake.params.thetas)
plotting.save_figure(fig, [snakemake.output.png, snakemake.output.pdf])
log.info("drew the bifurcation diagram for %s", ", ".join(snakemake.params.thetas))
