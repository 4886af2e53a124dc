"""Draw one Section-3 figure: trajectories, log rule, Figure 5 or the margin angle."""

from backprop_landscape.figures import dynamics as plotting_dynamics
from backprop_landscape.figures import save_figure
from backprop_landscape.pipeline.io import read_table
from backprop_landscape.pipeline.joblog import end_job, log_to_file

log = log_to_file(snakemake)
rule = snakemake.rule
if rule == "trajectories_figure":
    flows = {
        problem: read_table(path)
        for problem, path in zip(snakemake.params.problems, snakemake.input.flows, strict=True)
    }
    theta = snakemake.wildcards.theta
    if snakemake.wildcards.plot == "trajectories":
        fig = plotting_dynamics.trajectories_figure(flows, theta)
    else:
        laws = read_table(snakemake.input.laws)
        laws = laws[(laws["theta"] == theta) & (laws["method"] == "flow")]
        fig = plotting_dynamics.log_rule_figure(flows, laws, theta)
elif rule == "xor_figure":
    trajectory = read_table(snakemake.input.trajectory)
    fig = plotting_dynamics.xor_figure(trajectory, read_table(snakemake.input.seeds))
else:
    angles = {
        (job["problem"], job["theta"]): read_table(path)
        for job, path in zip(snakemake.params.jobs, snakemake.input.angles, strict=True)
    }
    fig = plotting_dynamics.margin_angle_figure(angles, snakemake.params.thetas)
save_figure(fig, [snakemake.output.png, snakemake.output.pdf])
log.info("drew %s", snakemake.output.png)
end_job(log)
