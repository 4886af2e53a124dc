"""Every critical point of E for a one-weight problem, finite and at infinity."""

from backprop_landscape.minima.critical1d import critical_points
from backprop_landscape.models.neuron import reduce_problem
from backprop_landscape.models.theta import get_theta
from backprop_landscape.pipeline.io import read_table, write_table
from backprop_landscape.pipeline.joblog import log_to_file
from backprop_landscape.problems.problem import problem_from_frame

log = log_to_file(snakemake)
problem = problem_from_frame(read_table(snakemake.input.problem), snakemake.wildcards.problem)
A_tilde, targets = reduce_problem(problem.A, problem.y)
table = critical_points(A_tilde, get_theta(snakemake.wildcards.theta), targets)
write_table(table, snakemake.output.table, params=dict(snakemake.wildcards.items()))
log.info("%s, theta = %s:\n%s", problem.name, snakemake.wildcards.theta, table.to_string())
