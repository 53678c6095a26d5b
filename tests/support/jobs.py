"""Helpers shared by the job tracker tests and ``benchmarks/jobs.py``.

* :class:`CountingTransport` counts what really went over the wire (requests, statuses, routes)
  and how many requests are in flight, which is what tells virtual time it may move.
* :func:`make_client` builds a client for the sandbox whose budget and retries run on virtual time.
* :func:`drive_for` runs the tracker's polling loop for a span of virtual time.
* :class:`Harness` (a tracker) and :class:`ServiceRig` (a job service) on a sandbox, in virtual
  time on the sandbox's clock (:func:`vtime_on`).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import httpx

from simdesk.api import RetryPolicy, SimClient
from simdesk.core.budget import RequestBudget
from simdesk.core.jobs.policy import PollPolicy
from simdesk.core.jobs.store import JobStore
from simdesk.core.scheduler import Hold, JobChange
from simdesk.sandbox.server import RunningSandbox
from simdesk.services.jobs.tracker import JobTracker
from simdesk.testing.virtual_time import VirtualTime


class CountingTransport(httpx.AsyncHTTPTransport):
    """An httpx transport that counts requests and reads each body before handing it back."""

    def __init__(self) -> None:
        super().__init__()
        self.inflight = 0
        self.sent = 0
        self.statuses: Counter[int] = Counter()
        self.routes: Counter[str] = Counter()
        self.log: list[tuple[float, str, int]] = []
        self.now: Any = None  # a clock to stamp the log with, when set

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.inflight += 1
        self.sent += 1
        try:
            response = await super().handle_async_request(request)
            await response.aread()
            self.statuses[response.status_code] += 1
            route = route_kind(request.method, request.url.path)
            self.routes[route] += 1
            self.log.append((self.now() if self.now else 0.0, route, response.status_code))
            return response
        finally:
            self.inflight -= 1

    @property
    def rate_limited(self) -> int:
        return self.statuses[429]


def route_kind(method: str, path: str) -> str:
    """A short name for the route of a request ("runs.get", "logs.list", "legacy.execution" …)."""
    parts = path.strip("/").split("/")
    if path.startswith("/api/v2/logs"):
        return "logs.list" if len(parts) == 3 else "logs.get"
    if path.startswith("/api/v2/workflows") and "runs" in parts:
        tail = parts[parts.index("runs") + 1 :]
        if not tail:
            return "runs.list"
        return f"runs.{tail[1]}" if len(tail) > 1 else "runs.get"
    if path.startswith("/api/v2/workflows") and parts[-1] == "execute":
        return "v2.execute"
    if path.startswith("/api/jobs/"):
        return "legacy.job"
    if "/executions/" in path:
        return "legacy.cancel" if parts[-1] == "cancel" else "legacy.execution"
    if parts[-1] == "execute":
        return "legacy.execute"
    return f"{method} {path}"


# Loop turns with nothing on the wire before virtual time moves: enough for a woken scheduler to
# get from its sleep to its next request (wait → tick → budget → send takes a dozen or so turns).
SETTLE_TURNS = 60


def make_client(
    base_url: str, api_key: str, vtime: VirtualTime, transport: CountingTransport, *, budget: bool = True
) -> SimClient:
    """A sandbox client on virtual time: retries sleep virtually, the budget waits virtually."""
    policy = RetryPolicy(max_retries=0, reconcile_polls=1, sleep=vtime.sleep, random=lambda: 0.0)
    extra: dict[str, Any] = {}
    if budget:
        extra["budget"] = RequestBudget(clock=vtime.now, sleep=vtime.sleep)
    return SimClient(base_url, api_key, retry=policy, transport=transport, **extra)


async def drive_for(vtime: VirtualTime, seconds: float, transports: list[CountingTransport]) -> None:
    """Let ``seconds`` of virtual time pass while the loop's tasks do their work."""
    end = vtime.now() + seconds

    async def alarm() -> None:
        await vtime.sleep(seconds)

    task = asyncio.ensure_future(alarm())
    try:
        await vtime.drive(
            lambda: task.done() or vtime.now() >= end,
            lambda: all(t.inflight == 0 for t in transports),
            settle=SETTLE_TURNS,
        )
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


PROFILE = "demo"


def vtime_on(sb: RunningSandbox) -> VirtualTime:
    """Virtual time on the sandbox's ManualClock: server and tracker share one timeline."""
    clock: Any = sb.clock
    return VirtualTime(clock.now, clock.advance)


class Harness:
    """A tracker on the sandbox, with what the tests look at: wire counts and reported changes."""

    def __init__(self, sb: RunningSandbox, store: JobStore, vtime: VirtualTime, *, policy: PollPolicy | None) -> None:
        self.sb = sb
        self.vtime = vtime
        self.transport = CountingTransport()
        self.transport.now = vtime.now
        self.client: SimClient = make_client(sb.base_url, sb.api_key, vtime, self.transport)
        self.changes: list[JobChange] = []
        self.holds: list[tuple[str, Hold | None]] = []

        async def client_for(profile: str) -> SimClient:
            return self.client

        self.tracker = JobTracker(
            store,
            client_for,
            clock=vtime,
            policy=policy,
            on_changes=self.changes.extend,
            on_hold=lambda p, h: self.holds.append((p, h)),
        )

    @property
    def scheduler(self) -> Any:
        return self.tracker.scheduler

    async def aclose(self) -> None:
        await self.tracker.aclose()
        await self.client.aclose()


class ServiceRig:
    """A :class:`JobService` on the sandbox in virtual time, with its settings."""

    def __init__(self, sb: RunningSandbox, store: JobStore, vtime: VirtualTime, settings: Any) -> None:
        from simdesk.services.jobs.service import JobService

        self.sb = sb
        self.vtime = vtime
        self.settings = settings
        self.transport = CountingTransport()
        self.transport.now = vtime.now
        self.client: SimClient = make_client(sb.base_url, sb.api_key, vtime, self.transport)

        async def client_for(profile: str) -> SimClient:
            return self.client

        self.service = JobService(store, client_for, clock=vtime)

    def drive(self, arun: Any, seconds: float) -> None:
        self.service.tracker.start_polling()
        arun(drive_for(self.vtime, seconds, [self.transport]), timeout=20_000)

    async def aclose(self) -> None:
        await self.service.aclose()
        await self.client.aclose()
