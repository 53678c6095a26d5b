"""Builds the workflows browser and the run console, their services and stores, wired together.

The composition root calls :func:`build_workbench` with the data directory, puts the two widgets
in their docks, and calls :meth:`Workbench.use_profile` whenever the active profile changes.
Tests build the same thing against the embedded sandbox.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import QTimer

from simdesk.core.catalogue_cache import CatalogueCache
from simdesk.core.favourites import FavouriteStore
from simdesk.core.presets import PresetStore
from simdesk.core.run_history import RunHistory
from simdesk.services.catalogue import CatalogueService
from simdesk.services.runs import ClientGetter, RunService
from simdesk.ui.run_console import RunConsole
from simdesk.ui.workflows_panel import WorkflowsPanel

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
    tasks: set[asyncio.Task[Any]] = field(default_factory=set)

    def use_profile(
        self,
        name: str,
        client: ClientGetter,
        *,
        key: Callable[[], str | None] | None = None,
        base_url: str | None = None,
        reopen_last: bool = True,
    ) -> None:
        """Switch both panels to profile ``name`` (cached tree at once, then a refresh)."""
        self.runs.set_profile(name, client, key, base_url=base_url)
        self.catalogue.set_profile(name, client)
        if reopen_last and not self.runs.running:
            self._spawn(self.runs.reopen_last())

    def open_run(self, key: str) -> None:
        """Show a run from the history in the console."""
        record = self.history.get(key)
        if record is not None:
            self._spawn(self.runs.open_record(record))

    def _spawn(self, coro: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def aclose(self) -> None:
        """Stop runs and loads, then close the history (its pending writes are committed)."""
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        await self.runs.aclose()
        await self.catalogue.aclose()
        await asyncio.to_thread(self.history.close)


def build_workbench(data_dir: Path) -> Workbench:
    """Stores under ``data_dir``, services over them, and the two widgets."""
    data_dir = Path(data_dir)
    history = RunHistory(data_dir / HISTORY_FILE)
    history.prune()
    presets = PresetStore(data_dir / "presets.json")
    catalogue = CatalogueService(CatalogueCache(data_dir / "catalogue"), FavouriteStore(data_dir / "favourites.json"))
    runs = RunService(history, presets)
    panel = WorkflowsPanel(catalogue, runs)
    console = RunConsole(runs, catalogue)
    bench = Workbench(history, presets, catalogue, runs, panel, console)
    panel.workflow_activated.connect(console.open_workflow)
    panel.run_opened.connect(bench.open_run)
    # after a run, the server's run count and last run change: refresh quietly, a moment later
    later = QTimer(panel)
    later.setSingleShot(True)
    later.setInterval(REFRESH_AFTER_RUN_MS)
    later.timeout.connect(catalogue.refresh_counts)
    runs.finished.connect(lambda _outcome: later.start())
    return bench
