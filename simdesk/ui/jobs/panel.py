"""The Jobs panel (``jobsPanel``): every background run, live, with filters and actions.

It shows what :class:`~simdesk.services.jobs.service.JobService` reports through a
:class:`~simdesk.models.jobs.table.JobTableModel` behind a :class:`~simdesk.models.jobs.filters.JobFilterProxy`,
and forwards the user's actions to the service; it holds no job logic of its own. Filters and the
table's column layout are saved between runs. When there is nothing to show it says why and what
to do: no jobs yet (how to start or track one), or filters hiding everything (clear them).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import replace

import shiboken6
from PySide6.QtCore import QItemSelectionModel, QModelIndex, QPoint, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QHideEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QStackedWidget,
    QTableView,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from simdesk.core.jobs import format as fmt
from simdesk.core.jobs.model import Job, JobStatus
from simdesk.models.jobs.filters import JobFilterProxy, JobFilters
from simdesk.models.jobs.table import Column, JobTableModel
from simdesk.services.jobs.service import JobService
from simdesk.services.jobs.settings import JOBS_FILTERS, JOBS_HEADER, POLL_INTERVAL_S, POLLING_PAUSED
from simdesk.services.settings import Settings
from simdesk.ui.icons import icon
from simdesk.ui.jobs.adopt import AdoptDialog
from simdesk.ui.jobs.badges import SHAPES, StatusBadgeDelegate
from simdesk.ui.jobs.orphans import OrphanBanner
from simdesk.ui.jobs.progress import ProgressDelegate
from simdesk.ui.jobs.result import JobResultDialog
from simdesk.ui.jobs.resume import ResumeDialog

Confirm = Callable[[QWidget, str, str], bool]
WIDTHS = {Column.WORKFLOW: 180, Column.PROFILE: 90, Column.STATUS: 118, Column.PROGRESS: 160, Column.STARTED: 108,
          Column.ELAPSED: 92, Column.CHECKED: 100, Column.COST: 64}  # fmt: skip
FILTERS_FROM = 6  # with fewer jobs the filter row is hidden (unless a filter is on): rows get the room
INTERVALS = (("Automatic", 0.0), ("Every 5 s", 5.0), ("Every 15 s", 15.0), ("Every 30 s", 30.0),
             ("Every minute", 60.0), ("Every 5 min", 300.0))  # fmt: skip
EMPTY_HINT = (
    "Start a long run with “Run in background” in the run console, or follow a run started elsewhere "
    "(the web UI, a script) with “Track a run by id…”. Tracked runs survive restarts and keep their "
    "results after Sim deletes them."
)


def ask(parent: QWidget, title: str, text: str) -> bool:
    """A yes/no question (the default confirmation)."""
    answer = QMessageBox.question(parent, title, text, QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No)
    return answer == QMessageBox.StandardButton.Yes


class JobsPanel(QWidget):
    """The jobs list with its filters and actions.

    Signals:
        dialog_opened(QDialog): a result, resume or track dialog was opened (tests use it).
    """

    dialog_opened = Signal(object)

    def __init__(
        self,
        service: JobService,
        settings: Settings,
        *,
        profiles: Callable[[], Sequence[str]] = lambda: (),
        active_profile: Callable[[], str] = lambda: "",
        now: Callable[[], float] = time.time,
        confirm: Confirm = ask,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("jobsPanel")
        self.setAccessibleName("Jobs")
        self.service = service
        self._settings = settings
        self._profiles = profiles
        self._active_profile = active_profile
        self._confirm = confirm
        self._now = now
        self.model = JobTableModel(now=now, parent=self)
        self.proxy = JobFilterProxy(self.model, self)
        self._build_filters()
        self._build_actions()
        self._build_views()
        self._build_layout()
        self._connect()
        self._restore()
        self.model.reset(service.jobs())
        self._refresh()

    # --- construction ----------------------------------------------------------------------

    def _build_filters(self) -> None:
        self.search = QLineEdit(self)
        self.search.setObjectName("jobsSearch")
        self.search.setPlaceholderText("Filter by name, run id, error…")
        self.search.setClearButtonEnabled(True)
        self.search.setAccessibleName("Filter jobs")
        for button in self.search.findChildren(QToolButton):  # the line edit's own clear button
            button.setAccessibleName("Clear the filter text")
        self.status_button = QToolButton(self)
        self.status_button.setObjectName("jobsStatusFilter")
        self.status_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.status_button.setAccessibleName("Filter by status")
        menu = QMenu(self.status_button)
        self.status_actions: dict[JobStatus, QAction] = {}
        for status in JobStatus:
            action = menu.addAction(status.label)
            action.setCheckable(True)
            action.setToolTip(f"Badge: {SHAPES[status]}")
            action.toggled.connect(lambda on, s=status: self._set_filters(self.proxy.filters.with_status(s, on)))
            self.status_actions[status] = action
        self.status_button.setMenu(menu)
        self.workflow_filter = QComboBox(self)
        self.workflow_filter.setObjectName("jobsWorkflowFilter")
        self.workflow_filter.setAccessibleName("Filter by workflow")
        # narrow by default (the dock may be small); the popup still shows whole names
        self.workflow_filter.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.workflow_filter.setMinimumContentsLength(8)
        self.profile_filter = QComboBox(self)
        self.profile_filter.setObjectName("jobsProfileFilter")
        self.profile_filter.setAccessibleName("Filter by profile")
        self.profile_filter.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.profile_filter.setMinimumContentsLength(6)
        self.clear_button = QToolButton(self)
        self.clear_button.setText("Clear filters")
        self.clear_button.setObjectName("jobsClearFilters")

    def _action(
        self, text: str, tip: str, name: str, shortcut: QKeySequence | QKeySequence.StandardKey | str | None = None
    ) -> QAction:
        action = QAction(text, self)
        action.setObjectName(name)
        action.setToolTip(tip)
        if shortcut is not None:
            action.setShortcut(shortcut)
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        self.adopt_action = self._action("Track a run…", "Track a run started elsewhere, by its id", "jobsAdopt")
        self.cancel_action = self._action("Cancel", "Ask Sim to cancel the selected runs", "jobsCancel")
        self.retry_action = self._action("Retry", "Start the selected workflows again with the same input", "jobsRetry")
        self.resume_action = self._action("Resume…", "Give the paused run the input it waits for", "jobsResume")
        self.result_action = self._action("Result…", "Open the run's output", "jobsResult", "Return")
        self.refresh_action = self._action("Check now", "Ask Sim about the selected runs now", "jobsRefresh", "F5")
        self.delete_action = self._action(
            "Delete…", "Forget the selected jobs (their runs on Sim are not touched)", "jobsDelete",
            QKeySequence.StandardKey.Delete,
        )  # fmt: skip
        self.pause_action = self._action(
            "Pause checking", "Stop asking Sim about runs until switched back on", "jobsPause"
        )
        self.pause_action.setCheckable(True)
        self.interval = QComboBox(self)
        self.interval.setObjectName("jobsInterval")
        self.interval.setAccessibleName("How often to check runs")
        self.interval.setToolTip("Automatic: every few seconds at first, then less often as a run ages")
        for label, seconds in INTERVALS:
            self.interval.addItem(label, seconds)
        self.toolbar = QToolBar(self)
        self.toolbar.setObjectName("jobsToolbar")
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        per_job = (self.cancel_action, self.retry_action, self.resume_action, self.result_action)
        for action in (self.adopt_action, None, *per_job, self.refresh_action, self.delete_action, None):
            if action is None:
                self.toolbar.addSeparator()
            else:
                self.toolbar.addAction(action)
        self.toolbar.addAction(self.pause_action)
        self.toolbar.addWidget(self.interval)

    def _build_views(self) -> None:
        self.table = QTableView(self)
        self.table.setObjectName("jobsTable")
        self.table.setAccessibleName("Background runs")
        self.table.setModel(self.proxy)
        self.table.setItemDelegateForColumn(Column.STATUS, StatusBadgeDelegate(self.table))
        self.table.setItemDelegateForColumn(Column.PROGRESS, ProgressDelegate(self._now, self.table))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(Column.STARTED, Qt.SortOrder.DescendingOrder)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.setShowGrid(False)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 10)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        # what a person follows sits together at the left: name, status, progress, elapsed
        for visual, column in enumerate((Column.WORKFLOW, Column.STATUS, Column.PROGRESS, Column.ELAPSED)):
            header.moveSection(header.visualIndex(column), visual)
        for column, width in WIDTHS.items():
            self.table.setColumnWidth(column, width)
        self.empty = _Notice(
            "No background runs yet", EMPTY_HINT, "Track a run by id…", self.adopt_action.trigger, "jobsEmpty"
        )
        self.no_match = _Notice(
            "No jobs match these filters", "Change or clear the filters above to see the other jobs.",
            "Clear filters", self.clear_filters, "jobsNoMatch",
        )  # fmt: skip
        self.stack = QStackedWidget(self)
        for page in (self.table, self.empty, self.no_match):
            self.stack.addWidget(page)
        self.hold_banner = QFrame(self)
        self.hold_banner.setObjectName("jobsHoldBanner")
        self.hold_banner.setFrameShape(QFrame.Shape.StyledPanel)
        self.hold_label = QLabel(self.hold_banner)
        self.hold_label.setObjectName("jobsHold")
        self.hold_label.setWordWrap(True)
        self.hold_retry = QPushButton("Try again now", self.hold_banner)
        self.hold_retry.setObjectName("jobsHoldRetry")
        self.hold_retry.setToolTip("Check these runs now instead of waiting")
        banner = QHBoxLayout(self.hold_banner)
        banner.setContentsMargins(8, 4, 8, 4)
        warning = QLabel(self.hold_banner)
        warning.setPixmap(icon("info").pixmap(QSize(18, 18)))
        banner.addWidget(warning, 0, Qt.AlignmentFlag.AlignTop)
        banner.addWidget(self.hold_label, 1)
        banner.addWidget(self.hold_retry, 0, Qt.AlignmentFlag.AlignTop)
        self.hold_banner.setVisible(False)
        self.orphans = OrphanBanner(self.service, lambda *a: self._confirm(*a), self)
        self.message = QLabel(self)
        self.message.setObjectName("jobsMessage")
        self.message.setWordWrap(True)
        self.message.setVisible(False)
        self.footer = QLabel(self)
        self.footer.setObjectName("jobsFooter")
        self.footer.setProperty("muted", True)
        self.clock = QTimer(self)
        self.clock.setInterval(1000)
        self.clock.timeout.connect(self._tick)
        self.clock.start()

    def _build_layout(self) -> None:
        # Filters sit in a tool bar too: when the dock is narrow, what does not fit moves to the
        # bar's overflow menu instead of forcing the whole window wider.
        self.filter_bar = QToolBar(self)
        self.filter_bar.setObjectName("jobsFilterBar")
        self.search.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.search.setMinimumWidth(140)
        for widget in (self.search, self.status_button, self.workflow_filter, self.profile_filter, self.clear_button):
            self.filter_bar.addWidget(widget)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 4)
        layout.setSpacing(2)
        layout.addWidget(self.filter_bar)
        layout.addWidget(self.toolbar)
        layout.addWidget(self.orphans)
        layout.addWidget(self.hold_banner)
        layout.addWidget(self.message)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.footer)
        for label in (self.message, self.footer):
            label.setContentsMargins(8, 2, 8, 2)

    def _connect(self) -> None:
        s = self.service
        s.jobs_reset.connect(self._reset)
        s.jobs_changed.connect(self._changed)
        s.jobs_removed.connect(self._removed)
        s.hold_changed.connect(lambda *_: self._show_holds())
        s.paused_changed.connect(self._paused_changed)
        s.failed.connect(lambda text: self._say(text, error=True))
        s.info.connect(lambda text: self._say(text, error=False))
        self.search.textChanged.connect(lambda text: self._set_filters(_with(self.proxy.filters, text=text)))
        self.workflow_filter.activated.connect(lambda _i: self._combo_chosen("workflow_id", self.workflow_filter))
        self.profile_filter.activated.connect(lambda _i: self._combo_chosen("profile", self.profile_filter))
        self.clear_button.clicked.connect(self.clear_filters)
        self.hold_retry.clicked.connect(self._retry_holds)
        self.adopt_action.triggered.connect(self.open_adopt)
        self.cancel_action.triggered.connect(self.cancel_selected)
        self.retry_action.triggered.connect(lambda: self.service.request_retry([j.id for j in self.selected()]))
        self.resume_action.triggered.connect(lambda: self._open_one(self.open_resume))
        self.result_action.triggered.connect(lambda: self._open_one(self.open_result))
        self.refresh_action.triggered.connect(lambda: self.service.request_refresh([j.id for j in self.selected()]))
        self.delete_action.triggered.connect(self.delete_selected)
        self.pause_action.toggled.connect(self._toggle_pause)
        self.interval.activated.connect(lambda _i: self._interval_chosen())
        self.table.doubleClicked.connect(self._activated)
        self.table.customContextMenuRequested.connect(self._context_menu)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._update_actions())
        proxy = self.proxy
        for signal in (proxy.rowsInserted, proxy.rowsRemoved, proxy.modelReset, proxy.layoutChanged):
            signal.connect(lambda *_: self._refresh())
        self.table.horizontalHeader().sortIndicatorChanged.connect(lambda *_: self._save_header())

    def _restore(self) -> None:
        filters = JobFilters.from_json(self._settings.get(JOBS_FILTERS))
        self._apply_filters(filters)
        header = self._settings.get(JOBS_HEADER)
        if not header.isEmpty():
            self.table.horizontalHeader().restoreState(header)
        paused = self._settings.get(POLLING_PAUSED)
        self.pause_action.setChecked(paused)
        self.service.set_paused(paused)
        seconds = self._settings.get(POLL_INTERVAL_S)
        index = max(0, self.interval.findData(seconds))
        self.interval.setCurrentIndex(index)
        self.service.set_fixed_interval(float(self.interval.currentData()) or None)

    # --- service → view --------------------------------------------------------------------

    def _reset(self, jobs: list[Job]) -> None:
        self.model.reset(jobs)
        self._refresh()

    def _changed(self, jobs: list[Job]) -> None:
        self.model.apply(jobs)
        self._refresh()

    def _removed(self, job_ids: list[str]) -> None:
        self.model.remove(job_ids)
        self._refresh()

    def _tick(self) -> None:
        self.model.tick()
        self._update_footer()
        if self.hold_banner.isVisible():
            self._show_holds()

    def _refresh(self) -> None:
        """Everything derived from the rows: combos, page, actions, footer."""
        workflows = {j.workflow_id: j.display_name for j in self.model.jobs()}
        self._fill_combo(self.workflow_filter, "All workflows", workflows, self.proxy.filters.workflow_id)
        names = {j.profile for j in self.model.jobs()} | set(self._profiles())
        self._fill_combo(self.profile_filter, "All profiles", {p: p for p in sorted(names)}, self.proxy.filters.profile)
        if self.model.rowCount() == 0:
            self.stack.setCurrentWidget(self.empty)
        elif self.proxy.rowCount() == 0:
            self.stack.setCurrentWidget(self.no_match)
        else:
            self.stack.setCurrentWidget(self.table)
        self._update_actions()
        self._update_footer()
        self.orphans.show_jobs(self.model.jobs(), self._profiles())
        self.model.set_missing_profiles(self.orphans.missing())
        self._show_holds()
        self._show_filters()

    def _show_filters(self) -> None:
        """Filters earn their row once there are enough jobs to filter (or one is on)."""
        self.filter_bar.setVisible(self.model.rowCount() >= FILTERS_FROM or self.proxy.filters.active)

    @staticmethod
    def _fill_combo(combo: QComboBox, everything: str, items: dict[str, str], current: str) -> None:
        wanted = [("", everything), *sorted(items.items(), key=lambda kv: kv[1].casefold())]
        if current and current not in items:
            wanted.append((current, current))
        if [(combo.itemData(i), combo.itemText(i)) for i in range(combo.count())] == wanted:
            return
        combo.blockSignals(True)
        combo.clear()
        for key, label in wanted:
            combo.addItem(label, key)
        combo.setCurrentIndex(max(0, combo.findData(current)))
        combo.blockSignals(False)

    def _update_footer(self) -> None:
        counts = self.model.counts()
        active = counts[JobStatus.QUEUED] + counts[JobStatus.RUNNING]
        parts = [f"{self.model.rowCount()} job{'s' if self.model.rowCount() != 1 else ''}", f"{active} active"]
        if counts[JobStatus.PAUSED]:
            parts.append(f"{counts[JobStatus.PAUSED]} waiting for input")
        if self.proxy.rowCount() != self.model.rowCount():
            parts.append(f"{self.proxy.rowCount()} shown")
        if self.service.paused:
            parts.append("checking paused")
        self.footer.setText(" · ".join(parts))

    def _show_holds(self) -> None:
        holds = self.service.holds()
        lines = []
        for profile, hold in sorted(holds.items()):
            if profile in self.orphans.missing():  # the orphan banner says why, and what to do
                continue
            wait = max(0.0, hold.until - self._now())
            when = f" Checking again in {fmt.duration(wait)}." if wait else ""
            lines.append(f"Not checking runs of “{profile}” for now: {hold.reason}{when}")
        self.hold_label.setText("\n".join(lines))
        self.hold_banner.setVisible(bool(lines))
        # a Retry-After is the server's wish: no button to skip it
        self.hold_retry.setVisible(any(h.kind != "rate" for h in holds.values()))

    def _retry_holds(self) -> None:
        for profile in self.service.holds():
            self.service.release(profile)
        self._show_holds()

    def _paused_changed(self, paused: bool) -> None:
        self.pause_action.blockSignals(True)
        self.pause_action.setChecked(paused)
        self.pause_action.blockSignals(False)
        self._update_footer()

    def _say(self, text: str, *, error: bool) -> None:
        self.message.setProperty("error", error)
        self.message.setText(text)
        self.message.setVisible(bool(text))

    # --- filters ---------------------------------------------------------------------------

    def _set_filters(self, filters: JobFilters) -> None:
        self.proxy.set_filters(filters)
        stored = self._settings.get(JOBS_FILTERS)
        if JobFilters.from_json(stored) != filters:  # write only real changes (start-up writes nothing)
            self._settings.set(JOBS_FILTERS, filters.to_json())
        self.clear_button.setEnabled(filters.active)
        statuses = filters.statuses
        self.status_button.setText("Status: " + (", ".join(s.label for s in JobStatus if s in statuses) or "all"))
        self._refresh()

    def _apply_filters(self, filters: JobFilters) -> None:
        """Show ``filters`` in the widgets and apply them."""
        for status, action in self.status_actions.items():
            action.blockSignals(True)
            action.setChecked(status in filters.statuses)
            action.blockSignals(False)
        self.search.blockSignals(True)
        self.search.setText(filters.text)
        self.search.blockSignals(False)
        self._set_filters(filters)

    def _combo_chosen(self, field: str, combo: QComboBox) -> None:
        self._set_filters(_with(self.proxy.filters, **{field: combo.currentData() or ""}))

    def clear_filters(self) -> None:
        """Show every job."""
        self._apply_filters(JobFilters())

    # --- selection and actions -------------------------------------------------------------

    def selected(self) -> list[Job]:
        """The selected jobs, in view order."""
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        return [job for row in rows if (job := self.proxy.job(self.proxy.index(row, 0))) is not None]

    def _update_actions(self) -> None:
        jobs = self.selected()
        one = jobs[0] if len(jobs) == 1 else None
        self.cancel_action.setEnabled(any(not j.status.is_final for j in jobs))
        # a run still going has no result yet, and retrying it would start a second copy
        self.retry_action.setEnabled(any(j.has_input and j.status.is_final for j in jobs))
        self.resume_action.setEnabled(one is not None and one.status is JobStatus.PAUSED)
        self.result_action.setEnabled(one is not None and (one.status.is_final or one.status is JobStatus.PAUSED))
        self.refresh_action.setEnabled(bool(jobs))
        self.delete_action.setEnabled(bool(jobs))

    def select_job(self, job_id: str) -> bool:
        """Select (and scroll to) a job, clearing filters that hide it. False if unknown."""
        row = self.model.row_of(job_id)
        if row is None:
            return False
        index = self.proxy.mapFromSource(self.model.index(row, 0))
        if not index.isValid():
            self.clear_filters()
            index = self.proxy.mapFromSource(self.model.index(row, 0))
        flags = QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
        self.table.selectionModel().select(index, flags)
        self.table.scrollTo(index)
        self.table.setFocus()
        return True

    def show_job(self, job_id: str) -> None:
        """Select a job and open it (what clicking a notification does)."""
        if self.select_job(job_id):
            job = self.service.get(job_id)
            if job is not None:
                (self.open_resume if job.status is JobStatus.PAUSED else self.open_result)(job)

    def cancel_selected(self) -> bool:
        """Ask Sim to cancel the selected runs still going, after confirmation; True when asked."""
        jobs = [j for j in self.selected() if not j.status.is_final]
        if not jobs:
            return False
        what = f"“{jobs[0].display_name}”" if len(jobs) == 1 else f"these {len(jobs)} runs"
        text = f"Cancel {what} on Sim? The run stops where it is; it cannot be continued afterwards."
        if not self._confirm(self, "Cancel runs" if len(jobs) > 1 else "Cancel run", text):
            return False
        self.service.request_cancel([j.id for j in jobs])
        return True

    def delete_selected(self) -> bool:
        """Forget the selected jobs after confirmation; True when deleted."""
        jobs = self.selected()
        if not jobs:
            return False
        running = sum(1 for j in jobs if not j.status.is_final)
        text = f"Forget {len(jobs)} job{'s' if len(jobs) != 1 else ''} and their stored results?"
        if running:
            text += f" {running} still running on Sim will keep running there; simdesk just stops following them."
        if not self._confirm(self, "Delete jobs", text):
            return False
        self.service.delete([j.id for j in jobs])
        return True

    def _open_one(self, opener: Callable[[Job], QDialog]) -> None:
        jobs = self.selected()
        if len(jobs) == 1:
            opener(jobs[0])

    def _activated(self, index: QModelIndex) -> None:
        job = self.proxy.job(index)
        if job is not None:
            (self.open_resume if job.status is JobStatus.PAUSED else self.open_result)(job)

    def _context_menu(self, point: QPoint) -> None:
        menu = QMenu(self)
        for action in (self.result_action, self.resume_action, self.refresh_action, None, self.cancel_action,
                       self.retry_action, None, self.delete_action):  # fmt: skip
            if action is None:
                menu.addSeparator()
            else:
                menu.addAction(action)
        menu.popup(self.table.viewport().mapToGlobal(point))

    def _toggle_pause(self, paused: bool) -> None:
        self._settings.set(POLLING_PAUSED, paused)
        self.service.set_paused(paused)

    def _interval_chosen(self) -> None:
        seconds = float(self.interval.currentData())
        self._settings.set(POLL_INTERVAL_S, seconds)
        self.service.set_fixed_interval(seconds or None)

    def _save_header(self) -> None:
        """Keep column widths and sort order (on a sort click, and when the panel hides)."""
        state = self.table.horizontalHeader().saveState()
        if state != self._settings.get(JOBS_HEADER):
            self._settings.set(JOBS_HEADER, state)

    def hideEvent(self, event: QHideEvent) -> None:
        # at interpreter exit the window can hide after the settings object is already gone
        if shiboken6.isValid(self._settings):
            self._save_header()
        super().hideEvent(event)

    # --- dialogs ---------------------------------------------------------------------------

    def _show(self, dialog: QDialog) -> QDialog:
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        dialog.show()
        self.dialog_opened.emit(dialog)
        return dialog

    def open_result(self, job: Job) -> QDialog:
        """The job's outcome and output (from the store)."""
        return self._show(JobResultDialog(self.service.get(job.id) or job, self))

    def open_resume(self, job: Job) -> QDialog:
        """Ask for the paused run's input, then resume it."""
        dialog = ResumeDialog(self.service.get(job.id) or job, self)

        def done(result: int) -> None:
            value = dialog.value()
            if result == QDialog.DialogCode.Accepted and value is not None:
                self.service.request_resume(job.id, value)

        dialog.finished.connect(done)
        return self._show(dialog)

    def open_adopt(self) -> QDialog:
        """ "Track a run by id"."""
        profiles = sorted(set(self._profiles()) | {j.profile for j in self.model.jobs()})
        workflows = sorted({j.workflow_id for j in self.model.jobs()})
        dialog = AdoptDialog(profiles, self._active_profile(), workflows, self)

        def done(result: int) -> None:
            if result == QDialog.DialogCode.Accepted:
                self.service.request_adopt(*dialog.values())

        dialog.finished.connect(done)
        return self._show(dialog)


class _Notice(QScrollArea):
    """A centred title, hint and button: the empty and no-match states. It scrolls rather than
    clip its text when the dock is short (the default layout gives the jobs dock ~230 px)."""

    def __init__(self, title: str, hint: str, button: str, action: Callable[[], object], name: str) -> None:
        super().__init__()
        self.setObjectName(name)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        body = QWidget(self)
        body.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.title = QLabel(title, body)
        self.title.setObjectName("placeholderTitle")
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.title.setWordWrap(True)
        self.hint = QLabel(hint, body)
        self.hint.setObjectName("placeholderHint")
        self.hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.hint.setWordWrap(True)
        self.button = QPushButton(button, body)
        self.button.clicked.connect(lambda: action())
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.button)
        row.addStretch(1)
        layout = QVBoxLayout(body)
        layout.setContentsMargins(24, 12, 24, 12)
        layout.addStretch(1)
        layout.addWidget(self.title)
        layout.addWidget(self.hint)
        layout.addSpacing(8)
        layout.addLayout(row)
        layout.addStretch(2)
        self.setWidget(body)


def _with(filters: JobFilters, **changes: str) -> JobFilters:
    return replace(filters, **changes)  # type: ignore[arg-type]
