"""Every fault knob of the sandbox, and what the client makes of it (real sockets, loopback).

Knobs measured in real seconds (latency, stalls, gaps) are kept to fractions of a second; the
client's own retry waits go to a fake clock, so nothing here sleeps on purpose.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from simdesk.api import (
    APITimeoutError,
    AsyncReceipt,
    Chunk,
    Final,
    ProtocolError,
    RateLimitError,
    RedirectError,
    RunStatus,
    SimClient,
    StreamError,
    StreamEvent,
    user_message,
)
from simdesk.api.retry import NO_RETRY
from simdesk.sandbox import demo
from simdesk.sandbox.server import RunningSandbox
from tests.support.api import FakeClock, run

Connect = Callable[..., SimClient]
STORY: dict[str, Any] = {"selected_outputs": ["storyteller.content"]}


@pytest.fixture
def connect(connect: Connect) -> Connect:
    """Clients here are told the surface, so a counted fault hits the route under test and not
    the first request's v2 detection (detection has its own tests)."""

    def make(sb: RunningSandbox, *args: Any, **kw: Any) -> SimClient:
        kw.setdefault("surface", "v2" if sb.config.v2 else "legacy")
        return connect(sb, *args, **kw)

    return make


def runs_of(sb: RunningSandbox, workflow_id: str) -> int:
    return len(sb.state.runs_of(workflow_id))


async def collect(client: SimClient, workflow_id: str, inp: object = None, **kw: Any) -> list[StreamEvent]:
    return [event async for event in client.stream(workflow_id, inp, **kw)]


def reference_story(sb: RunningSandbox, connect: Connect) -> list[StreamEvent]:
    async def main() -> list[StreamEvent]:
        async with connect(sb) as c:
            return await collect(c, demo.STORY_ID, {"topic": "fog 🌫️ at 14°C"}, **STORY)

    return run(main())


def without_run_ids(events: list[StreamEvent]) -> list[object]:
    return [(type(e).__name__, getattr(e, "text", None), getattr(e, "texts", None)) for e in events]


# --- stream shaping knobs: the same events whatever the wire looks like ----------------------------


@pytest.mark.parametrize(
    "knobs",
    [
        {"split_frames": True},
        {"crlf": True},
        {"bare_done": True},
        {"coalesce_frames": True},
        {"split_frames": True, "crlf": True, "bare_done": True},
    ],
    ids=["split", "crlf", "bare-done", "coalesced", "all"],
)
def test_wire_variations_decode_to_the_same_events(
    any_sandbox: RunningSandbox, connect: Connect, knobs: dict[str, Any]
) -> None:
    expected = reference_story(any_sandbox, connect)
    any_sandbox.faults.update(knobs)
    got = reference_story(any_sandbox, connect)
    assert without_run_ids(got) == without_run_ids(expected)
    assert isinstance(got[-1], Final) and "🌫️" in got[-1].text


def test_a_long_silence_mid_stream_is_not_a_timeout(any_sandbox: RunningSandbox, connect: Connect) -> None:
    any_sandbox.faults.update({"stream_gap_s": 0.5})

    async def main() -> list[StreamEvent]:
        async with connect(any_sandbox, timeout=0.25) as c:  # the gap is twice the client's timeout
            return await collect(c, demo.STORY_ID, {"words": 5}, **STORY)

    events = run(main())
    assert isinstance(events[-1], Final) and len(events) == 6


@pytest.mark.parametrize("batched", [False, True], ids=["event by event", "in batches"])
def test_a_cut_stream_yields_what_arrived_then_a_protocol_error_naming_the_run(
    any_sandbox: RunningSandbox, connect: Connect, batched: bool
) -> None:
    any_sandbox.faults.update({"cut_stream_after_frames": 3})
    events: list[StreamEvent] = []

    async def main() -> None:
        async with connect(any_sandbox) as c, c.stream(demo.STORY_ID, {}, **STORY) as stream:
            if batched:
                async for batch in stream.batches():
                    events.extend(batch)
            else:
                async for event in stream:
                    events.append(event)

    with pytest.raises(ProtocolError) as caught:
        run(main())
    assert [type(e) for e in events] == [Chunk, Chunk, Chunk]
    run_id = caught.value.run_id
    assert run_id is not None and run_id in any_sandbox.state.runs
    assert "connection dropped" in caught.value.message
    assert run_id in user_message(caught.value)


def test_a_non_terminal_stream_error_is_reported_and_the_run_goes_on(
    any_sandbox: RunningSandbox, connect: Connect
) -> None:
    any_sandbox.faults.update({"stream_error_after_first": 1})

    async def main() -> list[StreamEvent]:
        async with connect(any_sandbox) as c:
            return await collect(c, demo.STORY_ID, {"words": 4}, **STORY)

    events = run(main())
    assert [type(e) for e in events] == [Chunk, StreamError, Chunk, Chunk, Chunk, Final]
    assert isinstance(events[1], StreamError) and events[1].block_id == "b-storyteller"


def test_a_malformed_frame_is_skipped(any_sandbox: RunningSandbox, connect: Connect) -> None:
    any_sandbox.faults.update({"malformed_json": 1})

    async def main() -> list[StreamEvent]:
        async with connect(any_sandbox) as c:
            return await collect(c, demo.STORY_ID, {"words": 4}, **STORY)

    events = run(main())
    assert [type(e) for e in events] == [Chunk, Chunk, Chunk, Final]
    assert isinstance(events[-1], Final) and events[-1].text == " upon a time,"


# --- request-level knobs --------------------------------------------------------------------------


def test_latency_beyond_the_deadline_is_a_timeout_and_within_it_is_fine(
    any_sandbox: RunningSandbox, connect: Connect
) -> None:
    any_sandbox.faults.update({"latency_s": 0.3})

    async def main(deadline: float) -> bool:
        async with connect(any_sandbox, timeout=deadline) as c:
            return (await c.get_workflow_status(demo.ECHO_ID)).is_deployed

    with pytest.raises(APITimeoutError):
        run(main(0.1))
    assert run(main(5.0)) is True


def test_malformed_json_on_a_lookup_is_a_protocol_error(any_sandbox: RunningSandbox, connect: Connect) -> None:
    async def main() -> bool:
        async with connect(any_sandbox) as c:
            any_sandbox.faults.update({"malformed_json": 1})
            with pytest.raises(ProtocolError, match="malformed JSON"):
                await c.get_workflow_status(demo.ECHO_ID)
            return (await c.get_workflow_status(demo.ECHO_ID)).is_deployed

    assert run(main())


def test_an_unreadable_execute_answer_is_reconciled_not_rerun(any_sandbox: RunningSandbox, connect: Connect) -> None:
    any_sandbox.faults.update({"malformed_json": 1, "path_filter": "/execute"})

    async def main() -> object:
        async with connect(any_sandbox) as c:
            return await c.execute(demo.ECHO_ID, {"message": "once"})

    before = runs_of(any_sandbox, demo.ECHO_ID)
    result = run(main())
    assert getattr(result, "status", None) is RunStatus.COMPLETED
    assert getattr(result, "output", None) == {"message": "once"}
    assert runs_of(any_sandbox, demo.ECHO_ID) == before + 1


def test_an_html_502_is_retried_for_lookups_and_reconciled_for_runs(
    any_sandbox: RunningSandbox, connect: Connect, clock: FakeClock
) -> None:
    before = runs_of(any_sandbox, demo.ECHO_ID)

    async def main() -> None:
        async with connect(any_sandbox) as c:
            any_sandbox.faults.update({"html_502": 1})
            assert (await c.get_workflow_status(demo.ECHO_ID)).is_deployed
            any_sandbox.faults.update({"html_502": 1, "path_filter": "/execute"})
            result = await c.execute(demo.ECHO_ID, {"message": "m"})
            assert result.succeeded

    run(main())
    assert runs_of(any_sandbox, demo.ECHO_ID) == before + 1  # the 502 never reached the app: one run
    assert len(clock.sleeps) >= 2


def test_persistent_html_502s_end_in_a_protocol_error_with_a_useful_message(
    any_sandbox: RunningSandbox, connect: Connect
) -> None:
    any_sandbox.faults.update({"html_502": 10})

    async def main() -> None:
        async with connect(any_sandbox) as c:
            await c.get_workflow_status(demo.ECHO_ID)

    with pytest.raises(ProtocolError) as caught:
        run(main())
    assert caught.value.status == 502 and caught.value.request_id is not None
    assert "web page" in user_message(caught.value)
    assert any_sandbox.faults.html_502 == 6  # four attempts


def test_a_429_storm_waits_as_long_as_the_server_says(
    any_sandbox: RunningSandbox, connect: Connect, clock: FakeClock
) -> None:
    any_sandbox.faults.update({"storm_429": 2, "path_filter": "/execute"})

    async def main() -> bool:
        async with connect(any_sandbox) as c:
            return (await c.execute(demo.ECHO_ID, {})).succeeded

    assert run(main())
    assert len(clock.sleeps) == 2
    if any_sandbox.config.v2:  # v2's request-bucket 429 says Retry-After: 30
        assert all(30 <= s <= 37.5 for s in clock.sleeps)
    else:  # legacy's execution-bucket 429 says nothing: plain backoff, no stale value
        assert clock.sleeps == [0.5 * 1.125, 1.0 * 1.125]


def test_a_storm_longer_than_the_retries_surfaces_a_rate_limit_error(sandbox: RunningSandbox, connect: Connect) -> None:
    sandbox.faults.update({"storm_429": 10})

    async def main() -> None:
        async with connect(sandbox) as c:
            await c.get_workflow(demo.ECHO_ID)

    with pytest.raises(RateLimitError) as caught:
        run(main())
    assert caught.value.retry_after == 30
    assert caught.value.limit is not None and caught.value.limit.remaining == 0
    assert "30 seconds" in user_message(caught.value)


@pytest.mark.parametrize("knob", ["unavailable_503", "capacity_429", "concurrency_429"])
def test_busy_answers_are_retried_after_retry_after(
    any_sandbox: RunningSandbox, connect: Connect, clock: FakeClock, knob: str
) -> None:
    """All carry ``Retry-After: 5`` except legacy's concurrency 429, which has no headers (§3.2)."""
    any_sandbox.faults.update({knob: 1, "path_filter": "/execute"})
    before = runs_of(any_sandbox, demo.ECHO_ID)

    async def main() -> bool:
        async with connect(any_sandbox) as c:
            return (await c.execute(demo.ECHO_ID, {})).succeeded

    assert run(main())
    if knob == "concurrency_429" and not any_sandbox.config.v2:
        assert clock.sleeps == [0.5 * 1.125]
    else:
        assert len(clock.sleeps) == 1 and 5 <= clock.sleeps[0] <= 6.25
    assert runs_of(any_sandbox, demo.ECHO_ID) == before + 1


@pytest.mark.parametrize(("knob", "words"), [("capacity_429", "capacity"), ("concurrency_429", "in progress")])
def test_busy_answers_without_retries_explain_themselves(
    any_sandbox: RunningSandbox, connect: Connect, knob: str, words: str
) -> None:
    any_sandbox.faults.update({knob: 1})

    async def main() -> None:
        async with connect(any_sandbox, retry=NO_RETRY) as c:
            await c.execute(demo.ECHO_ID, {})

    with pytest.raises(RateLimitError) as caught:
        run(main())
    assert words in user_message(caught.value)


def test_an_ambiguous_enqueue_is_found_by_its_run_id_and_not_queued_twice(
    any_sandbox: RunningSandbox, connect: Connect
) -> None:
    any_sandbox.faults.update({"ambiguous_enqueue": 1})
    before = runs_of(any_sandbox, demo.SLOW_ID)

    async def main() -> AsyncReceipt:
        async with connect(any_sandbox) as c:
            return await c.execute_async(demo.SLOW_ID, {"minutes": 1})

    receipt = run(main())
    assert receipt.reconciled and receipt.run_id in any_sandbox.state.runs
    assert runs_of(any_sandbox, demo.SLOW_ID) == before + 1


def test_a_redirect_is_reported_with_its_location_never_followed(
    any_sandbox: RunningSandbox, connect: Connect, clock: FakeClock
) -> None:
    any_sandbox.faults.update({"redirect_to": "https://www.sim.ai"})
    before = runs_of(any_sandbox, demo.ECHO_ID)

    async def main() -> None:
        async with connect(any_sandbox) as c:
            await c.execute(demo.ECHO_ID, {"message": "x"})

    with pytest.raises(RedirectError) as caught:
        run(main())
    assert caught.value.location is not None and caught.value.location.startswith("https://www.sim.ai/api/")
    assert "https://www.sim.ai" in user_message(caught.value)
    assert clock.sleeps == [] and runs_of(any_sandbox, demo.ECHO_ID) == before


def test_path_filter_aims_counted_faults_at_one_route(
    any_sandbox: RunningSandbox, connect: Connect, clock: FakeClock
) -> None:
    any_sandbox.faults.update({"unavailable_503": 1, "path_filter": "/status"})

    async def main() -> None:
        async with connect(any_sandbox) as c:
            assert (await c.execute(demo.ECHO_ID, {})).succeeded
            assert clock.sleeps == []  # the execute was not hit
            assert (await c.get_workflow_status(demo.ECHO_ID)).is_deployed

    run(main())
    assert len(clock.sleeps) == 1 and any_sandbox.faults.unavailable_503 == 0
