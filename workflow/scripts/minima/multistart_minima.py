"""Every local minimum of E reached by a vectorised multistart descent (m >= 2), in batches
until the estimated missed mass is below its target or the start budget is spent."""

from backprop_landscape.minima import find_minima
from backprop_landscape.models.neuron import reduce_problem
from backprop_landscape.pipeline.io import read_table, write_table
from backprop_landscape.pipeline.joblog import end_job, log_to_file
from backprop_landscape.problems.problem import problem_from_frame

log = log_to_file(snakemake)
problem = problem_from_frame(read_table(snakemake.input.problem), snakemake.wildcards.problem)
theta = snakemake.wildcards.theta
s = snakemake.params.settings
A_tilde, targets = reduce_problem(problem.A, problem.y)
table = find_minima(
    A_tilde,
    theta,
    targets=targets,
    n_starts=s["starts"],
    seed=s["seed"],
    missed_target=s["missed_mass"],
    batch=s["batch"],
    max_starts=s["max_starts"],
)
contract = [
    "E",
    "at_infinity",
    "basin_fraction",
    "x",
    "z_limit",
]  # the minima table's contract columns, in order (README)
table = table[contract + [column for column in table.columns if column not in contract]]
write_table(table, snakemake.output.table, params={**snakemake.wildcards, **s})
a = table.attrs
log.info(
    "%s, theta = %s (%s targets): %d minima (%d at infinity) from %d starts in %d batches, "
    "%d undecided; missed mass %.2g (target %g), Chao1 %.1f (%.1f-%.1f); stopped by %s",
    problem.name,
    theta,
    "hard" if targets is None else "soft",
    len(table),
    int(table["at_infinity"].sum()),
    a["n_starts"],
    a["n_batches"],
    a["n_undecided"],
    a["missed_mass"],
    s["missed_mass"],
    a["n_estimated"],
    a["n_low"],
    a["n_high"],
    a["stopped_by"],
)
end_job(log)
