"""Disconnectivity graphs of the chosen (problem, model) panels, from the aggregates."""

from backprop_landscape.figures.disconnectivity import disconnectivity_panels
from backprop_landscape.minima.barriers import disconnectivity
from backprop_landscape.pipeline.io import read_table
from backprop_landscape.pipeline.joblog import end_job, log_to_file

log = log_to_file(snakemake)
minima = read_table(snakemake.input.minima)
barriers = read_table(snakemake.input.barriers)
trees, titles = [], []
for panel in snakemake.params.panels:
    mine = (minima["problem"] == panel["problem"]) & (minima["model"] == panel["model"])
    ours = (barriers["problem"] == panel["problem"]) & (barriers["model"] == panel["model"])
    trees.append(disconnectivity(minima[mine].reset_index(drop=True), barriers[ours]))
    titles.append(f"{panel['problem']}, {panel['model']}")
disconnectivity_panels(trees, titles, snakemake.output)
log.info("%d panels: %s", len(trees), "; ".join(titles))
end_job(log)
