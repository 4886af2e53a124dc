"""Fit the growth laws of the norm and of every diverging weight of one trajectory."""

from backprop_landscape.logrule.tables import growth_laws, theory_for_problem
from backprop_landscape.pipeline.io import read_table, write_table
from backprop_landscape.pipeline.joblog import log_to_file

log = log_to_file(snakemake)
theory = {}
if "problem" in snakemake.input.keys():  # a one-neuron problem: theory from theta's tail
    problem = read_table(snakemake.input.problem)
    wildcards = snakemake.wildcards
    theory = theory_for_problem(problem, wildcards.problem, wildcards.theta)
table = growth_laws(
    read_table(snakemake.input.trajectory),
    theory,
    decades=snakemake.params.settings["tail_decades"],
)
write_table(table, snakemake.output.table, params=dict(snakemake.params.items()))
log.info("growth laws:\n%s", table.to_string())
