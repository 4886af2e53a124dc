"""results/manifest.tsv: every table of the run (aggregates and per-job) with its sha256."""

from backprop_landscape.pipeline.joblog import end_job, log_to_file
from backprop_landscape.pipeline.manifest import write_manifest

log = log_to_file(snakemake)
frame = write_manifest(snakemake.input.tables, snakemake.output.manifest)
log.info("%d tables listed, %d under results/tables/", len(frame), (frame.stage == "tables").sum())
end_job(log)
