"""Two channels (STYLE pattern 11): a short sentence for the user, the details for the log.

Anything may call :meth:`MessageBus.error` / :meth:`MessageBus.info`; the main window shows
them without blocking (a notice bar, the status bar). Messages sent before a window is listening
are kept in :attr:`MessageBus.recent`, so a failure during start-up is not lost.
"""

from __future__ import annotations

import logging
from collections import deque

from PySide6.QtCore import QObject, Signal

from simdesk.core.text import NOTICE_CHARS, shorten

log = logging.getLogger("simdesk.messages")


class MessageBus(QObject):
    """App-wide user messages.

    Signals:
        error(str): something failed; the text says what the user can do.
        info(str): something worth telling (an import finished, a key was stored).
    """

    error = Signal(str)
    info = Signal(str)

    def __init__(self, parent: QObject | None = None, *, keep: int = 20) -> None:
        super().__init__(parent)
        self.recent: deque[tuple[str, str]] = deque(maxlen=keep)

    def send_error(self, text: str, *, exc: BaseException | None = None, logger: logging.Logger = log) -> None:
        """Show ``text`` (cut to a readable length) to the user; log all of it with ``exc``'s
        traceback, if any."""
        logger.error("%s", text, exc_info=(type(exc), exc, exc.__traceback__) if exc is not None else None)
        shown = shorten(text, NOTICE_CHARS)
        self.recent.append(("error", shown))
        self.error.emit(shown)

    def send_info(self, text: str, *, logger: logging.Logger = log) -> None:
        """Tell the user ``text`` (cut to a readable length; all of it is logged)."""
        logger.info("%s", text)
        shown = shorten(text, NOTICE_CHARS)
        self.recent.append(("info", shown))
        self.info.emit(shown)
