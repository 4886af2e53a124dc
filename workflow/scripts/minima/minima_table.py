"""Every problem's minima in one table: the exact search's for one weight, the multistart's
for more, then the networks' minima, finite and at infinity (the contract columns first:
problem, theta, model, E, at_infinity, basin_fraction, x, z_limit; then n_starts,
direction, saturated, search, kind).  ``model`` is the theta or the network's name."""

import pandas as pd

from backprop_landscape.minima.critical1d import one_weight_minima
from backprop_landscape.minima.networks import network_minima
from backprop_landscape.models.neuron import reduce_problem
from backprop_landscape.models.theta import get_theta
from backprop_landscape.pipeline.io import read_table, write_table
from backprop_landscape.pipeline.joblog import end_job, log_to_file
from backprop_landscape.problems.problem import problem_from_frame

CONTRACT = ["problem", "theta", "model", "E", "at_infinity", "basin_fraction", "x", "z_limit"]

log = log_to_file(snakemake)
frames = []
for job, path, problem_path in zip(
    snakemake.params.jobs, snakemake.input.tables, snakemake.input.problems, strict=True
):
    table = read_table(path)
    if job["search"] == "exact":  # the critical points: their minima, with exact basins
        problem = problem_from_frame(read_table(problem_path), job["problem"])
        A_tilde, targets = reduce_problem(problem.A, problem.y)
        table = one_weight_minima(A_tilde, get_theta(job["theta"]), targets, critical=table)
    frames.append(
        table.assign(
            problem=job["problem"], theta=job["theta"], model=job["theta"], search=job["search"]
        )
    )
neurons = pd.concat(frames, ignore_index=True)
neurons["kind"] = neurons["at_infinity"].map({False: "minimum", True: "minimum-at-infinity"})
networks = [
    network_minima(points, limits, limits.attrs["n_starts"]).assign(
        problem=job["problem"], theta=None, model=job["model"], search="stationary"
    )
    for job, points, limits in zip(
        snakemake.params.network_jobs,
        map(read_table, snakemake.input.networks),
        map(read_table, snakemake.input.network_limits),
        strict=True,
    )
]
table = pd.concat([neurons, *networks], ignore_index=True)
table["n_starts"] = table["n_starts"].astype("Int64")
table = table[CONTRACT + [c for c in table.columns if c not in CONTRACT]]
write_table(table, snakemake.output.table, params=dict(snakemake.params.items()))
log.info(
    "%d minima of %d (problem, theta), %d from the exact one-weight search; %d of networks",
    len(table),
    len(frames),
    int((table["search"] == "exact").sum()),
    len(table) - len(neurons),
)
end_job(log)
