"""The fold a* of the type-3 example V = span (1, -a) for one theta."""

import pandas as pd
from joblog import log_to_file

from backprop_landscape.bifurcation import type3_bifurcation
from backprop_landscape.io import write_table
from backprop_landscape.theta import get_theta

log = log_to_file(snakemake)
theta = snakemake.wildcards.theta
table = pd.DataFrame([{"theta": theta, **type3_bifurcation(get_theta(theta))}])
write_table(table, snakemake.output.table, params=dict(snakemake.wildcards.items()))
log.info("theta = %s:\n%s", theta, table.to_string())
