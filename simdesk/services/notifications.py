"""Which ended runs deserve a system notification, and what it says.

A notification is sent when a background run completes, fails, pauses for input (or, if the
user wants, is cancelled) *while the window is not the active one*: someone looking at the app
does not need a pop-up (PRODUCT §3 "Notifications / tray"). Each outcome can be switched off in
the settings. When many runs end in one poll (a batch of a thousand finishing together), one
summary goes out instead of a flood. The tray (:mod:`simdesk.ui.tray`) shows what this decides;
clicking it opens the job.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from PySide6.QtCore import QObject, Signal

from simdesk.core.jobs.format import outcome_sentence
from simdesk.core.jobs.model import Job, JobStatus
from simdesk.services.jobs.service import JobService
from simdesk.services.jobs.settings import NOTIFY_BY_STATUS
from simdesk.services.settings import Settings

SUMMARY_AFTER = 3  # more runs than this ending in one poll get one notification together
WORDS = {
    JobStatus.COMPLETED: "completed",
    JobStatus.FAILED: "failed",
    JobStatus.PAUSED: "need input",
    JobStatus.CANCELLED: "cancelled",
}
TITLES = {
    JobStatus.COMPLETED: "Run completed",
    JobStatus.FAILED: "Run failed",
    JobStatus.PAUSED: "Run needs input",
    JobStatus.CANCELLED: "Run cancelled",
}


class JobNotifier(QObject):
    """Turns ended jobs into notifications.

    Signals:
        notify(str title, str message, str job_id, str status): show this to the user.
    """

    notify = Signal(str, str, str, str)

    def __init__(
        self, jobs: JobService, settings: Settings, window_active: Callable[[], bool], parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._settings = settings
        self._window_active = window_active
        jobs.jobs_ended.connect(self.consider_many)

    def wants(self, status: JobStatus) -> bool:
        """Whether the user wants to hear about this outcome."""
        opt = NOTIFY_BY_STATUS.get(status)
        return opt is not None and self._settings.get(opt)

    def consider_many(self, jobs: list[Job]) -> int:
        """Notify about runs that ended together: each one, or a summary when there are many.
        Returns how many notifications went out."""
        wanted = [job for job in jobs if self.wants(job.status)]
        if not wanted or self._window_active():
            return 0
        if len(wanted) <= SUMMARY_AFTER:
            return sum(self.consider(job) for job in wanted)
        counts = Counter(job.status for job in wanted)
        parts = [f"{counts[s]} {WORDS[s]}" for s in TITLES if counts[s]]
        self.notify.emit(f"{len(wanted)} runs ended", ", ".join(parts), "", "")
        return 1

    def consider(self, job: Job) -> bool:
        """Notify about ``job`` if it ended while the window is inactive and the user wants it."""
        if self._window_active() or not self.wants(job.status):
            return False
        message = outcome_sentence(job)
        if job.profile:
            message += f" (profile {job.profile})"
        self.notify.emit(TITLES[job.status], message, job.id, job.status.value)
        return True
