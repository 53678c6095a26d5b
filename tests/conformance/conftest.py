"""Fixtures for the conformance tests: sandboxes and an ``httpx.Client`` that checks every response.

:class:`ConformanceClient` has a response event hook that, for every response a test sees,
builds an :class:`~tests.conformance.openapi.Exchange` and runs the OpenAPI validator (which
consults ``differences.KNOWN_DIFFERENCES``) and the CONTRACT.md header rules on it; an
``text/event-stream`` body is fed, as it arrives, to a :class:`~tests.conformance.contract.SseChecker`
holding every frame to §6. Any violation raises ``AssertionError`` out of the call that got the
response, so the test fails right there.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from simdesk.sandbox import demo
from simdesk.sandbox.clock import ManualClock
from simdesk.sandbox.server import RunningSandbox, SandboxConfig, start_sandbox
from tests.conformance.contract import SseChecker, check_headers
from tests.conformance.openapi import Exchange, OpenAPIValidator

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


# --- fixtures ----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def openapi() -> OpenAPIValidator:
    return OpenAPIValidator()


def _sandbox(**overrides: Any) -> RunningSandbox:
    settings: dict[str, Any] = {"v2": True, "plan": "free", "clock": ManualClock(), "pace": 1.0, **overrides}
    return start_sandbox(SandboxConfig(**settings))


@pytest.fixture(scope="session")
def _conformance_sandbox() -> Iterator[RunningSandbox]:
    sb = _sandbox()
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


SandboxFactory = Callable[..., RunningSandbox]


@pytest.fixture
def make_sandbox() -> Iterator[SandboxFactory]:
    """``make_sandbox(**config_overrides)``: a sandbox of the test's own, stopped afterwards."""
    started: list[RunningSandbox] = []

    def make(**overrides: Any) -> RunningSandbox:
        started.append(_sandbox(**overrides))
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
    sb = _sandbox(v2=False)
    yield sb
    sb.stop()


@pytest.fixture
def gated_sb(_gated_sandbox: RunningSandbox) -> Iterator[RunningSandbox]:
    """A sandbox started like ``simdesk sandbox --no-v2``."""
    yield _gated_sandbox
    _gated_sandbox.faults.clear()
    _gated_sandbox.state.buckets.reset()


ClientFactory = Callable[..., ConformanceClient]


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
