"""The jobs table: a ``QAbstractTableModel`` over immutable :class:`~simdesk.core.jobs.model.Job` rows.

Rows are frozen values kept in a list with an ``id → row`` index; new jobs are inserted with
begin/end calls, changed ones reported with ``dataChanged`` over just the rows that changed
(consecutive rows coalesced into one range, so a poll that touches a thousand rows costs a handful
of signals, not a thousand); ``JobRole`` hands the whole job to delegates and dialogs. Sorting and
filtering live in :class:`simdesk.models.jobs.filters.JobFilterProxy`, never here.

``tick()`` refreshes the clock-driven columns (elapsed, last checked, progress) once a second.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from enum import IntEnum
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt

from simdesk.core.jobs import format as fmt
from simdesk.core.jobs.model import Job, JobStatus

Index = QModelIndex | QPersistentModelIndex
_ROOT = QModelIndex()


class Column(IntEnum):
    """The table's columns, in order."""

    WORKFLOW = 0
    PROFILE = 1
    STATUS = 2
    STARTED = 3
    ELAPSED = 4
    CHECKED = 5
    COST = 6
    PROGRESS = 7


HEADERS = {
    Column.WORKFLOW: "Workflow",
    Column.PROFILE: "Profile",
    Column.STATUS: "Status",
    Column.STARTED: "Started",
    Column.ELAPSED: "Elapsed",
    Column.CHECKED: "Last checked",
    Column.COST: "Cost",
    Column.PROGRESS: "Progress",
}
HEADER_TIPS = {
    Column.CHECKED: "When simdesk last heard from Sim about the run",
    Column.COST: "What Sim charged for the run, in US dollars",
    Column.PROGRESS: "Progress reported in the run's output, when it carries any; a moving stripe while "
    "a run reports none",
}

JobRole = Qt.ItemDataRole.UserRole + 1  # the Job itself
SortRole = Qt.ItemDataRole.UserRole + 2  # a value that sorts naturally (numbers, not text)
StatusRole = Qt.ItemDataRole.UserRole + 3  # the JobStatus value ("running"; Qt turns str enums into str)

STATUS_ORDER = {s: n for n, s in enumerate(JobStatus)}
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
_LEFT = int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_ACCESSIBLE = int(Qt.ItemDataRole.AccessibleTextRole)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)
_ALIGN = int(Qt.ItemDataRole.TextAlignmentRole)
_SORT, _JOB, _STATUS = int(SortRole), int(JobRole), int(StatusRole)
_COLUMNS = len(Column)
_PROFILE = int(Column.PROFILE)
Now = Callable[[], float]

# Per column (in Column order): the text shown, and a value that sorts naturally.
_TEXTS: tuple[Callable[[Job, Now], str], ...] = (
    lambda job, now: job.display_name,
    lambda job, now: job.profile,
    lambda job, now: job.status.label,
    lambda job, now: fmt.clock_time(job.started_at or job.created_at, now()),
    lambda job, now: "" if job.status is JobStatus.UNKNOWN else fmt.duration(job.elapsed(now())),
    lambda job, now: fmt.ago(job.last_checked_at, now()),
    lambda job, now: fmt.cost(job.cost),
    lambda job, now: job.progress or ("running…" if job.status is JobStatus.RUNNING else ""),
)
_SORT_KEYS: tuple[Callable[[Job, Now], Any], ...] = (
    lambda job, now: job.display_name.casefold(),
    lambda job, now: job.profile.casefold(),
    lambda job, now: STATUS_ORDER[job.status],
    lambda job, now: job.started_at or job.created_at,
    lambda job, now: job.elapsed(now()) or 0.0,
    lambda job, now: job.last_checked_at or 0.0,
    lambda job, now: job.cost if job.cost is not None else -1.0,
    lambda job, now: job.progress or "",
)


class JobTableModel(QAbstractTableModel):
    """Jobs as rows; see the module docstring."""

    def __init__(self, now: Callable[[], float] = time.time, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._now = now
        self._jobs: list[Job] = []
        self._row_of: dict[str, int] = {}
        self._missing: frozenset[str] = frozenset()  # profiles that no longer exist

    # --- Qt's read interface ---------------------------------------------------------------

    def rowCount(self, parent: Index = _ROOT) -> int:
        return 0 if parent.isValid() else len(self._jobs)

    def columnCount(self, parent: Index = _ROOT) -> int:
        return 0 if parent.isValid() else _COLUMNS

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(Column):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[Column(section)]
        if role == Qt.ItemDataRole.ToolTipRole:
            return HEADER_TIPS.get(Column(section))
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def data(self, index: Index, role: int = _DISPLAY) -> Any:
        # Hot path: the proxy calls this for every row it sorts or filters. Plain ints and tuple
        # dispatch instead of enum conversions keep a 1,000-row update within a frame.
        row, column = index.row(), index.column()
        if not 0 <= row < len(self._jobs) or not 0 <= column < _COLUMNS or not index.isValid():
            return None
        job = self._jobs[row]
        if role == _SORT:
            return _SORT_KEYS[column](job, self._now)
        if role == _DISPLAY or role == _ACCESSIBLE:
            if column == _PROFILE and job.profile in self._missing:
                return f"{job.profile} (no longer exists)"
            return _TEXTS[column](job, self._now)
        if role == _JOB:
            return job
        if role == _STATUS:
            return job.status.value
        if role == _TOOLTIP:
            return self._tooltip(job, Column(column))
        if role == _ALIGN:
            return _RIGHT if column in (Column.ELAPSED, Column.COST) else _LEFT
        return None

    def _tooltip(self, job: Job, column: Column) -> str | None:
        if column is Column.WORKFLOW:
            return f"Workflow {job.workflow_id}\nRun {job.run_id}"
        if column is Column.STATUS:
            lines = [job.status.label]
            if job.profile in self._missing:
                lines.append(fmt.missing_profile(job.profile) + ": this run cannot be checked.")
            if job.error:
                lines.append(job.error)
            if job.note:
                lines.append(job.note)
            if not job.acknowledged and not job.status.is_final:
                lines.append("Waiting for Sim to confirm the run.")
            return "\n".join(lines)
        return None

    # --- changes ---------------------------------------------------------------------------

    def set_missing_profiles(self, profiles: Iterable[str]) -> None:
        """Profiles that no longer exist: their jobs' status says so."""
        missing = frozenset(profiles)
        if missing != self._missing:
            self._missing = missing
            if self._jobs:
                self.dataChanged.emit(self.index(0, 0), self.index(len(self._jobs) - 1, _COLUMNS - 1))

    def reset(self, jobs: Iterable[Job]) -> None:
        """Replace every row (initial load)."""
        self.beginResetModel()
        self._jobs = list(jobs)
        self._row_of = {job.id: row for row, job in enumerate(self._jobs)}
        self.endResetModel()

    def apply(self, jobs: Sequence[Job]) -> None:
        """Insert new jobs and update known ones; ``dataChanged`` covers only changed rows."""
        changed: list[int] = []
        added: list[Job] = []
        for job in jobs:
            row = self._row_of.get(job.id)
            if row is None:
                added.append(job)
            elif self._jobs[row] != job:
                self._jobs[row] = job
                changed.append(row)
        for first, last in changed_ranges(changed):
            self.dataChanged.emit(self.index(first, 0), self.index(last, len(Column) - 1))
        if added:
            unique = list({job.id: job for job in added}.values())
            start = len(self._jobs)
            self.beginInsertRows(_ROOT, start, start + len(unique) - 1)
            for offset, job in enumerate(unique):
                self._jobs.append(job)
                self._row_of[job.id] = start + offset
            self.endInsertRows()

    def remove(self, job_ids: Iterable[str]) -> None:
        """Drop rows (deleted jobs); bottom-up, one remove per consecutive range."""
        rows = sorted({self._row_of[i] for i in job_ids if i in self._row_of})
        for first, last in reversed(changed_ranges(rows)):
            self.beginRemoveRows(_ROOT, first, last)
            del self._jobs[first : last + 1]
            self.endRemoveRows()
        if rows:
            self._row_of = {job.id: row for row, job in enumerate(self._jobs)}

    def tick(self) -> None:
        """The clock moved: repaint elapsed, last-checked and progress (whose stripe moves with
        the clock) in one signal for all rows."""
        if self._jobs:
            self.dataChanged.emit(
                self.index(0, Column.ELAPSED),
                self.index(len(self._jobs) - 1, Column.PROGRESS),
                [Qt.ItemDataRole.DisplayRole, SortRole],
            )

    # --- lookups ---------------------------------------------------------------------------

    def sort_key(self, row: int, column: int) -> Any:
        """The value ``row`` sorts by in ``column`` (what ``SortRole`` gives, without Qt)."""
        return _SORT_KEYS[column](self._jobs[row], self._now)

    def job_at(self, row: int) -> Job | None:
        """The job in ``row`` (of this model, not a proxy)."""
        return self._jobs[row] if 0 <= row < len(self._jobs) else None

    def row_of(self, job_id: str) -> int | None:
        """The row of a job, if shown."""
        return self._row_of.get(job_id)

    def jobs(self) -> list[Job]:
        """Every job, in row order."""
        return list(self._jobs)

    def counts(self) -> dict[JobStatus, int]:
        """How many jobs are in each status."""
        counts = dict.fromkeys(JobStatus, 0)
        for job in self._jobs:
            counts[job.status] += 1
        return counts


def changed_ranges(rows: Iterable[int]) -> list[tuple[int, int]]:
    """Consecutive runs of sorted row numbers: [1, 2, 3, 7] → [(1, 3), (7, 7)]."""
    out: list[tuple[int, int]] = []
    for row in sorted(rows):
        if out and row == out[-1][1] + 1:
            out[-1] = (out[-1][0], row)
        else:
            out.append((row, row))
    return out
