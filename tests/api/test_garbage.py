"""Whatever the server answers with, only a result or a :class:`SimError` comes out: any JSON
through a mock transport, and any status, headers and bytes from a real loopback server."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simdesk.api import SimClient, SimError
from simdesk.api.retry import NO_RETRY
from simdesk.core.runs import Surface
from simdesk.sandbox.hostile import Answer, Connection, HostileServer, Request
from tests.support.api import run

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
# bodies shaped a little like Sim's, so parsing gets past the envelope checks
sim_like = st.one_of(
    json_values,
    st.builds(lambda d: {"data": d}, json_values),
    st.builds(lambda d: {"data": d, "nextCursor": None}, json_values),
    st.builds(lambda e: {"error": e}, json_values),
    st.builds(lambda d: {"success": True, **d} if isinstance(d, dict) else d, json_values),
)

Call = Callable[[SimClient], Awaitable[Any]]


async def _drain(iterator: Any) -> list[Any]:
    return [item async for item in iterator]


CALLS: dict[str, Call] = {
    "execute": lambda c: c.execute("wf", {}),
    "execute_async": lambda c: c.execute_async("wf", {}),
    "get_run": lambda c: c.get_run("wf", "r1", include_output=True),
    "cancel_run": lambda c: c.cancel_run("wf", "r1"),
    "resume_run": lambda c: c.resume_run("wf", "r1", "ctx", {}),
    "get_job": lambda c: c.get_job("j1"),
    "list_workspaces": lambda c: c.list_workspaces(),
    "list_workflows": lambda c: _drain(c.list_workflows("ws")),
    "list_runs": lambda c: _drain(c.list_runs("wf")),
    "list_logs": lambda c: _drain(c.list_logs("ws")),
    "get_log": lambda c: c.get_log("r1"),
    "get_workflow": lambda c: c.get_workflow("wf"),
    "get_deployment": lambda c: c.get_deployment("wf"),
    "get_workflow_status": lambda c: c.get_workflow_status("wf"),
    "get_usage_limits": lambda c: c.get_usage_limits(),
    "get_billing_status": lambda c: c.get_billing_status(),
    "health": lambda c: c.health(),
    "check_connection": lambda c: c.check_connection(),
    "stream": lambda c: _drain(c.stream("wf", {})),
}


@settings(max_examples=300, deadline=None)
@given(
    call=st.sampled_from(sorted(CALLS)),
    status=st.sampled_from([200, 201, 202, 400, 404, 409, 429, 500, 503]),
    body=sim_like,
    surface=st.sampled_from(["v2", "legacy"]),
)
def test_nothing_but_results_and_sim_errors_come_out(call: str, status: int, body: Any, surface: Surface) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, json=body, headers={"retry-after": "1"})

    async def main() -> None:
        async with SimClient(
            "https://sim.test", "k", transport=httpx.MockTransport(handler), retry=NO_RETRY, surface=surface
        ) as client:
            try:
                await CALLS[call](client)
            except SimError:
                pass

    run(main())


@pytest.mark.parametrize(
    ("call", "body"),
    [
        ("get_workflow", {"data": {"id": "wf", "inputs": 5}}),
        ("get_workflow", {"data": {"id": "wf", "inputs": [1, "x", {"name": "q", "type": 3}]}}),
        ("check_connection", {"data": 7, "status": "ok"}),
        ("list_workflows", {"data": {"id": "wf"}, "nextCursor": None}),
        ("get_run", {"data": {"runId": 5}}),
    ],
)
def test_odd_shapes_inside_the_envelope(call: str, body: Any) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=body)

    async def main() -> Any:
        async with SimClient("https://sim.test", "k", transport=httpx.MockTransport(handler), retry=NO_RETRY) as client:
            try:
                return await CALLS[call](client)
            except SimError as exc:
                return exc

    outcome = run(main())
    assert outcome is not None


# --- the same over a real socket, with garbage below the JSON too ----------------------------

header_text = st.text(st.characters(min_codepoint=32, max_codepoint=255, exclude_characters="\x7f"), max_size=40)
garbage_headers = st.lists(
    st.one_of(
        st.sampled_from(
            [
                ("content-encoding", "gzip"),
                ("content-encoding", "deflate"),
                ("content-encoding", "br"),
                ("content-type", "text/event-stream"),
                ("content-type", "application/json; charset=utf-16"),
                ("transfer-encoding", "chunked"),
            ]
        ),
        st.tuples(
            st.sampled_from(
                ["content-length", "retry-after", "x-ratelimit-remaining", "x-ratelimit-reset", "location"]
            ),
            header_text,
        ),
    ),
    max_size=4,
)
garbage_bodies = st.one_of(
    st.binary(max_size=3000),
    st.builds(lambda v: json.dumps(v).encode(), sim_like),
    st.builds(lambda t: ("data: " + t + "\n\n").encode("utf-8", "replace"), st.text(max_size=300)),
    st.builds(lambda n: ("[" * n + "]" * n).encode(), st.integers(1, 200_000)),
)


@pytest.fixture(scope="module")
def garbage_server() -> Iterator[tuple[HostileServer, list[Answer]]]:
    script: list[Answer] = []

    async def answer(request: Request, conn: Connection) -> None:
        await script[-1](request, conn)

    with HostileServer(answer) as server:
        yield server, script


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    call=st.sampled_from(sorted(CALLS)),
    status=st.sampled_from([200, 201, 202, 204, 301, 302, 400, 401, 404, 409, 413, 429, 500, 502, 503, 599]),
    headers=garbage_headers,
    body=garbage_bodies,
    surface=st.sampled_from(["v2", "legacy"]),
)
def test_garbage_from_a_real_server_gives_results_or_sim_errors(
    garbage_server: tuple[HostileServer, list[Answer]],
    call: str,
    status: int,
    headers: list[tuple[str, str]],
    body: bytes,
    surface: Surface,
) -> None:
    server, script = garbage_server

    async def raw(request: Request, conn: Connection) -> None:
        await conn.head(status, headers)  # no content-length of ours: the body ends with the connection
        await conn.send(body)

    script.append(raw)

    async def main() -> None:
        async with SimClient(server.base_url, "k", timeout=5.0, retry=NO_RETRY, surface=surface) as client:
            try:
                # the outer bound is far past the client's deadline: reaching it is a hang
                await asyncio.wait_for(CALLS[call](client), 30)
            except SimError:
                pass

    run(main())
