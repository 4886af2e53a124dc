"""Figure 5 at scale for one (problem, network): every weight's t [w(t+1) - w(t)]."""

from backprop_landscape.figures import save_figure
from backprop_landscape.figures.scale import scale_figure
from backprop_landscape.pipeline.io import read_table
from backprop_landscape.pipeline.joblog import end_job, log_to_file

log = log_to_file(snakemake)
log_modes = {
    method: read_table(path)
    for method, path in zip(snakemake.params.methods, snakemake.input.log_modes, strict=True)
}
wildcards = snakemake.wildcards
fig = scale_figure(
    read_table(snakemake.input.flow),
    log_modes,
    read_table(snakemake.input.margins),
    title=f"{wildcards.problem}, {wildcards.network}",
    tol=snakemake.params.settings["log_mode_tol"],
)
save_figure(fig, [snakemake.output.png, snakemake.output.pdf])
log.info("drew %s", snakemake.output.png)
end_job(log)
