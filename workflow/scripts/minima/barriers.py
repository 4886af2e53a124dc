"""Barriers between the minima of one (problem, theta) multistart job: bands between each
minimum and its nearest few and the global one, saddles refined and confirmed, paths to a
minimum at infinity run out along its face (minima.barriers.neuron_barriers)."""

from backprop_landscape.minima.barriers import neuron_barriers
from backprop_landscape.models.neuron import reduce_problem
from backprop_landscape.models.theta import get_theta
from backprop_landscape.pipeline.io import read_table, write_table
from backprop_landscape.pipeline.joblog import end_job, log_to_file
from backprop_landscape.problems.problem import problem_from_frame

log = log_to_file(snakemake)
problem_name, theta = snakemake.wildcards.problem, snakemake.wildcards.model
s = snakemake.params.settings
problem = problem_from_frame(read_table(snakemake.input.problem), problem_name)
A_tilde, targets = reduce_problem(problem.A, problem.y)
minima = read_table(snakemake.input.minima)
table = neuron_barriers(
    A_tilde, get_theta(theta), minima, targets=targets, k=s["neighbours"], n_images=s["images"]
)
write_table(table, snakemake.output.table, params={**snakemake.wildcards, **s})
log.info(
    "%s, %s: %d minima, %d pairs, %d saddles confirmed, %d barriers at infinity",
    problem_name,
    theta,
    len(minima),
    len(table),
    int(table["confirmed"].sum()),
    int(table["saddle_at_infinity"].sum()),
)
end_job(log)
