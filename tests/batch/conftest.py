"""Shared fixtures of the batch tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from simdesk.sandbox.clock import RealClock
from simdesk.sandbox.server import RunningSandbox, SandboxConfig, start_sandbox


@pytest.fixture(scope="module")
def realtime_sandbox() -> Iterator[RunningSandbox]:
    """A sandbox of the module's own on the real clock (async runs queued for no time, echoed at
    once) and the enterprise plan, so a test's rows are paced by nothing but the work."""
    sb = start_sandbox(SandboxConfig(clock=RealClock(), pace=0.0, queue_delay_s=0.0, plan="enterprise"))
    yield sb
    sb.stop()
