"""Multistart descent, simulated annealing and basin hopping on one problem and theta:
P(global minimum reached) against the number of evaluations."""

from backprop_landscape.models.neuron import reduce_problem
from backprop_landscape.models.theta import get_theta
from backprop_landscape.pipeline.io import read_table, write_table
from backprop_landscape.pipeline.joblog import end_job, log_to_file
from backprop_landscape.problems.problem import problem_from_frame
from backprop_landscape.questions.relaxation import relaxation_experiment

log = log_to_file(snakemake)
s = dict(snakemake.params.settings)
problem, theta_name = snakemake.wildcards.problem, snakemake.wildcards.theta
data = problem_from_frame(read_table(snakemake.input.problem), problem)
(A_tilde, targets), theta = reduce_problem(data.A, data.y), get_theta(theta_name)
table = relaxation_experiment(A_tilde, theta, problem=problem, targets=targets, **s)
evals = table.attrs.pop("median_evals_to_global")
write_table(table, snakemake.output.table, params={"problem": problem, "theta": theta_name, **s})
first = table.iloc[0]
log.info(
    "%s %s: E_global = %.10g (%s; find_minima %.10g, at infinity %s; lowest found %.10g); "
    "box |x| <= %.4g (row scale %.4g, reach of the global minimum %.4g)",
    problem,
    theta_name,
    first.E_global,
    first.E_global_source,
    first.E_minima,
    first.minima_at_infinity,
    first.E_found,
    first.box_halfwidth,
    first.box_row_scale,
    first.global_reach,
)
final = table[table.budget == table.budget.max()]
for row in final.itertuples():
    log.info(
        "%s: P(global) = %.3f at %d evaluations; median evaluations to reach it %s",
        row.method,
        row.p_global,
        row.budget,
        evals[row.method],
    )
end_job(log)
