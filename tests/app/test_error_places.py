"""Errors say what happened and where to fix it, in places that exist: the profile editor is
File → Profiles…; a key Sim refused is not reported as saved and ready; the meter does not blame
the server's headers for a refused key."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from PySide6.QtWidgets import QMenu

from simdesk.api import SimClient
from simdesk.api.errors import APIConnectionError, AuthenticationError, ProtocolError, RedirectError
from simdesk.api.messages import user_message
from simdesk.app import AppContext
from simdesk.core.paths import AppPaths
from simdesk.sandbox.server import RunningSandbox
from simdesk.services.usage import UsageService
from simdesk.ui.theme import LIGHT
from simdesk.ui.usage_meter.panel import UsageMeterPanel

MakeApp = Callable[..., AppContext]
WRONG_KEY = "sk-sim-THIS-KEY-IS-WRONG-0123456789"


def _menu_paths(ctx: AppContext) -> set[str]:
    """ "File → Profiles…" for every action of every menu."""
    paths = set()
    for menu_action in ctx.window.menuBar().actions():
        menu = menu_action.menu()
        for action in menu.actions() if isinstance(menu, QMenu) else ():
            paths.add(f"{menu_action.text().replace('&', '')} → {action.text().replace('&', '')}")
    return paths


@pytest.mark.parametrize(
    "exc",
    [
        AuthenticationError("Unauthorized", status=401),
        APIConnectionError("refused", request_sent=False),
        RedirectError("moved", status=301, location="https://www.sim.ai/x"),
        ProtocolError("an HTML page", status=200),
    ],
    ids=["bad key", "unreachable", "moved", "web page"],
)
def test_messages_name_the_menu_where_the_fix_is(
    exc: Exception, make_app: MakeApp, app_paths: AppPaths, memory_keyring: Any
) -> None:
    ctx = make_app(app_paths)
    text = user_message(exc)
    assert "Settings → Account" not in text and "in Settings" not in text and " in Runs" not in text
    assert "File → Profiles…" in text
    assert "File → Profiles…" in _menu_paths(ctx)


def test_a_refused_key_is_not_saved_as_ready(
    make_app: MakeApp, app_paths: AppPaths, memory_keyring: Any, qtbot: Any, sandbox: RunningSandbox
) -> None:
    ctx = make_app(app_paths)
    ctx.start(environ={}, check=False)
    dialog = ctx.window.open_profiles()
    dialog.new_profile()
    dialog.name_edit.setText("Mine")
    dialog.url_edit.setText(sandbox.base_url)
    dialog.key_edit.setText(WRONG_KEY)
    with qtbot.waitSignal(ctx.connection.tested, timeout=10_000):
        dialog.test_button.click()
    assert "rejected" in dialog.test_result.text()
    with qtbot.waitSignal(ctx.profiles.saved, timeout=5_000):
        dialog.save_button.click()
    assert "refused its key" in dialog.status.text() and "Paste a valid key" in dialog.status.text()
    dialog.key_edit.setText(sandbox.api_key)  # a good key: saving says so plainly
    with qtbot.waitSignal(ctx.profiles.saved, timeout=5_000):
        dialog.save_button.click()
    assert dialog.status.text() == "Saved 'Mine'; its key is in the system keyring."


def test_the_meter_blames_the_key_not_the_headers(qtbot: Any, arun: Any, sandbox: RunningSandbox) -> None:
    client = SimClient(sandbox.base_url, WRONG_KEY)
    service = UsageService(None, tick_ms=20)
    panel = UsageMeterPanel(service, LIGHT)
    qtbot.addWidget(panel)
    with qtbot.waitSignal(service.refreshing, check_params_cb=lambda busy: not busy, timeout=5000):
        service.attach("Mine", client)
    assert "sends no rate-limit headers" not in panel.empty_label.text()
    assert "last request failed" in panel.empty_label.text()
    assert not panel.error_label.isHidden() and "File → Profiles…" in panel.error_label.text()
    arun(service.aclose())
    arun(client.aclose())
