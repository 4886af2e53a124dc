"""minima.parquet: the neuron jobs' minima stacked (problem, theta first), then the
networks' minima, finite and at infinity; ``model`` is the theta or the network's name."""

import pandas as pd

from backprop_landscape.minima.networks import network_minima
from backprop_landscape.pipeline.io import read_table, write_table
from backprop_landscape.pipeline.joblog import log_to_file

log = log_to_file(snakemake)
jobs = snakemake.params.jobs
frames = [
    read_table(path).assign(**job) for path, job in zip(snakemake.input.tables, jobs, strict=True)
]
table = pd.concat(frames, ignore_index=True)
keys = list(jobs[0])
table = table[keys + [c for c in table.columns if c not in keys]]
table["kind"] = table["at_infinity"].map({False: "minimum", True: "minimum-at-infinity"})
table["model"] = table["theta"]
networks = [
    network_minima(points, limits, limits.attrs["n_starts"]).assign(
        problem=job["problem"], theta=None, model=job["model"]
    )
    for job, points, limits in zip(
        snakemake.params.network_jobs,
        map(read_table, snakemake.input.networks),
        map(read_table, snakemake.input.network_limits),
        strict=True,
    )
]
n_neuron = len(table)
table = pd.concat([table, *networks], ignore_index=True)[table.columns]
write_table(table, snakemake.output.table, params=dict(snakemake.params.items()))
log.info("%d rows: %d of neurons, %d of networks", len(table), n_neuron, len(table) - n_neuron)
