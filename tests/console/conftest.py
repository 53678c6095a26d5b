"""Fixtures for the console tests: clients on the Qt-driven loop, the run service, a paced sandbox.

The shared ``sandbox`` (manual clock: streams finish at once) and ``sandbox_no_v2`` come from
``tests/conftest.py``; ``paced_sandbox`` streams in real time for Stop tests. Retry waits are
made instant so a 429 storm or a dead server fails fast.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from simdesk.api import RetryPolicy, SimClient
from simdesk.app.workbench import Workbench, build_workbench
from simdesk.core.presets import PresetStore
from simdesk.core.run_history import RunHistory
from simdesk.sandbox.clock import RealClock
from simdesk.sandbox.server import RunningSandbox, SandboxConfig, start_sandbox
from simdesk.services.runs import RunService
from simdesk.services.settings import Settings


async def _no_wait(_seconds: float) -> None:
    await asyncio.sleep(0)


FAST = RetryPolicy(sleep=_no_wait, reconcile_polls=1)


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


@pytest.fixture
def make_bench(
    qtbot: Any, qloop: Any, tmp_path: Path, arun: Callable[..., Any], clients: Callable[..., SimClient]
) -> Iterator[Callable[..., Workbench]]:
    """``make_bench(sb)`` → the workflows panel and run console on profile "test", against ``sb``
    (or any base URL), with a data directory of their own (``data=`` to share one) and, with
    ``settings=``, the app's state file (else choices are kept in memory)."""
    made: list[Workbench] = []

    def make(
        sb: RunningSandbox | str,
        *,
        data: Path | None = None,
        refresh: bool = True,
        settings: Settings | None = None,
        default_workspace: str | None = None,
        refresh_timeout: int = 10_000,
        **kw: Any,
    ) -> Workbench:
        client = clients(sb, **kw)
        bench = build_workbench(data or tmp_path / f"data{len(made)}", settings)
        qtbot.addWidget(bench.panel)
        qtbot.addWidget(bench.console)

        async def get() -> SimClient:
            return client

        bench.runs.set_profile("test", get, lambda: "sk-sim-SECRETSECRETSECRET9876", base_url=client.base_url)
        if refresh:
            task = bench.catalogue.set_profile("test", get, default_workspace=default_workspace)
            if task is not None:
                arun(task, timeout=refresh_timeout)
        made.append(bench)
        return bench

    yield make
    for bench in made:
        arun(bench.aclose(), timeout=10_000)
