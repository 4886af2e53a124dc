"""Open question 4 at scale, one job: log-rule jumps and the race on a network's flow."""

from backprop_landscape.models.network_kernel import NetworkKernel
from backprop_landscape.pipeline.io import read_table, write_table
from backprop_landscape.pipeline.joblog import end_job, log_to_file
from backprop_landscape.problems.problem import problem_from_frame
from backprop_landscape.questions.extrapolation import Settings
from backprop_landscape.questions.scale import network_experiment
from backprop_landscape.trajectories import network as nt

log = log_to_file(snakemake)
s = snakemake.params.settings
problem, name = snakemake.wildcards.problem, snakemake.wildcards.network
data = problem_from_frame(read_table(snakemake.input.problem), problem)
net = nt.build_network(name, data.m)
kernel = NetworkKernel(net, data.A, net.code_targets(data.y))
test = (data.A_test, net.code_targets(data.y_test)) if data.n_test else None
# The learning rate of the backprop trajectory job: the same starts, the same fraction.
x0 = nt.initial_weights(net, s["starts"], s["init_scale"], problem, name, s["seed"])
eta = nt.learning_rate(kernel, x0, s["eta_fraction"])
tables = network_experiment(
    kernel,
    nt.arrays_from_frame(read_table(snakemake.input.flow)),
    eta=eta,
    t_start=s["t_start"],
    t_target=s["t_target"],
    budget=s["budget"],
    settings=Settings.from_mapping(s),
    jump_factor=s["jump_factor"],
    per_decade=s["per_decade"],
    test=test,
)
params = {"problem": problem, "network": name, "eta": eta, **s}
write_table(tables["race"], snakemake.output.table, params=params)
for key in ("trace", "networks", "margins", "scan"):
    write_table(tables[key], snakemake.output[key], params=params)
race = tables["race"]
log.info(
    "%s %s: target %s; steps plain %s (estimated %s), extrapolated %s; jumps %s, rejected %s",
    problem,
    name,
    race["target"].tolist(),
    race["steps_plain"].tolist(),
    race["plain_estimated"].tolist(),
    race["steps_extrapolated"].tolist(),
    race["n_jumps"].tolist(),
    race["n_rejected"].tolist(),
)
log.info("networks:\n%s", tables["networks"].to_string())
end_job(log)
