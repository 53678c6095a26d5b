"""Builds the workflows browser and the run console, their services and stores, wired together.

The composition root calls :func:`install_workbench`, which builds them (:func:`build_workbench`,
also what tests use), puts the two widgets in their docks, and calls :meth:`Workbench.use_profile`
whenever the active profile changes.
The workspace chosen in the browser is remembered per profile in the settings' state file; it
follows a renamed profile and is forgotten with a removed one. Tests build the same thing against
the embedded sandbox.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QTimer

from simdesk.core.catalogue_cache import CatalogueCache
from simdesk.core.favourites import FavouriteStore
from simdesk.core.presets import PresetStore
from simdesk.core.run_history import RunHistory
from simdesk.services.catalogue import CatalogueService
from simdesk.services.executors import run_blocking
from simdesk.services.runs import ClientGetter, RunService
from simdesk.services.tasks import TaskSet
from simdesk.services.workspace_memory import WorkspaceMemory
from simdesk.ui.run_console import RunConsole
from simdesk.ui.workflows_panel import WorkflowsPanel

if TYPE_CHECKING:
    from simdesk.api.client import SimClient
    from simdesk.core.usage import ConnectionCheck
    from simdesk.services.clients import ClientPool
    from simdesk.services.connection import ConnectionService
    from simdesk.services.jobs.service import JobService
    from simdesk.services.profiles import ProfileService
    from simdesk.services.settings import Settings
    from simdesk.ui.main_window import MainWindow

HISTORY_FILE = "runs.sqlite3"
REFRESH_AFTER_RUN_MS = 1500


@dataclass
class Workbench:
    """The two panels and what they stand on."""

    history: RunHistory
    presets: PresetStore
    catalogue: CatalogueService
    runs: RunService
    panel: WorkflowsPanel
    console: RunConsole
    tasks: TaskSet = field(default_factory=TaskSet)

    def use_profile(
        self,
        name: str,
        client: ClientGetter,
        *,
        key: Callable[[], str | None] | None = None,
        base_url: str | None = None,
        default_workspace: str | None = None,
        reopen_last: bool = True,
    ) -> None:
        """Switch both panels to profile ``name`` (cached tree at once, then a refresh).

        The browser opens on the workspace last chosen on ``name``, else ``default_workspace``.
        """
        switched = name != self.runs.profile
        if switched and not self.runs.running:  # the last profile's workflow and run are not this one's
            self.console.set_workflow(None)
            self.runs.clear()
        self.runs.set_profile(name, client, key, base_url=base_url)
        self.catalogue.set_profile(name, client, default_workspace=default_workspace)
        if reopen_last and not self.runs.running:
            self._spawn(self.runs.reopen_last())

    def open_run(self, key: str) -> None:
        """Show a run from the history in the console."""
        record = self.history.get(key)
        if record is not None:
            self._spawn(self.runs.open_record(record))

    def _spawn(self, coro: Awaitable[Any]) -> None:
        self.tasks.spawn(coro)

    async def aclose(self) -> None:
        """Stop runs and loads, then close the history (its pending writes are committed)."""
        await self.tasks.cancel_all()
        await self.runs.aclose()
        await self.catalogue.aclose()
        await run_blocking(self.history.close)


def build_workbench(
    data_dir: Path, settings: Settings | None = None, *, history_reads: Executor | None = None
) -> Workbench:
    """Stores under ``data_dir``, services over them, and the two widgets. Without ``settings``
    the chosen workspaces are remembered only until the workbench goes; ``history_reads`` is the
    app's executor for the run history's reads (``None``: the blocking pool)."""
    data_dir = Path(data_dir)
    history = RunHistory(data_dir / HISTORY_FILE)
    history.prune()
    presets = PresetStore(data_dir / "presets.json")
    catalogue = CatalogueService(
        CatalogueCache(data_dir / "catalogue"), FavouriteStore(data_dir / "favourites.json"), WorkspaceMemory(settings)
    )
    runs = RunService(history, presets, reads=history_reads)
    panel = WorkflowsPanel(catalogue, runs)
    console = RunConsole(runs, catalogue)
    bench = Workbench(history, presets, catalogue, runs, panel, console)
    panel.workflow_activated.connect(console.open_workflow)
    panel.run_opened.connect(bench.open_run)
    runs.history_changed.connect(panel.refresh_recent)
    # after a run, the server's run count and last run change: refresh quietly, a moment later
    later = QTimer(runs)  # lives as long as the service whose signal starts it
    later.setSingleShot(True)
    later.setInterval(REFRESH_AFTER_RUN_MS)
    later.timeout.connect(catalogue.refresh_counts)
    runs.finished.connect(lambda _outcome: later.start())
    return bench


def install_workbench(
    window: MainWindow,
    profiles: ProfileService,
    pool: ClientPool,
    connection: ConnectionService,
    data_dir: Path,
    settings: Settings | None = None,
    *,
    history_reads: Executor | None = None,
    jobs: JobService | None = None,
) -> Workbench:
    """Put the panels in the main window's docks and follow the active profile (composition root).

    ``history_reads`` is the executor the run history is read on (the app's single-thread pool);
    ``jobs`` (the job tracker's service) takes the runs started with "Run in background", and the
    console and recent runs follow them there to their end, live."""
    bench = build_workbench(data_dir, settings, history_reads=history_reads)
    if jobs is not None:
        bench.runs.set_job_handoff(jobs.handoff)
        jobs.jobs_changed.connect(bench.runs.follow_jobs)
    window.set_panel("workflowsPanel", bench.panel)
    window.set_panel("runConsole", bench.console)
    keys: dict[str, str | None] = {}

    def use(name: str) -> None:
        profile = profiles.get(name) if name else None
        if profile is None:
            return

        async def client() -> SimClient:
            current = profiles.get(name) or profile  # the URL may have been edited since
            return await pool.client(current)

        async def remember_key() -> None:  # only ever shown masked, in "Copy as cURL"
            try:
                keys[name] = await pool.key_for(profile)
            except Exception:
                keys[name] = None

        bench._spawn(remember_key())
        bench.use_profile(
            name,
            client,
            key=lambda: keys.get(name),
            base_url=profile.base_url,
            default_workspace=profile.default_workspace_id,
        )

    def checked(name: str, check: ConnectionCheck) -> None:
        if name == profiles.active_name():
            bench.runs.set_plan(check.plan)

    profiles.active_changed.connect(use)
    # a later profile given a freed name must not open on a workspace of another server
    profiles.renamed.connect(bench.catalogue.memory.rename)
    profiles.removed.connect(bench.catalogue.memory.forget)
    profiles.default_workspace_changed.connect(bench.catalogue.memory.forget)
    connection.status_changed.connect(checked)
    window.refresh_requested.connect(lambda: bench.catalogue.refresh())
    bench.console.message.connect(lambda text: window.statusBar().showMessage(text, 4000))
    if profiles.active_name():
        use(profiles.active_name())
    return bench
