"""The run console's service (:mod:`~simdesk.services.runs.service`) and its parts: the
paint-batching pump, history reads, outline learning, snippets and exports, outcome wording."""

from simdesk.services.runs.outcomes import job_outcome
from simdesk.services.runs.service import ClientGetter, JobHandoff, RunHeader, RunProgress, RunService

__all__ = ["ClientGetter", "JobHandoff", "RunHeader", "RunProgress", "RunService", "job_outcome"]
