"""Wiring the logs explorer into the app: cache, service, the Logs dock, and its actions.

Called once by the composition root after the workbench (it follows the workflows browser's
workspace and hands re-runs to the run console) and the job tracker (runs still going can be
tracked as jobs). The panel's first page for a workspace is asked for at background priority:
the person did not ask for it yet, the dock may be a hidden tab.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices

from simdesk.core.budget import Priority, working_at
from simdesk.core.catalogue_cache import CatalogueSnapshot
from simdesk.core.logs_cache import LogsCache
from simdesk.core.logs_query import web_logs_url
from simdesk.core.usage import LogEntry
from simdesk.services.logs import LogsService
from simdesk.ui.logs_panel import LogsPanel

if TYPE_CHECKING:
    from simdesk.app.jobs import JobsWiring
    from simdesk.app.workbench import Workbench
    from simdesk.core.paths import AppPaths
    from simdesk.services.clients import ClientPool
    from simdesk.services.messages import MessageBus
    from simdesk.services.profiles import ProfileService
    from simdesk.ui.main_window import MainWindow

PANEL = "logsPanel"
CACHE_FILE = "logs.sqlite3"


@dataclass
class LogsWiring:
    """The logs explorer's parts, as installed."""

    cache: LogsCache
    service: LogsService
    panel: LogsPanel

    async def aclose(self) -> None:
        await self.service.aclose()
        self.cache.close()


def workflow_names(snapshot: CatalogueSnapshot, workspace_id: str) -> dict[str, str]:
    """Workflow id → name in one workspace, as the catalogue knows them."""
    contents = snapshot.contents.get(workspace_id)
    return {w.id: w.name for w in contents.workflows} if contents is not None else {}


def install_logs(
    *,
    paths: AppPaths,
    profiles: ProfileService,
    pool: ClientPool,
    messages: MessageBus,
    window: MainWindow,
    workbench: Workbench,
    jobs: JobsWiring | None,
) -> LogsWiring:
    """Build the logs explorer and plug it into ``window``."""
    cache = LogsCache(paths.data / CACHE_FILE)
    if cache.problem is not None:
        messages.send_error(cache.problem.message)
    service = LogsService(cache, parent=window)
    panel = LogsPanel(service)
    window.set_panel(PANEL, panel)
    shown: dict[str, Any] = {"workspace": None, "names": {}}

    def use(name: str) -> None:
        profile = profiles.get(name) if name else None
        if profile is None:
            return

        async def client() -> Any:
            return await pool.client(profiles.get(name) or profile)

        panel.live.setChecked(False)  # live mode belongs to one profile
        service.set_profile(name, client)
        shown["workspace"] = None

    def follow(snapshot: CatalogueSnapshot) -> None:
        workspace = workbench.catalogue.workspace_id
        if workspace is None:
            return
        names: Mapping[str, str] = workflow_names(snapshot, workspace)
        if workspace != shown["workspace"]:
            shown.update(workspace=workspace, names=names)
            with working_at(Priority.BACKGROUND):
                panel.set_workspace(workspace, names)
        elif names != shown["names"]:
            shown["names"] = names
            panel.set_names(names)

    def rerun(entry: LogEntry, run_input: Any) -> None:
        if entry.workflow_id:
            workbench.console.open_with_input(entry.workflow_id, run_input if isinstance(run_input, dict) else {})
            window.focus_panel("runConsole")

    def track(entry: LogEntry) -> None:
        if jobs is not None and entry.workflow_id:
            jobs.service.request_adopt(profiles.active_name(), entry.workflow_id, entry.run_id)
            window.focus_panel("jobsPanel")

    def open_in_sim(entry: LogEntry) -> None:
        profile = profiles.get(profiles.active_name())
        if profile is not None and panel.workspace_id is not None:
            QDesktopServices.openUrl(QUrl(web_logs_url(profile.base_url, panel.workspace_id, entry.run_id)))

    profiles.active_changed.connect(use)
    workbench.catalogue.snapshot_changed.connect(follow)
    panel.rerun_requested.connect(rerun)
    panel.track_requested.connect(track)
    panel.open_in_sim_requested.connect(open_in_sim)
    window.refresh_requested.connect(lambda: panel.refresh.click())
    if profiles.active_name():
        use(profiles.active_name())
        follow(workbench.catalogue.snapshot)
    return LogsWiring(cache, service, panel)
