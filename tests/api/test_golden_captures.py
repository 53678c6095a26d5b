"""Golden tests: the real client reads every answer recorded from a real Sim v0.8.9.

Each capture in ``tests/fixtures/sim-0.8.9`` is served byte for byte by the replay server
(``tests/support/replay.py``) and the client makes the call that produced it, over a loopback
socket, as it would call Sim. Every capture must come back as a typed result or a typed
:class:`SimError` (never another exception); each family then has its own assertions.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import replace
from typing import Any, Literal

import pytest

from simdesk.api import SimClient
from simdesk.api.errors import (
    AuthenticationError,
    ConflictError,
    FeatureUnavailableError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    SimError,
    ValidationError,
)
from simdesk.api.messages import user_message
from simdesk.core.runs import AsyncReceipt, CancelResult, Job, Run, RunError, RunResult, RunStatus
from simdesk.core.spans import block_spans
from simdesk.core.stream_events import Final, RunFailed, StreamEvent
from simdesk.core.usage import LogEntry
from tests.support.api import FakeClock, policy, run
from tests.support.replay import CAPTURES, ReplayServer, answer_names, load_answer, load_wire, replaying

KEY = "sk-sim-REPLAYREPLAYREPLAY12345"
WS = "8cbaf5f8-c20d-4119-9588-8c53a7ed9cdf"
ECHO = "39fdddb4-dda5-4aae-b0ef-cf38ab4c0838"
FAILING = "f151983a-6d6d-47e6-9d7c-eb6eaa9d6c18"
START_BLOCK = "dc8c3ee9-a088-4e7f-9034-03035163da3f"
HTTP_ERROR = (
    "HTTP 1: HTTP Request failed: URL: http://127.0.0.1:9/nothing | Method: GET "
    "| Error: connect ECONNREFUSED 127.0.0.1:9"
)

Call = Callable[[SimClient], Awaitable[Any]]
Surface = Literal["v2", "legacy"]


async def _collect(items: Any, limit: int | None = None) -> list[Any]:
    """The items, or the first ``limit`` (the replay repeats a page, cursor and all)."""
    found = []
    async for item in items:
        found.append(item)
        if len(found) == limit:
            break
    return found


LOGS_PAGE = len(json.loads((CAPTURES / "v2-logs.body").read_bytes())["data"])


async def _stream(c: SimClient) -> list[StreamEvent]:
    async with c.stream(ECHO, {"message": "x"}) as s:
        return [event async for event in s]


# What the client calls to get each family of answer, and on which surface.
CALLS: dict[str, tuple[Surface, Call]] = {
    "health": ("v2", lambda c: c.health()),
    "workspaces": ("v2", lambda c: c.list_workspaces()),
    "workflows": ("v2", lambda c: _collect(c.list_workflows(WS))),
    "v1-workflows": ("legacy", lambda c: _collect(c.list_workflows(WS))),
    "folders": ("v2", lambda c: c.list_folders(WS)),
    "workflow": ("v2", lambda c: c.get_workflow(ECHO)),
    "deployment": ("v2", lambda c: c.get_deployment(ECHO)),
    "status": ("legacy", lambda c: c.get_workflow_status(ECHO)),
    "logs": ("v2", lambda c: _collect(c.list_logs(WS), LOGS_PAGE)),
    "log": ("v2", lambda c: c.get_log("realsim-run-0001")),
    "usage": ("legacy", lambda c: c.get_usage_limits()),
    "billing": ("v2", lambda c: c.get_billing_status(WS)),
    "execute-v2": ("v2", lambda c: c.execute(ECHO, {"message": "x"})),
    "execute": ("legacy", lambda c: c.execute(ECHO, {"message": "x"})),
    "stream-v2": ("v2", _stream),
    "stream": ("legacy", _stream),
    "async-v2": ("v2", lambda c: c.execute_async(ECHO, {"message": "x"})),
    "async": ("legacy", lambda c: c.execute_async(ECHO, {"message": "x"})),
    "job": ("legacy", lambda c: c.get_job("workflow-execution:103756d4-842c-4cb8-bfbd-69624a40188e")),
    "run-v2": ("v2", lambda c: c.get_run(ECHO, "realsim-run-0003", include_output=True)),
    "run": ("legacy", lambda c: c.get_run(ECHO, "103756d4-842c-4cb8-bfbd-69624a40188e", include_output=True)),
    "cancel-v2": ("v2", lambda c: c.cancel_run(ECHO, "realsim-run-0001")),
    "cancel": ("legacy", lambda c: c.cancel_run(ECHO, "slow-leg-8628")),
}

# Each capture's family (the call that produced it). A new capture must be added here.
FAMILY: dict[str, str] = {
    "health": "health",
    "v2-workspaces": "workspaces", "pkey-v2-workspaces": "workspaces", "wskey-v2-workspaces": "workspaces",
    "v2-workspaces-badkey": "workspaces", "v2-bad-key": "workspaces", "v2-no-key": "workspaces",
    "v2-unknown-path": "workspaces",
    "v2-workflows": "workflows", "v1-workflows": "v1-workflows", "v1-workflows-badkey": "v1-workflows",
    "v2-folders": "folders", "v2-workflow": "workflow", "v2-deployment": "deployment",
    "workflow-status": "status", "wskey-foreign-status": "status",
    "v2-logs": "logs", "v2-log-one": "log",
    "usage-limits": "usage", "redis/usage-limits": "usage", "rl-usage-when-empty": "usage",
    "redis/rl-usage-when-empty": "usage", "wskey-usage": "usage", "usage-limits-badkey": "usage",
    "v2-billing": "billing",
    "v2-execute-sync": "execute-v2", "fail-v2-sync": "execute-v2", "resp-v2-sync": "execute-v2",
    "v2-bad-json": "execute-v2", "v2-empty-body": "execute-v2", "v2-input-string": "execute-v2",
    "v2-unknown-field": "execute-v2", "v2-reused-runid": "execute-v2", "v2-timeout-noasync": "execute-v2",
    "v2-undeployed": "execute-v2", "v2-unknown-workflow": "execute-v2", "wskey-foreign-v2": "execute-v2",
    "rl-v2-429": "execute-v2", "rl-v2-exec-when-empty": "execute-v2", "v2-async-stream": "execute-v2",
    "sync-execute": "execute", "sync-empty-body": "execute", "sync-input-wrapped": "execute",
    "sync-body-async-true": "execute", "exec-id-first": "execute", "wskey-own-exec": "execute",
    "fail-legacy-sync": "execute", "resp-legacy-sync": "execute", "bad-json": "execute", "bad-key": "execute",
    "bearer-key": "execute", "no-key": "execute", "exec-id-invalid": "execute", "exec-id-reuse": "execute",
    "timeout-hdr-sync": "execute", "trigger-type-override": "execute", "undeployed": "execute",
    "unknown-workflow": "execute", "wskey-foreign-legacy": "execute", "rl-legacy-exec-429": "execute",
    "redis/rl-legacy-exec-429": "execute", "rl-v1-429": "execute", "legacy-exec-unknown-wf-badkey": "execute",
    "async-with-selected": "execute", "stream-thinking-noproto": "execute",
    "v2-execute-stream": "stream-v2", "v2-stream-selected": "stream-v2", "fail-v2-stream": "stream-v2",
    "stream-noselect": "stream", "stream-select": "stream", "stream-header": "stream", "stream-proto": "stream",
    "fail-legacy-stream": "stream", "resp-legacy-stream": "stream", "resp-legacy-stream-sel": "stream",
    "rl-legacy-stream-when-empty": "stream",
    "v2-execute-async": "async-v2", "fail-v2-async": "async-v2", "slow-v2-async": "async-v2",
    "redis/slow-v2-async": "async-v2",
    "async-execute": "async", "fail-legacy-async": "async", "slow-legacy-async": "async",
    "redis/slow-legacy-async": "async",
    "job-poll": "job", "job-poll-2": "job", "fail-job-poll": "job", "job-unknown": "job",
    "slow-legacy-job-running": "job", "slow-legacy-job-after-cancel": "job",
    "redis/slow-legacy-job-running": "job", "redis/slow-legacy-job-after-cancel": "job",
    "v2-run": "run-v2", "v2-run-sync": "run-v2", "fail-v2-run": "run-v2", "v2-run-unknown": "run-v2",
    "slow-v2-run-running": "run-v2", "slow-v2-run-after-cancel": "run-v2",
    "redis/slow-v2-run-running": "run-v2", "redis/slow-v2-run-after-cancel": "run-v2",
    "execution-status": "run", "fail-exec-status": "run", "legacy-exec-unknown-exec": "run",
    "slow-legacy-exec-running": "run", "slow-legacy-exec-after-cancel": "run",
    "slow-stream-disconnect-status": "run", "slow-sync-disconnect-status": "run",
    "redis/slow-legacy-exec-running": "run", "redis/slow-legacy-exec-after-cancel": "run",
    "redis/slow-stream-disconnect-status": "run", "redis/slow-sync-disconnect-status": "run",
    "v2-cancel-completed": "cancel-v2", "redis/v2-cancel-completed": "cancel-v2", "slow-v2-cancel": "cancel-v2",
    "slow-v2-cancel-again": "cancel-v2", "redis/slow-v2-cancel": "cancel-v2",
    "redis/slow-v2-cancel-again": "cancel-v2",
    "legacy-cancel-completed": "cancel", "slow-legacy-cancel": "cancel", "redis/slow-legacy-cancel": "cancel",
}  # fmt: skip


@pytest.fixture(scope="module")
def replay() -> Iterator[ReplayServer]:
    yield from replaying(scale=0.05)


def call(replay: ReplayServer, name: str) -> Any:
    """Make ``name``'s call against the replay server playing ``name``; returns the result or
    the raised :class:`SimError` (anything else fails the test)."""
    surface, make = CALLS[FAMILY[name]]
    replay.play(name)
    return run(_on(replay, surface, make))


async def _on(replay: ReplayServer, surface: Surface, make: Call) -> Any:
    async with SimClient(replay.base_url, KEY, retry=policy(FakeClock()), surface=surface) as c:
        try:
            return await make(c)
        except SimError as exc:
            return exc


def test_every_capture_has_a_family() -> None:
    names = answer_names()
    assert len(names) > 100  # the fixtures are there
    assert sorted(set(names) - set(FAMILY)) == []
    assert sorted(set(FAMILY) - set(names)) == []


@pytest.mark.parametrize("name", sorted(FAMILY))
def test_every_capture_reads_as_a_typed_answer(replay: ReplayServer, name: str) -> None:
    result = call(replay, name)
    status = int((CAPTURES / f"{name}.headers").read_text("latin-1").split(" ", 2)[1])
    if isinstance(result, FeatureUnavailableError):
        assert status == 404  # how a server without v2 answers a v2 path
    elif isinstance(result, SimError):
        assert status >= 400, f"a {status} answer raised {result!r}"
        assert result.status == status  # one mapping turns it into a sentence
        assert KEY not in str(result) and KEY not in user_message(result)
    else:
        assert status < 400 or FAMILY[name] == "execute", f"a {status} answer read as {result!r}"
    assert replay.requests, "the client did not call the server"


# --- errors: status → class and the server's own message ------------------------------------


@pytest.mark.parametrize(
    ("name", "kind", "message"),
    [
        ("bad-key", AuthenticationError, "Invalid API key"),
        ("no-key", AuthenticationError, "Unauthorized"),
        ("v2-bad-key", AuthenticationError, "Invalid API key"),
        ("usage-limits-badkey", AuthenticationError, "Authentication required"),
        ("undeployed", PermissionDeniedError, "Workflow is not deployed"),
        ("v2-undeployed", PermissionDeniedError, "Workflow is not deployed"),
        ("wskey-foreign-legacy", PermissionDeniedError, "API key is not authorized for this workspace"),
        ("unknown-workflow", NotFoundError, "Workflow not found"),
        ("v2-unknown-workflow", NotFoundError, "Workflow not found"),
        ("v2-unknown-path", FeatureUnavailableError, "needs Sim's v2 API"),  # a v2 404 on listing
        ("v2-run-unknown", NotFoundError, "Run not found"),
        ("job-unknown", NotFoundError, "Task not found"),
        ("legacy-exec-unknown-exec", NotFoundError, "Execution not found"),
        ("wskey-foreign-status", NotFoundError, "Workflow not found"),
        ("exec-id-reuse", ConflictError, "Execution ID has already been used"),
        ("v2-reused-runid", ConflictError, "Run ID has already been used"),
        ("legacy-cancel-completed", ConflictError, "Execution cannot be cancelled while completed"),
        ("bad-json", ValidationError, "Invalid JSON in request body"),
        ("v2-unknown-field", ValidationError, 'Unrecognized key: "bogus"'),
        ("v2-timeout-noasync", ValidationError, "executionTimeoutSeconds is supported only for async execution"),
        ("timeout-hdr-sync", ValidationError, "X-Execution-Timeout-Seconds is supported only for async runs"),
        ("trigger-type-override", ValidationError, "External callers cannot override triggerType"),
        ("rl-legacy-exec-429", RateLimitError, "Rate limit exceeded. Please try again later."),
        ("rl-v2-429", RateLimitError, "API rate limit exceeded"),
    ],
)
def test_error_answers_raise_their_class_with_the_servers_message(
    replay: ReplayServer, name: str, kind: type[SimError], message: str
) -> None:
    error = call(replay, name)
    assert isinstance(error, kind), repr(error)
    assert message in error.message


def test_error_codes_and_request_ids_are_kept(replay: ReplayServer) -> None:
    reuse = call(replay, "v2-reused-runid")
    assert (reuse.code, reuse.detail_code) == ("CONFLICT", "RUN_ID_CONFLICT")
    assert call(replay, "job-unknown").code == "TASK_NOT_FOUND"
    undeployed = call(replay, "v2-undeployed")
    assert undeployed.detail_code == "WORKFLOW_NOT_DEPLOYED"
    assert undeployed.request_id and len(undeployed.request_id) == 8  # real Sim: 8 hex characters


# --- runs ---------------------------------------------------------------------------------


def test_sync_results_on_both_surfaces(replay: ReplayServer) -> None:
    v2 = call(replay, "v2-execute-sync")
    assert isinstance(v2, RunResult) and v2.succeeded and v2.surface == "v2"
    assert (v2.run_id, v2.output) == ("realsim-run-0001", {"message": "hello v2"})
    legacy = call(replay, "sync-execute")
    assert isinstance(legacy, RunResult) and legacy.succeeded and legacy.surface == "legacy"
    assert legacy.run_id == "1041983d-2e3e-48a1-9e56-0fe1ff3d3539"
    assert legacy.output == {"message": "hello real sim"}
    assert legacy.request_id and legacy.started_at is not None


def test_durations_are_fractional_or_whole(replay: ReplayServer) -> None:
    legacy = call(replay, "exec-id-first")
    assert legacy.duration_ms == pytest.approx(9.984634000109509)  # metadata.duration, a float
    v2 = call(replay, "v2-execute-sync")
    assert v2.duration_ms == pytest.approx(22.376154000055976)  # durationMs of a sync run, a float
    assert call(replay, "v2-run").duration_ms == 3  # durationMs of a polled run, a whole number


def test_start_block_output_echoes_the_input(replay: ReplayServer) -> None:
    assert call(replay, "sync-input-wrapped").output == {"message": "wrapped", "input": {"message": "wrapped"}}
    assert call(replay, "sync-empty-body").output == {"message": ""}


def test_failed_sync_runs_are_results_not_exceptions(replay: ReplayServer) -> None:
    v2 = call(replay, "fail-v2-sync")
    assert isinstance(v2, RunResult) and v2.status is RunStatus.FAILED and v2.error is not None
    assert (v2.error.code, v2.error.block_name, v2.error.block_type) == ("BLOCK_EXECUTION_FAILED", "HTTP 1", "api")
    assert v2.error.message == HTTP_ERROR.removeprefix("HTTP 1: ")  # v2 names the block apart
    legacy = call(replay, "fail-legacy-sync")  # HTTP 500 with success:false
    assert isinstance(legacy, RunResult) and legacy.status is RunStatus.FAILED
    assert legacy.error is not None and HTTP_ERROR in legacy.error.message


def test_response_block_replies(replay: ReplayServer) -> None:
    legacy = call(replay, "resp-legacy-sync")
    assert isinstance(legacy, RunResult) and legacy.response is not None
    assert legacy.response.status == 201 and legacy.output == {"echo": "resp", "ok": True}
    v2 = call(replay, "resp-v2-sync")
    assert isinstance(v2, RunResult) and v2.succeeded and v2.output["data"] == {"echo": "resp", "ok": True}


def test_polled_runs(replay: ReplayServer) -> None:
    done = call(replay, "v2-run")
    assert isinstance(done, Run) and done.status is RunStatus.COMPLETED and done.run_id == "realsim-run-0003"
    failed = call(replay, "fail-v2-run")
    assert failed.status is RunStatus.FAILED and failed.error is not None and HTTP_ERROR in failed.error.message
    running = call(replay, "slow-v2-run-running")
    assert running.status is RunStatus.RUNNING and running.ended_at is None
    legacy = call(replay, "fail-exec-status")
    assert isinstance(legacy, Run) and legacy.status is RunStatus.FAILED and legacy.surface == "legacy"


@pytest.mark.parametrize("name", ["slow-v2-run-after-cancel", "redis/slow-v2-run-after-cancel"])
def test_a_cancelled_v2_run_has_no_error_and_a_cost(replay: ReplayServer, name: str) -> None:
    cancelled = call(replay, name)
    assert isinstance(cancelled, Run) and cancelled.status is RunStatus.CANCELLED
    assert cancelled.error is None and cancelled.cost == pytest.approx(0.005)


@pytest.mark.parametrize(
    "name", ["slow-stream-disconnect-status", "slow-sync-disconnect-status", "redis/slow-stream-disconnect-status"]
)
def test_a_disconnect_cancels_the_run_at_level_info(replay: ReplayServer, name: str) -> None:
    cancelled = call(replay, name)
    assert isinstance(cancelled, Run) and cancelled.status is RunStatus.CANCELLED and cancelled.error is None
    assert json.loads((CAPTURES / f"{name}.body").read_bytes())["level"] == "info"


def test_cancel_answers(replay: ReplayServer) -> None:
    recorded = call(replay, "slow-v2-cancel")
    assert isinstance(recorded, CancelResult) and recorded.success and recorded.durably_recorded
    again = call(replay, "slow-v2-cancel-again")
    assert not again.success and again.reason == "redis_unavailable"
    legacy = call(replay, "slow-legacy-cancel")
    assert isinstance(legacy, CancelResult) and legacy.success and legacy.reason == "queue_cancelled"


# --- async: receipts and legacy jobs --------------------------------------------------------


def test_async_receipts_point_at_our_host(replay: ReplayServer) -> None:
    v2 = call(replay, "v2-execute-async")
    assert isinstance(v2, AsyncReceipt) and v2.run_id == "realsim-run-0003"
    assert v2.status_url.startswith(replay.base_url)  # not the server's idea of itself (127.0.0.1:3000)
    legacy = call(replay, "async-execute")
    assert isinstance(legacy, AsyncReceipt) and legacy.run_id == "103756d4-842c-4cb8-bfbd-69624a40188e"
    assert legacy.job_id == "workflow-execution:103756d4-842c-4cb8-bfbd-69624a40188e"
    assert legacy.status_url == f"{replay.base_url}/api/jobs/workflow-execution%3A103756d4-842c-4cb8-bfbd-69624a40188e"


def test_a_job_id_with_a_colon_is_sent_encoded(replay: ReplayServer) -> None:
    job = call(replay, "job-poll")
    assert replay.requests[0].path == "/api/jobs/workflow-execution%3A103756d4-842c-4cb8-bfbd-69624a40188e"
    assert isinstance(job, Job) and job.status is RunStatus.COMPLETED and job.run_success is True
    assert job.run_id == "103756d4-842c-4cb8-bfbd-69624a40188e" and job.output == {"message": "hello async"}


def test_a_failed_job_carries_its_message(replay: ReplayServer) -> None:
    job = call(replay, "fail-job-poll")
    assert isinstance(job, Job) and job.status is RunStatus.FAILED
    assert job.output is None and job.error == HTTP_ERROR


def test_a_failed_job_reads_as_a_failed_run_in_either_shape(replay: ReplayServer) -> None:
    real = call(replay, "fail-job-poll")  # status failed, output null, error on the job
    assert real.run_status is RunStatus.FAILED and real.run_error == RunError(HTTP_ERROR)
    # the shape older documents describe: completed, with the wrapper saying success false
    recorded = load_answer("job-poll")
    body = json.loads(recorded.body)
    body["output"].update(success=False, output=None, error="agent1 broke")
    replay.play(replace(recorded, body=json.dumps(body).encode()))
    old = run(_on(replay, "legacy", CALLS["job"][1]))
    assert old.status is RunStatus.COMPLETED and old.run_status is RunStatus.FAILED
    assert old.run_error == RunError("agent1 broke")
    assert call(replay, "job-poll").run_error is None


def test_running_and_cancelled_jobs(replay: ReplayServer) -> None:
    assert call(replay, "slow-legacy-job-running").status is RunStatus.PROCESSING
    cancelled = call(replay, "slow-legacy-job-after-cancel")
    assert cancelled.status is RunStatus.CANCELLED and cancelled.error == "Cancelled"
    assert cancelled.run_status is RunStatus.CANCELLED and cancelled.run_error is None


# --- logs and spans -------------------------------------------------------------------------


def test_a_log_reads_its_nested_spans_as_one_tree(replay: ReplayServer) -> None:
    entry = call(replay, "v2-log-one")
    assert isinstance(entry, LogEntry) and entry.run_id == "realsim-run-0001" and entry.cost == 0.005
    (root,) = entry.spans
    assert root.is_workflow and root.name == "Workflow Execution" and root.duration_ms == 21
    (start,) = block_spans(entry.spans)
    assert (start.name, start.type, start.block_id, start.execution_order) == ("Start", "start_trigger", START_BLOCK, 1)
    assert start.span_id.startswith(f"{START_BLOCK}-") and start.duration_ms == pytest.approx(20.878383000032045)
    assert start.output == {"message": "hello v2"} and start.input["runMetadata"] is False


def test_flat_spans_read_into_the_same_blocks(replay: ReplayServer) -> None:
    """The shape older documents describe: block spans listed flat, with ``durationMs``."""
    recorded = load_answer("v2-log-one")
    body = json.loads(recorded.body)
    (root,) = body["data"]["traceSpans"]
    flat = [
        {k: v for k, v in span.items() if k not in ("duration", "executionOrder", "children")}
        for span in root["children"]
    ]
    flat[0]["durationMs"] = 20
    body["data"]["traceSpans"] = flat
    replay.play(replace(recorded, body=json.dumps(body).encode()))
    entry = run(_on(replay, "v2", CALLS["log"][1]))
    (start,) = entry.spans
    assert not start.is_workflow and block_spans(entry.spans) == [start]
    assert (start.name, start.block_id, start.duration_ms, start.execution_order) == ("Start", START_BLOCK, 20, None)


def test_a_page_of_logs(replay: ReplayServer) -> None:
    entries = call(replay, "v2-logs")
    assert entries and all(isinstance(e, LogEntry) for e in entries)
    assert {e.workflow_id for e in entries} >= {ECHO}


# --- catalogue, usage, billing --------------------------------------------------------------


def test_catalogue_pages(replay: ReplayServer) -> None:
    workspaces = call(replay, "v2-workspaces")
    assert [w.name for w in workspaces] == ["Real WS"]
    workflows = call(replay, "v2-workflows")
    assert "Echo" in [w.name for w in workflows]
    v1 = call(replay, "v1-workflows")
    assert {w.id for w in v1} == {w.id for w in workflows}
    assert call(replay, "v2-folders") == []
    detail = call(replay, "v2-workflow")
    assert detail.summary.name == "Echo" and [i.name for i in detail.inputs] == ["message"]
    assert call(replay, "workflow-status").is_deployed is True


def test_usage_limits(replay: ReplayServer) -> None:
    fresh = call(replay, "usage-limits")
    assert fresh.sync is not None and fresh.sync.per_minute == 50 and fresh.sync.remaining == 100
    drained = call(replay, "rl-usage-when-empty")  # without Redis: -1 and not limited
    assert drained.sync is not None and drained.sync.remaining == -1
    limited = call(replay, "redis/rl-usage-when-empty")
    assert limited.sync is not None and limited.sync.is_limited and limited.sync.remaining == 0


# --- streams: SSE frames → events -----------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "output"),
    [
        ("v2-execute-stream", {"message": "hello v2 stream"}),
        ("stream-noselect", {"message": "hello stream"}),
        ("stream-select", {START_BLOCK: {"message": "hello stream °✓"}}),  # selected non-agent output
        ("v2-stream-selected", {START_BLOCK: {"message": "sel"}}),
        ("resp-legacy-stream-sel", {"resp-block-0001": {"data": {"echo": "resp", "ok": True}}}),
        ("stream-raw-wire", {"message": "raw bytes °✓ 🙂"}),
        ("slow-stream-raw", {"waitDuration": 8000, "status": "completed"}),
    ],
)
def test_streams_end_with_their_final_output(replay: ReplayServer, name: str, output: Any) -> None:
    replay.play(name)
    events = run(_on(replay, "legacy", _stream))
    (final,) = events  # selected non-agent outputs send no chunk frames
    assert isinstance(final, Final) and final.success and final.output == output


@pytest.mark.parametrize(("name", "surface"), [("fail-v2-stream", "v2"), ("fail-legacy-stream", "legacy")])
def test_a_block_error_ends_the_stream_as_a_failed_run(replay: ReplayServer, name: str, surface: Surface) -> None:
    replay.play(name)
    (failed,) = run(_on(replay, surface, _stream))
    assert isinstance(failed, RunFailed) and failed.message == HTTP_ERROR and failed.run_id


@pytest.mark.parametrize(("name", "scale"), [("stream-raw-wire", 1.0), ("slow-stream-raw", 0.05)])
def test_the_replay_keeps_the_recorded_timing(name: str, scale: float) -> None:
    """The first bytes of a streamed answer come when they came from Sim (times ``scale``): 1.55 s
    for a fast Echo, 8.7 s for a workflow that waits 8 s (headers wait for the first frame)."""
    first_read = load_wire(name).reads[0][0]
    server = ReplayServer(scale=scale).play(name)
    try:
        started = time.monotonic()
        (final,) = run(_on(server, "legacy", _stream))
        took = time.monotonic() - started
    finally:
        server.stop()
    assert isinstance(final, Final) and final.success
    assert first_read * scale <= took < first_read * scale + 5
