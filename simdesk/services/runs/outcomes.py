"""How a run's end reads in the console: the status line, an error in words, and the outcome of
a run the job tracker followed."""

from __future__ import annotations

from simdesk.api.errors import SimError
from simdesk.api.messages import user_message
from simdesk.core.jobs.model import Job, JobStatus
from simdesk.core.transcript import Outcome

_JOB_OUTCOMES = {
    JobStatus.COMPLETED: "completed",
    JobStatus.FAILED: "failed",
    JobStatus.CANCELLED: "cancelled",
    JobStatus.PAUSED: "paused",
}


def job_outcome(job: Job) -> Outcome:
    """How a run the job tracker followed ended, as the console and the history say it."""
    duration = (job.ended_at - job.started_at) * 1000 if job.ended_at and job.started_at else None
    return Outcome(
        _JOB_OUTCOMES.get(job.status, "interrupted"), output=job.output, error=job.error, error_code=job.error_code,
        run_id=job.run_id, duration_ms=duration, cost=job.cost, note=job.note or "Followed to its end in Jobs.",
    )  # fmt: skip


def status_line(outcome: Outcome | None) -> str:
    """The timing strip's status once a run has ended."""
    if outcome is None:
        return "Ready"
    words = {
        "completed": "Completed",
        "failed": "Failed",
        "paused": "Paused (waiting for a human or a timer)",
        "cancelled": "Cancelled",
        "interrupted": "Interrupted",
        "background": "Running in background",
    }
    return words.get(outcome.status, outcome.status.capitalize())


def words(exc: BaseException) -> str:
    """An error as the user reads it."""
    return user_message(exc) if isinstance(exc, SimError) else str(exc) or type(exc).__name__
