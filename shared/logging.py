"""One log format for every process; personal data never goes to the logs."""

from __future__ import annotations

import logging

# Libraries that log every request at INFO: one line per internal call would bury what
# matters. Their failures reach our own code, which logs them; LOG_LEVEL=DEBUG shows all.
CHATTY = ("httpx", "httpcore")


def configure_logging(level: str = "INFO") -> None:
    logging.basicConfig(
        level=level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        force=True,
    )
    debug = logging.getLogger().getEffectiveLevel() <= logging.DEBUG
    for name in CHATTY:
        logging.getLogger(name).setLevel(logging.NOTSET if debug else logging.WARNING)
