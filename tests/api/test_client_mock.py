"""The client's behaviour over a scripted transport: retries and their timing, run ids and
reconciliation, v2 detection, deadlines, request shapes, rate-limit tracking, pagination."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

from simdesk.api import (
    AmbiguousEnqueueError,
    APIConnectionError,
    APITimeoutError,
    ConflictError,
    FeatureUnavailableError,
    NoOutputError,
    NotFoundError,
    ProtocolError,
    RateLimitError,
    RateLimitState,
    RunStatus,
    SimClient,
    UsageLimitError,
    ValidationError,
)
from simdesk.api.retry import NO_RETRY
from simdesk.core.rates import SYNC_EXECUTIONS
from tests.api.mock_server import BASE, MockSim, data, legacy_error, run_data, v2_error
from tests.support.api import FakeClock, policy, run

WF = "wf"
EXECUTE = f"/api/v2/workflows/{WF}/execute"
LEGACY_EXECUTE = f"/api/workflows/{WF}/execute"
RUN = f"/api/v2/workflows/{WF}/runs"
OK = data(run_data(output={"ok": True}))
RATE_HEADERS = {
    "X-RateLimit-Limit": "60",
    "X-RateLimit-Remaining": "0",
    "X-RateLimit-Reset": "2026-08-21T10:01:00.000Z",
}


def execute(sim: MockSim, clock: FakeClock, **kw: Any) -> object:
    async def main() -> object:
        async with sim.client(clock, **kw) as c:
            return await c.execute(WF, {"q": 1})

    return run(main())


def run_ids(sim: MockSim, path: str = EXECUTE) -> list[str]:
    return [r.headers.get("x-run-id") or r.headers["x-execution-id"] for r in sim.hits("POST", path)]


# --- waiting as the server says -----------------------------------------------------------------


def test_429_waits_at_least_retry_after_then_succeeds(clock: FakeClock) -> None:
    limited = v2_error(429, "RATE_LIMITED", "API rate limit exceeded", headers={"Retry-After": "7", **RATE_HEADERS})
    sim = MockSim().on("POST", EXECUTE, limited, OK)
    result = execute(sim, clock)
    assert getattr(result, "output", None) == {"ok": True}
    assert clock.sleeps == [7 * 1.125]  # max(7, 0.5) × (1 + 0.25 × 0.5)
    first, second = run_ids(sim)
    assert first != second  # a fresh run id per attempt


def test_jitter_never_shortens_the_servers_wait() -> None:
    for rand in (0.0, 0.01, 0.99):
        clock = FakeClock()
        limited = v2_error(429, "RATE_LIMITED", "x", headers={"Retry-After": "4"})
        execute(MockSim().on("POST", EXECUTE, limited, OK), clock, retry=policy(clock, random=lambda r=rand: r))
        assert 4.0 <= clock.sleeps[0] <= 5.0


def test_a_stale_retry_after_is_not_reused_for_a_later_429_without_one(clock: FakeClock) -> None:
    sim = MockSim().on(
        "GET",
        f"/api/workflows/{WF}/status",
        legacy_error(429, "Too many requests", {"Retry-After": "7"}),
        legacy_error(429, "Rate limit exceeded. Please try again later."),
        httpx.Response(200, json={"isDeployed": True, "deployedAt": None, "needsRedeployment": False}),
    )

    async def main() -> bool:
        async with sim.client(clock) as c:
            return (await c.get_workflow_status(WF)).is_deployed

    assert run(main()) is True
    assert clock.sleeps == [7 * 1.125, 1.0 * 1.125]


def test_a_wait_longer_than_max_wait_is_raised_with_its_retry_after(clock: FakeClock) -> None:
    limited = v2_error(429, "RATE_LIMITED", "x", headers={"Retry-After": "3600"})
    sim = MockSim().on("POST", EXECUTE, limited)
    with pytest.raises(RateLimitError) as caught:
        execute(sim, clock)
    assert caught.value.retry_after == 3600
    assert clock.sleeps == []
    assert len(sim.requests) == 1


def test_503_is_retried_after_its_retry_after(clock: FakeClock) -> None:
    busy = v2_error(
        503,
        "SERVICE_UNAVAILABLE",
        "Service temporarily unavailable",
        {"code": "SERVICE_OVERLOADED"},
        headers={"Retry-After": "5"},
    )
    sim = MockSim().on("POST", EXECUTE, busy, OK)
    execute(sim, clock)
    assert clock.sleeps == [5 * 1.125]


@pytest.mark.parametrize(
    ("answer", "cls"),
    [
        (v2_error(402, "USAGE_LIMIT_EXCEEDED", "Usage limit exceeded"), UsageLimitError),
        (v2_error(400, "BAD_REQUEST", "async and stream cannot be combined"), ValidationError),
        (v2_error(409, "CONFLICT", "Run ID has already been used", {"code": "RUN_ID_CONFLICT"}), ConflictError),
    ],
)
def test_402_validation_and_conflicts_are_never_retried(
    clock: FakeClock, answer: httpx.Response, cls: type[Exception]
) -> None:
    sim = MockSim().on("POST", EXECUTE, answer, OK)
    with pytest.raises(cls):
        execute(sim, clock)
    assert len(sim.requests) == 1
    assert clock.sleeps == []


def test_retries_give_up_after_max_retries_with_the_last_error(clock: FakeClock) -> None:
    sim = MockSim().on("POST", EXECUTE, v2_error(429, "RATE_LIMITED", "x", headers={"Retry-After": "1"}))
    with pytest.raises(RateLimitError):
        execute(sim, clock)
    assert len(sim.requests) == 4
    assert len(set(run_ids(sim))) == 4


def test_the_execution_bucket_is_noted_when_a_429_says_it_is_empty(clock: FakeClock) -> None:
    empty = v2_error(
        429,
        "RATE_LIMITED",
        "Rate limit exceeded. Please try again later.",
        {"code": "RATE_LIMIT_EXCEEDED"},
        headers={"Retry-After": "12"},
    )
    seen: list[RateLimitState] = []

    async def main() -> None:
        async with MockSim().on("POST", EXECUTE, empty).client(clock, retry=NO_RETRY) as c:
            c.rate_limits.subscribe(seen.append)
            with pytest.raises(RateLimitError):
                await c.execute(WF)
            state = c.rate_limits.get(SYNC_EXECUTIONS)
            assert state is not None and state.is_limited and state.retry_after == 12

    run(main())
    assert [s.bucket for s in seen] == [SYNC_EXECUTIONS]


def test_rate_limit_headers_update_the_bucket_and_reach_observers(clock: FakeClock) -> None:
    headers = {
        "X-RateLimit-Limit": "60",
        "X-RateLimit-Remaining": "41",
        "X-RateLimit-Reset": "2026-08-21T10:01:00.000Z",
    }
    sim = MockSim().on("POST", EXECUTE, data(run_data(), headers=headers))
    seen: list[RateLimitState] = []

    async def main() -> None:
        async with sim.client(clock) as c:
            unsubscribe = c.rate_limits.subscribe(seen.append)
            await c.execute(WF)
            unsubscribe()
            await c.execute(WF)

    run(main())
    assert len(seen) == 1
    state = seen[0]
    assert (state.bucket, state.limit, state.remaining) == ("v2 execute", 60, 41)
    assert state.reset_at is not None and state.reset_at.isoformat() == "2026-08-21T10:01:00+00:00"
    assert state.fraction_left == pytest.approx(41 / 60)


# --- run ids and reconciliation -----------------------------------------------------------------


def test_a_request_that_never_left_is_retried_without_looking_anything_up(clock: FakeClock) -> None:
    sim = MockSim().on("POST", EXECUTE, httpx.ConnectError("refused"), OK)
    execute(sim, clock)
    assert [r.method for r in sim.requests] == ["POST", "POST"]
    assert len(set(run_ids(sim))) == 2


def test_a_lost_answer_is_looked_up_by_run_id_and_retried_only_if_the_run_does_not_exist(clock: FakeClock) -> None:
    sim = MockSim().on("POST", EXECUTE, httpx.ReadError("connection reset"), OK)  # lookups: 404
    result = execute(sim, clock)
    assert getattr(result, "status", None) is RunStatus.COMPLETED
    # three lookups (0.5 s and 1 s apart), then one retry (after 0.5 s × 1.125) with a new id
    assert clock.sleeps == [0.5, 1.0, 0.5625]
    gets = [r for r in sim.requests if r.method == "GET"]
    posts = run_ids(sim)
    assert len(gets) == 3 and len(posts) == 2
    assert {r.url.path for r in gets} == {f"{RUN}/{posts[0]}"}
    assert posts[0] != posts[1]


def test_a_lost_answer_for_a_run_that_finished_is_reported_without_running_it_again(clock: FakeClock) -> None:
    sim = MockSim()

    def answer(request: httpx.Request) -> httpx.Response:
        run_id = request.headers["x-run-id"]
        sim.on("GET", f"{RUN}/{run_id}", data(run_data(run_id, "completed", {"answer": 42})))
        raise httpx.RemoteProtocolError("Server disconnected without sending a response.")

    sim.on("POST", EXECUTE, answer)
    result = execute(sim, clock)
    assert getattr(result, "output", None) == {"answer": 42}
    assert len(sim.hits("POST", EXECUTE)) == 1


def test_a_caller_run_id_names_the_first_attempt_and_retries_derive_from_it(clock: FakeClock) -> None:
    sim = MockSim().on("POST", EXECUTE, httpx.ConnectError("refused"), OK)

    async def main() -> None:
        async with sim.client(clock) as c:
            await c.execute(WF, run_id="ticket-42")

    run(main())
    assert run_ids(sim) == ["ticket-42", "ticket-42.r1"]


def test_an_invalid_run_id_is_refused_before_sending(clock: FakeClock) -> None:
    sim = MockSim()

    async def main() -> None:
        async with sim.client(clock) as c:
            await c.execute(WF, run_id="not allowed/")

    with pytest.raises(ValidationError):
        run(main())
    assert sim.requests == []


def _async_client_run(sim: MockSim, clock: FakeClock) -> object:
    async def main() -> object:
        async with sim.client(clock) as c:
            return await c.execute_async(WF, {"minutes": 3})

    return run(main())


def test_an_ambiguous_enqueue_whose_run_exists_is_a_receipt(clock: FakeClock) -> None:
    sim = MockSim()

    def ambiguous(request: httpx.Request) -> httpx.Response:
        run_id = request.headers["x-run-id"]
        sim.on("GET", f"{RUN}/{run_id}", data(run_data(run_id, "queued")))
        return v2_error(
            503,
            "SERVICE_UNAVAILABLE",
            "Service temporarily unavailable",
            {"code": "ASYNC_ENQUEUE_AMBIGUOUS", "runId": run_id},
            headers={"X-Run-Id": run_id},
        )

    sim.on("POST", EXECUTE, ambiguous)
    receipt = _async_client_run(sim, clock)
    assert getattr(receipt, "reconciled", None) is True
    assert getattr(receipt, "status_url", "").startswith(f"{BASE}{RUN}/desk-")
    assert len(sim.hits("POST", EXECUTE)) == 1


def test_an_ambiguous_enqueue_whose_run_cannot_be_found_is_never_retried(clock: FakeClock) -> None:
    ambiguous = legacy_error(
        503,
        "Async execution queue acceptance could not be confirmed",
        code="ASYNC_ENQUEUE_AMBIGUOUS",
        executionId="desk-x",
    )
    sim = MockSim().on("POST", EXECUTE, ambiguous)
    with pytest.raises(AmbiguousEnqueueError) as caught:
        _async_client_run(sim, clock)
    assert len(sim.hits("POST", EXECUTE)) == 1
    assert caught.value.run_id == "desk-x"
    assert "desk-x" in str(caught.value)


# --- v2 detection ------------------------------------------------------------------------------

GATE = v2_error(404, "NOT_FOUND", "Not found")
LEGACY_OK = httpx.Response(200, json={"success": True, "executionId": "e1", "output": {"ok": 1}, "metadata": {}})


def test_the_gate_404_switches_to_legacy_once_and_for_all(clock: FakeClock) -> None:
    sim = MockSim().on("POST", EXECUTE, GATE).on("POST", LEGACY_EXECUTE, LEGACY_OK)

    async def main() -> list[str | None]:
        async with sim.client(clock, surface=None) as c:
            before = c.surface
            first = await c.execute(WF, {"q": 1})
            second = await c.execute(WF, {"q": 2})
            after = c.surface
            with pytest.raises(FeatureUnavailableError):
                await c.list_workspaces()
            return [before, first.surface, second.surface, after]

    assert run(main()) == [None, "legacy", "legacy", "legacy"]
    assert len(sim.hits("POST", EXECUTE)) == 1
    assert len(sim.hits("POST", LEGACY_EXECUTE)) == 2
    assert [r.url.path for r in sim.requests].count("/api/v2/workspaces") == 0


def test_a_missing_workflow_is_not_mistaken_for_the_gate(clock: FakeClock) -> None:
    sim = MockSim().on("POST", EXECUTE, v2_error(404, "NOT_FOUND", "Workflow not found"))

    async def main() -> str | None:
        async with sim.client(clock, surface=None) as c:
            with pytest.raises(NotFoundError):
                await c.execute(WF)
            return c.surface

    assert run(main()) == "v2"
    assert sim.hits("POST", LEGACY_EXECUTE) == []


def test_a_401_does_not_settle_the_surface(clock: FakeClock) -> None:
    sim = MockSim().on("GET", "/api/v2/workspaces", v2_error(401, "UNAUTHORIZED", "Invalid API key"))

    async def main() -> str | None:
        async with sim.client(clock, surface=None) as c:
            with pytest.raises(Exception, match="Invalid API key"):
                await c.list_workspaces()
            return c.surface

    assert run(main()) is None


# --- deadlines ---------------------------------------------------------------------------------


def _never_answers() -> MockSim:
    sim = MockSim()

    async def hang(request: httpx.Request) -> httpx.Response:
        sim.requests.append(request)
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    sim.handle = hang  # type: ignore[assignment,method-assign]
    return sim


def test_every_call_has_a_total_deadline_and_a_timed_out_get_is_not_repeated(clock: FakeClock) -> None:
    sim = _never_answers()

    async def main() -> None:
        async with sim.client(clock, timeout=0.05) as c:
            await c.get_run(WF, "r1")

    with pytest.raises(APITimeoutError):
        run(main())
    assert len(sim.requests) == 1


def test_a_sync_run_past_its_deadline_reports_its_run_id_and_is_not_rerun(clock: FakeClock) -> None:
    sim = _never_answers()

    async def main() -> None:
        async with sim.client(clock) as c:
            await c.execute(WF, {}, timeout=0.05)

    with pytest.raises(APITimeoutError) as caught:
        run(main())
    assert caught.value.run_id is not None and caught.value.run_id.startswith("desk-")
    assert len(sim.requests) == 1


def test_a_stream_waits_for_its_headers_until_the_run_deadline(clock: FakeClock) -> None:
    """Sim sends a stream's headers with its first frame: the run deadline bounds the wait, not
    the call deadline (a server that never answers is covered by the run deadline)."""
    sim = _never_answers()

    async def main() -> None:
        async with sim.client(clock, timeout=30, run_timeout=0.05) as c:
            async for _ in c.stream(WF, {}):
                pass

    with pytest.raises(NoOutputError) as caught:
        run(main())
    assert "no output within the run deadline (0.05 s)" in caught.value.message


def test_connection_refused_is_retried_then_reported_as_never_sent(clock: FakeClock) -> None:
    async def main() -> None:
        async with SimClient("http://127.0.0.1:9", "k", retry=policy(clock), timeout=2) as c:
            await c.health()

    with pytest.raises(APIConnectionError) as caught:
        run(main())
    assert caught.value.request_sent is False
    assert len(clock.sleeps) == 3


# --- request shapes -------------------------------------------------------------------------------


def test_v2_execute_sends_input_run_id_and_key_only_as_x_api_key(clock: FakeClock) -> None:
    sim = MockSim().on("POST", EXECUTE, OK)
    execute(sim, clock)
    request = sim.requests[0]
    assert json.loads(request.content) == {"input": {"q": 1}}
    assert request.headers["x-api-key"].startswith("sk-sim-")
    assert "authorization" not in request.headers
    assert request.headers["content-type"] == "application/json"
    assert request.headers["user-agent"].startswith("simdesk/")


def test_legacy_async_uses_the_mode_header_and_keeps_async_out_of_the_body(clock: FakeClock) -> None:
    receipt = {
        "success": True,
        "async": True,
        "jobId": "workflow-execution:e1",
        "executionId": "e1",
        "message": "Workflow execution queued",
        "statusUrl": "http://internal:3000/api/jobs/x",
    }
    sim = MockSim().on("POST", LEGACY_EXECUTE, httpx.Response(202, json=receipt))

    async def main() -> object:
        async with sim.client(clock, surface="legacy") as c:
            return await c.execute_async(WF, {"minutes": 2}, execution_timeout_s=60)

    result = run(main())
    request = sim.requests[0]
    assert request.headers["x-execution-mode"] == "async"
    assert request.headers["x-execution-timeout-seconds"] == "60"
    assert request.headers["x-execution-id"].startswith("desk-")
    assert json.loads(request.content) == {"minutes": 2}
    # the server's own statusUrl names a host we may not reach; ours is rebuilt from the base URL
    assert getattr(result, "status_url", None) == f"{BASE}/api/jobs/workflow-execution%3Ae1"


def test_legacy_input_that_collides_with_a_control_field_is_nested(clock: FakeClock) -> None:
    sim = MockSim().on("POST", LEGACY_EXECUTE, LEGACY_OK)

    async def main() -> None:
        async with sim.client(clock, surface="legacy") as c:
            await c.execute(WF, {"stream": "river", "q": 1})
            await c.execute(WF, {"q": 1})

    run(main())
    assert sim.bodies("POST", LEGACY_EXECUTE) == [{"input": {"stream": "river", "q": 1}}, {"q": 1}]


@pytest.mark.parametrize(
    ("status", "body", "code"),
    [
        (500, {"success": False, "error": "HTTP 1: 502 from upstream", "output": {"partial": True}}, None),
        (408, {"success": False, "error": "Execution timed out after 5 minutes"}, "TIMEOUT"),
    ],
)
def test_a_legacy_failed_run_is_a_result_not_an_error(
    clock: FakeClock, status: int, body: dict[str, object], code: str | None
) -> None:
    sim = MockSim().on("POST", LEGACY_EXECUTE, httpx.Response(status, json=body))

    async def main() -> object:
        async with sim.client(clock, surface="legacy") as c:
            return await c.execute(WF)

    result = run(main())
    assert getattr(result, "status", None) is RunStatus.FAILED
    error = getattr(result, "error", None)
    assert error is not None and error.message == body["error"] and error.code == code
    assert len(sim.requests) == 1


@pytest.mark.parametrize("surface", ["v2", "legacy"])
def test_a_run_that_fails_in_band_keeps_the_answers_request_id(clock: FakeClock, surface: str) -> None:
    failed = {**run_data(status="failed"), "error": {"code": "BLOCK_FAILED", "message": "agent1 broke"}}
    legacy = {"success": False, "error": "agent1 broke"}
    sim = MockSim().on(
        "POST",
        EXECUTE,
        data(failed, headers={"x-request-id": "req-failed"}),
        httpx.Response(200, json={"data": failed}),  # then an answer without the header
    )
    sim.on(
        "POST",
        LEGACY_EXECUTE,
        httpx.Response(200, json=legacy, headers={"x-request-id": "req-failed"}),
        httpx.Response(200, json=legacy),
    )

    async def main() -> list[Any]:
        async with sim.client(clock, surface=surface) as c:
            return [await c.execute(WF), await c.execute(WF)]

    first, second = run(main())
    assert first.status is RunStatus.FAILED and first.error.message == "agent1 broke"
    assert first.request_id == "req-failed"
    assert second.status is RunStatus.FAILED and second.request_id is None


def test_v2_stream_asks_for_agent_events_and_sends_only_the_flags_set(clock: FakeClock) -> None:
    sse = b'data: {"event":"final","data":{"success":true,"output":{}}}\n\ndata: "[DONE]"\n\n'
    sim = MockSim().on("POST", EXECUTE, httpx.Response(200, headers={"content-type": "text/event-stream"}, content=sse))

    async def main() -> int:
        async with sim.client(clock) as c:
            return len(
                [e async for e in c.stream(WF, {"q": 1}, selected_outputs=["agent1.content"], include_thinking=True)]
            )

    assert run(main()) == 1
    request = sim.requests[0]
    assert request.headers["x-sim-stream-protocol"] == "agent-events-v1"
    assert request.headers["accept"] == "text/event-stream"
    assert json.loads(request.content) == {
        "input": {"q": 1},
        "stream": True,
        "selectedOutputs": ["agent1.content"],
        "includeThinking": True,
    }


def test_a_json_answer_to_a_stream_request_is_its_error(clock: FakeClock) -> None:
    sim = MockSim().on(
        "POST", EXECUTE, v2_error(403, "FORBIDDEN", "Workflow is not deployed", {"code": "WORKFLOW_NOT_DEPLOYED"})
    )

    async def main() -> None:
        async with sim.client(clock) as c:
            async for _ in c.stream(WF):
                pass

    with pytest.raises(Exception, match="not deployed"):
        run(main())
    assert len(sim.requests) == 1


def test_legacy_cancel_of_a_finished_run_reports_already_like_v2(clock: FakeClock) -> None:
    sim = (
        MockSim()
        .on(
            "POST",
            f"/api/workflows/{WF}/executions/e1/cancel",
            legacy_error(409, "Execution cannot be cancelled while completed"),
        )
        .on(
            "GET",
            f"/api/workflows/{WF}/executions/e1",
            httpx.Response(200, json={"executionId": "e1", "workflowId": WF, "status": "completed"}),
        )
    )

    async def main() -> object:
        async with sim.client(clock, surface="legacy") as c:
            return await c.cancel_run(WF, "e1")

    result = run(main())
    assert (getattr(result, "success", None), getattr(result, "reason", None)) == (True, "already_completed")


# --- pagination and polling -------------------------------------------------------------------------


def test_lists_follow_cursors_with_the_same_filters(clock: FakeClock) -> None:
    def page(items: list[str], cursor: str | None) -> httpx.Response:
        return httpx.Response(200, json={"data": [{"id": i, "name": i} for i in items], "nextCursor": cursor})

    sim = MockSim().on("GET", "/api/v2/workflows", page(["a", "b"], "c1"), page(["c"], "c2"), page([], None))

    async def main() -> list[str]:
        async with sim.client(clock) as c:
            return [w.id async for w in c.list_workflows("ws", deployed_only=True, page_size=2)]

    assert run(main()) == ["a", "b", "c"]
    queries = [dict(r.url.params) for r in sim.requests]
    assert queries[0] == {"workspaceId": "ws", "limit": "2", "deployedOnly": "true"}
    assert [q.get("cursor") for q in queries] == [None, "c1", "c2"]
    assert all({k: v for k, v in q.items() if k != "cursor"} == queries[0] for q in queries)


def test_a_repeated_cursor_is_a_protocol_error_not_a_loop(clock: FakeClock) -> None:
    page = httpx.Response(200, json={"data": [{"id": "a"}], "nextCursor": "same"})
    sim = MockSim().on("GET", "/api/v2/workflows", page)

    async def main() -> None:
        async with sim.client(clock) as c:
            async for _ in c.list_workflows("ws"):
                pass

    with pytest.raises(ProtocolError):
        run(main())
    assert len(sim.requests) == 2


def test_wait_for_run_polls_with_growing_intervals_until_terminal(clock: FakeClock) -> None:
    statuses = ["queued", "running", "running", "completed"]
    sim = MockSim().on("GET", f"{RUN}/r1", *[data(run_data("r1", s)) for s in statuses])
    seen: list[RunStatus] = []

    async def main() -> RunStatus:
        async with sim.client(clock) as c:
            return (await c.wait_for_run(WF, "r1", on_update=lambda r: seen.append(r.status))).status

    assert run(main()) is RunStatus.COMPLETED
    assert clock.sleeps == [1.0, 1.5, 2.25]
    assert seen == [RunStatus.QUEUED, RunStatus.RUNNING, RunStatus.RUNNING, RunStatus.COMPLETED]
    assert all(r.url.params["includeOutput"] == "true" for r in sim.requests)


def test_wait_for_run_gives_up_after_its_timeout_with_the_run_id(clock: FakeClock) -> None:
    sim = MockSim().on("GET", f"{RUN}/r1", data(run_data("r1", "running")))

    async def main() -> None:
        async with sim.client(clock) as c:
            await c.wait_for_run(WF, "r1", timeout=3)

    with pytest.raises(APITimeoutError) as caught:
        run(main())
    assert caught.value.run_id == "r1"
    assert sum(clock.sleeps) <= 3
