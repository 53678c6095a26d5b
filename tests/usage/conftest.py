"""Fixtures for the usage meter and request budget tests: virtual time, fake clocks, meters on sandboxes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from simdesk.api import SimClient
from simdesk.core.budget import RequestBudget
from simdesk.core.usage_history import UsageHistory
from simdesk.sandbox.buckets import PLANS
from simdesk.sandbox.server import RunningSandbox, SandboxConfig, start_sandbox
from simdesk.testing.clock import ManualClock
from simdesk.testing.virtual_time import VirtualTime
from tests.support.app_fixtures import app_paths, make_app, memory_keyring
from tests.support.usage import T0, FakeClock, Meter, header_state, refreshed, run_burst

# importable from here too, for branches that still do so
__all__ = ["T0", "FakeClock", "Meter", "header_state", "refreshed", "run_burst"]
__all__ += ["app_paths", "make_app", "memory_keyring"]  # the app-shell fixtures, for test_usage_install.py


@pytest.fixture
def fake_clock() -> FakeClock:
    """A settable clock for pure tests (calling it tells the time)."""
    return FakeClock()


@pytest.fixture
def vtime(fake_clock: FakeClock) -> VirtualTime:
    """Virtual sleeps on :func:`fake_clock`."""
    return VirtualTime(fake_clock, fake_clock.advance)


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
