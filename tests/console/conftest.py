"""Fixtures for the console tests: clients on the Qt-driven loop, the run service, a paced sandbox.

The shared ``sandbox`` (manual clock: streams finish at once) and ``sandbox_no_v2`` come from
``tests/conftest.py``; ``paced_sandbox`` streams in real time for Stop tests. Retry waits are
made instant so a 429 storm or a dead server fails fast.
"""

from __future__ import annotations

import asyncio
import socket
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from simdesk.api import RetryPolicy, SimClient
from simdesk.core.presets import PresetStore
from simdesk.core.run_history import RunHistory
from simdesk.sandbox.clock import RealClock
from simdesk.sandbox.server import RunningSandbox, SandboxConfig, start_sandbox
from simdesk.services.runs import RunService


async def _no_wait(_seconds: float) -> None:
    await asyncio.sleep(0)


FAST = RetryPolicy(sleep=_no_wait, reconcile_polls=1)


@pytest.fixture(autouse=True)
def _asyncgen_hooks(request: pytest.FixtureRequest) -> Iterator[None]:
    """As asyncio's own ``run_forever`` does (qasync's does not): an async generator dropped half
    way (httpx-sse's line iterators) is closed on the loop, not by the garbage collector."""
    if "qloop" not in request.fixturenames:
        yield
        return
    loop = request.getfixturevalue("qloop")
    previous = sys.get_asyncgen_hooks()
    sys.set_asyncgen_hooks(firstiter=loop._asyncgen_firstiter_hook, finalizer=loop._asyncgen_finalizer_hook)
    try:
        yield
    finally:
        sys.set_asyncgen_hooks(*previous)


@pytest.fixture(scope="session")
def paced_sandbox() -> Iterator[RunningSandbox]:
    """A sandbox on the real clock: a story streams for seconds, so it can be stopped midway."""
    sb = start_sandbox(SandboxConfig(clock=RealClock(), pace=1.0))
    yield sb
    sb.stop()


@pytest.fixture
def clients(arun: Callable[..., Any]) -> Iterator[Callable[..., SimClient]]:
    """``clients(sb)`` → a client for a sandbox (instant retries), closed after the test."""
    made: list[SimClient] = []

    def make(sb: RunningSandbox | str, key: str | None = None, **kw: Any) -> SimClient:
        kw.setdefault("retry", FAST)
        url = sb if isinstance(sb, str) else sb.base_url
        client = SimClient(url, key if key is not None or isinstance(sb, str) else sb.api_key, **kw)
        made.append(client)
        return client

    yield make
    for client in made:
        arun(client.aclose())


@pytest.fixture
def history(tmp_path: Path) -> Iterator[RunHistory]:
    h = RunHistory(tmp_path / "history.sqlite3")
    yield h
    h.close()


@pytest.fixture
def presets(tmp_path: Path) -> PresetStore:
    return PresetStore(tmp_path / "presets.json")


@pytest.fixture
def make_service(
    qtbot: Any, qloop: Any, history: RunHistory, presets: PresetStore, arun: Callable[..., Any]
) -> Iterator[Callable[..., RunService]]:
    """``make_service(client)`` → a RunService running as profile "test" with that client."""
    made: list[RunService] = []

    def make(client: SimClient, **kw: Any) -> RunService:
        service = RunService(history, presets, poll_s=0.05, **kw)

        async def get() -> SimClient:
            return client

        service.set_profile("test", get, lambda: "sk-sim-TESTKEYTESTKEYTESTKEY1234")
        made.append(service)
        return service

    yield make
    for service in made:
        arun(service.aclose())


@pytest.fixture
def dead_url() -> str:
    """An address where nothing listens."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"
