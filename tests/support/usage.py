"""Helpers for the usage meter and request budget tests: a settable clock, bucket states as the
client builds them, and a meter on a sandbox."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from simdesk.api import SimClient
from simdesk.core.budget import RequestBudget
from simdesk.core.rates import RateLimitState
from simdesk.core.usage_history import UsageHistory
from simdesk.sandbox.server import RunningSandbox
from simdesk.testing.clock import T0, ManualClock

FakeClock = ManualClock  # the usage tests' name: a settable clock that tells the time when called

__all__ = ["T0", "FakeClock", "Meter", "header_state", "refreshed", "run_burst"]


def header_state(
    bucket: str, limit: int, remaining: int, reset_at: float, observed_at: float, **extra: object
) -> RateLimitState:
    """A bucket state as the client builds it from ``X-RateLimit-*``."""
    return RateLimitState(
        bucket=bucket,
        limit=limit,
        remaining=remaining,
        reset_at=datetime.fromtimestamp(reset_at, tz=UTC),
        observed_at=observed_at,
        **extra,  # type: ignore[arg-type]
    )


# --- the meter against a sandbox ---------------------------------------------------------------


@dataclass
class Meter:
    """A budgeted client, the usage service and (when asked) the panel, on one sandbox."""

    sandbox: RunningSandbox
    client: SimClient
    budget: RequestBudget
    service: Any  # UsageService
    history: UsageHistory


def refreshed(qtbot: Any, meter: Meter) -> None:
    """Refresh ``usage-limits`` now and wait for it to land."""
    with qtbot.waitSignal(meter.service.refreshing, check_params_cb=lambda busy: not busy, timeout=5000):
        meter.service.refresh()


async def run_burst(client: SimClient, sync: int, async_: int) -> None:
    """``sync`` sync runs one after another, then ``async_`` async runs at once (Echo workflow)."""
    from simdesk.sandbox import demo

    for i in range(sync):
        await client.execute(demo.ECHO_ID, {"message": f"s{i}"})
    await asyncio.gather(*(client.execute_async(demo.ECHO_ID, {"message": f"a{i}"}) for i in range(async_)))
