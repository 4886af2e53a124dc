"""Every critical point of E for a one-weight problem, finite and at infinity."""

from backprop_landscape.minima.critical1d import critical_point_columns
from backprop_landscape.models.neuron import reduce_problem
from backprop_landscape.models.theta import get_theta
from backprop_landscape.pipeline.io import read_columns, write_columns
from backprop_landscape.pipeline.joblog import end_job, log_to_file
from backprop_landscape.problems.problem import problem_from_columns

# Arrays in, arrays out: pandas (0.3 s of start-up) would only box them.
log = log_to_file(snakemake)
name = snakemake.wildcards.problem
problem = problem_from_columns(read_columns(snakemake.input.problem), name)
A_tilde, targets = reduce_problem(problem.A, problem.y)
columns = critical_point_columns(A_tilde, get_theta(snakemake.wildcards.theta), targets)
write_columns(columns, snakemake.output.table, params=dict(snakemake.wildcards.items()))
rows = zip(*(list(column) for column in columns.values()), strict=True)
log.info(
    "%s, theta = %s: %s\n%s",
    problem.name,
    snakemake.wildcards.theta,
    " ".join(columns),
    "\n".join(" ".join(str(value) for value in row) for row in rows),
)
end_job(log)
