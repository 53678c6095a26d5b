"""Time for the sandbox: the clocks it runs on, and Sim's timestamps.

Everything in the sandbox that depends on time (bucket refills, async run timelines, stream
pacing, sync time caps) asks a :class:`~simdesk.core.clock.Clock`: the real one by default, or
:class:`~simdesk.testing.clock.ManualClock`, which tests move by hand. Both are named here as
the sandbox's choices of clock.
"""

from __future__ import annotations

from datetime import UTC, datetime

from simdesk.core.clock import Clock, SystemClock
from simdesk.testing.clock import ManualClock

RealClock = SystemClock  # the sandbox's name for the wall clock (its default)

__all__ = ["Clock", "ManualClock", "RealClock", "iso", "parse_iso"]


def iso(ts: float) -> str:
    """ISO 8601 UTC with milliseconds and ``Z``, as Sim writes timestamps."""
    dt = datetime.fromtimestamp(ts, tz=UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def parse_iso(text: str) -> float:
    """Inverse of :func:`iso`; accepts any ISO 8601 string with ``Z`` or an offset."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
