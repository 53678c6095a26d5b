"""The client's public surface: typed log filters, pagers that close, errors that keep the
answer's status, request id and body, and the stream helpers for the outcome alone."""

from __future__ import annotations

import typing
from collections.abc import Callable

import httpx
import pytest

from simdesk.api import (
    AsyncPager,
    Final,
    LogFilters,
    NotFoundError,
    RunCall,
    RunFailed,
    RunFailedError,
    SimClient,
    SimError,
    StreamOptions,
    ValidationError,
    user_message,
)
from simdesk.api.account import LOG_FILTERS
from simdesk.api.errors import MAX_ERROR_BODY
from simdesk.sandbox import demo
from simdesk.sandbox.server import RunningSandbox
from tests.api.mock_server import KEY, MockSim
from tests.support.api import run
from tests.support.jobs import CountingTransport

Connect = Callable[..., SimClient]
STORY = ["storyteller.content"]


def test_every_log_filter_is_typed_and_sent() -> None:
    assert set(typing.get_type_hints(LogFilters)) == set(LOG_FILTERS)
    assert LogFilters.__optional_keys__ == frozenset(LOG_FILTERS)  # each one may be left out


def test_closing_a_pager_stops_the_paging(sandbox: RunningSandbox, connect: Connect) -> None:
    counting = CountingTransport()

    async def main() -> tuple[int, int]:
        async with connect(sandbox) as c:
            for i in range(3):
                await c.execute(demo.ECHO_ID, {"message": f"m{i}"})
        async with connect(sandbox, transport=counting) as c:
            logs: AsyncPager[object] = c.list_logs(demo.WS_DEMO, workflow_ids=[demo.ECHO_ID], page_size=1)
            assert await anext(logs) is not None
            before = counting.sent
            await logs.aclose()
            assert await anext(logs, None) is None  # closed: no further page is fetched
            return before, counting.sent

    before, after = run(main())
    assert before >= 1 and after == before


def test_an_error_keeps_the_status_request_id_and_body(sandbox: RunningSandbox, connect: Connect) -> None:
    async def main() -> SimError:
        async with connect(sandbox) as c:
            with pytest.raises(NotFoundError) as caught:
                await c.get_workflow("no-such-workflow")
            return caught.value

    exc = run(main())
    assert exc.status_code == 404 and exc.status == 404
    assert exc.request_id  # the sandbox sends x-request-id on every answer, as Sim does
    assert exc.body is not None and b"not found" in exc.body.lower()
    assert repr(exc).startswith("NotFoundError(") and "status_code=404" in repr(exc)
    assert exc.body.decode() not in str(exc)  # the body is for diagnostics, not the message


def test_an_error_body_is_kept_only_up_to_its_bound() -> None:
    exc = SimError("boom", status_code=502, body=b"x" * (MAX_ERROR_BODY * 3))
    assert exc.body is not None and len(exc.body) == MAX_ERROR_BODY
    assert SimError("old name", status=503).status_code == 503  # ``status=`` still accepted


def test_a_server_echoing_the_key_does_not_put_it_on_the_error() -> None:
    sim = MockSim().on("GET", "/api/v2/workflows/wf", httpx.Response(400, text=f"bad header X-API-Key: {KEY}"))

    async def main() -> SimError:
        async with sim.client() as c:
            with pytest.raises(SimError) as caught:
                await c.get_workflow("wf")
            return caught.value

    exc = run(main())
    assert exc.body is not None and KEY.encode() not in exc.body and b"<api key>" in exc.body


def test_stream_text_is_the_answer_alone(any_sandbox: RunningSandbox, connect: Connect) -> None:
    async def main() -> tuple[str, str]:
        async with connect(any_sandbox) as c:
            text = await c.stream_text(demo.STORY_ID, {"words": 12}, selected_outputs=STORY)
            final = await c.stream(demo.STORY_ID, {"words": 12}, selected_outputs=STORY).final()
            assert isinstance(final, Final) and final.success
            return text, final.text

    text, again = run(main())
    assert text.startswith("Once upon a time") and len(text.split()) >= 12
    assert again == text  # the same story both ways (the demo's is fixed by its word count)


def test_text_of_a_failed_run_raises_with_its_outcome(any_sandbox: RunningSandbox, connect: Connect) -> None:
    async def main() -> tuple[RunFailedError, object]:
        async with connect(any_sandbox) as c:
            with pytest.raises(RunFailedError) as caught:
                await c.stream(demo.FAILING_ID, {"url": "https://upstream.test"}).text()
            final = await c.stream(demo.FAILING_ID, {"url": "https://upstream.test"}).final()
            return caught.value, final

    exc, final = run(main())
    assert isinstance(exc.terminal, Final | RunFailed) and exc.run_id
    assert isinstance(final, Final | RunFailed)
    assert not (isinstance(final, Final) and final.success)
    assert user_message(exc).startswith("The run did not finish with an answer")


def test_text_needs_the_text_kept(sandbox: RunningSandbox, connect: Connect) -> None:
    async def main() -> None:
        async with connect(sandbox) as c:
            stream = c.stream(demo.STORY_ID, {"words": 3}, selected_outputs=STORY, keep_text=False)
            with pytest.raises(ValueError, match="keep_text"):
                await stream.text()
            await stream.aclose()

    run(main())


def test_run_parameters_are_checked_once_for_every_way_to_start_a_run() -> None:
    with pytest.raises(ValidationError):
        RunCall("wf", {}, run_id="has spaces")
    call = RunCall("wf", {}, run_id="mine")
    assert [call.attempt_id(n) for n in range(2)] == ["mine", "mine.r1"]
    assert StreamOptions().keep_text and StreamOptions().selected_outputs == ()
