"""Write the n = 2, m = 1 example of one type and one value of a."""

from joblog import log_to_file

from backprop_landscape.io import write_table
from backprop_landscape.problems import n2m1_problem, problem_to_frame

log = log_to_file(snakemake)
problem = n2m1_problem(snakemake.params.kind, snakemake.params.a)
requested = f"n2m1/type{snakemake.wildcards.kind}_a{snakemake.wildcards.a}"
if problem.name != requested:
    raise ValueError(f"{requested} is not a canonical problem name; ask for {problem.name}")
write_table(
    problem_to_frame(problem), snakemake.output.table, params=dict(snakemake.params.items())
)
log.info("wrote %s: A = %s, y = %s", problem.name, problem.A.tolist(), problem.y.tolist())
