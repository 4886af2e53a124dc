"""Figures 1-4 of the paper for one theta: E(x) (1, 2) or the image TV (3, 4)."""

from backprop_landscape.figures import paper as plotting
from backprop_landscape.figures import save_figure
from backprop_landscape.models.neuron import reduce_signs
from backprop_landscape.models.theta import get_theta
from backprop_landscape.pipeline.io import read_table
from backprop_landscape.pipeline.joblog import end_job, log_to_file
from backprop_landscape.problems.problem import problem_from_frame

log = log_to_file(snakemake)
params = snakemake.params
problem = problem_from_frame(read_table(snakemake.input.problem), params.problem)
critical = read_table(snakemake.input.critical)
theta = snakemake.wildcards.theta
title = f"Figure {snakemake.wildcards.fig}: {problem.name}, theta = {theta}"
if params.paper_theta:
    title += " (as in the paper)"
draw = plotting.energy_figure if params.plot == "energy" else plotting.image_figure
fig = draw(reduce_signs(problem.A, problem.y), get_theta(theta), critical, title=title)
save_figure(fig, [snakemake.output.png, snakemake.output.pdf])
log.info("drew %s", title)
end_job(log)
