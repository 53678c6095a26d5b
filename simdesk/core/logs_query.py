"""What the logs panel asks for: a workspace's runs, filtered, and how a cached row matches.

Sim filters the logs list by workflow, trigger, level, time range, duration, cost and model on
the server (the ``/api/v2/logs`` query); it has no text search, so text is matched here, on the
rows already fetched or cached. The same :class:`LogQuery` filters the offline cache, so the
panel shows the same rows with and without a connection.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

from simdesk.core.runs import RunStatus
from simdesk.core.usage import LogEntry

TRIGGERS = ("api", "manual", "schedule", "webhook", "chat")
STATUSES = ("completed", "failed", "running", "paused", "cancelled")


@dataclass(frozen=True, slots=True)
class LogQuery:
    """One view of a workspace's logs. Empty tuples and ``None`` mean "any"."""

    workspace_id: str
    workflow_ids: tuple[str, ...] = ()
    triggers: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    since: datetime | None = None
    until: datetime | None = None
    text: str = ""

    def server_filters(self) -> dict[str, Any]:
        """``SimClient.list_logs`` keyword filters (newest first). Status has no server filter
        but failure does (``level=error``): asked for when only failures are wanted."""
        filters: dict[str, Any] = {"order": "desc"}
        if self.workflow_ids:
            filters["workflow_ids"] = list(self.workflow_ids)
        if self.triggers:
            filters["triggers"] = list(self.triggers)
        if self.statuses == ("failed",):
            filters["level"] = "error"
        if self.since is not None:
            filters["start_date"] = self.since  # the client renders dates as Sim wants them
        if self.until is not None:
            filters["end_date"] = self.until
        return filters

    def matches(self, entry: LogEntry, workflow_names: Mapping[str, str] | None = None) -> bool:
        """Whether ``entry`` belongs in this view (every filter, the text last)."""
        if self.workflow_ids and entry.workflow_id not in self.workflow_ids:
            return False
        if self.triggers and (entry.trigger or "") not in self.triggers:
            return False
        if self.statuses and entry.status.value not in self.statuses:
            return False
        if entry.started_at is not None:
            if self.since is not None and entry.started_at < self.since:
                return False
            if self.until is not None and entry.started_at > self.until:
                return False
        return self.matches_text(entry, workflow_names)

    def matches_text(self, entry: LogEntry, workflow_names: Mapping[str, str] | None = None) -> bool:
        """Case-insensitive substring of the run id, workflow name or id, trigger or status."""
        needle = self.text.strip().casefold()
        if not needle:
            return True
        name = entry.workflow_name or (workflow_names or {}).get(entry.workflow_id or "", "")
        haystack = (entry.run_id, name, entry.workflow_id or "", entry.trigger or "", entry.status.value)
        return any(needle in part.casefold() for part in haystack)

    @property
    def server_key(self) -> tuple[Any, ...]:
        """What the server filters on: two queries with the same key share fetched pages."""
        return (self.workspace_id, self.workflow_ids, self.triggers, self.statuses, self.since, self.until)


def is_live(entry: LogEntry) -> bool:
    """A run still going (its row will change): worth tracking as a job."""
    return entry.status.is_active or entry.status is RunStatus.PAUSED


def web_logs_url(base_url: str, workspace_id: str, run_id: str) -> str:
    """The run in Sim's web UI: the workspace's logs page, asked to open this execution."""
    return f"{base_url.rstrip('/')}/workspace/{quote(workspace_id, safe='')}/logs?executionId={quote(run_id, safe='')}"
