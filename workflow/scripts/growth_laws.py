"""Fit the growth laws of the norm and of every diverging weight of one trajectory."""

from joblog import log_to_file

from backprop_landscape.io import read_table, write_table
from backprop_landscape.logrule import growth_laws, theory_for

log = log_to_file(snakemake)
trajectory = read_table(snakemake.input.trajectory)
theory = {}
if "problem" in snakemake.input.keys():  # a one-neuron problem: theory from theta's tail
    from backprop_landscape.landscape import reduce_signs
    from backprop_landscape.problems import problem_from_frame
    from backprop_landscape.separability import is_separable, max_margin
    from backprop_landscape.theta import get_theta

    name = snakemake.wildcards.problem
    data = problem_from_frame(read_table(snakemake.input.problem), name)
    A_tilde = reduce_signs(data.A, data.y)
    w_hat = max_margin(A_tilde)[0] if is_separable(A_tilde) else None
    theory = theory_for(get_theta(snakemake.wildcards.theta), w_hat, scalar=name == "scalar")
table = growth_laws(trajectory, theory, decades=snakemake.params.tail_decades)
write_table(table, snakemake.output.table, params=dict(snakemake.params.items()))
log.info("growth laws:\n%s", table.to_string())
