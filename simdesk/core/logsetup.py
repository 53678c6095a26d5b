"""Logging to a rotating file under the data dir, with a filter that strips API keys.

The filter is a safety net, not the policy: code never logs keys, and errors from
:mod:`simdesk.api` never carry one. It still removes anything shaped like a Sim key and every key
the app knows of (:meth:`simdesk.core.secrets.Secrets.known_keys`) from messages, arguments,
tracebacks and stack info, on every handler, before anything is written.
"""

from __future__ import annotations

import logging
import logging.handlers
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

from simdesk.core.secrets import redact

LOG_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
MAX_BYTES = 1_000_000
BACKUPS = 3


class RedactionFilter(logging.Filter):
    """Rewrites each record with keys removed. ``known`` is asked for the current key list."""

    def __init__(self, known: Callable[[], Iterable[str]] = lambda: ()) -> None:
        super().__init__()
        self.known = known

    def filter(self, record: logging.LogRecord) -> bool:
        known = list(self.known())
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not lose the record
            message = f"{record.msg!r} % {record.args!r}"
        record.msg = redact(message, known)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text, known)
        if record.stack_info:
            record.stack_info = redact(record.stack_info, known)
        return True


def setup_logging(
    log_file: Path,
    level: str | int = "INFO",
    *,
    known_keys: Callable[[], Iterable[str]] = lambda: (),
    stderr_level: str | int = "WARNING",
) -> RedactionFilter:
    """Send the ``simdesk`` loggers (and warnings) to ``log_file`` and stderr, both redacted.

    Returns the filter so the caller can point it at the app's :class:`Secrets` later.
    """
    log_file.parent.mkdir(parents=True, exist_ok=True)
    redaction = RedactionFilter(known_keys)
    formatter = logging.Formatter(LOG_FORMAT)
    file_handler = logging.handlers.RotatingFileHandler(
        log_file, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8", delay=True
    )
    file_handler.setFormatter(formatter)
    file_handler.addFilter(redaction)
    console = logging.StreamHandler(sys.stderr)
    console.setFormatter(formatter)
    console.setLevel(stderr_level)
    console.addFilter(redaction)
    root = logging.getLogger()
    root.setLevel(level)
    for handler in (file_handler, console):
        root.addHandler(handler)
    logging.captureWarnings(True)
    return redaction
