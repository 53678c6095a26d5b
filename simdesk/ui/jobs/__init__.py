"""The jobs panel and its parts: badges, the progress cell, the result view, adopting a run by id,
resuming a paused one.

``JobsPanel`` is re-exported (it was ``simdesk.ui.jobs_panel.JobsPanel``); new code imports
:mod:`simdesk.ui.jobs.panel`.
"""

from simdesk.ui.jobs.panel import JobsPanel

__all__ = ["JobsPanel"]
