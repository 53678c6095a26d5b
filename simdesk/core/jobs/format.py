"""Words and numbers for the jobs panel: durations, "how long ago", clock times, cost.

Pure functions of their arguments (``now`` is passed in), so the table and its tests agree on
every string without a running clock.
"""

from __future__ import annotations

import math
import time

from simdesk.core.jobs.model import Job, JobStatus
from simdesk.core.meter import money


def missing_profile(profile: str) -> str:
    """What a job whose profile no longer exists says about itself."""
    return f"Profile “{profile}” no longer exists"


def duration(seconds: float | None) -> str:
    """ "42 s", "3 min 05 s", "2 h 04 min"; "" when unknown."""
    if seconds is None:
        return ""
    whole = max(0, math.floor(seconds))
    if whole < 60:
        return f"{whole} s"
    minutes, secs = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes:02d} min"
    return f"{hours // 24} d {hours % 24} h"


def ago(moment: float | None, now: float) -> str:
    """ "just now", "12 s ago", "3 min ago", "2 h ago"; "never" when unknown."""
    if moment is None:
        return "never"
    seconds = max(0.0, now - moment)
    if seconds < 2:
        return "just now"
    if seconds < 60:
        return f"{math.floor(seconds)} s ago"
    if seconds < 3600:
        return f"{math.floor(seconds / 60)} min ago"
    if seconds < 172_800:
        return f"{math.floor(seconds / 3600)} h ago"
    return f"{math.floor(seconds / 86_400)} d ago"


def clock_time(moment: float | None, now: float) -> str:
    """Local "14:05:09" for today, "Aug 21 14:05" otherwise; "" when unknown."""
    if moment is None:
        return ""
    local, today = time.localtime(moment), time.localtime(now)
    if (local.tm_year, local.tm_yday) == (today.tm_year, today.tm_yday):
        return time.strftime("%H:%M:%S", local)
    return time.strftime("%b %d %H:%M", local)


def cost(value: float | None) -> str:
    """A run's cost as every other cost in the app is shown (:func:`simdesk.core.meter.money`)."""
    return "" if value is None else money(value)


def outcome_sentence(job: Job) -> str:
    """One line for a notification or tooltip: what happened to the run."""
    match job.status:
        case JobStatus.COMPLETED:
            text = "finished"
        case JobStatus.FAILED:
            text = "failed" + (f": {job.error}" if job.error else "")
        case JobStatus.PAUSED:
            text = "is waiting for input (paused)"
        case JobStatus.CANCELLED:
            text = "was cancelled"
        case JobStatus.UNKNOWN:
            text = "is no longer known to Sim"
        case _:
            text = job.status.value
    return f"{job.display_name} {text}"
