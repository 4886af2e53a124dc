"""Every local minimum of E reached by a vectorised multistart descent (m >= 2)."""

from backprop_landscape.minima import find_minima
from backprop_landscape.models.neuron import reduce_signs
from backprop_landscape.pipeline.io import read_table, write_table
from backprop_landscape.pipeline.joblog import log_to_file
from backprop_landscape.problems.problem import problem_from_frame

log = log_to_file(snakemake)
problem = problem_from_frame(read_table(snakemake.input.problem), snakemake.wildcards.problem)
theta = snakemake.wildcards.theta
s = snakemake.params.settings
table = find_minima(reduce_signs(problem.A, problem.y), theta, n_starts=s["starts"], seed=s["seed"])
contract = [
    "E",
    "at_infinity",
    "basin_fraction",
    "x",
    "z_limit",
]  # the minima table's contract columns, in order (README)
table = table[contract + [column for column in table.columns if column not in contract]]
write_table(table, snakemake.output.table, params={**snakemake.wildcards, **s})
log.info(
    "%s, theta = %s: %d minima (%d at infinity) from %d starts, %d undecided",
    problem.name,
    theta,
    len(table),
    int(table["at_infinity"].sum()),
    table.attrs["n_starts"],
    table.attrs["n_undecided"],
)
