"""One log format for every process; personal data never goes to the logs."""

from __future__ import annotations

import logging

# Loggers that write a line per HTTP call between the services, per task received and per
# task done, and the beat's line each time it enqueues its round (every 10 s): thousands of
# lines on the day, burying what matters. Their failures still show
# (HTTP errors reach our code, which logs them; a failed task is logged at ERROR), and
# LOG_LEVEL=DEBUG shows every line.
CHATTY = ("httpx", "httpcore", "celery.worker.strategy", "celery.app.trace", "celery.beat")


def configure_logging(level: str = "INFO") -> None:
    logging.basicConfig(
        level=level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        force=True,
    )
    quiet_chatty_loggers()


def quiet_chatty_loggers() -> None:
    """Warnings and errors only from CHATTY, unless the root logger is at DEBUG."""
    debug = logging.getLogger().getEffectiveLevel() <= logging.DEBUG
    for name in CHATTY:
        logging.getLogger(name).setLevel(logging.NOTSET if debug else logging.WARNING)
