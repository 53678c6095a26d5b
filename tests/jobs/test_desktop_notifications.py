"""A finished background run is announced through org.freedesktop.Notifications when the session
bus has a notification service (here a real private bus with a small notification daemon), and
through the tray (or the status bar) when it has none."""

from __future__ import annotations

import json
import queue
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtGui import QIcon

from simdesk.services.desktop_notifications import DesktopNotifications
from simdesk.ui.tray import JobsTray
from tests.jobs.test_panel import _offline_service

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(shutil.which("dbus-daemon") is None, reason="needs dbus-daemon (package dbus)")


class Bus:
    """A private session bus, optionally with the test notification daemon on it."""

    def __init__(self) -> None:
        self.daemon = subprocess.Popen(
            ["dbus-daemon", "--session", "--nofork", "--print-address=1"], stdout=subprocess.PIPE, text=True
        )
        assert self.daemon.stdout is not None
        self.address = self.daemon.stdout.readline().strip()
        self.server: subprocess.Popen[str] | None = None
        self.lines: queue.Queue[str] = queue.Queue()  # what the daemon printed, read in a thread

    def start_server(self) -> None:
        self.server = subprocess.Popen(
            [sys.executable, "-m", "tests.jobs.notification_server", self.address],
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        stdout = self.server.stdout
        assert stdout is not None

        def read() -> None:
            for line in stdout:
                self.lines.put(line)

        threading.Thread(target=read, daemon=True).start()
        assert json.loads(self.lines.get(timeout=10)) == {"ready": True}

    def next_notification(self, qtbot: Any) -> dict[str, Any]:
        """The next notification the daemon received (the app's loop keeps running meanwhile)."""
        qtbot.waitUntil(lambda: not self.lines.empty(), timeout=5000)
        record: dict[str, Any] = json.loads(self.lines.get_nowait())
        return record

    def stop(self) -> None:
        for process in (self.server, self.daemon):
            if process is not None:
                process.terminate()
                process.wait(timeout=10)
                if process.stdout is not None:
                    process.stdout.close()


@pytest.fixture
def bus() -> Iterator[Bus]:
    b = Bus()
    yield b
    b.stop()


@pytest.fixture
def tray(tmp_path: Path, qtbot: Any) -> Iterator[Any]:
    service = _offline_service(tmp_path, [])
    from simdesk.services.notifications import JobNotifier
    from simdesk.services.settings import Settings

    notifier = JobNotifier(service, Settings.at(tmp_path / "p.ini", tmp_path / "s.ini"), lambda: False)

    made: list[JobsTray] = []

    def make(desktop: DesktopNotifications) -> JobsTray:
        made.append(JobsTray(service, notifier, QIcon(), desktop=desktop))
        return made[-1]

    yield make
    for icon in made:  # the menu is a window of its own (no main window to parent it here)
        icon.menu.deleteLater()
        icon.deleteLater()
    service.tracker.store.close()


def test_a_finished_run_goes_to_the_notification_service_and_a_click_opens_it(
    bus: Bus, tray: Any, qtbot: Any, arun: Any
) -> None:
    bus.start_server()
    desktop = DesktopNotifications(bus=bus.address)
    assert arun(desktop.start(), timeout=10_000) is True and desktop.ready
    icon = tray(desktop)
    icon.notify("Nightly Report completed", "Finished in 2 min 05 s", "job-1", "completed")
    shown = bus.next_notification(qtbot)
    assert shown["app"] == "simdesk" and shown["summary"] == "Nightly Report completed"
    assert shown["body"] == "Finished in 2 min 05 s" and shown["actions"] == ["default", "Open"]
    with qtbot.waitSignal(icon.open_job, timeout=5000) as opened:
        icon.notify("Echo failed [click]", "HTTP 502", "job-2", "failed")
    assert opened.args == ["job-2"]
    assert bus.next_notification(qtbot)["summary"] == "Echo failed [click]"
    arun(desktop.aclose())


def test_without_a_notification_service_the_tray_or_status_bar_gets_it(
    bus: Bus, tray: Any, qtbot: Any, arun: Any
) -> None:
    desktop = DesktopNotifications(bus=bus.address)  # a bus, but nobody serving notifications
    assert arun(desktop.start(), timeout=10_000) is False and not desktop.ready
    icon = tray(desktop)
    unshown: list[str] = []
    icon.unshown.connect(unshown.append)
    icon.notify("Echo completed", "Finished in 1 s", "job-3", "completed")
    assert icon.shown[-1] == ("Echo completed", "Finished in 1 s", "job-3")
    assert unshown == ["Echo completed: Finished in 1 s"]  # offscreen: no tray, so the status bar
    arun(desktop.aclose())
