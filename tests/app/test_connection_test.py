"""Test connection in the profile editor: each step shows as it runs, Cancel stops a silent
server's test, an old result goes when a new test starts, and the verdicts agree."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from simdesk.app import AppContext
from simdesk.core.paths import AppPaths
from simdesk.sandbox.server import RunningSandbox
from simdesk.ui.profile_dialog import ProfileDialog

MakeApp = Callable[..., AppContext]


def _dialog(ctx: AppContext, sandbox: RunningSandbox) -> ProfileDialog:
    ctx.start(environ={}, check=False)
    dialog = ctx.window.open_profiles()
    dialog.new_profile()
    dialog.name_edit.setText("Mine")
    dialog.url_edit.setText(sandbox.base_url)
    dialog.key_edit.setText(sandbox.api_key)
    return dialog


def test_steps_show_as_they_run_and_cancel_stops_a_silent_server(
    make_app: MakeApp, app_paths: AppPaths, memory_keyring: Any, qtbot: Any, sandbox: RunningSandbox
) -> None:
    ctx = make_app(app_paths)
    dialog = _dialog(ctx, sandbox)
    sandbox.faults.update({"latency_s": 5.0})  # a server that says nothing for a while
    dialog.test_button.click()
    qtbot.waitUntil(lambda: "Reaching the server…" in dialog.test_result.text(), timeout=3000)
    assert dialog.test_button.text() == "Cancel test" and dialog.test_button.isEnabled()
    with qtbot.waitSignal(ctx.connection.test_failed, timeout=2000):
        dialog.test_button.click()
    assert "Test cancelled" in dialog.test_result.text()
    assert dialog.test_button.text() == "Test connection"
    sandbox.faults.update({"latency_s": 0.0})
    steps: list[str] = []
    ctx.connection.test_step.connect(lambda _name, text: steps.append(text))
    dialog.test_button.click()
    assert "cancelled" not in dialog.test_result.text()  # the old result went at once
    with qtbot.waitSignal(ctx.connection.tested, timeout=10_000):
        pass
    assert steps == ["Reaching the server…", "Checking the API key…", "Looking for the v2 API…"]
    assert "API key accepted" in dialog.test_result.text() and "cancelled" not in dialog.test_result.text()


def test_a_server_that_answers_is_never_called_unreachable(
    make_app: MakeApp, app_paths: AppPaths, memory_keyring: Any, qtbot: Any, sandbox: RunningSandbox
) -> None:
    ctx = make_app(app_paths)
    dialog = _dialog(ctx, sandbox)
    sandbox.faults.update({"html_502": 10, "path_filter": "/api/health"})  # a proxy's error page
    with qtbot.waitSignal(ctx.connection.tested, timeout=10_000) as done:
        dialog.test_button.click()
    check = done.args[1]
    text = dialog.test_result.text()
    assert "web page" in check.message  # what the sentence says…
    assert "not reachable" not in text and "answered, but not as Sim" in text  # …the first line agrees
