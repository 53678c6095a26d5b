"""A scripted stand-in for Sim behind ``httpx.MockTransport``, for unit tests of the client.

Routes are matched on ``(method, path)``; each route answers from a list of responses (the last
one repeats) or from a function; any other request gets v2's 404 "Run not found". Every request
is kept, so tests can count attempts and read headers and bodies.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx

from simdesk.api import RetryPolicy, SimClient
from tests.support.api import FakeClock, policy

KEY = "sk-sim-SECRETKEY0123456789abcdefghijklmn"
BASE = "https://sim.test"

Answer = httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]


def v2_error(
    status: int, code: str, message: str, details: Any = None, headers: dict[str, str] | None = None
) -> httpx.Response:
    error: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        error["details"] = details
    return httpx.Response(status, json={"error": error}, headers={"x-request-id": "req-1", **(headers or {})})


def legacy_error(status: int, error: str, headers: dict[str, str] | None = None, **extra: Any) -> httpx.Response:
    return httpx.Response(status, json={"error": error, **extra}, headers={"x-request-id": "req-1", **(headers or {})})


def data(value: Any, status: int = 200, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, json={"data": value}, headers={"x-request-id": "req-ok", **(headers or {})})


def run_data(run_id: str = "r1", status: str = "completed", output: Any = None) -> dict[str, Any]:
    return {"runId": run_id, "workflowId": "wf", "status": status, "output": output, "error": None}


class MockSim:
    """Routes, answers and the requests received."""

    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], list[Answer]] = {}
        self.requests: list[httpx.Request] = []

    def on(self, method: str, path: str, *answers: Answer) -> MockSim:
        self.routes[(method, path)] = list(answers)
        return self

    def hits(self, method: str, path: str) -> list[httpx.Request]:
        return [r for r in self.requests if r.method == method and r.url.path == path]

    def bodies(self, method: str, path: str) -> list[Any]:
        return [json.loads(r.content) for r in self.hits(method, path)]

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answers = self.routes.get((request.method, request.url.path))
        if not answers:
            return v2_error(404, "NOT_FOUND", "Run not found")
        answer = answers.pop(0) if len(answers) > 1 else answers[0]
        if isinstance(answer, Exception):
            raise answer
        if callable(answer) and not isinstance(answer, httpx.Response):
            return answer(request)
        return answer

    def client(self, clock: FakeClock | None = None, *, retry: RetryPolicy | None = None, **kw: Any) -> SimClient:
        kw.setdefault("surface", "v2")
        return SimClient(
            BASE,
            kw.pop("api_key", KEY),
            transport=httpx.MockTransport(self.handle),
            retry=retry or policy(clock or FakeClock()),
            **kw,
        )
