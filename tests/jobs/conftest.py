"""Fixtures for the job tracker tests: virtual time on the sandbox's clock, a store, a tracker."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from simdesk.core.jobs.policy import PollPolicy
from simdesk.core.jobs.store import JobStore
from simdesk.sandbox.server import RunningSandbox
from simdesk.testing.virtual_time import VirtualTime
from tests.support.jobs import PROFILE, Harness, ServiceRig, vtime_on

__all__ = ["PROFILE", "Harness", "ServiceRig"]  # importable from here too, for branches still doing so


@pytest.fixture
def store(tmp_path: Path) -> Iterator[JobStore]:
    s = JobStore(tmp_path / "jobs.sqlite3")
    yield s
    s.close()


@pytest.fixture
def vtime(sandbox: RunningSandbox) -> VirtualTime:
    """Virtual time on the shared sandbox's ManualClock: server and tracker share one timeline."""
    return vtime_on(sandbox)


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
        h = Harness(sb, store or JobStore(tmp_path / f"jobs-{len(made)}.sqlite3"), vtime_on(sb), policy=policy)
        made.append(h)
        return h

    yield make
    for h in made:
        arun(h.aclose())


@pytest.fixture
def settings(tmp_path: Path) -> Any:
    from simdesk.services.settings import Settings

    return Settings.at(tmp_path / "prefs.ini", tmp_path / "state.ini")


@pytest.fixture
def svc(sandbox: RunningSandbox, store: JobStore, vtime: VirtualTime, settings: Any, arun: Any) -> Iterator[ServiceRig]:
    r = ServiceRig(sandbox, store, vtime, settings)
    yield r
    arun(r.aclose())
