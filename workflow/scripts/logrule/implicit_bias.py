"""Angle to the max-margin direction, and t d||x||/dt against its prediction."""

from backprop_landscape.logrule.tables import SOFT_SKIP, implicit_bias
from backprop_landscape.pipeline.io import read_table, write_table
from backprop_landscape.pipeline.joblog import end_job, log_to_file

log = log_to_file(snakemake)
summary, angles = implicit_bias(
    read_table(snakemake.input.problem),
    read_table(snakemake.input.trajectory),
    snakemake.wildcards.theta,
    decades=snakemake.params.settings["tail_decades"],
)
if summary["targets"].iloc[0] == "soft":
    log.info(
        "%s, theta = %s: %s", snakemake.wildcards.problem, snakemake.wildcards.theta, SOFT_SKIP
    )
write_table(summary, snakemake.output.table, params=dict(snakemake.params.items()))
write_table(angles, snakemake.output.angles, params=dict(snakemake.params.items()))
log.info("implicit bias:\n%s", summary.to_string())
end_job(log)
