"""Open question 4, one job: plain backprop against backprop with log-rule extrapolation."""

from backprop_landscape.models.neuron import reduce_signs
from backprop_landscape.models.theta import get_theta
from backprop_landscape.pipeline.io import read_table, write_table
from backprop_landscape.pipeline.joblog import end_job, log_to_file
from backprop_landscape.problems.problem import problem_from_frame
from backprop_landscape.questions.extrapolation import Settings, neuron_experiment, xor_experiment
from backprop_landscape.seeds import starting_points

log = log_to_file(snakemake)
s = snakemake.params.settings
settings = Settings.from_mapping(s)
if snakemake.rule == "xor_extrapolation":
    problem, theta_name = "xor", "logistic"
    table, trace = xor_experiment(
        s["seeds"],
        s["hidden"],
        s["eta"],
        s["init_scale"],
        s["target"],
        s["budget"],
        settings,
        s["per_decade"],
    )
else:
    problem, theta_name = snakemake.wildcards.problem, snakemake.wildcards.theta
    data = problem_from_frame(read_table(snakemake.input.problem), problem)
    if data.soft:  # the log rule extrapolates diverging weights: hard targets only
        raise ValueError(
            f"{problem} has soft targets: its weights settle where theta = t, and the log "
            "rule it would extrapolate needs diverging weights (hard targets); remove it "
            "from extrapolation.problems"
        )
    # The same starts for every theta, apart from the trajectories stage's.
    x0 = starting_points(data.m, s["starts"], s["start_scale"], problem, "extrapolation", s["seed"])
    table, trace = neuron_experiment(
        reduce_signs(data.A, data.y),
        get_theta(theta_name),
        x0,
        s["eta"],
        s["target_per_row"] * data.n,
        s["budget"],
        settings,
        s["per_decade"],
    )
params = {"problem": problem, "theta": theta_name, **s}
write_table(table, snakemake.output.table, params=params)
write_table(trace, snakemake.output.trace, params=params)
log.info(
    "%s %s: target %g; steps plain %s (estimated %s), extrapolated %s; jumps %s, rejected %s",
    problem,
    theta_name,
    table["target"].iloc[0],
    table["steps_plain"].round().tolist(),
    table["plain_estimated"].tolist(),
    table["steps_extrapolated"].tolist(),
    table["n_jumps"].tolist(),
    table["n_rejected"].tolist(),
)
end_job(log)
