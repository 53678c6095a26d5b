"""The request budget through a real SimClient against the sandbox, in virtual time."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from benchmarks.budget import CountingTransport, burst, minimum_seconds
from simdesk.api import SimClient
from simdesk.api.retry import RetryPolicy
from simdesk.core.budget import Priority, RequestBudget, working_at
from simdesk.core.rates import ASYNC_EXECUTIONS
from simdesk.sandbox import demo
from simdesk.sandbox.server import RunningSandbox
from simdesk.testing.virtual_time import VirtualTime

Arun = Callable[..., Any]


async def in_background(client: SimClient) -> None:
    with working_at(Priority.BACKGROUND):
        await client.execute_async(demo.ECHO_ID, {"message": "queued"})


def test_200_queued_background_runs_finish_without_a_429(sandbox: RunningSandbox, arun: Arun) -> None:
    sandbox.state.set_cost(0.0)
    result = arun(burst(sandbox, 200, budgeted=True, submit=in_background), timeout=30_000)
    assert result.accepted == 200
    assert result.rate_limited == 0
    assert result.requests == 200
    # background work leaves 20 % of the burst to the user, so it needs one refill more at most
    assert result.seconds <= minimum_seconds(200) + 60 + 1


def test_a_retry_after_pauses_the_whole_profile(sandbox: RunningSandbox, arun: Arun) -> None:
    sandbox.faults.update({"storm_429": 1, "path_filter": "/execute"})  # a 429 with Retry-After: 30
    start, before = sandbox.clock.now(), set(sandbox.state.runs)
    result = arun(burst(sandbox, 10, budgeted=True), timeout=10_000)
    assert result.rate_limited == 1 and result.accepted == 10
    created = [run.created_at for rid, run in sandbox.state.runs.items() if rid not in before]
    assert len(created) == 10
    assert min(created) >= start + 30  # nobody went while the profile was paused


@pytest.mark.parametrize(
    ("fault", "reason", "seconds"), [("storm_429", "rate limited", 30), ("unavailable_503", "server busy", 5)]
)
def test_pause_reasons(sandbox: RunningSandbox, arun: Arun, fault: str, reason: str, seconds: float) -> None:
    budget = RequestBudget(clock=sandbox.clock.now)

    async def call() -> Any:
        policy = RetryPolicy(max_retries=0)
        async with SimClient(sandbox.base_url, sandbox.api_key, budget=budget, retry=policy) as client:
            sandbox.faults.update({fault: 1})
            try:
                await client.list_workspaces()
            except Exception as exc:  # the refusal itself is what we came for
                return exc
        return None

    assert arun(call()) is not None
    snap = budget.snapshot()
    assert snap.pause_reason == reason
    assert snap.paused_until == pytest.approx(sandbox.clock.now() + seconds)


def test_usage_limits_pace_a_surface_without_headers(sandbox_no_v2: RunningSandbox, arun: Arun) -> None:
    """Legacy execute sends no X-RateLimit-*; the execution bucket from usage-limits paces it."""
    sb = sandbox_no_v2
    sb.state.set_cost(0.0)
    clock: Any = sb.clock
    vt = VirtualTime(clock.now, clock.advance)
    transport = CountingTransport()
    budget = RequestBudget(clock=clock.now, sleep=vt.sleep)
    policy = RetryPolicy(max_retries=100, sleep=vt.sleep)

    async def scenario() -> float:
        import asyncio

        async with SimClient(sb.base_url, sb.api_key, transport=transport, budget=budget, retry=policy) as client:
            await client.get_usage_limits()
            assert budget.snapshot().buckets[ASYNC_EXECUTIONS].capacity == 400
            start = clock.now()
            tasks = [asyncio.ensure_future(client.execute_async(demo.ECHO_ID, {"n": i})) for i in range(430)]
            await vt.drive(lambda: all(t.done() for t in tasks), quiet=lambda: transport.in_flight == 0)
            await asyncio.gather(*tasks)
            return float(clock.now() - start)

    took = arun(scenario(), timeout=30_000)
    assert transport.statuses[429] == 0
    assert transport.statuses[202] == 430
    assert 60 <= took <= 61  # 400 at once, the last 30 at the first refill
