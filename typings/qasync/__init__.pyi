"""Type stubs for the part of qasync simdesk uses (qasync ships no types; pinned to 0.28.x).

``QEventLoop`` is an asyncio selector loop driven by Qt's event loop; ``asyncSlot`` wraps a
coroutine function as a Qt slot that schedules it on the running loop and returns the task.
"""

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, ParamSpec, TypeVar

from PySide6.QtCore import QCoreApplication

_P = ParamSpec("_P")
_T = TypeVar("_T")

class QEventLoop(asyncio.SelectorEventLoop):
    def __init__(
        self, app: QCoreApplication | None = None, set_running_loop: bool = False, already_running: bool = False
    ) -> None: ...

def asyncSlot(
    *args: Any, **kwargs: Any
) -> Callable[[Callable[_P, Coroutine[Any, Any, _T]]], Callable[_P, asyncio.Task[_T]]]: ...
