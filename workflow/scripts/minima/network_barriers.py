"""Barriers between the finite minima of one (problem, network) job, numbered as the
network's rows of minima.parquet (minima.networks.network_minima); each confirmed saddle
is looked up among the stationary search's classes (column stationary_row, -1: a saddle
the search missed, counted in the summary)."""

import numpy as np

from backprop_landscape.minima.barriers import network_barriers
from backprop_landscape.minima.networks import network_data, network_for, network_minima
from backprop_landscape.minima.stationary import match_points
from backprop_landscape.pipeline.io import read_table, write_table
from backprop_landscape.pipeline.joblog import end_job, log_to_file

log = log_to_file(snakemake)
problem, model = snakemake.wildcards.problem, snakemake.wildcards.model
s = snakemake.params.settings
U, labels, _ = network_data(read_table(snakemake.input.problem), snakemake.input.problem)
net, target = network_for(model, U.shape[1])
limits = read_table(snakemake.input.limits)
points = read_table(snakemake.input.minima)
minima = network_minima(points, limits, limits.attrs["n_starts"])
y = net.code_targets(target * labels)
table = network_barriers(net, U, y, minima, k=s["neighbours"], n_images=s["images"])
table["stationary_row"] = np.int64(-1)
done = table["confirmed"].to_numpy(bool)
if done.any():
    saddles = np.array(table.loc[done, "saddle"].tolist(), dtype=float)
    table.loc[done, "stationary_row"] = match_points(net, U, y, points, saddles)
write_table(table, snakemake.output.table, params={**snakemake.wildcards, **s})
log.info(
    "%s, %s: %d minima (%d at infinity, not joined), %d pairs, %d confirmed, %d of their"
    " saddles not among the stationary search's",
    problem,
    model,
    len(minima),
    int(minima["at_infinity"].sum()),
    len(table),
    int(table["confirmed"].sum()),
    int((done & (table["stationary_row"].to_numpy() < 0)).sum()),
)
end_job(log)
