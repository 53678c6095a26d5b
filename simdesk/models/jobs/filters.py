"""Sorting and filtering of the jobs table: a ``QSortFilterProxyModel`` and the filter values.

:class:`JobFilters` is a small frozen value (statuses, workflow, profile, free text) that the
panel saves between runs as JSON; the proxy applies it. Sorting uses the model's ``SortRole``
(numbers for times and costs, a fixed order for statuses), so "Elapsed" sorts by seconds, not by
the text "10 min".
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, QSortFilterProxyModel

from simdesk.core.jobs.model import Job, JobStatus
from simdesk.models.jobs.table import JobRole, JobTableModel, SortRole


@dataclass(frozen=True, slots=True)
class JobFilters:
    """What the user narrowed the list to. Empty fields match everything."""

    statuses: frozenset[JobStatus] = field(default_factory=frozenset)
    workflow_id: str = ""
    profile: str = ""
    text: str = ""

    @property
    def active(self) -> bool:
        """True when anything is filtered out."""
        return bool(self.statuses or self.workflow_id or self.profile or self.text.strip())

    def matches(self, job: Job) -> bool:
        """Whether ``job`` passes every filter."""
        if self.statuses and job.status not in self.statuses:
            return False
        if self.workflow_id and job.workflow_id != self.workflow_id:
            return False
        if self.profile and job.profile != self.profile:
            return False
        needle = self.text.strip().casefold()
        if needle:
            hay = (job.display_name, job.workflow_id, job.run_id, job.profile, job.error, job.note, job.progress)
            return any(needle in value.casefold() for value in hay if value)
        return True

    def with_status(self, status: JobStatus, on: bool) -> JobFilters:
        """These filters with ``status`` shown (``on``) or hidden."""
        statuses = set(self.statuses or ())
        (statuses.add if on else statuses.discard)(status)
        return replace(self, statuses=frozenset(statuses))

    def to_json(self) -> str:
        """Text for the settings file."""
        return json.dumps(
            {
                "statuses": sorted(s.value for s in self.statuses),
                "workflow": self.workflow_id,
                "profile": self.profile,
                "text": self.text,
            }
        )

    @classmethod
    def from_json(cls, text: str) -> JobFilters:
        """Inverse of :meth:`to_json`; anything unreadable gives no filters."""
        try:
            data: Any = json.loads(text) if text else {}
        except ValueError:
            return cls()
        if not isinstance(data, dict):
            return cls()
        statuses = frozenset(JobStatus(s) for s in data.get("statuses", ()) if s in JobStatus._value2member_map_)
        return cls(
            statuses=statuses,
            workflow_id=str(data.get("workflow") or ""),
            profile=str(data.get("profile") or ""),
            text=str(data.get("text") or ""),
        )


class JobFilterProxy(QSortFilterProxyModel):
    """The jobs table as shown: filtered by :class:`JobFilters`, sorted by ``SortRole``."""

    def __init__(self, source: JobTableModel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._filters = JobFilters()
        self._model = source
        self.setSourceModel(source)
        self.setSortRole(SortRole)
        self.setDynamicSortFilter(True)

    @property
    def filters(self) -> JobFilters:
        return self._filters

    def set_filters(self, filters: JobFilters) -> None:
        """Show only the jobs ``filters`` match."""
        if filters != self._filters:
            self.beginFilterChange()
            self._filters = filters
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, source_row: int, source_parent: QModelIndex | QPersistentModelIndex) -> bool:
        if not self._filters.active:  # the common case, and called once per changed row
            return True
        job = self._model.job_at(source_row)
        return job is not None and self._filters.matches(job)

    def lessThan(self, left: QModelIndex | QPersistentModelIndex, right: QModelIndex | QPersistentModelIndex) -> bool:
        # One Python call per comparison instead of two ``data()`` round trips through QVariant:
        # sorting (and the re-sort check after a poll changed a thousand rows) is this call.
        less: bool = self._model.sort_key(left.row(), left.column()) < self._model.sort_key(right.row(), right.column())
        return less

    def job(self, index: QModelIndex | QPersistentModelIndex) -> Job | None:
        """The job shown at a proxy index."""
        value = index.data(JobRole) if index.isValid() else None
        return value if isinstance(value, Job) else None
