"""Wiring batch runs into the app: store, service, panel, status-bar progress and notifications.

Called once by the composition root (``AppContext.install_batches``, after the jobs and the
workbench: a batch ending notifies through the jobs' tray, and "Open in console" loads a row's
input into the workbench's console). :meth:`BatchesWiring.aclose` stops the runners where they
are (the next start shows those batches paused, ready to resume) and closes the store.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QLabel

from simdesk.app.jobs import profile_clients
from simdesk.core.batch_store import DEFAULT_FILE_NAME, BatchState, BatchStore
from simdesk.services.batch_runner import BatchProgress
from simdesk.services.batches import BatchService
from simdesk.ui.batches_panel import BatchesPanel, compact_line

if TYPE_CHECKING:
    from simdesk.app.workbench import Workbench
    from simdesk.core.paths import AppPaths
    from simdesk.services.clients import ClientPool
    from simdesk.services.messages import MessageBus
    from simdesk.services.profiles import ProfileService
    from simdesk.ui.main_window import MainWindow

PANEL = "batchesPanel"
Notify = Callable[[str, str], None]  # title, message: a system notification


def ended_sentence(progress: BatchProgress, name: str) -> tuple[str, str]:
    """The notification for a batch that stopped: its title and message."""
    counts = f"{progress.done:,} done, {progress.failed:,} failed"
    if progress.stopped_reason:
        return "Batch paused", f"{name}: {progress.stopped_reason} ({counts})"
    if progress.state is BatchState.CANCELLED:
        return "Batch cancelled", f"{name}: {counts}"
    if progress.waiting:
        return "Batch paused", f"{name}: {counts}, {progress.waiting:,} not yet run"
    return "Batch finished", f"{name}: {counts} · cost {progress.counts.cost:.3f}"


@dataclass
class BatchesWiring:
    """The batch parts, as installed."""

    service: BatchService
    panel: BatchesPanel
    status: QLabel

    async def aclose(self) -> None:
        """Stop the runners where they are and close the store."""
        await self.service.aclose()


def install_batches(
    *,
    paths: AppPaths,
    profiles: ProfileService,
    pool: ClientPool,
    messages: MessageBus,
    window: MainWindow,
    workbench: Workbench | None = None,
    notify: Notify | None = None,
) -> BatchesWiring:
    """Build the batch parts and plug them into ``window``."""
    store = BatchStore(paths.data / DEFAULT_FILE_NAME)
    if store.problem is not None:
        messages.send_error(store.problem.message)
    service = BatchService(store, profile_clients(profiles, pool, "so its batch cannot run"), parent=window)

    def workflows() -> Sequence[tuple[str, str]]:
        if workbench is None:
            return ()
        snapshot = workbench.catalogue.snapshot
        return [(wf.id, wf.name) for contents in snapshot.contents.values() for wf in contents.workflows]

    def current_workflow() -> str | None:
        loaded = workbench.console.workflow if workbench is not None else None
        return loaded.id if loaded is not None else None

    panel = BatchesPanel(service, profile=profiles.active_name, workflows=workflows, current_workflow=current_workflow)
    window.set_panel(PANEL, panel)

    def open_in_console(workflow_id: str, values: dict[str, Any]) -> None:
        if workbench is not None:
            workbench.console.load_input(workflow_id, values)
            window.focus_panel("runConsole")

    panel.open_in_console.connect(open_in_console)

    status = QLabel(window.status)
    status.setObjectName("batchStatus")
    status.setAccessibleName("Batch progress")
    status.hide()
    window.status.addPermanentWidget(status)

    def show_status(_progress: object = None) -> None:
        active = [p for p in service.active if p.counts.total]
        status.setVisible(bool(active))
        if active:
            status.setText(" · ".join(compact_line(p) for p in active[:2]))
            status.setToolTip("Batches running; see the Batches panel")

    service.progress_changed.connect(show_status)
    service.batches_changed.connect(show_status)

    def ended(progress: BatchProgress) -> None:
        batch = service.get(progress.batch_id)
        title, text = ended_sentence(progress, batch.workflow_name if batch else "A batch")
        if window.isActiveWindow() or notify is None:
            window.status.show_news(f"{title}: {text}")
        else:
            notify(title, text)

    service.batch_ended.connect(ended)
    service.failed.connect(messages.send_error)
    return BatchesWiring(service, panel, status)
