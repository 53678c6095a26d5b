"""The jobs table's Qt models: the table over job values and the proxy that sorts and filters it.

Re-exported for the imports of ``simdesk.models.jobs`` and ``simdesk.models.jobs_filter`` from
before this package; new code imports the submodules.
"""

from simdesk.models.jobs.filters import JobFilterProxy, JobFilters
from simdesk.models.jobs.table import Column, JobTableModel

__all__ = ["Column", "JobFilterProxy", "JobFilters", "JobTableModel"]
