"""The Lemma checked: how many gradient-flow runs diverge, separable or not."""

import pandas as pd

from backprop_landscape.logrule.tables import SOFT_SKIP, lemma_row
from backprop_landscape.pipeline.io import read_table, write_table
from backprop_landscape.pipeline.joblog import end_job, log_to_file

log = log_to_file(snakemake)
rows = [
    {
        **job,
        **lemma_row(
            read_table(problem), read_table(flow), snakemake.params.settings["tail_decades"]
        ),
    }
    for job, problem, flow in zip(
        snakemake.params.jobs, snakemake.input.problems, snakemake.input.flows, strict=True
    )
]
table = pd.DataFrame(rows)
for row in rows:
    if row["targets"] == "soft":
        log.info("%s, theta = %s: %s", row["problem"], row["theta"], SOFT_SKIP)
write_table(table, snakemake.output.table, params=dict(snakemake.params.items()))
log.info("lemma:\n%s", table.to_string())
end_job(log)
