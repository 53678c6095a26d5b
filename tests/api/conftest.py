"""Fixtures for the client tests: a fake clock for retry waits, clients for either surface.

The embedded sandboxes come from the suite's ``tests/conftest.py`` (``sandbox`` with v2 on,
``sandbox_no_v2`` with it off; both reset after every test). Tests drive coroutines with
:func:`tests.support.api.run` (``asyncio.run`` in a thread: no pytest-asyncio, no Qt loop).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from simdesk.api import SimClient
from simdesk.sandbox import demo
from simdesk.sandbox.server import RunningSandbox
from tests.support.api import FakeClock, policy


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(params=["v2", "legacy"])
def any_sandbox(request: pytest.FixtureRequest) -> Iterator[RunningSandbox]:
    """Each test using this runs twice: against a v2 sandbox and a legacy-only one."""
    sb: RunningSandbox = request.getfixturevalue("sandbox" if request.param == "v2" else "sandbox_no_v2")
    yield sb
    sb.reset()


@pytest.fixture
def connect(clock: FakeClock) -> Callable[..., SimClient]:
    """``connect(sb)`` → a client for the sandbox with the demo key and the fake-clock policy."""

    def make(sb: RunningSandbox, api_key: str | None = demo.DEMO_KEY, **kw: Any) -> SimClient:
        kw.setdefault("retry", policy(clock))
        return SimClient(sb.base_url, api_key, **kw)

    return make
