"""The run console's service and its parts."""

from simdesk.services.runs.service import ClientGetter, JobHandoff, RunHeader, RunProgress, RunService, job_outcome

__all__ = ["ClientGetter", "JobHandoff", "RunHeader", "RunProgress", "RunService", "job_outcome"]
