"""Angle to the max-margin direction, and t d||x||/dt against its prediction."""

from joblog import log_to_file

from backprop_landscape.io import read_table, write_table
from backprop_landscape.logrule import implicit_bias

log = log_to_file(snakemake)
summary, angles = implicit_bias(
    read_table(snakemake.input.problem),
    read_table(snakemake.input.trajectory),
    snakemake.wildcards.theta,
    decades=snakemake.params.tail_decades,
)
write_table(summary, snakemake.output.table, params=dict(snakemake.params.items()))
write_table(angles, snakemake.output.angles, params=dict(snakemake.params.items()))
log.info("implicit bias:\n%s", summary.to_string())
