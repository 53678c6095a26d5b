"""Background runs ("jobs") without Qt: the job value (``model``), its store, the polling
policy and source, and how jobs are written for people (the clock is :mod:`simdesk.core.clock`).

The job types are re-exported here, as they were importable from ``simdesk.core.jobs`` before the
package existed (new code imports :mod:`simdesk.core.jobs.model`).
"""

from simdesk.core.jobs.model import Job, JobError, JobStatus, Origin, PauseContext, job_status, observe, progress_hint

__all__ = ["Job", "JobError", "JobStatus", "Origin", "PauseContext", "job_status", "observe", "progress_hint"]
