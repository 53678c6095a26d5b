"""The meter shows a server's pause of the profile, and "Try now" ends it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from PySide6.QtCore import Qt

from simdesk.api import ServerError, SimError
from simdesk.sandbox.server import RunningSandbox
from tests.usage.test_meter_sandbox import SHOTS, panel_for

Arun = Callable[..., Any]


def _paused_by_an_absurd_retry_after(arun: Arun, make_meter: Any, sandbox: RunningSandbox) -> Any:
    meter = make_meter(sandbox)
    sandbox.faults.update({"unavailable_503": 1, "retry_after": "1000000000000"})

    async def call() -> Any:
        try:
            return await meter.client.list_workspaces()
        except SimError as exc:
            return exc

    assert isinstance(arun(call()), ServerError)
    return meter


def test_try_now_ends_the_servers_pause(qtbot: Any, arun: Arun, make_meter: Any, sandbox: RunningSandbox) -> None:
    meter = _paused_by_an_absurd_retry_after(arun, make_meter, sandbox)
    panel = panel_for(qtbot, meter)
    qtbot.waitUntil(lambda: panel.budget_label.text().startswith("Paused by the server"), timeout=2000)
    # 10^12 s asked, the retry policy's longest wait (2 min) held
    assert panel.budget_label.text() == "Paused by the server · 2 min (server busy)"
    assert panel.try_now_button.isVisible()
    qtbot.mouseClick(panel.try_now_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.budget_label.text() == "No requests waiting", timeout=2000)
    assert not meter.budget.snapshot().paused
    assert not panel.try_now_button.isVisible()
    # and the profile works again at once
    assert arun(meter.client.list_workspaces())


@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize("size", [(460, 720), (1024, 600)])
def test_render_the_paused_meter(
    qtbot: Any, arun: Arun, make_meter: Any, sandbox: RunningSandbox, theme: str, size: tuple[int, int]
) -> None:
    """Renders the paused panel for people to look at (``/tmp/simdesk-shots``)."""
    meter = _paused_by_an_absurd_retry_after(arun, make_meter, sandbox)
    panel = panel_for(qtbot, meter, dark=theme == "dark")
    panel.resize(*size)
    qtbot.waitUntil(panel.try_now_button.isVisible, timeout=2000)
    image = panel.grab()
    assert (image.width(), image.height()) == size
    SHOTS.mkdir(parents=True, exist_ok=True)
    assert image.save(str(SHOTS / f"usage-meter-paused-{theme}-{size[0]}x{size[1]}.png"))
