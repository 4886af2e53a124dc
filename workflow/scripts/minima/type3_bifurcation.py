"""The fold a* of the type-3 example V = span (1, -a) for one theta."""

import pandas as pd

from backprop_landscape.minima.bifurcation import type3_bifurcation
from backprop_landscape.models.theta import get_theta
from backprop_landscape.pipeline.io import write_table
from backprop_landscape.pipeline.joblog import end_job, log_to_file

log = log_to_file(snakemake)
theta = snakemake.wildcards.theta
table = pd.DataFrame([{"theta": theta, **type3_bifurcation(get_theta(theta))}])
write_table(table, snakemake.output.table, params=dict(snakemake.wildcards.items()))
log.info("theta = %s:\n%s", theta, table.to_string())
end_job(log)
