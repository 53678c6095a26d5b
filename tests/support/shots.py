"""The frame every screenshot script shares: an offscreen app on the app's own event loop, a
theme controller, and one pass of the script's ``shoot`` per theme (light, then dark) into an
output folder (the first command-line argument, or a default)."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication

from simdesk.services.eventloop import AppEventLoop
from simdesk.ui.theme import ThemeController

Shoot = Callable[[Path, str, ThemeController], Awaitable[None]]


def shoot_both_themes(
    shoot: Shoot, *, default_out: str = "/tmp/simdesk-shots", last: Callable[[], Awaitable[None]] | None = None
) -> int:
    """Run ``shoot(out, theme_name, theme)`` in the light and the dark theme, then ``last()``."""
    out = Path(sys.argv[1] if len(sys.argv) > 1 else default_out)
    out.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance() or QApplication([])
    assert isinstance(app, QApplication)
    theme = ThemeController(app)
    loop = AppEventLoop(app)
    asyncio.set_event_loop(loop)
    for name in ("light", "dark"):
        loop.run_until_complete(shoot(out, name, theme))
    if last is not None:
        loop.run_until_complete(last())
    sys.stdout.write(f"screenshots in {out}\n")
    return 0
