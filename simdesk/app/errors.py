"""Unexpected errors: logged and shown in the window instead of ending the app; Qt's own
warnings go to the log instead of stderr."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from simdesk.services.messages import MessageBus

log = logging.getLogger("simdesk.app")


def _user_text(exc: BaseException | None, fallback: str) -> str:
    if exc is not None:
        try:
            from simdesk.api import SimError, user_message

            if isinstance(exc, SimError):
                return user_message(exc)
        except Exception:  # the message must not fail because the client package did
            log.exception("could not describe %r", exc)
    return f"{fallback} Details are in the log (Help → Open log folder)."


def install_error_hooks(loop: asyncio.AbstractEventLoop, messages: MessageBus) -> Callable[[], None]:
    """Log and show unexpected errors instead of crashing; returns a function that undoes it."""
    from simdesk.services.eventloop import make_exception_handler

    def notify(message: str, exc: BaseException | None) -> None:
        messages.send_error(_user_text(exc, "Something went wrong in the background."), logger=log)

    loop.set_exception_handler(make_exception_handler(notify))
    previous = sys.excepthook

    def excepthook(tp: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if issubclass(tp, KeyboardInterrupt):
            previous(tp, exc, tb)
            return
        try:
            log.critical("unhandled error", exc_info=(tp, exc, tb))
            messages.send_error(_user_text(exc, f"Unexpected error ({tp.__name__})."), logger=log)
        except Exception:  # an excepthook that raises loses the original error
            previous(tp, exc, tb)

    sys.excepthook = excepthook

    def undo() -> None:
        sys.excepthook = previous
        loop.set_exception_handler(None)

    return undo


def install_qt_message_handler() -> None:
    """Route Qt's own warnings into the log instead of stderr."""
    from PySide6.QtCore import QtMsgType, qInstallMessageHandler

    qt_log = logging.getLogger("simdesk.qt")
    levels = {
        QtMsgType.QtDebugMsg: logging.DEBUG,
        QtMsgType.QtInfoMsg: logging.INFO,
        QtMsgType.QtWarningMsg: logging.WARNING,
        QtMsgType.QtCriticalMsg: logging.ERROR,
        QtMsgType.QtFatalMsg: logging.CRITICAL,
    }

    def handler(kind: QtMsgType, _context: Any, message: str) -> None:
        level = levels.get(kind, logging.WARNING)
        if "propagateSizeHints" in message:  # harmless on the offscreen/xcb platforms
            level = logging.DEBUG
        qt_log.log(level, "%s", message)

    qInstallMessageHandler(handler)
