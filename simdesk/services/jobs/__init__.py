"""The job tracker's services: the service the panel talks to, the tracker that follows runs,
the scheduler's source over the HTTP client, and the tracker's settings.

``JobService`` and ``latest`` are re-exported (they were ``simdesk.services.jobs`` before this
package); new code imports :mod:`simdesk.services.jobs.service`.
"""

from simdesk.services.jobs.service import JobService, latest

__all__ = ["JobService", "latest"]
