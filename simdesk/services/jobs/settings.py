"""The job tracker's and notifications' settings, declared once (STYLE pattern 9)."""

from __future__ import annotations

from PySide6.QtCore import QByteArray

from simdesk.core.jobs.model import JobStatus
from simdesk.services.settings import Opt

# --- preferences ------------------------------------------------------------------------------
POLL_INTERVAL_S = Opt("jobs/poll_interval_s", 0.0, float, doc="fixed polling interval in seconds; 0 = automatic")
POLLING_PAUSED = Opt("jobs/polling_paused", False, bool, doc="the jobs panel's pause switch")
NOTIFY_COMPLETED = Opt("notifications/completed", True, bool, doc="notify when a background run completes")
NOTIFY_FAILED = Opt("notifications/failed", True, bool, doc="notify when a background run fails")
NOTIFY_PAUSED = Opt("notifications/paused", True, bool, doc="notify when a background run waits for input")
NOTIFY_CANCELLED = Opt("notifications/cancelled", False, bool, doc="notify when a background run is cancelled")

NOTIFY_BY_STATUS = {
    JobStatus.COMPLETED: NOTIFY_COMPLETED,
    JobStatus.FAILED: NOTIFY_FAILED,
    JobStatus.PAUSED: NOTIFY_PAUSED,
    JobStatus.CANCELLED: NOTIFY_CANCELLED,
}

# --- window state -----------------------------------------------------------------------------
JOBS_FILTERS = Opt("jobs/filters", "", str, "state", doc="the jobs panel's filters (JSON)")
JOBS_HEADER = Opt("jobs/header", QByteArray(), QByteArray, "state", doc="column widths and sort order")
