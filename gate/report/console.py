"""Console output: the ``gate`` logger on stderr, scrubbed, one clean line per record."""

from __future__ import annotations

import logging
import sys
import time
from typing import TextIO

from gate.report.redact import Redactor

LOGGER = "gate"


class ConsoleFormatter(logging.Formatter):
    """Formats ``HH:MM:SS message`` (``warning:`` or ``error:`` before problems), scrubbed.

    Control characters are removed, so text from EPM can never begin a new console
    line, and with it a workflow command.
    """

    converter = time.gmtime  # type: ignore[assignment]  # typeshed misses the argument

    def __init__(self, redactor: Redactor) -> None:
        super().__init__("%(asctime)s %(message)s", datefmt="%H:%M:%S")
        self.redactor = redactor

    def format(self, record: logging.LogRecord) -> str:
        """Return the scrubbed single-line form of a log record."""
        record.message = record.getMessage()
        prefix = ""
        if record.levelno >= logging.ERROR:
            prefix = "error: "
        elif record.levelno >= logging.WARNING:
            prefix = "warning: "
        elif record.levelno <= logging.DEBUG:
            prefix = "debug: "
        text = f"{self.formatTime(record, self.datefmt)}Z {prefix}{record.message}"
        if record.exc_info and record.levelno <= logging.DEBUG:
            text += " | " + self.formatException(record.exc_info).replace("\n", " | ")
        return self.redactor.line(text)


def setup_logging(
    redactor: Redactor, *, debug: bool, stream: TextIO | None = None
) -> logging.Logger:
    """Configure the ``gate`` logger only; the root logger and other libraries stay quiet."""
    logger = logging.getLogger(LOGGER)
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(ConsoleFormatter(redactor))
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG if debug else logging.INFO)
    logger.propagate = False
    return logger


def line_buffered() -> None:
    """Make stdout and stderr line-buffered, so CI logs arrive in order and on time."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(line_buffering=True)
