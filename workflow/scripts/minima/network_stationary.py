"""Every stationary point of a network on one problem, and the limits its descents approach."""

from backprop_landscape.minima.networks import network_data, network_for, search_network
from backprop_landscape.pipeline.io import read_provenance, read_table, write_table
from backprop_landscape.pipeline.joblog import end_job, log_to_file
from backprop_landscape.seeds import derived_seed

log = log_to_file(snakemake)
problem, model = snakemake.wildcards.problem, snakemake.wildcards.model
s = snakemake.params.settings
path = snakemake.input.problem
origin = read_provenance(path).get("params", {}).get("fields", {}).get("path")
source = f"{path}" + (f" (from {origin})" if origin else "")
U, labels, dropped = network_data(read_table(path), source)
net, target = network_for(model, U.shape[1])
y = net.code_targets(target * labels)
points, limits = search_network(
    net, U, y, s["starts"], derived_seed(problem, model, s["seed"]), problem, model
)
params = {**snakemake.wildcards, **s}
write_table(points, snakemake.output.table, params=params)
write_table(limits, snakemake.output.limits, params=params)
log.info(
    "%s, %s (%d parameters%s): %s; limits %s; run counts %s",
    problem,
    model,
    net.n_params,
    f", input columns {dropped} of ones dropped" if dropped else "",
    points["kind"].value_counts().to_dict(),
    limits["kind"].value_counts().to_dict(),
    points.attrs,
)
end_job(log)
