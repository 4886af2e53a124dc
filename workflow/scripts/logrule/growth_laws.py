"""Fit the growth laws of the norm and of every diverging weight of one trajectory."""

from backprop_landscape.logrule.tables import growth_laws, theory_for_problem
from backprop_landscape.pipeline.io import read_columns, write_columns
from backprop_landscape.pipeline.joblog import end_job, log_to_file

log = log_to_file(snakemake)
theory = {}
if "problem" in snakemake.input.keys():  # a one-neuron problem: theory from theta's tail
    problem = read_columns(snakemake.input.problem)
    wildcards = snakemake.wildcards
    theory = theory_for_problem(problem, wildcards.problem, wildcards.theta)
# Columns, not frames, in and out: this job never loads pandas (0.3 s of its start-up).
table = growth_laws(
    read_columns(snakemake.input.trajectory),
    theory,
    decades=snakemake.params.settings["tail_decades"],
    as_frame=False,
)
write_columns(table, snakemake.output.table, params=dict(snakemake.params.items()))
rows = zip(*table.values(), strict=True)
log.info("growth laws (%s):\n%s", " ".join(table), "\n".join(" ".join(map(str, r)) for r in rows))
end_job(log)
