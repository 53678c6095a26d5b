"""The usage meter: the panel (bucket bars, the spend chart) and the status-bar summary.

``UsageMeterPanel`` and ``UsageStatusLabel`` are re-exported (they were in ``simdesk.ui.usage_meter``
and ``simdesk.ui.usage_meter_status``); new code imports the submodules.
"""

from simdesk.ui.usage_meter.panel import UsageMeterPanel
from simdesk.ui.usage_meter.status import UsageStatusLabel

__all__ = ["UsageMeterPanel", "UsageStatusLabel"]
