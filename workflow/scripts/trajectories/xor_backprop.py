"""Figure 5's experiment: batch backprop on XOR for many seeds at once."""

from backprop_landscape.logrule.tables import network_trajectory
from backprop_landscape.pipeline.io import write_table
from backprop_landscape.pipeline.joblog import end_job, log_to_file
from backprop_landscape.trajectories.xor import xor_backprop

log = log_to_file(snakemake)
s = snakemake.params.settings
result = xor_backprop(
    seeds=s["seeds"],
    hidden=s["hidden"],
    eta=s["eta"],
    n_epochs=s["epochs"],
    scale=s["init_scale"],
    per_decade=s["per_decade"],
)
write_table(
    network_trajectory(result.weights, result.energy), snakemake.output.table, params=dict(s)
)
write_table(result.summary, snakemake.output.seeds, params=dict(s))
log.info("solved %d of %d seeds", int(result.summary.solved.sum()), len(result.summary))
end_job(log)
