"""Figure 5's seeds, each followed from its last weights to what it approaches."""

from backprop_landscape.minima.networks import final_weights, network_for, trace_backprop
from backprop_landscape.pipeline.io import read_table, write_table
from backprop_landscape.pipeline.joblog import end_job, log_to_file
from backprop_landscape.problems.names import network_name
from backprop_landscape.trajectories import xor

log = log_to_file(snakemake)
s = snakemake.params.settings
model = network_name(s["hidden"], "logistic")  # Figure 5: logistic units, biases, 0/1 targets
net, _ = network_for(model, 2)
ends = final_weights(read_table(snakemake.input.trajectory), xor.weight_names(s["hidden"]))
table = trace_backprop(net, xor.INPUTS, xor.TARGETS, ends, read_table(snakemake.input.seeds))
table.insert(0, "model", model)
write_table(table, snakemake.output.table, params=dict(s))
log.info("\n%s", table.drop(columns=["outputs"]).to_string())
end_job(log)
