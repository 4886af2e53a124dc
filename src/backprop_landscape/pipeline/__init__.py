"""Glue between the workflow and the stages.

``config``: coercion and validation of config.yaml; ``io``: Parquet tables with
provenance; ``manifest``: checksums of a run's tables; ``summary``: results/summary.md;
``joblog``: a job's log file.
"""

from .._lazy import lazy_exports

__all__ = [
    "consistency_errors",
    "read_table",
    "write_table",
    "read_provenance",
    "write_manifest",
    "read_manifest",
    "summary_markdown",
]
__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "consistency_errors": ".config",
        "read_table": ".io",
        "write_table": ".io",
        "read_provenance": ".io",
        "write_manifest": ".manifest",
        "read_manifest": ".manifest",
        "summary_markdown": ".summary",
    },
)
