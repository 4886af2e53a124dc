"""Gradient flow (log time) or full-batch backprop of a network on a data set, every weight."""

from backprop_landscape.models.network_kernel import NetworkKernel
from backprop_landscape.pipeline.io import read_table, write_table
from backprop_landscape.pipeline.joblog import end_job, log_to_file
from backprop_landscape.problems.problem import problem_from_frame
from backprop_landscape.trajectories import network as nt

log = log_to_file(snakemake)
s = snakemake.params.settings
problem, name, method = (snakemake.wildcards[k] for k in ("problem", "network", "method"))
data = problem_from_frame(read_table(snakemake.input.problem), problem)
net = nt.build_network(name, data.m)
kernel = NetworkKernel(net, data.A, net.code_targets(data.y))
test = (data.A_test, net.code_targets(data.y_test)) if data.n_test else None
# The same starts for both methods (and for the extrapolation job, which reads the flow).
x0 = nt.initial_weights(net, s["starts"], s["init_scale"], problem, name, s["seed"])
params = {"problem": problem, "network": name, "method": method, **s}
if method == "flow":
    traj = nt.gradient_flow(kernel, x0, s["t_max"], s["per_decade"])
else:
    params["eta"] = nt.learning_rate(kernel, x0, s["eta_fraction"])
    traj = nt.backprop(kernel, x0, params["eta"], s["epochs"], s["per_decade"])
names = nt.weight_names(net)
write_table(nt.weights_frame(traj, names), snakemake.output.table, params=params)
samples = nt.samples_frame(traj, kernel, names, test)
write_table(samples, snakemake.output.samples, params=params)
log.info(
    "%s %s %s: n = %d, P = %d, eta = %s, %d starts in %s s (%s); final E %s, train errors %s",
    problem,
    name,
    method,
    data.n,
    net.n_params,
    params.get("eta"),
    len(x0),
    [round(x, 2) for x in traj.seconds],
    traj.solver,
    traj.E[:, -1].tolist(),
    samples.groupby("seed")["train_errors"].last().tolist(),
)
end_job(log)
