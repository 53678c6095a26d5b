"""Settings and window state survive a restart (the window is built twice on one data dir)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QRect

from simdesk.app import AppContext
from simdesk.core.paths import AppPaths
from simdesk.services.settings import ACTIVE_PROFILE, THEME
from tests.support.app import shut_down

MakeApp = Callable[..., AppContext]


def test_settings_and_window_state_survive_a_restart(
    make_app: MakeApp, app_paths: AppPaths, memory_keyring: Any, qtbot: Any, arun: Any
) -> None:
    first = make_app(app_paths)
    first.start(environ={})
    with qtbot.waitSignal(first.profiles.saved, timeout=5_000):
        first.profiles.save(_profile("Production", "#dc2626"), "sk-sim-production-key-0123456789", None)
    with qtbot.waitSignal(first.profiles.saved, timeout=5_000):
        first.profiles.save(_profile("Staging", "#16a34a"), None, None)
    first.profiles.set_active("Staging")
    first.window.set_theme("dark")
    screen = first.window.screen().availableGeometry()
    size = (screen.width() * 3 // 4, screen.height() * 2 // 3)  # fits any screen, so none is clamped
    first.window.setGeometry(QRect(screen.x() + 20, screen.y() + 30, *size))
    size = (first.window.width(), first.window.height())  # what it got (panels have minimum sizes)
    first.window.dock("usageMeter").hide()
    first.window.dock("jobsPanel").setFloating(True)
    shut_down(first, arun)

    second = make_app(app_paths)
    second.start(environ={})
    assert second.settings.get(THEME) == "dark" and second.theme.effective == "dark"
    assert second.settings.get(ACTIVE_PROFILE) == "Staging"
    assert second.profiles.active_name() == "Staging"
    assert [p.name for p in second.profiles.profiles()] == ["Production", "Staging"]
    production = second.profiles.get("Production")
    assert production is not None and production.color == "#dc2626"
    window = second.window
    assert (window.width(), window.height()) == size
    assert not window.dock("usageMeter").isVisible()
    assert window.dock("jobsPanel").isFloating()
    assert window.dock("workflowsPanel").isVisible()
    assert not window.notice.isVisible()
    # The preferences and the window state are kept in separate files.
    prefs, state = second.settings.files()
    assert prefs != state and "geometry" not in prefs.read_text() and "theme" not in state.read_text()

    window.reset_layout()
    assert window.dock("usageMeter").isVisible() and not window.dock("jobsPanel").isFloating()


def test_a_corrupt_profile_file_is_set_aside(make_app: MakeApp, app_paths: AppPaths) -> None:
    app_paths.profiles_file.write_text("{ not json", encoding="utf-8")
    ctx = make_app(app_paths)
    ctx.start(environ={})
    assert ctx.profiles.profiles() == []
    aside = list(app_paths.config.glob("profiles.json.damaged-*"))
    assert len(aside) == 1 and aside[0].read_text() == "{ not json"
    assert str(aside[0]) in ctx.window.notice.text.text()


def _profile(name: str, color: str) -> Any:
    from simdesk.core.profiles import Profile

    return Profile.create(name, "https://sim.example.com", color=color)
