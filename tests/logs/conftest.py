"""Fixtures for the logs explorer: a sandbox with 10 000 seeded log entries, clients, a service.

The seeded sandbox runs on a manual clock (the seeded runs lie in the two weeks before it) and is
shared by the module's tests; the shared ``sandbox`` of ``tests/conftest.py`` has none.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from simdesk.api import SimClient
from simdesk.core.logs_cache import LogsCache
from simdesk.sandbox import demo
from simdesk.sandbox.clock import ManualClock
from simdesk.sandbox.server import RunningSandbox, SandboxConfig, start_sandbox
from simdesk.services.logs import LogsService
from tests.app.conftest import app_paths, make_app, memory_keyring  # noqa: F401 - the composed app's fixtures
from tests.console.conftest import clients  # noqa: F401 - clients on the Qt loop, closed after the test

SEEDED = 10_000
NAMES = {w.id: w.name for w in demo.WORKFLOWS if w.workspace_id == demo.WS_DEMO}


@pytest.fixture(scope="session")
def seeded() -> Iterator[RunningSandbox]:
    """A sandbox whose Demo workspace holds 10 000 runs of every trigger kind."""
    sb = start_sandbox(SandboxConfig(clock=ManualClock(), seeded_logs=SEEDED))
    yield sb
    sb.stop()


@pytest.fixture
def cache() -> Iterator[LogsCache]:
    store = LogsCache(":memory:")
    yield store
    store.close()


@pytest.fixture
def make_logs(
    arun: Callable[..., Any],
    cache: LogsCache,
    clients: Callable[..., SimClient],  # noqa: F811 - the fixture imported above
) -> Iterator[Callable[..., LogsService]]:
    """``make_logs(sb, key=None, **kw)`` → a :class:`LogsService` on that sandbox, closed after."""
    made: list[LogsService] = []

    def make(sb: RunningSandbox, key: str | None = None, **kw: Any) -> LogsService:
        client = clients(sb, key)

        async def get() -> SimClient:
            return client

        kw.setdefault("cache", cache)
        service = LogsService(**kw)
        service.set_profile("Demo", get)
        made.append(service)
        return service

    yield make
    for service in made:
        arun(service.aclose())
