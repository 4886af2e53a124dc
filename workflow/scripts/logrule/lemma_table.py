"""The Lemma checked: how many gradient-flow runs diverge, separable or not."""

import pandas as pd

from backprop_landscape.logrule.tables import lemma_row
from backprop_landscape.pipeline.io import read_table, write_table
from backprop_landscape.pipeline.joblog import log_to_file

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
write_table(table, snakemake.output.table, params=dict(snakemake.params.items()))
log.info("lemma:\n%s", table.to_string())
