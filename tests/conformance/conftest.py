"""Fixtures for the conformance tests: sandboxes and an ``httpx.Client`` that checks every response
(:class:`tests.support.conformance.ConformanceClient`)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from simdesk.sandbox import demo
from simdesk.sandbox.server import RunningSandbox
from tests.conformance.openapi import OpenAPIValidator
from tests.support.conformance import ClientFactory, ConformanceClient, SandboxFactory, conformance_sandbox

__all__ = ["ClientFactory", "ConformanceClient", "SandboxFactory"]  # importable here too, for other branches

# --- fixtures ----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def openapi() -> OpenAPIValidator:
    return OpenAPIValidator()


@pytest.fixture(scope="session")
def _conformance_sandbox() -> Iterator[RunningSandbox]:
    sb = conformance_sandbox()
    yield sb
    sb.stop()


@pytest.fixture
def sb(_conformance_sandbox: RunningSandbox) -> Iterator[RunningSandbox]:
    """The conformance tests' own sandbox (v2 on, free plan, manual clock), reset after each test.

    Buckets are forgotten and fault knobs cleared after every test, so one test's 429s never
    reach the next. Tests that spend the usage limit use :func:`fresh_sb` instead.
    """
    yield _conformance_sandbox
    _conformance_sandbox.faults.clear()
    _conformance_sandbox.state.buckets.reset()


@pytest.fixture
def make_sandbox() -> Iterator[SandboxFactory]:
    """``make_sandbox(**config_overrides)``: a sandbox of the test's own, stopped afterwards."""
    started: list[RunningSandbox] = []

    def make(**overrides: Any) -> RunningSandbox:
        started.append(conformance_sandbox(**overrides))
        return started[-1]

    yield make
    for sandbox in started:
        sandbox.stop()


@pytest.fixture
def fresh_sb(make_sandbox: SandboxFactory) -> RunningSandbox:
    """A sandbox of its own for a test that changes state others rely on (usage spent …)."""
    return make_sandbox()


@pytest.fixture(scope="session")
def _gated_sandbox() -> Iterator[RunningSandbox]:
    sb = conformance_sandbox(v2=False)
    yield sb
    sb.stop()


@pytest.fixture
def gated_sb(_gated_sandbox: RunningSandbox) -> Iterator[RunningSandbox]:
    """A sandbox started like ``simdesk sandbox --no-v2``."""
    yield _gated_sandbox
    _gated_sandbox.faults.clear()
    _gated_sandbox.state.buckets.reset()


@pytest.fixture
def make_client(openapi: OpenAPIValidator) -> Iterator[ClientFactory]:
    """``make_client(sb, key=demo.DEMO_KEY, **httpx_kwargs)``; ``key=None`` sends no key."""
    clients: list[ConformanceClient] = []

    def make(sandbox: RunningSandbox, key: str | None = demo.DEMO_KEY, **kwargs: Any) -> ConformanceClient:
        headers = dict(kwargs.pop("headers", {}))
        if key is not None:
            headers["X-API-Key"] = key
        client = ConformanceClient(openapi, base_url=sandbox.base_url, headers=headers, **kwargs)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def client(make_client: ClientFactory, sb: RunningSandbox) -> ConformanceClient:
    """A checked client on :func:`sb` with the personal demo key."""
    return make_client(sb)
