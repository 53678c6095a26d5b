"""Which ended runs deserve a system notification, and what it says.

A notification is sent when a background run completes, fails, pauses for input (or, if the
user wants, is cancelled) *while the window is not the active one*: someone looking at the app
does not need a pop-up (PRODUCT §3 "Notifications / tray"). Each outcome can be switched off in
the settings. The tray (:mod:`simdesk.ui.tray`) shows what this decides; clicking it opens the job.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Signal

from simdesk.core.jobs import Job, JobStatus
from simdesk.core.jobs_format import outcome_sentence
from simdesk.services.jobs import JobService
from simdesk.services.jobs_settings import NOTIFY_BY_STATUS
from simdesk.services.settings import Settings

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
        jobs.job_ended.connect(self.consider)

    def wants(self, status: JobStatus) -> bool:
        """Whether the user wants to hear about this outcome."""
        opt = NOTIFY_BY_STATUS.get(status)
        return opt is not None and self._settings.get(opt)

    def consider(self, job: Job) -> bool:
        """Notify about ``job`` if it ended while the window is inactive and the user wants it."""
        if self._window_active() or not self.wants(job.status):
            return False
        message = outcome_sentence(job)
        if job.profile:
            message += f" (profile {job.profile})"
        self.notify.emit(TITLES[job.status], message, job.id, job.status.value)
        return True
