"""Send a script job's logging, warnings and uncaught exceptions to its log file."""

import logging
import sys


def log_to_file(snakemake) -> logging.Logger:
    """Configure logging into ``snakemake.log[0]``; return the job's logger."""
    logging.basicConfig(
        filename=snakemake.log[0],
        filemode="w",
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.captureWarnings(True)
    logger = logging.getLogger(snakemake.rule)

    def log_exception(*exc_info):
        logger.error("job failed", exc_info=exc_info)
        sys.__excepthook__(*exc_info)

    sys.excepthook = log_exception
    return logger
