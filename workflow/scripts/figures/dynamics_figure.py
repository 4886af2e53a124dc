"""Draw one Section-3 figure: trajectories, log rule, Figure 5 or the margin angle."""

from backprop_landscape.figures import dynamics as plotting_dynamics
from backprop_landscape.figures import save_figure
from backprop_landscape.pipeline.io import read_table
from backprop_landscape.pipeline.joblog import end_job, log_to_file

log = log_to_file(snakemake)
rule = snakemake.rule
if rule == "trajectories_figure":  # both plots of one theta
    theta, problems = snakemake.wildcards.theta, snakemake.params.problems
    flows = {p: read_table(path) for p, path in zip(problems, snakemake.input.flows, strict=True)}
    laws = {p: read_table(path) for p, path in zip(problems, snakemake.input.laws, strict=True)}
    figures = {
        "trajectories": plotting_dynamics.trajectories_figure(flows, theta),
        "log_rule": plotting_dynamics.log_rule_figure(flows, laws, theta),
    }
elif rule == "xor_figure":
    trajectory = read_table(snakemake.input.trajectory)
    figures = {"": plotting_dynamics.xor_figure(trajectory, read_table(snakemake.input.seeds))}
else:
    angles = {
        (job["problem"], job["theta"]): read_table(path)
        for job, path in zip(snakemake.params.jobs, snakemake.input.angles, strict=True)
    }
    figures = {"": plotting_dynamics.margin_angle_figure(angles, snakemake.params.thetas)}
for key, fig in figures.items():  # outputs png, pdf or, for several figures, <key>_png, ...
    prefix = f"{key}_" if key else ""
    png, pdf = snakemake.output[f"{prefix}png"], snakemake.output[f"{prefix}pdf"]
    save_figure(fig, [png, pdf])
    log.info("drew %s", png)
end_job(log)
