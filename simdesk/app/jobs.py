"""Wiring the job tracker into the app: store, service, panel, notifications and tray.

Called once by the composition root (``AppContext.install_jobs``, after the first paint: these
modules take longer to import than the rest of the window); everything it makes hangs off the
main window, and :meth:`JobsWiring.aclose` stops polling and closes the store at quit.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from simdesk.core.jobs.format import missing_profile
from simdesk.core.jobs.source import ProfileProblem
from simdesk.core.jobs.store import JobStore
from simdesk.core.secrets import SecretStoreUnavailable
from simdesk.services.desktop_notifications import DesktopNotifications
from simdesk.services.jobs.service import JobService
from simdesk.services.notifications import JobNotifier
from simdesk.ui.icons import app_icon
from simdesk.ui.jobs.panel import JobsPanel
from simdesk.ui.tray import JobsTray

if TYPE_CHECKING:
    from simdesk.api.client import SimClient
    from simdesk.core.paths import AppPaths
    from simdesk.services.clients import ClientPool
    from simdesk.services.messages import MessageBus
    from simdesk.services.profiles import ProfileService
    from simdesk.services.settings import Settings
    from simdesk.ui.main_window import MainWindow

PANEL = "jobsPanel"


@dataclass
class JobsWiring:
    """The job tracker's parts, as installed."""

    service: JobService
    panel: JobsPanel
    notifier: JobNotifier
    tray: JobsTray

    def begin(self) -> None:
        """Reattach to unfinished runs and start polling (once the loop runs); look for the
        desktop's notification service."""
        self.service.begin_soon()
        if self.tray.desktop is not None:
            self.tray.desktop.start()

    async def aclose(self) -> None:
        """Stop polling, close the store, remove the tray icon."""
        self.tray.hide()
        if self.tray.desktop is not None:
            await self.tray.desktop.aclose()
        await self.service.aclose()


def profile_clients(
    profiles: ProfileService, pool: ClientPool, what_fails: str, *, remedy: str = ""
) -> Callable[[str], Awaitable[SimClient]]:
    """The pooled client of a profile by name (shared connections and request budget); a profile
    that is gone or whose key cannot be read raises :class:`ProfileProblem` that says so in words:
    "Profile “x” no longer exists, ``what_fails``. ``remedy``"."""

    async def client_for(name: str) -> SimClient:
        profile = profiles.get(name)
        if profile is None:
            raise ProfileProblem(f"{missing_profile(name)}, {what_fails}.{' ' + remedy if remedy else ''}")
        try:
            return await pool.client(profile)
        except SecretStoreUnavailable as exc:
            raise ProfileProblem(str(exc)) from exc

    return client_for


def client_getter(profiles: ProfileService, pool: ClientPool) -> Callable[[str], Awaitable[SimClient]]:
    """The job tracker's ``client_for`` (see :func:`profile_clients`)."""
    return profile_clients(
        profiles, pool, "so its runs cannot be checked",
        remedy="Their stored results are kept: attach them to another profile or delete them in Jobs.",
    )  # fmt: skip


def install_jobs(
    *,
    paths: AppPaths,
    settings: Settings,
    profiles: ProfileService,
    pool: ClientPool,
    messages: MessageBus,
    window: MainWindow,
) -> JobsWiring:
    """Build the job tracker's parts and plug them into ``window``."""

    client_for = client_getter(profiles, pool)
    store = JobStore.in_dir(paths.data)
    if store.problem is not None:  # set aside or session-only: the person learns where their file is
        messages.send_error(store.problem.message)
    service = JobService(store, client_for, parent=window)
    panel = JobsPanel(service, settings, profiles=profiles.names, active_profile=profiles.active_name)
    window.set_panel(PANEL, panel)
    notifier = JobNotifier(service, settings, window.isActiveWindow, parent=window)
    desktop = DesktopNotifications(parent=window)
    tray = JobsTray(service, notifier, app_icon(), parent=window, desktop=desktop)

    def show_window() -> None:
        window.showNormal() if window.isMinimized() else window.show()
        window.raise_()
        window.activateWindow()

    def open_job(job_id: str) -> None:
        show_window()
        window.focus_panel(PANEL)
        panel.show_job(job_id)

    tray.show_window.connect(show_window)
    tray.open_job.connect(open_job)
    tray.quit_requested.connect(window.request_quit)
    tray.unshown.connect(messages.send_info)
    profiles.saved.connect(lambda name, _session_only: service.release(name))  # a new key: try again now
    return JobsWiring(service, panel, notifier, tray)
