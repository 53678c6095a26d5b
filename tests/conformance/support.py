"""Small helpers shared by the conformance tests."""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable
from typing import Any

import httpx

from simdesk.sandbox.clock import ManualClock, parse_iso
from simdesk.sandbox.server import RunningSandbox

ISO_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
USAGE_MESSAGE = "Usage limit exceeded. Please upgrade your plan to continue."
RATE_MESSAGE = "Rate limit exceeded. Please try again later."
CONCURRENCY_PREFIX = "Too many concurrent executions are in progress for this billing account."
CAPACITY_MESSAGE = "Server is at capacity. Please retry shortly."


def v2_error(response: httpx.Response) -> tuple[str, str, Any]:
    """(code, message, details) of a v2 error envelope."""
    error = response.json()["error"]
    return error["code"], error["message"], error.get("details")


def legacy_error(response: httpx.Response) -> str:
    error = response.json()["error"]
    assert isinstance(error, str), f"legacy error is not a string: {error!r}"
    return error


def data(response: httpx.Response) -> Any:
    return response.json()["data"]


def execute_v2(client: httpx.Client, workflow_id: str, body: dict[str, Any] | None = None, **kw: Any) -> httpx.Response:
    return client.post(f"/api/v2/workflows/{workflow_id}/execute", json={} if body is None else body, **kw)


def execute_legacy(
    client: httpx.Client, workflow_id: str, body: dict[str, Any] | None = None, **kw: Any
) -> httpx.Response:
    return client.post(f"/api/workflows/{workflow_id}/execute", json={} if body is None else body, **kw)


def rate_headers(response: httpx.Response) -> tuple[int, int, str]:
    h = response.headers
    return int(h["x-ratelimit-limit"]), int(h["x-ratelimit-remaining"]), h["x-ratelimit-reset"]


def seconds_until(iso_text: str, now: float) -> int:
    return max(1, math.ceil(parse_iso(iso_text) - now))


def poll_until(fetch: Callable[[], Any], done: Callable[[Any], bool], timeout_s: float = 5.0) -> Any:
    """Call ``fetch`` until ``done(result)``; for the few tests on a real clock.

    No sleeping: each call is an HTTP round trip to the sandbox, which paces the loop.
    """
    deadline = time.monotonic() + timeout_s
    result = fetch()
    while not done(result):
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not reached within {timeout_s}s; last: {result!r}")
        result = fetch()
    return result


def advance(sb: RunningSandbox, seconds: float) -> None:
    """Move a manual-clock sandbox's time forward."""
    clock = sb.clock
    assert isinstance(clock, ManualClock), "this test needs a sandbox on a ManualClock"
    clock.advance(seconds)
