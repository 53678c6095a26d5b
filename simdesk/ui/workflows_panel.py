"""The workflows browser (``workflowsPanel``): workspace, search, sort, the tree, recent runs.

It shows what :class:`~simdesk.services.catalogue.CatalogueService` has (the cached catalogue at
once, marked "cached", then the fresh one), pins favourites at the top, and lists this machine's
recent runs of the selected workflow. When the server cannot list workflows (v2 off) it says why
and offers an id field instead.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

from PySide6.QtCore import QModelIndex, QPoint, Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPushButton,
    QToolButton,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from simdesk.core.catalogue import WorkflowSummary
from simdesk.core.catalogue_cache import CatalogueSnapshot
from simdesk.models.workflow_tree import (
    WORKFLOW,
    KindRole,
    SortKey,
    WorkflowFilterProxy,
    WorkflowRole,
    WorkflowTreeModel,
    ago,
)
from simdesk.services.catalogue import CatalogueService, LoadedWorkflow
from simdesk.services.runs import RunService
from simdesk.ui.result_view import status_words
from simdesk.ui.run_options import MODE_WORDS
from simdesk.ui.theme import set_tone
from simdesk.ui.workflow_delegate import WorkflowDelegate

_SORTS = (("Position", SortKey.POSITION), ("Name", SortKey.NAME), ("Last run", SortKey.LAST_RUN))


class WorkflowsPanel(QWidget):
    """Browse and pick workflows.

    Signals:
        workflow_activated(str): a workflow was chosen (a click, Enter or the menu): open it in the console.
        run_opened(str): a recent run was chosen (its history key).
    """

    workflow_activated = Signal(str)
    run_opened = Signal(str)

    def __init__(
        self, catalogue: CatalogueService, runs: RunService | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("workflowsPanel")
        self.catalogue = catalogue
        self.runs = runs
        self.model = WorkflowTreeModel(self)
        self.proxy = WorkflowFilterProxy()
        self.proxy.setSourceModel(self.model)
        self._build()
        self._wire()
        self._show_snapshot(catalogue.snapshot)
        self._unavailable(catalogue.unavailable_reason)

    def _build(self) -> None:
        self.workspaces = QComboBox()
        self.workspaces.setObjectName("workspaceBox")
        self.workspaces.setToolTip("Workspace")
        self.refresh_button = QToolButton()
        self.refresh_button.setText("⟳")
        self.refresh_button.setObjectName("refreshButton")
        self.refresh_button.setToolTip("Refresh the workflows from Sim")
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.workspaces, 1)
        top.addWidget(self.refresh_button)

        self.status = QLabel()
        self.status.setObjectName("catalogueStatus")
        self.status.setWordWrap(True)
        self.status.setEnabled(False)

        self.legacy = QWidget()
        self.legacy.setObjectName("legacyBox")
        self.legacy_text = QLabel()
        self.legacy_text.setWordWrap(True)
        set_tone(self.legacy_text, "hint")
        self.id_field = QLineEdit()
        self.id_field.setObjectName("workflowIdField")
        self.id_field.setPlaceholderText("Workflow id or URL")
        self.add_button = QPushButton("Open")
        self.add_button.setObjectName("addWorkflowId")
        id_row = QHBoxLayout()
        id_row.setContentsMargins(0, 0, 0, 0)
        id_row.addWidget(self.id_field, 1)
        id_row.addWidget(self.add_button)
        legacy_layout = QVBoxLayout(self.legacy)
        legacy_layout.setContentsMargins(0, 0, 0, 0)
        legacy_layout.addWidget(self.legacy_text)
        legacy_layout.addLayout(id_row)
        self.legacy.hide()

        self.search = QLineEdit()
        self.search.setObjectName("workflowSearch")
        self.search.setPlaceholderText("Search names and descriptions")
        self.search.setClearButtonEnabled(True)
        self.sort = QComboBox()
        self.sort.setObjectName("sortBox")
        for label, key in _SORTS:
            self.sort.addItem(label, key.value)
        self.sort.setToolTip("Sort workflows by")
        search_row = QHBoxLayout()
        search_row.setContentsMargins(0, 0, 0, 0)
        search_row.addWidget(self.search, 1)
        search_row.addWidget(self.sort)

        self.tree = QTreeView()
        self.tree.setObjectName("workflowTree")
        self.tree.setModel(self.proxy)
        self.tree.setHeaderHidden(True)
        self.tree.setUniformRowHeights(False)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.tree.setIndentation(14)
        self.tree.setItemDelegate(WorkflowDelegate(self.tree))

        self.recent_label = QLabel("Recent runs on this computer")
        self.recent_label.setEnabled(False)
        self.recent = QListWidget()
        self.recent.setObjectName("recentRuns")
        self.recent.setMaximumHeight(130)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.status)
        layout.addWidget(self.legacy)
        layout.addLayout(search_row)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.recent_label)
        layout.addWidget(self.recent)

    def _wire(self) -> None:
        c = self.catalogue
        c.snapshot_changed.connect(self._show_snapshot)
        c.loading_changed.connect(self._loading)
        c.failed.connect(self._failed)
        c.unavailable.connect(self._unavailable)
        c.favourites_changed.connect(lambda: self._show_snapshot(c.snapshot))
        c.workflow_failed.connect(self._workflow_failed)
        c.workflow_loaded.connect(self._workflow_opened)
        self.refresh_button.clicked.connect(c.refresh)
        self.workspaces.activated.connect(self._workspace_chosen)
        self.search.textChanged.connect(self._search)
        self.sort.currentIndexChanged.connect(lambda _i: self.proxy.set_sort(SortKey(self.sort.currentData())))
        # One click opens (the console's heading asks to choose one); Enter and double clicks
        # arrive as ``activated`` and the console ignores a second request for the same workflow.
        self.tree.clicked.connect(self._activated)
        self.tree.activated.connect(self._activated)
        self.tree.customContextMenuRequested.connect(self._menu)
        self.tree.selectionModel().currentChanged.connect(lambda current, _prev: self._show_recent(current))
        self.add_button.clicked.connect(self._add_id)
        self.id_field.returnPressed.connect(self._add_id)
        self.recent.itemActivated.connect(lambda item: self.run_opened.emit(item.data(Qt.ItemDataRole.UserRole)))
        if self.runs is not None:
            self.runs.finished.connect(self.refresh_recent)  # a method: disconnected when the panel goes

    # --- showing -------------------------------------------------------------------------

    def _show_snapshot(self, snapshot: CatalogueSnapshot) -> None:
        selected = self.selected_workflow()
        self.workspaces.blockSignals(True)
        self.workspaces.clear()
        for ws in snapshot.workspaces:
            self.workspaces.addItem(ws.name, ws.id)
        index = self.workspaces.findData(self.catalogue.workspace_id)
        if index >= 0:
            self.workspaces.setCurrentIndex(index)
        self.workspaces.setVisible(bool(snapshot.workspaces))
        self.workspaces.blockSignals(False)
        self.model.load(snapshot, self.catalogue.workspace_id, self.catalogue.favourites())
        self.proxy.set_sort(SortKey(self.sort.currentData()))
        self.tree.expandAll()
        if selected is not None:
            self.select(selected.id)
        # a model reset clears the cursor without a signal: the recent runs must follow it
        self._show_recent(self.tree.currentIndex())
        self._describe(snapshot)

    def _describe(self, snapshot: CatalogueSnapshot) -> None:
        if self._error:
            return
        if snapshot.cached and snapshot.fetched_at:
            when = ago_epoch(snapshot.fetched_at)
            self.status.setText(f"Cached {when} — not refreshed yet")
        elif snapshot.fetched_at:
            self.status.setText(f"Updated {ago_epoch(snapshot.fetched_at)}")
        else:
            self.status.setText("")
        set_tone(self.status, "")
        self.status.setVisible(bool(self.status.text()))

    _error = ""

    def _loading(self, loading: bool) -> None:
        self.refresh_button.setEnabled(not loading)
        if loading:
            self._error = ""
            snapshot = self.catalogue.snapshot
            prefix = f"Cached {ago_epoch(snapshot.fetched_at)} — " if snapshot.cached and snapshot.fetched_at else ""
            self.status.setText(prefix + "refreshing…")
            set_tone(self.status, "")
            self.status.show()
        elif not self._error:  # a failure stays said until the next refresh
            self._describe(self.catalogue.snapshot)

    def _failed(self, message: str) -> None:
        snapshot = self.catalogue.snapshot
        shown = " Showing the cached list." if snapshot.cached and snapshot.contents else ""
        self._error = message + shown
        self.status.setText(self._error)
        set_tone(self.status, "error")
        self.status.setEnabled(True)
        self.status.show()

    def _unavailable(self, reason: str) -> None:
        self.legacy_text.setText(reason)
        self.legacy.setVisible(bool(reason))

    def refresh_recent(self, _outcome: object = None) -> None:
        """Show the selected workflow's recent runs again (a run ended or changed)."""
        self._show_recent(self.tree.currentIndex())

    def _show_recent(self, index: QModelIndex) -> None:
        self.recent.clear()
        summary = index.data(WorkflowRole) if index.isValid() else None
        if self.runs is None or not isinstance(summary, WorkflowSummary):
            self.recent_label.setText("Recent runs on this computer")
            return
        self.recent_label.setText(f"Recent runs of {summary.name}")
        self.runs.history.flush(timeout=1.0)  # the end of a run just finished may still be on its way
        for record in self.runs.history.recent(workflow_id=summary.id, profile=self.runs.profile, limit=8):
            when = time.strftime("%d %b %H:%M", time.localtime(record.started_at))
            mode = MODE_WORDS.get(record.mode, record.mode)
            item = QListWidgetItem(f"{status_words(record.status)}  ·  {mode}  ·  {when}")
            item.setData(Qt.ItemDataRole.UserRole, record.key)
            item.setToolTip(record.run_id or "")
            self.recent.addItem(item)
        if not self.recent.count():
            self.recent.addItem("No runs from this computer yet")

    # --- choosing ------------------------------------------------------------------------

    def _workspace_chosen(self, index: int) -> None:
        workspace_id = self.workspaces.itemData(index)
        if workspace_id and workspace_id != self.catalogue.workspace_id:
            self.catalogue.select_workspace(workspace_id)

    def _search(self, text: str) -> None:
        self.proxy.set_search(text)
        self.tree.expandAll()

    def _activated(self, index: QModelIndex) -> None:
        summary = index.data(WorkflowRole)
        if index.data(KindRole) == WORKFLOW and isinstance(summary, WorkflowSummary):
            self.workflow_activated.emit(summary.id)

    def _add_id(self) -> None:
        """Open the typed id; the text stays until it opens, so a typo can be corrected."""
        text = self.id_field.text()
        if text.strip():
            self.catalogue.add_workflow_id(text)

    def _workflow_failed(self, _workflow_id: str, message: str) -> None:
        self._failed(message)
        if self.id_field.text().strip():
            self.id_field.setFocus()
            self.id_field.selectAll()

    def _workflow_opened(self, loaded: LoadedWorkflow) -> None:
        """A workflow opened (a click, a reopened run, a job): the tree's cursor and the recent
        runs follow it, and an earlier failure to open one no longer applies."""
        current = self.selected_workflow()
        if current is None or current.id != loaded.id:
            self.select(loaded.id)
        if loaded.id in self.id_field.text():
            self.id_field.clear()
        if self._error and not loaded.cached:  # a cached form comes with its own failure
            self._error = ""
            self._describe(self.catalogue.snapshot)

    def _menu(self, point: QPoint) -> None:
        index = self.tree.indexAt(point)
        summary = index.data(WorkflowRole)
        if not isinstance(summary, WorkflowSummary):
            return
        menu = QMenu(self)
        menu.addAction("Open in the run console", lambda: self.workflow_activated.emit(summary.id))
        pinned = summary.id in self.catalogue.favourites()
        menu.addAction(
            "Unpin from favourites" if pinned else "★ Pin to favourites",
            lambda: self.catalogue.toggle_favourite(summary.id),
        )
        menu.addAction("Copy workflow id", lambda: QGuiApplication.clipboard().setText(summary.id))
        menu.exec(self.tree.viewport().mapToGlobal(point))

    # --- for tests and the shell ---------------------------------------------------------

    def selected_workflow(self) -> WorkflowSummary | None:
        """The workflow under the cursor, if any."""
        summary = self.tree.currentIndex().data(WorkflowRole)
        return summary if isinstance(summary, WorkflowSummary) else None

    def visible_workflows(self) -> list[str]:
        """Names of the workflows the tree shows now (after search), top to bottom."""
        names: list[str] = []

        def walk(parent: QModelIndex) -> None:
            for row in range(self.proxy.rowCount(parent)):
                index = self.proxy.index(row, 0, parent)
                if index.data(KindRole) == WORKFLOW:
                    names.append(str(index.data()))
                walk(index)

        walk(QModelIndex())
        return names

    def select(self, workflow_id: str) -> bool:
        """Put the cursor on a workflow (the first row showing it)."""
        for source in self.model.workflow_indexes():
            summary = source.data(WorkflowRole)
            if isinstance(summary, WorkflowSummary) and summary.id == workflow_id:
                index = self.proxy.mapFromSource(source)
                if index.isValid():
                    self.tree.setCurrentIndex(index)
                    return True
        return False


def ago_epoch(epoch: float) -> str:
    """``"5 min ago"`` for an epoch time."""
    return ago(datetime.fromtimestamp(epoch, UTC))
