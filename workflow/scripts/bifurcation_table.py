"""Gather the per-theta folds into one table."""

import pandas as pd
from joblog import log_to_file

from backprop_landscape.io import read_table, write_table

log = log_to_file(snakemake)
table = pd.concat([read_table(path) for path in snakemake.input.tables], ignore_index=True)
write_table(table, snakemake.output.table, params=dict(snakemake.params.items()))
log.info("\n%s", table.to_string())
