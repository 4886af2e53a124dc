"""results/summary.md: the headline numbers of the run, from the aggregate tables."""

from backprop_landscape.pipeline.io import read_table
from backprop_landscape.pipeline.joblog import end_job, log_to_file
from backprop_landscape.pipeline.summary import summary_markdown

log = log_to_file(snakemake)
tables = {name: read_table(path) for name, path in snakemake.input.items()}
text = summary_markdown(tables, snakemake.params.type3_a)
with open(snakemake.output.markdown, "w") as out:
    out.write(text)
log.info("wrote %s", snakemake.output.markdown)
end_job(log)
