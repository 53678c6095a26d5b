"""Every public call of :class:`SimClient` against the embedded sandbox over loopback, with v2 on
and (where the call exists there) with v2 switched off."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from simdesk.api import (
    AsyncReceipt,
    AuthenticationError,
    Chunk,
    ChunkReset,
    ConflictError,
    FeatureUnavailableError,
    Final,
    NotFoundError,
    PermissionDeniedError,
    RunFailed,
    RunResult,
    RunStatus,
    SimClient,
    StreamEvent,
    Thinking,
    ToolCall,
    is_large_value_ref,
)
from simdesk.core.rates import ASYNC_EXECUTIONS, SYNC_EXECUTIONS
from simdesk.sandbox import demo
from simdesk.sandbox.clock import ManualClock
from simdesk.sandbox.server import RunningSandbox
from tests.support.api import FakeClock, eventually, policy, run

Connect = Callable[..., SimClient]


def surface_of(sb: RunningSandbox) -> str:
    return "v2" if sb.config.v2 else "legacy"


async def collect(client: SimClient, workflow_id: str, inp: object = None, **kw: Any) -> list[StreamEvent]:
    return [event async for event in client.stream(workflow_id, inp, **kw)]


# --- connection, health, usage -------------------------------------------------------------------


def test_check_connection_reports_reachability_key_plan_and_surface(
    any_sandbox: RunningSandbox, connect: Connect
) -> None:
    async def main() -> None:
        async with connect(any_sandbox) as c:
            check = await c.check_connection()
            assert check.ok and check.reachable and check.key_valid
            assert check.surface == surface_of(any_sandbox) == c.surface
            assert check.plan == "free"
            assert check.workspace_count == (2 if any_sandbox.config.v2 else None)
            assert ("v2 API switched off" in check.message) is (not any_sandbox.config.v2)
        async with connect(any_sandbox, api_key="sk-sim-wrong") as c:
            bad = await c.check_connection()
            assert (bad.reachable, bad.key_valid, bad.ok) == (True, False, False)
            assert isinstance(bad.problem, AuthenticationError) and "Settings" in bad.message
        async with connect(any_sandbox, api_key=None) as c:
            keyless = await c.check_connection()
            assert keyless.reachable and keyless.key_valid is None and not keyless.ok

    run(main())


def test_check_connection_to_nothing_says_unreachable(clock: FakeClock) -> None:
    async def main() -> None:
        async with SimClient("http://127.0.0.1:9", "k", retry=policy(clock, max_retries=0)) as c:
            check = await c.check_connection()
            assert not check.reachable and check.problem is not None
            assert "Cannot reach" in check.message

    run(main())


def test_health(any_sandbox: RunningSandbox, connect: Connect) -> None:
    async def main() -> None:
        async with connect(any_sandbox, api_key=None) as c:
            health = await c.health()
            assert health.ok and health.timestamp is not None

    run(main())


def test_usage_limits_report_execution_buckets_and_feed_rate_limits(
    any_sandbox: RunningSandbox, connect: Connect
) -> None:
    async def main() -> None:
        async with connect(any_sandbox) as c:
            await c.execute(demo.ECHO_ID, {"message": "x"})
            usage = await c.get_usage_limits()
            assert usage.plan == "free" and usage.auth_type == "api"
            assert usage.sync is not None and usage.sync.per_minute == 50 and usage.sync.max_burst == 100
            assert usage.sync.remaining == 99  # one sync run so far
            assert usage.async_ is not None and usage.async_.remaining == 400
            assert usage.current_period_cost is not None and usage.cost_limit == 20
            sync = c.rate_limits.get(SYNC_EXECUTIONS)
            assert sync is not None and (sync.limit, sync.remaining, sync.per_minute) == (100, 99, 50)
            assert ASYNC_EXECUTIONS in c.rate_limits

    run(main())


def test_billing_status_on_v2(sandbox: RunningSandbox, connect: Connect) -> None:
    async def main() -> None:
        async with connect(sandbox) as c:
            billing = await c.get_billing_status(demo.WS_DEMO)
            assert billing.workspace_id == demo.WS_DEMO and billing.plan == "free"
            assert billing.credits_limit is not None and billing.credits_remaining is not None

    run(main())


# --- catalogue ---------------------------------------------------------------------------------


def test_catalogue_on_v2(sandbox: RunningSandbox, connect: Connect) -> None:
    async def main() -> None:
        async with connect(sandbox) as c:
            names = [w.name for w in await c.list_workspaces()]
            assert names == ["Demo Workspace", "Team Ops"]  # the locked one forbids personal keys
            every = [w async for w in c.list_workflows(demo.WS_DEMO)]
            paged = [w async for w in c.list_workflows(demo.WS_DEMO, page_size=3)]
            assert [w.id for w in paged] == [w.id for w in every] and len(every) == len({w.id for w in every})
            assert demo.ECHO_ID in {w.id for w in every}
            deployed = {w.id async for w in c.list_workflows(demo.WS_DEMO, deployed_only=True)}
            assert demo.UNDEPLOYED_ID not in deployed and demo.ECHO_ID in deployed
            ops = {w.folder_path async for w in c.list_workflows(demo.WS_DEMO, folder_path="/Ops")}
            assert ops == {"/Ops"}  # that folder only, as Sim lists it
            found = [w.name async for w in c.list_workflows(demo.WS_DEMO, search="Echo")]
            assert found == ["Echo"]
            folders = {f.path: f for f in await c.list_folders(demo.WS_DEMO)}
            assert folders["/Ops/Archive"].locked and folders["/Ops/Archive"].parent_path == "/Ops"
            detail = await c.get_workflow(demo.FILES_ID)
            assert detail.name == "Document Summarizer"
            assert next((i.name, i.type, i.is_file) for i in detail.inputs) == ("documents", "file[]", True)
            deployment = await c.get_deployment(demo.ECHO_ID)
            assert deployment.is_deployed and deployment.version is not None
            assert (await c.get_deployment(demo.RESEARCH_ID)).needs_redeployment
            with pytest.raises(NotFoundError):
                await c.get_workflow("3b1f7c92-0000-4a6b-9c0d-0000000000ff")
            assert c.surface == "v2"

    run(main())


def test_v2_only_calls_say_so_when_v2_is_off(sandbox_no_v2: RunningSandbox, connect: Connect) -> None:
    async def main() -> None:
        async with connect(sandbox_no_v2) as c:
            calls = [
                c.list_workspaces(),
                c.list_folders(demo.WS_DEMO),
                c.get_workflow(demo.ECHO_ID),
                c.get_deployment(demo.ECHO_ID),
                c.get_log("r1"),
                c.get_billing_status(),
            ]
            for call in calls:
                with pytest.raises(FeatureUnavailableError):
                    await call
            # list_workflows and list_logs fall back to v1 (test_list_workflows_v1.py, tests/logs/test_v1_logs.py)
            with pytest.raises(FeatureUnavailableError, match="v2 API"):
                await anext(c.list_runs(demo.ECHO_ID))

    run(main())


def test_workflow_status_works_on_both_surfaces(any_sandbox: RunningSandbox, connect: Connect) -> None:
    async def main() -> None:
        async with connect(any_sandbox) as c:
            assert (await c.get_workflow_status(demo.ECHO_ID)).is_deployed
            draft = await c.get_workflow_status(demo.UNDEPLOYED_ID)
            assert not draft.is_deployed and draft.deployed_at is None

    run(main())


# --- sync runs ---------------------------------------------------------------------------------


def test_execute_returns_the_output_under_our_run_id(any_sandbox: RunningSandbox, connect: Connect) -> None:
    async def main() -> None:
        async with connect(any_sandbox) as c:
            result = await c.execute(demo.ECHO_ID, {"message": "14°C in Oslo 🌊"}, run_id="desk-test-echo-1")
            assert result.status is RunStatus.COMPLETED and result.succeeded
            assert result.output == {"message": "14°C in Oslo 🌊"}
            assert result.run_id == "desk-test-echo-1"
            assert result.surface == surface_of(any_sandbox)
            assert result.duration_ms is not None and result.started_at is not None
            polled = await c.get_run(demo.ECHO_ID, "desk-test-echo-1", include_output=True)
            assert polled.status is RunStatus.COMPLETED and polled.output == result.output

    run(main())
    any_sandbox.state.used_run_ids.discard("desk-test-echo-1")  # the other surface's run reuses it


def test_a_failed_run_is_a_result(any_sandbox: RunningSandbox, connect: Connect) -> None:
    async def main() -> None:
        async with connect(any_sandbox) as c:
            result = await c.execute(demo.FAILING_ID, {"url": "https://x"})
            assert result.status is RunStatus.FAILED
            assert result.error is not None and "502 from upstream" in result.error.message
            assert result.output == {}  # a failed block leaves no output (fail-legacy-sync.body)
            if any_sandbox.config.v2:
                assert result.error.code == "BLOCK_EXECUTION_FAILED" and result.error.block_name == "HTTP 1"

    run(main())


def test_refusals_are_typed_and_not_retried(any_sandbox: RunningSandbox, connect: Connect, clock: FakeClock) -> None:
    async def main() -> None:
        async with connect(any_sandbox) as c:
            with pytest.raises(PermissionDeniedError) as undeployed:
                await c.execute(demo.UNDEPLOYED_ID, {})
            assert "not deployed" in str(undeployed.value)
            with pytest.raises(NotFoundError):
                await c.execute("3b1f7c92-0000-4a6b-9c0d-0000000000ff", {})
            await c.execute(demo.ECHO_ID, {}, run_id="desk-dup-1")
            with pytest.raises(ConflictError) as conflict:
                await c.execute(demo.ECHO_ID, {}, run_id="desk-dup-1")
            assert conflict.value.status == 409
            with pytest.raises(PermissionDeniedError):
                await c.execute(demo.LOCKED_ID, {})  # workspace forbids personal keys
        async with connect(any_sandbox, api_key="sk-sim-wrong") as c:
            with pytest.raises(AuthenticationError):
                await c.execute(demo.ECHO_ID, {})
        async with connect(any_sandbox, api_key=demo.WORKSPACE_KEY) as c:
            with pytest.raises((NotFoundError, PermissionDeniedError)):
                await c.execute(demo.TRIAGE_ID, {})  # another workspace's workflow

    run(main())
    any_sandbox.state.used_run_ids.discard("desk-dup-1")
    assert clock.sleeps == []


def test_a_public_workflow_runs_without_a_key(any_sandbox: RunningSandbox, connect: Connect) -> None:
    async def main() -> None:
        async with connect(any_sandbox, api_key=None) as c:
            result = await c.execute(demo.PUBLIC_ID, {"hello": "world"})
            assert result.output == {"pong": True, "echo": {"hello": "world"}}
            with pytest.raises(AuthenticationError):
                await c.execute(demo.ECHO_ID, {})

    run(main())


def test_a_response_block_shapes_the_legacy_reply(any_sandbox: RunningSandbox, connect: Connect) -> None:
    async def main() -> None:
        async with connect(any_sandbox) as c:
            result = await c.execute(demo.RESPONDER_ID, {"payload": {"id": 7}})
            assert result.succeeded
            if any_sandbox.config.v2:  # v2 keeps the payload inside output
                assert result.response is None and result.output["data"]["ticket"] == "T-1042"
            else:
                assert result.response is not None and result.response.status == 201
                assert result.response.headers["x-demo-responder"] == "yes"
                assert result.output == {"received": {"payload": {"id": 7}}, "ticket": "T-1042", "accepted": True}

    run(main())


def test_large_outputs_arrive_with_their_placeholder(sandbox: RunningSandbox, connect: Connect) -> None:
    async def main() -> None:
        async with connect(sandbox) as c:
            result = await c.execute(demo.LARGE_ID, {"rows": 5000})
            assert result.output["count"] == 5000 and len(result.output["rows"]) == 5000
            assert is_large_value_ref(result.output["archive"])
            assert not is_large_value_ref(result.output["rows"])

    run(main())


def test_files_reach_a_file_input(any_sandbox: RunningSandbox, connect: Connect, tmp_path: Any) -> None:
    doc = tmp_path / "plan.pdf"
    doc.write_bytes(b"%PDF-1.7 quarterly plan")

    async def main() -> None:
        async with connect(any_sandbox) as c:
            with doc.open("rb") as handle:
                result = await c.execute(demo.FILES_ID, {"documents": [doc, handle], "instructions": "short"})
            assert result.succeeded
            assert [f["name"] for f in result.output["files"]] == ["plan.pdf", "plan.pdf"]
            assert result.output["files"][0]["size"] == len(b"%PDF-1.7 quarterly plan")

    run(main())


# --- streams -----------------------------------------------------------------------------------


def test_a_stream_accumulates_text_per_block_and_ends_after_final(
    any_sandbox: RunningSandbox, connect: Connect
) -> None:
    async def main() -> None:
        async with connect(any_sandbox) as c:
            events = await collect(c, demo.STORY_ID, {"words": 30}, selected_outputs=["storyteller.content"])
            chunks = [e for e in events if isinstance(e, Chunk)]
            final = events[-1]
            assert isinstance(final, Final) and final.success and final.status == "completed"
            assert len(chunks) == 30
            assert final.texts[chunks[0].block_id] == "".join(ch.text for ch in chunks)
            assert final.text.startswith("Once upon a time")
            assert final.run_id is not None and final.run_id.startswith("desk-")
            polled = await c.get_run(demo.STORY_ID, final.run_id)
            assert polled.status is RunStatus.COMPLETED

    run(main())


def test_a_stream_read_in_batches_holds_the_same_events(any_sandbox: RunningSandbox, connect: Connect) -> None:
    options: dict[str, Any] = {
        "selected_outputs": ["researcher.content"], "include_thinking": True, "include_tool_calls": True,
    }  # fmt: skip

    async def batched(c: SimClient) -> list[StreamEvent]:
        events: list[StreamEvent] = []
        async with c.stream(demo.RESEARCH_ID, {"question": "Oslo?"}, **options) as stream:
            async for batch in stream.batches():
                events.extend(batch)
        return events

    async def main() -> tuple[list[StreamEvent], list[StreamEvent]]:
        async with connect(any_sandbox) as c:
            return await collect(c, demo.RESEARCH_ID, {"question": "Oslo?"}, **options), await batched(c)

    one_by_one, in_batches = run(main())
    final = in_batches[-1]
    assert isinstance(final, Final) and final.success
    assert {Thinking, ToolCall, ChunkReset, Chunk} <= {type(e) for e in in_batches}
    assert in_batches[:-1] == one_by_one[:-1]  # the runs differ only in their ids


def test_agent_events_thinking_tools_and_a_retracted_draft(any_sandbox: RunningSandbox, connect: Connect) -> None:
    async def main() -> None:
        async with connect(any_sandbox) as c:
            events = await collect(
                c,
                demo.RESEARCH_ID,
                {"question": "Oslo?"},
                selected_outputs=["researcher.content"],
                include_thinking=True,
                include_tool_calls=True,
            )
            kinds = {type(e) for e in events}
            assert {Thinking, ToolCall, ChunkReset, Chunk, Final} <= kinds
            tools = [(e.phase, e.name) for e in events if isinstance(e, ToolCall)]
            assert tools == [
                ("start", "web_search"),
                ("end", "web_search"),
                ("start", "read_page"),
                ("end", "read_page"),
            ]
            final = events[-1]
            assert isinstance(final, Final)
            assert final.text.startswith("Short answer") and "Let me check" not in final.text
            plain = await collect(c, demo.RESEARCH_ID, {}, selected_outputs=["researcher.content"])
            assert not any(isinstance(e, Thinking | ToolCall) for e in plain)

    run(main())


def test_a_stream_without_selected_outputs_is_just_the_final_output(
    any_sandbox: RunningSandbox, connect: Connect
) -> None:
    async def main() -> None:
        async with connect(any_sandbox) as c:
            events = await collect(c, demo.ECHO_ID, {"message": "hi"})
            assert len(events) == 1 and isinstance(events[0], Final)
            assert events[0].output == {"message": "hi"}

    run(main())


def test_streams_of_failing_and_pausing_runs(any_sandbox: RunningSandbox, connect: Connect) -> None:
    async def main() -> None:
        async with connect(any_sandbox) as c:
            # a failing block ends the stream with an error frame, no final
            # (tests/fixtures/sim-0.8.9/fail-v2-stream.body, fail-legacy-stream.body)
            failed = await collect(c, demo.FAILING_ID, {})
            assert len(failed) == 1 and isinstance(failed[0], RunFailed)
            assert failed[0].message == "HTTP 1: 502 from upstream"
            paused = (await collect(c, demo.APPROVAL_ID, {"amount": 9}))[-1]
            assert isinstance(paused, Final) and paused.status == "paused"
            any_sandbox.faults.update({"fail_stream_after_first": 1})
            events = await collect(c, demo.STORY_ID, {}, selected_outputs=["storyteller.content"])
            assert isinstance(events[-1], RunFailed) and "fault knob" in events[-1].message
            assert len(events) == 2

    run(main())


def test_closing_a_stream_early_cancels_the_run(any_sandbox: RunningSandbox, connect: Connect) -> None:
    # with a manual clock the whole story is written at once; a gap keeps the run going until we close
    any_sandbox.faults.update({"stream_gap_s": 5.0})

    async def main() -> str | None:
        async with connect(any_sandbox) as c:
            async with c.stream(demo.STORY_ID, {}, selected_outputs=["storyteller.content"]) as s:
                first = await anext(s)
                assert isinstance(first, Chunk)
                run_id = s.run_id
            return run_id

    run_id = run(main())
    assert run_id is not None
    sandbox_run = any_sandbox.state.runs[run_id]
    # Sim records a run whose client went away as cancelled, with no error
    # (tests/fixtures/sim-0.8.9/redis/slow-stream-disconnect-status.body)
    assert eventually(lambda: sandbox_run.status(any_sandbox.clock.now())[0] == "cancelled")

    async def polled() -> tuple[str, object]:
        async with connect(any_sandbox) as c:
            polled_run = await c.get_run(demo.STORY_ID, run_id)
            return polled_run.status.value, polled_run.error

    assert run(polled()) == ("cancelled", None)


# --- async runs, polling, cancel, resume, logs ---------------------------------------------------


def test_async_run_lifecycle(any_sandbox: RunningSandbox) -> None:
    clock = FakeClock(any_sandbox)  # each poll's wait moves the sandbox clock

    async def main() -> None:
        async with SimClient(any_sandbox.base_url, demo.DEMO_KEY, retry=policy(clock)) as c:
            receipt = await c.execute_async(demo.SLOW_ID, {"minutes": 1}, execution_timeout_s=600)
            assert isinstance(receipt, AsyncReceipt) and receipt.status_url.startswith(any_sandbox.base_url)
            assert receipt.surface == surface_of(any_sandbox)
            first = await c.get_run(demo.SLOW_ID, receipt.run_id)
            assert first.status in (RunStatus.QUEUED, RunStatus.PENDING)
            seen: list[RunStatus] = []
            done = await c.wait_for_run(demo.SLOW_ID, receipt.run_id, on_update=lambda r: seen.append(r.status))
            assert done.status is RunStatus.COMPLETED
            assert done.output["progress"]["percent"] == 100
            assert RunStatus.RUNNING in seen
            if receipt.job_id is not None:
                job = await c.get_job(receipt.job_id)
                assert job.status is RunStatus.COMPLETED and job.run_success is True
                assert job.run_id == receipt.run_id and job.output["report"]["rowsProcessed"] == 12000

    run(main())
    assert 55 <= sum(clock.sleeps) <= 80


def test_a_long_run_shows_progress_through_block_outputs(any_sandbox: RunningSandbox, connect: Connect) -> None:
    async def main() -> None:
        async with connect(any_sandbox) as c:
            receipt = await c.execute_async(demo.SLOW_ID, {"minutes": 2})
            assert isinstance(any_sandbox.clock, ManualClock)
            any_sandbox.clock.advance(1 + 60)  # queued for a second, then half of the twelve steps
            steps = [f"b-step-{i:02d}" for i in range(1, 13)]
            halfway = await c.get_run(demo.SLOW_ID, receipt.run_id, selected_outputs=steps)
            assert halfway.status is RunStatus.RUNNING
            assert halfway.block_outputs is not None
            assert sorted(halfway.block_outputs) == steps[:6]
            assert halfway.block_outputs["b-step-06"]["progress"]["percent"] == 50
            plain = await c.get_run(demo.SLOW_ID, receipt.run_id)
            assert plain.block_outputs is None

    run(main())


def test_cancel_a_running_run_and_a_finished_one(any_sandbox: RunningSandbox, connect: Connect) -> None:
    async def main() -> None:
        async with connect(any_sandbox) as c:
            receipt = await c.execute_async(demo.SLOW_ID, {"minutes": 5})
            any_sandbox.clock.advance(30)  # type: ignore[attr-defined]
            cancelled = await c.cancel_run(demo.SLOW_ID, receipt.run_id)
            assert cancelled.success and cancelled.reason == "recorded" and cancelled.durably_recorded
            assert (await c.get_run(demo.SLOW_ID, receipt.run_id)).status is RunStatus.CANCELLED
            finished = await c.execute(demo.ECHO_ID, {})
            again = await c.cancel_run(demo.ECHO_ID, finished.run_id)
            assert (again.success, again.reason, again.durably_recorded) == (True, "already_completed", False)
            with pytest.raises(NotFoundError):
                await c.cancel_run(demo.ECHO_ID, "desk-no-such-run")

    run(main())


def test_pause_and_resume(any_sandbox: RunningSandbox, connect: Connect) -> None:
    async def main() -> None:
        async with connect(any_sandbox) as c:
            first = await c.execute(demo.APPROVAL_ID, {"amount": 120, "reason": "train"})
            if any_sandbox.config.v2:
                assert first.status is RunStatus.PAUSED
            run_ = await c.get_run(demo.APPROVAL_ID, first.run_id)
            assert run_.status is RunStatus.PAUSED and run_.paused is not None
            assert run_.paused.context_id
            resumed = await c.resume_run(
                demo.APPROVAL_ID, first.run_id, run_.paused.context_id, {"approved": True, "comment": "ok"}
            )
            assert isinstance(resumed, RunResult) and resumed.succeeded
            assert resumed.run_id != first.run_id
            assert resumed.output == {"approved": True, "comment": "ok", "amount": 120, "booked": True}

    run(main())


def test_list_runs_and_logs_on_v2(sandbox: RunningSandbox, connect: Connect) -> None:
    async def main() -> None:
        async with connect(sandbox) as c:
            ids = [(await c.execute(demo.ECHO_ID, {"n": n})).run_id for n in range(3)]
            listed = [r.run_id async for r in c.list_runs(demo.ECHO_ID, page_size=2)]
            assert set(ids) <= set(listed) and len(listed) == len(set(listed))
            failed = [r async for r in c.list_runs(demo.FAILING_ID, status="failed")]
            assert all(r.status is RunStatus.FAILED for r in failed)
            logs = [entry async for entry in c.list_logs(demo.WS_DEMO, workflow_ids=[demo.ECHO_ID], page_size=2)]
            assert set(ids) <= {entry.run_id for entry in logs}
            one = [entry async for entry in c.list_logs(demo.WS_DEMO, run_id=ids[0], details="full")]
            assert [entry.run_id for entry in one] == [ids[0]]
            log = await c.get_log(ids[0])
            assert log.run_id == ids[0] and log.workflow_name == "Echo" and log.status is RunStatus.COMPLETED
            # the SDK never fills these (§14 flaw 9)
            assert log.trace_spans and log.final_output == {"message": "", "n": 0}
            with pytest.raises(TypeError, match="colour"):
                c.list_logs(demo.WS_DEMO, colour="red")  # type: ignore[call-arg]  # what mypy would refuse too

    run(main())


def test_rate_limit_headers_are_tracked_per_operation(sandbox: RunningSandbox, connect: Connect) -> None:
    async def main() -> None:
        async with connect(sandbox) as c:
            states: list[int | None] = []
            c.rate_limits.subscribe(lambda s: states.append(s.remaining) if s.bucket == "v2 execute" else None)
            for _ in range(3):
                await c.execute(demo.ECHO_ID, {})
            await c.get_workflow(demo.ECHO_ID)
            assert states == [59, 58, 57]
            execute = c.rate_limits.get("v2 execute")
            assert execute is not None and execute.limit == 60 and execute.reset_at is not None
            workflow = c.rate_limits.get("v2 workflows.get")
            assert workflow is not None and workflow.remaining == 59

    run(main())


def test_an_exhausted_request_bucket_is_waited_out_as_the_server_says(sandbox: RunningSandbox) -> None:
    clock = FakeClock(sandbox)  # a wait moves the sandbox clock, so the bucket really refills

    refusals: list[float] = []

    async def main() -> None:
        async with SimClient(sandbox.base_url, demo.DEMO_KEY, retry=policy(clock)) as c:
            c.rate_limits.subscribe(lambda s: refusals.append(s.retry_after) if s.retry_after else None)
            for _ in range(61):  # capacity 60 on the free plan
                await c.get_deployment(demo.ECHO_ID)

    run(main())
    assert len(refusals) == 1 and len(clock.sleeps) == 1
    assert refusals[0] >= 1
    assert refusals[0] <= clock.sleeps[0] <= refusals[0] * 1.25  # never less than Retry-After


def test_resuming_a_streamed_run(any_sandbox: RunningSandbox, connect: Connect) -> None:
    """Legacy resumes mirror the original mode, so a streamed run's resume answers with SSE."""

    async def main() -> None:
        async with connect(any_sandbox) as c:
            async with c.stream(demo.APPROVAL_ID, {"amount": 75}) as s:
                events = [e async for e in s]
                run_id = s.run_id
            assert isinstance(events[-1], Final) and events[-1].status == "paused"
            assert run_id is not None
            paused = await c.get_run(demo.APPROVAL_ID, run_id)
            assert paused.paused is not None and paused.paused.context_id
            resumed = await c.resume_run(demo.APPROVAL_ID, run_id, paused.paused.context_id, {"approved": False})
            assert isinstance(resumed, RunResult) and resumed.succeeded
            assert resumed.output == {"approved": False, "comment": "", "amount": 75, "booked": False}

    run(main())
