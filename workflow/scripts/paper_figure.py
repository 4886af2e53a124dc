"""Figures 1-4 of the paper for one theta: E(x) (1, 2) or the image TV (3, 4)."""

from joblog import log_to_file

from backprop_landscape import plotting
from backprop_landscape.io import read_table
from backprop_landscape.landscape import reduce_signs
from backprop_landscape.problems import problem_from_frame
from backprop_landscape.theta import get_theta

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
plotting.save_figure(fig, [snakemake.output.png, snakemake.output.pdf])
log.info("drew %s", title)
