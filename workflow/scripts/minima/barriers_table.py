"""barriers.parquet: the exact barriers of every one-weight problem (from its critical
points) and the bands' of every barriers job; escape.parquet: for every non-global
minimum, the lowest barrier to a lower one (ΔE) and its basin fraction."""

import pandas as pd

from backprop_landscape.minima.barriers import escape_table, one_weight_barriers
from backprop_landscape.pipeline.io import read_table, write_table
from backprop_landscape.pipeline.joblog import end_job, log_to_file

log = log_to_file(snakemake)
exact = [
    one_weight_barriers(read_table(path)).assign(problem=job["problem"], model=job["theta"])
    for path, job in zip(snakemake.input.exact, snakemake.params.exact_jobs, strict=True)
]
bands = [
    read_table(path).assign(**job)
    for path, job in zip(snakemake.input.tables, snakemake.params.jobs, strict=True)
]
barriers = pd.concat([*exact, *bands], ignore_index=True)
barriers = barriers[
    ["problem", "model", *(c for c in barriers.columns if c not in ("problem", "model"))]
]
jobs = [{"problem": j["problem"], "model": j["theta"]} for j in snakemake.params.exact_jobs]
escape = escape_table(read_table(snakemake.input.minima), barriers, jobs + snakemake.params.jobs)
params = dict(snakemake.params.items())
write_table(barriers, snakemake.output.table, params=params)
write_table(escape, snakemake.output.escape, params=params)
log.info(
    "%d barriers (%d exact, %d confirmed saddles); %d non-global minima, %d joined to a lower one",
    len(barriers),
    int((barriers["method"] == "exact").sum()),
    int(barriers["confirmed"].sum()),
    len(escape),
    int(escape["to_minimum"].ge(0).sum()),
)
end_job(log)
