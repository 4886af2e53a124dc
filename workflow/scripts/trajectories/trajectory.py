"""Gradient flow (log time) or discrete backprop from seeded starts, for one problem and theta."""

from backprop_landscape.models.neuron import reduce_problem
from backprop_landscape.models.theta import get_theta
from backprop_landscape.pipeline.io import read_columns, write_columns
from backprop_landscape.pipeline.joblog import end_job, log_to_file
from backprop_landscape.problems.problem import problem_from_columns
from backprop_landscape.seeds import starting_points
from backprop_landscape.trajectories.neuron import (
    backprop,
    gradient_flow,
    log_step_grid,
    log_time_grid,
)

log = log_to_file(snakemake)
s = snakemake.params.settings
problem, theta_name, method = (snakemake.wildcards[k] for k in ("problem", "theta", "method"))
# Columns, not frames, in and out: this job never loads pandas (0.3 s of its start-up).
data = problem_from_columns(read_columns(snakemake.input.problem), problem)
(A_tilde, targets), theta = reduce_problem(data.A, data.y), get_theta(theta_name)
# The same starts for both methods and every theta: they differ only in the dynamics.
x0 = starting_points(data.m, s["starts"], s["start_scale"], problem, s["seed"])
if method == "flow":
    grid = log_time_grid(s["t_max"], per_decade=s["per_decade"])
    table, attrs = gradient_flow(A_tilde, x0, theta, t_eval=grid, targets=targets, as_frame=False)
    log.info("solver: %s", attrs["solver"])
else:
    steps = log_step_grid(s["backprop_steps"], per_decade=s["per_decade"])
    eta, n_steps = s["backprop_eta"], s["backprop_steps"]
    table, _ = backprop(
        A_tilde, x0, theta, eta, n_steps, record_steps=steps, targets=targets, as_frame=False
    )
write_columns(table, snakemake.output.table, params={"problem": problem, "theta": theta_name, **s})
final = table["norm_x"].reshape(len(x0), -1)[:, -1]  # rows are seed-major: each seed's last
log.info("%s %s %s: final norms %s", problem, theta_name, method, final.tolist())
end_job(log)
