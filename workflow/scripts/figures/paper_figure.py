"""Figures 1-4 of the paper for one theta: E(x) (1, 2) and the image TV (3, 4)."""

from backprop_landscape.figures import paper as plotting
from backprop_landscape.figures import save_figure
from backprop_landscape.models.neuron import reduce_signs
from backprop_landscape.models.theta import get_theta
from backprop_landscape.pipeline.io import read_table
from backprop_landscape.pipeline.joblog import end_job, log_to_file
from backprop_landscape.pipeline.plan import PAPER_FIGURES
from backprop_landscape.problems.problem import problem_from_frame

log = log_to_file(snakemake)
theta_name = snakemake.wildcards.theta
theta = get_theta(theta_name)
# Figures 1 and 3 share a problem, as do 2 and 4: each file is read once.
tables = {path: read_table(path) for path in {*snakemake.input.problems, *snakemake.input.critical}}
inputs = zip(snakemake.params.problems, snakemake.input.problems, snakemake.input.critical)
for fig, (name, problem_file, critical_file) in zip(PAPER_FIGURES, inputs, strict=True):
    problem = problem_from_frame(tables[problem_file], name)
    title = f"Figure {fig}: {problem.name}, theta = {theta_name}"
    if snakemake.params.paper_theta:
        title += " (as in the paper)"
    draw = plotting.energy_figure if fig in (1, 2) else plotting.image_figure
    drawn = draw(reduce_signs(problem.A, problem.y), theta, tables[critical_file], title=title)
    save_figure(drawn, [snakemake.output[f"fig{fig}_png"], snakemake.output[f"fig{fig}_pdf"]])
    log.info("drew %s", title)
end_job(log)
