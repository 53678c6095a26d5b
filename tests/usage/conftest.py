"""Fixtures for the usage meter and request budget tests: virtual time, fake clocks, meters on sandboxes."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from simdesk.api import SimClient
from simdesk.core.budget import RequestBudget
from simdesk.core.rates import RateLimitState
from simdesk.core.usage_history import UsageHistory
from simdesk.core.virtual_time import VirtualTime
from simdesk.sandbox.buckets import PLANS
from simdesk.sandbox.clock import ManualClock
from simdesk.sandbox.server import RunningSandbox, SandboxConfig, start_sandbox
from tests.app import conftest as shell_fixtures

# The shell's fixtures for composing the whole app (tests/usage/test_usage_install.py), as they are.
# (The plain-thread-pool default executor now lives in the shared tests/conftest.py loop.)
app_paths = shell_fixtures.app_paths
make_app = shell_fixtures.make_app
memory_keyring = shell_fixtures.memory_keyring

T0 = 1_787_316_000.0  # 2026-08-21T10:00:00Z, the sandbox ManualClock's default start


class FakeClock:
    """A settable clock for pure tests."""

    def __init__(self, start: float = T0) -> None:
        self.t = start

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> float:
        self.t += seconds
        return self.t


@pytest.fixture
def fake_clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def vtime(fake_clock: FakeClock) -> VirtualTime:
    """Virtual sleeps on :func:`fake_clock`."""
    return VirtualTime(fake_clock, fake_clock.advance)


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


@pytest.fixture(scope="module", params=PLANS)
def plan_sandbox(request: pytest.FixtureRequest) -> Iterator[RunningSandbox]:
    """A sandbox per plan (v2 on, manual clock)."""
    sb = start_sandbox(SandboxConfig(plan=request.param, clock=ManualClock()))
    yield sb
    sb.stop()


@pytest.fixture(scope="module")
def self_hosted() -> Iterator[RunningSandbox]:
    """A self-hosted style server: v2 off (no X-RateLimit-* at all) and billing off (999 999)."""
    sb = start_sandbox(SandboxConfig(clock=ManualClock(), v2=False, billing=False))
    yield sb
    sb.stop()


@pytest.fixture(scope="module")
def billing_off() -> Iterator[RunningSandbox]:
    """A self-hosted Sim with billing off as real Sim v0.8.9 reports it: a spend limit of 99 999
    and 200 000 credits (tests/fixtures/sim-0.8.9/usage-limits.body), the plan's rate limits kept."""
    sb = start_sandbox(SandboxConfig(clock=ManualClock(), self_hosted=True))
    yield sb
    sb.stop()


@dataclass
class Meter:
    """A budgeted client, the usage service and (when asked) the panel, on one sandbox."""

    sandbox: RunningSandbox
    client: SimClient
    budget: RequestBudget
    service: Any  # UsageService
    history: UsageHistory


@pytest.fixture
def make_meter(qtbot: Any, arun: Callable[..., Any]) -> Iterator[Callable[..., Meter]]:
    """``make_meter(sandbox)``: a meter whose clock is the sandbox's, closed after the test."""
    from simdesk.services.usage import UsageService

    made: list[Meter] = []

    def make(sb: RunningSandbox, *, history: UsageHistory | None = None, attach: bool = True) -> Meter:
        clock = sb.clock.now
        budget = RequestBudget(clock=clock)
        client = SimClient(sb.base_url, sb.api_key, budget=budget)
        store = history or UsageHistory(":memory:", clock=clock)
        service = UsageService(store, clock=clock, tick_ms=20)
        meter = Meter(sb, client, budget, service, store)
        made.append(meter)
        if attach:
            with qtbot.waitSignal(service.refreshing, check_params_cb=lambda busy: not busy, timeout=5000):
                service.attach("Demo", client)
        return meter

    yield make

    async def close() -> None:
        for meter in made:
            await meter.service.aclose()
            await meter.client.aclose()

    arun(close())
    for meter in made:
        meter.service.deleteLater()
        meter.history.close()  # the service never owns its history; an unclosed sqlite db warns on 3.13


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
