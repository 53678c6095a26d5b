"""The client against a hostile server over real loopback sockets: each answer here is one no Sim
sends, and each test fails without the guard it names (a cap, a loop guard, a typed error)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from simdesk.api import (
    ProtocolError,
    RateLimitError,
    RedirectError,
    RetryPolicy,
    SimClient,
    SimError,
    ValidationError,
    user_message,
)
from simdesk.api import pages as pages_module
from simdesk.api.retry import NO_RETRY
from simdesk.core.budget import RequestBudget
from simdesk.sandbox import demo
from simdesk.sandbox.hostile import (
    Connection,
    HostileServer,
    Request,
    deep_json,
    endless_line,
    gzip_bomb,
    reply,
)
from simdesk.sandbox.server import RunningSandbox
from tests.support.api import run

KEY = "sk-sim-HOSTILETESTKEY0123456789abcdef"
MiB = 1024 * 1024
GiB = 1024 * MiB


def outcome(server: HostileServer, call: Callable[[SimClient], Awaitable[Any]], **kw: Any) -> Any:
    """What ``call`` returns or raises against ``server`` (a v2 client without retries)."""
    kw.setdefault("retry", NO_RETRY)
    kw.setdefault("surface", "v2")

    async def main() -> Any:
        async with SimClient(server.base_url, KEY, **kw) as client:
            try:
                return await call(client)
            except SimError as exc:
                return exc

    return run(main())


async def drain(stream: Any) -> list[Any]:
    return [event async for event in stream]


# --- 1. a stream line that never ends -----------------------------------------------------


def test_an_endless_stream_line_ends_at_the_cap_not_at_the_end() -> None:
    with HostileServer(endless_line(400 * MiB)) as server:
        error = outcome(server, lambda c: drain(c.stream("wf", {})))
    assert isinstance(error, ProtocolError)
    assert "longer than 16,777,216 characters" in error.message
    assert error.run_id  # the run may exist: it can be looked up
    assert server.sent < 48 * MiB  # stopped at the 16 Mi cap (plus what sat in socket buffers)


def test_the_stream_line_cap_is_the_clients_to_set() -> None:
    with HostileServer(endless_line(64 * MiB)) as server:
        error = outcome(server, lambda c: drain(c.stream("wf", {})), max_stream_line=MiB)
    assert isinstance(error, ProtocolError) and "longer than 1,048,576 characters" in error.message
    assert server.sent < 24 * MiB


# --- 2. a compressed body that expands without end ----------------------------------------


@pytest.mark.parametrize(
    ("status", "call"),
    [
        (200, lambda c: c.get_workflow("wf")),  # a JSON route
        (500, lambda c: c.get_workflow("wf")),  # an error answer
        (200, lambda c: drain(c.stream("wf", {}))),  # a stream route answering JSON, not a stream
    ],
    ids=["json", "error", "stream-route"],
)
def test_a_gzip_bomb_is_refused_while_it_is_read(status: int, call: Callable[[SimClient], Awaitable[Any]]) -> None:
    with HostileServer(gzip_bomb(100 * GiB, status=status)) as server:  # ~100 MiB on the wire
        error = outcome(server, call)
    assert isinstance(error, ProtocolError)
    assert "larger than 64 MiB once decompressed" in error.message
    assert error.status == status
    # 64 MiB of zeros is ~64 KiB compressed: the client stopped long before the 100 MiB sent in all
    assert server.sent < 16 * MiB


def test_a_gzip_bombed_event_stream_hits_the_line_cap() -> None:
    with HostileServer(gzip_bomb(100 * GiB, content_type="text/event-stream")) as server:
        error = outcome(server, lambda c: drain(c.stream("wf", {})))
    assert isinstance(error, ProtocolError) and "longer than" in error.message
    assert server.sent < 16 * MiB


def test_a_body_under_the_cap_still_reads_whole() -> None:
    """The cap counts decompressed bytes honestly: 1 MiB of gzip-ed zeros under a 2 MiB cap is
    read (as malformed JSON), one over a 512 KiB cap is refused."""
    with HostileServer(gzip_bomb(MiB)) as server:
        under = outcome(server, lambda c: c.get_workflow("wf"), max_body=2 * MiB)
        over = outcome(server, lambda c: c.get_workflow("wf"), max_body=512 * 1024)
    assert isinstance(under, ProtocolError) and "malformed JSON" in under.message
    assert isinstance(over, ProtocolError) and "larger than 524288 bytes" in over.message


# --- 3. JSON nested hundreds of thousands deep --------------------------------------------


@pytest.mark.parametrize(("status", "body"), [(200, deep_json(300_000)), (400, deep_json(300_000))])
def test_deeply_nested_json_is_a_protocol_error(status: int, body: str) -> None:
    with HostileServer(reply(status, body)) as server:
        error = outcome(server, lambda c: c.get_workflow("wf"))
    assert isinstance(error, ProtocolError) and error.status == status


def test_a_deeply_nested_stream_frame_is_skipped_like_any_unreadable_frame() -> None:
    frame = '{"blockId":"a","chunk":' + deep_json(300_000) + "}"
    stream = f'data: {frame}\n\ndata: {{"event":"final","data":{{"success":true,"output":{{}}}}}}\n\n'
    with HostileServer(reply(200, stream, [("content-type", "text/event-stream")])) as server:
        events = outcome(server, lambda c: drain(c.stream("wf", {})))
    assert not isinstance(events, BaseException)
    assert [type(e).__name__ for e in events] == ["Final"]


def test_a_stream_whose_last_frame_is_too_deep_ends_with_a_protocol_error() -> None:
    stream = f'data: {{"event":"final","data":{deep_json(300_000)}}}\n\n'
    with HostileServer(reply(200, stream, [("content-type", "text/event-stream")])) as server:
        error = outcome(server, lambda c: drain(c.stream("wf", {})))
    assert isinstance(error, ProtocolError) and error.run_id


# --- 4. an absurd Retry-After ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("retry_after", "longest"),
    [("1000000000000", 120.0), ("Fri, 01 Jan 2100 00:00:00 GMT", 120.0), ("-5", 0.0), ("soon", None)],
)
def test_an_absurd_retry_after_pauses_the_profile_for_at_most_the_longest_wait(
    sandbox: RunningSandbox, retry_after: str, longest: float | None
) -> None:
    budget = RequestBudget(clock=sandbox.clock.now)
    sandbox.faults.update({"storm_429": 1, "retry_after": retry_after})

    async def main() -> Any:
        policy = RetryPolicy(max_retries=0, max_wait=120.0)
        async with SimClient(sandbox.base_url, demo.DEMO_KEY, budget=budget, retry=policy) as client:
            try:
                return await client.list_workspaces()
            except SimError as exc:
                return exc

    error = run(main())
    assert isinstance(error, RateLimitError)
    snap = budget.snapshot()
    if longest is None:
        assert snap.paused_until is None  # no readable wait: no pause
    elif longest == 0.0:
        assert not snap.paused
    else:
        assert snap.paused and snap.paused_until == pytest.approx(sandbox.clock.now() + longest)
    assert len(user_message(error)) < 120  # "Try again in a while", not in 10^12 seconds


# --- 5. pages without end -------------------------------------------------------------------


def _pages(cursor_of: Callable[[int], str], items: int = 0) -> Callable[[Request, Connection], Awaitable[None]]:
    count = 0

    async def answer(request: Request, conn: Connection) -> None:
        nonlocal count
        count += 1
        body = json.dumps(
            {
                "data": [{"id": f"w{count}-{i}", "runId": f"r{count}-{i}"} for i in range(items)],
                "nextCursor": cursor_of(count),
            }
        )
        await reply(200, body)(request, conn)

    return answer


def test_a_new_cursor_on_every_empty_page_ends_the_walk() -> None:
    with HostileServer(_pages(lambda n: f"c{n}")) as server:
        error = outcome(server, lambda c: c.list_workspaces())
    assert isinstance(error, ProtocolError) and "/api/v2/workspaces" in error.message
    assert len(server.requests) == pages_module.MAX_EMPTY_PAGES + 1  # the first, then 50 empty


def test_the_same_cursor_again_ends_the_walk() -> None:
    with HostileServer(_pages(lambda n: "again", items=1)) as server:
        error = outcome(server, lambda c: drain(c.list_logs("ws")))
    assert isinstance(error, ProtocolError) and "/api/v2/logs" in error.message
    assert len(server.requests) == 2


def test_a_list_that_never_ends_stops_at_the_page_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pages_module, "MAX_PAGES", 25)
    with HostileServer(_pages(lambda n: f"c{n}", items=2)) as server:
        error = outcome(server, lambda c: drain(c.list_workflows("ws")))
    assert isinstance(error, ProtocolError) and "/api/v2/workflows" in error.message
    assert len(server.requests) == 25


# --- 6. huge error texts --------------------------------------------------------------------


def test_a_megabyte_error_text_is_cut_for_people_and_kept_whole_in_the_error() -> None:
    text = "The proxy says: " + "blah " * 200_000
    body = json.dumps({"error": {"code": "BAD_REQUEST", "message": text}})
    with HostileServer(reply(400, body)) as server:
        error = outcome(server, lambda c: c.get_workflow("wf"))
    assert isinstance(error, ValidationError) and error.message == text  # what the log gets
    shown = user_message(error)
    assert len(shown) <= 300 and shown.endswith("…") and shown.startswith("Sim rejected the request: The proxy")


# --- 7. the key stays home, and nothing hangs ------------------------------------------------


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_a_redirect_to_another_host_is_not_followed_with_the_key(status: int) -> None:
    with HostileServer(reply(200, '{"data": []}'), host="127.0.0.2") as elsewhere:
        target = elsewhere.base_url + "/api/v2/workspaces"
        with HostileServer(reply(status, "", [("location", target)])) as server:
            error = outcome(server, lambda c: c.list_workspaces())
    assert isinstance(error, RedirectError) and error.location == target
    assert server.requests[0].headers["x-api-key"] == KEY
    assert elsewhere.requests == []  # never asked, so never handed the key


def test_absolute_urls_in_answers_are_never_followed() -> None:
    """A 202's ``statusUrl`` pointing at another host: the receipt and every later poll use the
    profile's base URL."""
    with HostileServer(reply(200, "{}"), host="127.0.0.2") as elsewhere:
        evil = elsewhere.base_url + "/api/v2/workflows/wf/runs/r1"

        async def answer(request: Request, conn: Connection) -> None:
            if request.method == "POST":
                data = {"runId": request.headers["x-run-id"], "statusUrl": evil, "queuePosition": 1}
                await reply(202, json.dumps({"data": data}))(request, conn)
            else:
                run: dict[str, Any] = {"runId": "r1", "workflowId": "wf", "status": "completed", "output": {}}
                await reply(200, json.dumps({"data": run}), [("location", evil)])(request, conn)

        with HostileServer(answer) as server:

            async def call(client: SimClient) -> Any:
                receipt = await client.execute_async("wf", {})
                return receipt, await client.get_run("wf", receipt.run_id)

            receipt, got = outcome(server, call)
    assert receipt.status_url.startswith(server.base_url)
    assert got.status == "completed"
    assert [r.method for r in server.requests] == ["POST", "GET"]
    assert elsewhere.requests == []


def test_a_body_trickled_forever_ends_at_the_deadline() -> None:
    async def trickle(request: Request, conn: Connection) -> None:
        await conn.head(200, [("content-type", "application/json"), ("content-length", "100000000")])
        while True:  # one byte at a time, never reaching the promised length
            await conn.send(b" ")
            await asyncio.sleep(0.05)

    with HostileServer(trickle) as server:
        start = time.monotonic()
        error = outcome(server, lambda c: c.get_workflow("wf"), timeout=0.5)
        took = time.monotonic() - start
    assert type(error).__name__ == "APITimeoutError"
    assert took < 3.0
