"""Request budget: 500 async run submissions on the free plan, budgeted vs a naive retry-on-429 client.

Both clients submit the same burst of async runs of the sandbox's Echo workflow to one embedded
sandbox (v2 on, free plan). On the free plan every v2 execute draws on the request bucket
``workflows.execute`` (capacity 60, 30 per minute, refilled stepwise) and on the async
execution bucket (capacity 400, 200 per minute), so the request bucket sets the pace.

* simdesk: a :class:`~simdesk.api.SimClient` with a :class:`~simdesk.core.budget.RequestBudget`,
  after one ``usage-limits`` call (as the app does when a profile opens).
* naive: the same client without a budget; its retry policy honours ``Retry-After`` (with
  jitter, never shorter) and retries until the run is accepted.

How time is measured: in *virtual* time. The sandbox runs on a ``ManualClock``; every wait of
either client (the budget's refill timer, the naive client's ``Retry-After`` sleeps) is a
:class:`~simdesk.testing.virtual_time.VirtualTime` sleep, and the clock is moved to the earliest
wake-up only when no request is on the wire. Request handling itself takes no virtual time. A
run of 15 virtual minutes thus takes a few seconds. ``time_ratio_vs_minimum`` is the virtual
time from the first submission to the last accepted one, divided by the least time the bucket
allows: a full bucket of ``capacity`` at once, then ``per_minute`` at each refill, i.e.
``ceil((n - capacity) / per_minute) × 60 s`` (900 s for 500 on free).

Figures: ``rate_limited_responses`` (429s simdesk received, goal 0),
``naive_rate_limited_responses`` (429s the naive client received in the same run),
``time_ratio_vs_minimum`` (goal ≤ 1.1), plus the naive client's ratio and the virtual minutes.
"""

from __future__ import annotations

import asyncio
import math
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import httpx

from benchmarks import quick
from simdesk.api import SimClient
from simdesk.api.retry import RetryPolicy
from simdesk.core.budget import RequestBudget
from simdesk.sandbox import demo
from simdesk.sandbox.buckets import PLAN_RATES
from simdesk.sandbox.clock import ManualClock
from simdesk.sandbox.server import RunningSandbox, SandboxConfig, start_sandbox
from simdesk.testing.virtual_time import VirtualTime

SUBMISSIONS = 500
QUICK_SUBMISSIONS = 100


class CountingTransport(httpx.AsyncBaseTransport):
    """An httpx transport that counts answers by status and knows what is on the wire.

    A request counts as in flight from sending until its response body is closed, so a virtual
    clock is never moved while an answer is still being read.
    """

    def __init__(self) -> None:
        # A narrow pool: the naive burst queues hundreds of requests, which httpcore hands to
        # connections in O(queue × pool), and the in-process sandbox shares our GIL. 50 was the
        # fastest in real time; the pool never changes the virtual-time figures.
        self._inner = httpx.AsyncHTTPTransport(limits=httpx.Limits(max_connections=50))
        self.statuses: Counter[int] = Counter()
        self.in_flight = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.in_flight += 1
        try:
            response = await self._inner.handle_async_request(request)
        except BaseException:
            self.in_flight -= 1
            raise
        self.statuses[response.status_code] += 1
        response.stream = _Landing(response.stream, self._landed)  # type: ignore[arg-type]
        return response

    def _landed(self) -> None:
        self.in_flight -= 1

    async def aclose(self) -> None:
        await self._inner.aclose()


class _Landing(httpx.AsyncByteStream):
    """A response stream that reports once when it is closed."""

    def __init__(self, inner: httpx.AsyncByteStream, landed: Callable[[], None]) -> None:
        self._inner, self._landed, self._open = inner, landed, True

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._inner:
            yield chunk

    async def aclose(self) -> None:
        try:
            await self._inner.aclose()
        finally:
            if self._open:
                self._open = False
                self._landed()


@dataclass(frozen=True)
class BurstResult:
    """What one client's burst did."""

    accepted: int
    rate_limited: int
    requests: int
    first_at: float
    last_at: float

    @property
    def seconds(self) -> float:
        return self.last_at - self.first_at


def minimum_seconds(n: int, plan: str = "free") -> float:
    """The least virtual time the request bucket allows for ``n`` executes from a full bucket."""
    rate = PLAN_RATES[plan]["api-endpoint"]
    capacity = 2 * rate
    return 0.0 if n <= capacity else math.ceil((n - capacity) / rate) * 60.0


async def burst(
    sb: RunningSandbox, n: int, *, budgeted: bool, submit: Callable[[SimClient], Awaitable[object]] | None = None
) -> BurstResult:
    """Submit ``n`` async runs at once through one client and drive virtual time until all are in."""
    clock = sb.clock
    assert isinstance(clock, ManualClock)
    vt = VirtualTime(clock.now, clock.advance)
    transport = CountingTransport()
    budget = RequestBudget(clock=clock.now, sleep=vt.sleep) if budgeted else None
    policy = RetryPolicy(max_retries=100_000, max_wait=3600.0, sleep=vt.sleep)
    times: list[float] = []

    async def one(client: SimClient) -> None:
        if submit is not None:
            await submit(client)
        else:
            await client.execute_async(demo.ECHO_ID, {"message": "hi"})
        times.append(clock.now())

    async def driven(*coros: Awaitable[object]) -> None:
        tasks = [asyncio.ensure_future(c) for c in coros]
        await vt.drive(lambda: all(t.done() for t in tasks), quiet=lambda: transport.in_flight == 0)
        await asyncio.gather(*tasks)

    async with SimClient(sb.base_url, sb.api_key, retry=policy, transport=transport, budget=budget) as client:
        if budget is not None:
            await driven(client.get_usage_limits())  # what the app does when a profile opens
        transport.statuses.clear()
        start = clock.now()
        await driven(*(one(client) for _ in range(n)))
    return BurstResult(
        accepted=transport.statuses[202],
        rate_limited=transport.statuses[429],
        requests=sum(transport.statuses.values()),
        first_at=start,
        last_at=max(times),
    )


def run() -> dict[str, float]:
    """Both bursts on one sandbox, reset (every bucket full again) in between."""
    n = QUICK_SUBMISSIONS if quick() else SUBMISSIONS
    sb = start_sandbox(SandboxConfig(plan="free", clock=ManualClock()))
    try:
        sb.state.set_cost(0.0)
        ours = asyncio.run(burst(sb, n, budgeted=True))
        sb.reset()
        sb.state.set_cost(0.0)
        naive = asyncio.run(burst(sb, n, budgeted=False))
    finally:
        sb.stop()
    least = minimum_seconds(n)
    return {
        "rate_limited_responses": float(ours.rate_limited),
        "naive_rate_limited_responses": float(naive.rate_limited),
        "time_ratio_vs_minimum": ours.seconds / least if least else 1.0,
        "naive_time_ratio_vs_minimum": naive.seconds / least if least else 1.0,
        "virtual_minutes": ours.seconds / 60.0,
        "naive_requests": float(naive.requests),
    }


if __name__ == "__main__":
    for key, value in run().items():
        print(f"{key}: {value:g}")
