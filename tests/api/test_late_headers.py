"""Streams whose first output is slow: Sim sends the response headers only with the first frame.

Real Sim v0.8.9 answered a stream of a workflow that waits 8 s after 8.7 s, headers and first
frame in one read (``tests/fixtures/sim-0.8.9/slow-stream-raw.bin.chunks.json``). Here the
sandbox's ``stall_before_first_byte_s`` knob holds the first frame back a fraction of a second
and the client's call deadline (``timeout``) is set shorter than that, so each test proves "the
first frame came after the call deadline" without waiting for the real 30 s.
"""

from __future__ import annotations

import asyncio
import json
import select
import socket
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from simdesk.api import APITimeoutError, Final, NoOutputError, SimClient, StreamEvent, keepalive, routes, user_message
from simdesk.core.budget import RequestBudget
from simdesk.sandbox import demo
from simdesk.sandbox.clock import RealClock
from simdesk.sandbox.server import RunningSandbox, SandboxConfig, start_sandbox
from tests.support.api import eventually, run

Connect = Callable[..., SimClient]
STORY: dict[str, Any] = {"selected_outputs": ["storyteller.content"]}
STALL_S = 0.6  # the first frame's delay
CALL_S = 0.2  # the client's call deadline: well under the delay


@pytest.fixture
def connect(connect: Connect) -> Connect:
    """Clients told the surface, with a call deadline shorter than the first frame's delay."""

    def make(sb: RunningSandbox, *args: Any, **kw: Any) -> SimClient:
        kw.setdefault("surface", "v2" if sb.config.v2 else "legacy")
        kw.setdefault("timeout", CALL_S)
        return connect(sb, *args, **kw)

    return make


async def collect(client: SimClient, workflow_id: str, inp: object = None, **kw: Any) -> list[StreamEvent]:
    return [event async for event in client.stream(workflow_id, inp, **kw)]


def runs_of(sb: RunningSandbox) -> int:
    return len(sb.state.runs_of(demo.STORY_ID))


@pytest.mark.parametrize("batched", [False, True], ids=["event by event", "in batches"])
def test_a_first_frame_later_than_the_call_deadline_is_waited_for(
    any_sandbox: RunningSandbox, connect: Connect, batched: bool
) -> None:
    any_sandbox.faults.update({"stall_before_first_byte_s": STALL_S})
    before = runs_of(any_sandbox)

    async def main() -> tuple[list[StreamEvent], float]:
        events: list[StreamEvent] = []
        async with connect(any_sandbox) as c, c.stream(demo.STORY_ID, {"words": 4}, **STORY) as stream:
            started = time.monotonic()
            if batched:
                async for batch in stream.batches():
                    events.extend(batch)
            else:
                events.extend([event async for event in stream])
            return events, time.monotonic() - started

    events, took = run(main())
    assert took >= STALL_S > 2 * CALL_S  # the answer really came after the call deadline
    assert isinstance(events[-1], Final) and len(events[-1].text.split()) == 4
    assert runs_of(any_sandbox) == before + 1  # one attempt: nothing was retried


def test_a_budgeted_client_waits_for_a_late_first_frame_too(sandbox: RunningSandbox, connect: Connect) -> None:
    """The app's clients go through a request budget, which holds the stream's tokens until its
    headers arrive: that wait must not fail the stream either."""
    sandbox.faults.update({"stall_before_first_byte_s": STALL_S})

    async def main() -> list[StreamEvent]:
        budget = RequestBudget()
        async with connect(sandbox, budget=budget) as c:
            events = [event async for event in c.stream(demo.STORY_ID, {"words": 3}, **STORY)]
            assert budget.snapshot().in_flight == 0  # settled once the headers came
            return events

    events = run(main())
    assert isinstance(events[-1], Final)


def test_the_run_deadline_ends_a_stream_that_gives_no_output(any_sandbox: RunningSandbox, connect: Connect) -> None:
    any_sandbox.faults.update({"stall_before_first_byte_s": 5 * STALL_S})
    before = runs_of(any_sandbox)

    async def main() -> None:
        async with connect(any_sandbox, run_timeout=STALL_S) as c:
            [event async for event in c.stream(demo.STORY_ID, {}, **STORY)]

    with pytest.raises(NoOutputError) as caught:
        run(main())
    error = caught.value
    assert isinstance(error, APITimeoutError) and error.request_sent
    assert "gave no output within the run deadline (0.6 s)" in error.message
    assert "gave no output within the run deadline" in user_message(error)
    assert error.run_id is not None and error.run_id in any_sandbox.state.runs
    assert runs_of(any_sandbox) == before + 1  # not retried: the run exists
    run_record = any_sandbox.state.runs[error.run_id]
    # the closed connection ends the run on the server, long before its first frame was due
    assert eventually(lambda: run_record.status(any_sandbox.clock.now())[0] != "running")


def _raw_stream_request(sb: RunningSandbox, inp: dict[str, Any]) -> socket.socket:
    """A streamed execute of the story, sent by hand on a plain socket (v2 or legacy route)."""
    url = urlsplit(sb.base_url)
    controls = routes.stream_controls(["storyteller.content"], False, False)
    if sb.config.v2:
        path, body = routes.v2_execute(demo.STORY_ID), routes.v2_body(inp, **controls)
    else:
        path, body = routes.legacy_execute(demo.STORY_ID), routes.legacy_body(inp, **controls)
    data = json.dumps(body).encode()
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {url.netloc}\r\nX-API-Key: {demo.DEMO_KEY}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\nConnection: close\r\n\r\n"
    )
    sock = socket.create_connection((url.hostname or "127.0.0.1", url.port or 80), timeout=10)
    sock.sendall(head.encode() + data)
    return sock


@pytest.fixture(scope="module")
def real_time_sandbox() -> Iterator[RunningSandbox]:
    """A sandbox on the real clock, where a run's own timeline delays its first frame."""
    sb = start_sandbox(SandboxConfig(clock=RealClock()))
    yield sb
    sb.stop()


def _assert_headers_come_with_the_first_frame(sb: RunningSandbox, inp: dict[str, Any]) -> None:
    started = time.monotonic()
    sock = _raw_stream_request(sb, inp)
    with sock:
        readable, _, _ = select.select([sock], [], [], STALL_S / 2)
        assert not readable, "the sandbox sent something before the first frame was ready"
        received = b""
        while b"data: " not in received:
            piece = sock.recv(65536)
            assert piece, f"the connection closed before the first frame: {received!r}"
            received += piece
    took = time.monotonic() - started
    assert received.startswith(b"HTTP/1.1 200 ")
    assert b"content-type: text/event-stream" in received.lower()
    assert took >= STALL_S


def test_the_sandbox_sends_no_headers_before_the_first_frame(any_sandbox: RunningSandbox) -> None:
    any_sandbox.faults.update({"stall_before_first_byte_s": STALL_S})
    _assert_headers_come_with_the_first_frame(any_sandbox, {"words": 2})


def test_a_thinking_agent_delays_the_headers_too(real_time_sandbox: RunningSandbox) -> None:
    """The Story Teller's ``think`` input: its first word comes that many seconds into the run."""
    _assert_headers_come_with_the_first_frame(real_time_sandbox, {"words": 2, "think": STALL_S})


def test_the_clients_sockets_have_tcp_keepalive(sandbox: RunningSandbox, connect: Connect) -> None:
    async def main() -> dict[int, int]:
        async with connect(sandbox) as c:
            http = c._session.http  # the one pool every call and stream goes through
            async with http.stream("GET", sandbox.base_url + "/api/health") as response:
                sock = response.extensions["network_stream"].get_extra_info("socket")
                return {name: sock.getsockopt(level, name) for level, name, _ in keepalive.keepalive_options()}

    options = run(main())
    assert options[socket.SO_KEEPALIVE] != 0
    if hasattr(socket, "TCP_KEEPIDLE"):
        assert options[socket.TCP_KEEPIDLE] == keepalive.IDLE_S
    if hasattr(socket, "TCP_KEEPINTVL") and hasattr(socket, "TCP_KEEPCNT"):
        # a dead peer is declared dead about a minute after the line went quiet
        found_in = keepalive.IDLE_S + options[socket.TCP_KEEPINTVL] * options[socket.TCP_KEEPCNT]
        assert 30 <= found_in <= 90


def test_a_stream_waiting_for_its_first_frame_does_not_hold_up_other_runs(
    sandbox: RunningSandbox, connect: Connect
) -> None:
    """The budget counts a request in flight until its answer, and lets only one request try a
    bucket it has not seen answered yet. A stream's answer may be minutes away, so it gives its
    place up after the call deadline (a refusal would have come by then): a background run
    queued meanwhile on the same execute bucket goes at once."""
    sandbox.faults.update({"stall_before_first_byte_s": 60.0})  # far longer than the test

    async def main() -> bool:
        budget = RequestBudget()
        sent = asyncio.Event()
        budget.subscribe(lambda: sent.set() if budget.snapshot().in_flight else None)
        async with connect(sandbox, budget=budget) as c:
            waiting = asyncio.ensure_future(collect(c, demo.STORY_ID, {}, **STORY))
            try:
                await sent.wait()  # the stream was admitted first: it is the bucket's probe
                async with asyncio.timeout(5):  # else it waits for the stream's first frame
                    receipt = await c.execute_async(demo.ECHO_ID, {"message": "hi"})
                return bool(receipt.run_id) and not waiting.done()
            finally:
                waiting.cancel()
                await asyncio.gather(waiting, return_exceptions=True)

    assert run(main())
