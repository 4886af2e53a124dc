"""Barriers between the finite minima of one (problem, network) job, numbered as the
network's rows of minima.parquet (minima.networks.network_minima)."""

import time

from backprop_landscape.minima.barriers import network_barriers
from backprop_landscape.minima.networks import network_data, network_for, network_minima
from backprop_landscape.pipeline.io import read_table, write_table
from backprop_landscape.pipeline.joblog import log_to_file

log = log_to_file(snakemake)
problem, model = snakemake.wildcards.problem, snakemake.wildcards.model
s = snakemake.params.settings
U, labels, _ = network_data(read_table(snakemake.input.problem), snakemake.input.problem)
net, target = network_for(model, U.shape[1])
limits = read_table(snakemake.input.limits)
minima = network_minima(read_table(snakemake.input.minima), limits, limits.attrs["n_starts"])
table = network_barriers(
    net, U, net.code_targets(target * labels), minima, k=s["neighbours"], n_images=s["images"]
)
write_table(table, snakemake.output.table, params={**snakemake.wildcards, **s})
log.info(
    "%s, %s: %d minima (%d at infinity, not joined), %d pairs, %d confirmed; %.2f s CPU",
    problem,
    model,
    len(minima),
    int(minima["at_infinity"].sum()),
    len(table),
    int(table["confirmed"].sum()),
    time.process_time(),
)
