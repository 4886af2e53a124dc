"""Write one problem's data set (u, y) from its family and fields."""

from backprop_landscape.pipeline.io import write_columns
from backprop_landscape.pipeline.joblog import end_job, log_to_file
from backprop_landscape.problems.families import build_problem
from backprop_landscape.problems.problem import problem_to_columns

log = log_to_file(snakemake)
spec = snakemake.params.spec
problem = build_problem(spec["family"], dict(spec["fields"]))
if problem.name != spec["problem"]:  # the grammar and the family's builder disagree
    raise ValueError(f"asked for {spec['problem']}, built {problem.name}")
# pyarrow directly: pandas (0.3 s) would only box the arrays
write_columns(problem_to_columns(problem), snakemake.output.table, params=dict(spec))
log.info("wrote %s: n = %d, m = %d", problem.name, problem.n, problem.m)
end_job(log)
