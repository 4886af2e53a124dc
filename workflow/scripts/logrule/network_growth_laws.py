"""Every weight's growth law, the layers' norms, and the share of weights in log mode."""

from backprop_landscape.logrule.network import network_tables
from backprop_landscape.pipeline.io import read_table, write_table
from backprop_landscape.pipeline.joblog import end_job, log_to_file

log = log_to_file(snakemake)
s = snakemake.params.settings
laws, modes = network_tables(
    read_table(snakemake.input.trajectory),
    decades=s["tail_decades"],
    tol=s["log_mode_tol"],
    floor=s["log_mode_floor"],
)
params = dict(snakemake.wildcards.items()) | s
write_table(laws, snakemake.output.table, params=params)
write_table(modes, snakemake.output.log_mode, params=params)
last = modes.groupby("seed").last()
log.info("laws per layer:\n%s", laws.groupby(["layer", "law"]).size().to_string())
log.info("share in log mode at the end: %s", last["share"].round(3).tolist())
end_job(log)
