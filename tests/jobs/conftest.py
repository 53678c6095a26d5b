"""Fixtures for the job tracker tests: virtual time on the sandbox's clock, a store, a tracker."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from simdesk.api import SimClient
from simdesk.core.jobs.policy import PollPolicy
from simdesk.core.jobs.store import JobStore
from simdesk.core.scheduler import Hold, JobChange
from simdesk.core.virtual_time import VirtualTime
from simdesk.sandbox.server import RunningSandbox
from simdesk.services.jobs.tracker import JobTracker
from tests.jobs.support import CountingTransport, make_client

PROFILE = "demo"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[JobStore]:
    s = JobStore(tmp_path / "jobs.sqlite3")
    yield s
    s.close()


def _vtime(sb: RunningSandbox) -> VirtualTime:
    clock: Any = sb.clock
    return VirtualTime(clock.now, clock.advance)


@pytest.fixture
def vtime(sandbox: RunningSandbox) -> VirtualTime:
    """Virtual time on the shared sandbox's ManualClock: server and tracker share one timeline."""
    return _vtime(sandbox)


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


@pytest.fixture
def harness(sandbox: RunningSandbox, store: JobStore, vtime: VirtualTime, arun: Any) -> Iterator[Harness]:
    h = Harness(sandbox, store, vtime, policy=None)
    yield h
    arun(h.aclose())


@pytest.fixture
def make_harness(arun: Any, tmp_path: Path) -> Iterator[Callable[..., Harness]]:
    """Build harnesses on any sandbox (e.g. ``sandbox_no_v2``) or store; all closed at the end."""
    made: list[Harness] = []

    def make(sb: RunningSandbox, store: JobStore | None = None, policy: PollPolicy | None = None) -> Harness:
        h = Harness(sb, store or JobStore(tmp_path / f"jobs-{len(made)}.sqlite3"), _vtime(sb), policy=policy)
        made.append(h)
        return h

    yield make
    for h in made:
        arun(h.aclose())


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
        from tests.jobs.support import drive_for

        self.service.tracker.start_polling()
        arun(drive_for(self.vtime, seconds, [self.transport]), timeout=20_000)

    async def aclose(self) -> None:
        await self.service.aclose()
        await self.client.aclose()


@pytest.fixture
def settings(tmp_path: Path) -> Any:
    from simdesk.services.settings import Settings

    return Settings.at(tmp_path / "prefs.ini", tmp_path / "state.ini")


@pytest.fixture
def svc(sandbox: RunningSandbox, store: JobStore, vtime: VirtualTime, settings: Any, arun: Any) -> Iterator[ServiceRig]:
    r = ServiceRig(sandbox, store, vtime, settings)
    yield r
    arun(r.aclose())
