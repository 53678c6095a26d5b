"""Helpers shared by the conformance tests: a client that checks every response, sandboxes, and
small readers of Sim's answers.

:class:`ConformanceClient` has a response event hook that, for every response a test sees,
builds an :class:`~tests.conformance.openapi.Exchange` and runs the OpenAPI validator (which
consults ``differences.KNOWN_DIFFERENCES``) and the header rules on it; an ``text/event-stream``
body is fed, as it arrives, to a :class:`~tests.conformance.contract.SseChecker` holding every
frame to the stream's rules. Any violation raises ``AssertionError`` out of the call that got the
response, so the test fails right there.
"""

from __future__ import annotations

import contextlib
import json
import math
import re
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx

from simdesk.sandbox.clock import parse_iso
from simdesk.sandbox.server import RunningSandbox, SandboxConfig, start_sandbox
from simdesk.testing.clock import ManualClock
from tests.conformance.contract import SseChecker, check_headers
from tests.conformance.openapi import Exchange, OpenAPIValidator

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


JSON_TYPES = ("application/json",)


class _CheckedStream(httpx.SyncByteStream):
    """Passes a response body through while an :class:`SseChecker` reads along."""

    def __init__(self, inner: Any, checker: SseChecker) -> None:
        self._inner = inner
        self._checker = checker

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._inner:
            self._checker.feed(chunk)
            yield chunk
        self._checker.finish()

    def close(self) -> None:
        self._inner.close()


class ConformanceClient(httpx.Client):
    """An ``httpx.Client`` whose every response is validated (see the module docstring)."""

    def __init__(self, validator: OpenAPIValidator, **kwargs: Any) -> None:
        kwargs.setdefault("timeout", 30.0)
        kwargs.setdefault("follow_redirects", False)
        super().__init__(event_hooks={"response": [self._check]}, **kwargs)
        self.validator = validator
        self.exchanges: list[Exchange] = []
        self.violations: list[str] = []
        self._streams: dict[int, SseChecker] = {}
        self._allow: frozenset[str] = frozenset()

    @contextlib.contextmanager
    def allow(self, *difference_ids: str) -> Iterator[None]:
        """Declare opt-in known differences (e.g. ``legacy-response-block``) for the calls inside."""
        previous = self._allow
        self._allow = previous | set(difference_ids)
        try:
            yield
        finally:
            self._allow = previous

    def sse(self, response: httpx.Response) -> SseChecker:
        """The checker that read (or is reading) this SSE response."""
        return self._streams[id(response)]

    def _check(self, response: httpx.Response) -> None:
        request = response.request
        media = response.headers.get("content-type", "").split(";")[0].strip().lower()
        try:
            request_body = _json_or_none(request.content)
        except httpx.RequestNotRead:
            request_body = None
        body = None
        if media == "text/event-stream":
            checker = SseChecker.for_request(request.headers, request_body)
            self._streams[id(response)] = checker
            response.stream = _CheckedStream(response.stream, checker)
        else:
            response.read()
            if media in JSON_TYPES:
                try:
                    body = response.json()
                except ValueError:
                    self._raise(
                        response, [f"{request.method} {request.url.path}: body is not JSON: {response.text[:200]!r}"]
                    )
        exchange = Exchange(
            method=request.method,
            path=request.url.path,
            status=response.status_code,
            headers=response.headers,
            body=body,
            request_headers=request.headers,
            request_body=request_body,
            allow=self._allow,
        )
        self.exchanges.append(exchange)
        problems = self.validator.validate(exchange) if media in (*JSON_TYPES, "text/event-stream") else []
        problems += [
            f"{request.method} {request.url.path} → {response.status_code}: {p}" for p in check_headers(exchange)
        ]
        if problems:
            self._raise(response, problems)

    def _raise(self, response: httpx.Response, problems: list[str]) -> None:
        self.violations += problems
        response.close()
        raise AssertionError("response does not conform:\n  " + "\n  ".join(problems))


def _json_or_none(content: bytes) -> Any:
    try:
        return json.loads(content) if content else None
    except (ValueError, UnicodeDecodeError):
        return None


ClientFactory = Callable[..., ConformanceClient]
SandboxFactory = Callable[..., RunningSandbox]


def conformance_sandbox(**overrides: Any) -> RunningSandbox:
    """A sandbox as the conformance tests start one (v2 on, free plan, manual clock), with ``overrides``."""
    settings: dict[str, Any] = {"v2": True, "plan": "free", "clock": ManualClock(), "pace": 1.0, **overrides}
    return start_sandbox(SandboxConfig(**settings))
