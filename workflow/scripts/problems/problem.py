"""Write one problem's data set (u, y) from its family and parameters."""

from backprop_landscape.pipeline.io import write_table
from backprop_landscape.pipeline.joblog import log_to_file
from backprop_landscape.problems.families import build_problem, problem_to_frame

log = log_to_file(snakemake)
problem = build_problem(snakemake.params.family, dict(snakemake.params.spec))
if problem.name != snakemake.params.name:
    raise ValueError(f"{snakemake.params.name} is not a canonical name; ask for {problem.name}")
write_table(
    problem_to_frame(problem), snakemake.output.table, params=dict(snakemake.params.items())
)
log.info("wrote %s: n = %d, m = %d", problem.name, problem.n, problem.m)
