"""The toolbar's profile switcher shows whole names, not the first sixteen characters."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from simdesk.app import AppContext
from simdesk.core.paths import AppPaths
from simdesk.core.profiles import Profile

MakeApp = Callable[..., AppContext]
LONG = "Research team — production EU"


def test_long_profile_names_fit(make_app: MakeApp, app_paths: AppPaths, memory_keyring: Any, qtbot: Any) -> None:
    ctx = make_app(app_paths)
    ctx.profiles.add_temporary(Profile.create(LONG, "https://www.sim.ai"), "sk-sim-temporary-key-0123456789")
    ctx.profiles.set_active(LONG, persist=False)
    ctx.start(environ={}, restore=False, check=False)
    switcher = ctx.window.switcher
    qtbot.waitExposed(ctx.window)
    label = switcher.currentText()
    assert label.startswith(LONG)
    room = switcher.width() - switcher.iconSize().width() - 40  # what the arrow and frame leave
    assert switcher.fontMetrics().horizontalAdvance(label) <= room, (label, switcher.width())
    assert switcher.view().minimumWidth() >= switcher.fontMetrics().horizontalAdvance(label)
