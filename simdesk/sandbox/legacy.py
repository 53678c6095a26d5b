"""The legacy surface: ``/api/workflows/...``, ``/api/jobs``, ``/api/resume``, usage limits.

Bare JSON objects, ``{"error": "<text>"}`` errors, no ``X-RateLimit-*`` headers (CONTRACT.md §4, §7,
§8.1, §10, §11).
"""

from __future__ import annotations

import json
import random
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from simdesk.sandbox.clock import iso
from simdesk.sandbox.engine import CLIENT_CANCELLED, execute_sync, sse_body
from simdesk.sandbox.frames import FrameBuilder
from simdesk.sandbox.model import ApiKey, Workflow
from simdesk.sandbox.respond import JSON, FirstFrameResponse, legacy_coded, legacy_error
from simdesk.sandbox.runs import (
    CAPACITY_MESSAGE,
    CONCURRENCY_MESSAGE,
    LEGACY_STATUS,
    MAX_BODY_BYTES,
    MAX_TIMEOUT_S,
    RATE_MESSAGE,
    RUN_ID_RE,
    USAGE_MESSAGE,
    FileInputError,
    Refusal,
    block_outputs,
    check_quotas,
    convert_files,
    cost_of,
    duration_ms,
    paused_block,
    reported_times,
    start_output,
    storage_block,
    sync_duration_ms,
)
from simdesk.sandbox.state import Run, SandboxState

PROTOCOL = "agent-events-v1"
CONTROL_FIELDS = frozenset(
    {
        "selectedOutputs",
        "triggerType",
        "stream",
        "useDraftState",
        "inputFromExecutionId",
        "includeFileBase64",
        "base64MaxBytes",
        "workflowStateOverride",
        "deploymentVersionId",
        "triggerBlockId",
        "stopAfterBlockId",
        "runFromBlock",
        "copilotToolCallId",
        "workflowId",
        "parentWorkspaceId",
    }
)
# Sim's wording (tests/fixtures/sim-0.8.9/exec-id-invalid.body, stream-thinking-noproto.body)
EXECUTION_ID_RULE = "Execution ID can only contain letters, numbers, dots, underscores, colons, and hyphens"
THINKING_NEEDS_PROTOCOL = (
    f"includeThinking and includeToolCalls require the X-Sim-Stream-Protocol: {PROTOCOL} request header, "
    "which declares that the client understands agent-event frames."
)
SSE_HEADERS = {"Cache-Control": "no-cache", "Connection": "keep-alive", "X-Accel-Buffering": "no"}


def _state(request: Request) -> SandboxState:
    state: SandboxState = request.app.state.sandbox
    return state


class Denied(Exception):
    """A refusal on its way out of a helper: the handler returns ``response``."""

    def __init__(self, response: Response) -> None:
        self.response = response


def resolve_key(
    state: SandboxState, request: Request, *, public_ok: bool = False, missing: str = "Unauthorized"
) -> ApiKey | None:
    """Resolve ``X-API-Key``; Bearer is never a key channel (§2). No key: ``None`` if ``public_ok``,
    else a 401 saying ``missing`` (v1 words it "API key required")."""
    value = request.headers.get("x-api-key")
    if value:
        key = state.key_for(value)
        if key is None:
            raise Denied(legacy_error(401, "Invalid API key"))
        return key
    if public_ok:
        return None
    raise Denied(legacy_error(401, missing))


SCOPE_DENIALS = {
    "scope": "API key is not authorized for this workspace",
    "personal": "Personal API keys are not allowed for this workspace",
}


def scope_denial(state: SandboxState, key: ApiKey, workspace_id: str) -> Response | None:
    """The 403 ``{"error"}`` for a key that may not touch this workspace (legacy and v1 word it alike)."""
    why = state.key_may_use(key, workspace_id)
    return legacy_error(403, SCOPE_DENIALS[why]) if why else None


def _refusal(refusal: Refusal) -> Response:
    if refusal.kind == "usage":
        return legacy_error(402, USAGE_MESSAGE)
    if refusal.kind == "rate":
        return legacy_error(429, RATE_MESSAGE)  # the legacy execution-bucket 429 has no headers at all
    if refusal.kind == "concurrency":
        return legacy_error(429, CONCURRENCY_MESSAGE)
    return legacy_error(
        429,
        "Too many requests",
        {"Retry-After": "5"},
        message=CAPACITY_MESSAGE,
        code="ADMISSION_GATE_CAPACITY",
        retryable=True,
        retryAfterSeconds=5,
    )


def _execution_id_problem(value: str) -> str | None:
    """Sim's rules for ``X-Execution-Id``, in its words (exec-id-invalid.body); None when valid."""
    if not value:
        return "Invalid execution ID"
    if len(value) > 128:
        return "Execution ID too long"
    return None if RUN_ID_RE.match(value) else EXECUTION_ID_RULE


def _timeout_problem(text: str) -> str | None:
    """Sim's rules for ``X-Execution-Timeout-Seconds`` on an async request; None when valid."""
    try:
        value = float(text)
    except ValueError:
        return "Invalid input: expected number, received NaN"
    if not value.is_integer():
        return "Execution timeout must be a whole number of seconds"
    if value <= 0:
        return "Execution timeout must be positive"
    if value > MAX_TIMEOUT_S:
        return f"Execution timeout cannot exceed {MAX_TIMEOUT_S} seconds"
    return None


def _validate_body(body: dict[str, Any]) -> list[dict[str, str]]:
    issues = []
    checks: list[tuple[str, Any]] = [
        ("stream", bool),
        ("includeThinking", bool),
        ("includeToolCalls", bool),
        ("includeFileBase64", bool),
    ]
    for name, typ in checks:
        if name in body and not isinstance(body[name], typ):
            issues.append({"path": name, "message": "Expected boolean"})
    if "selectedOutputs" in body:
        sel = body["selectedOutputs"]
        if not isinstance(sel, list) or not all(isinstance(s, str) for s in sel):
            issues.append({"path": "selectedOutputs", "message": "Expected array of strings"})
    if "base64MaxBytes" in body:
        v = body["base64MaxBytes"]
        if not isinstance(v, int) or isinstance(v, bool) or v <= 0:
            issues.append({"path": "base64MaxBytes", "message": "Expected positive integer"})
    return issues


async def execute(request: Request) -> Response:
    state = _state(request)
    workflow = state.workflows.get(request.path_params["id"])
    public = workflow is not None and workflow.public_api and workflow.deployed
    try:
        key = resolve_key(state, request, public_ok=public)
    except Denied as denied:
        return denied.response
    raw = await request.body()
    if len(raw) > MAX_BODY_BYTES:
        return legacy_error(413, "Workflow execution request body exceeds maximum size")
    try:
        body = json.loads(raw) if raw.strip() else {}
    except ValueError:
        return legacy_error(400, "Invalid JSON in request body")
    if not isinstance(body, dict):
        return legacy_error(400, "Invalid request body", details=[{"path": "", "message": "Expected object"}])
    issues = _validate_body(body)
    if issues:
        return legacy_error(400, "Invalid request body", details=issues)

    headers = request.headers
    asynchronous = headers.get("x-execution-mode") == "async"
    stream = body.get("stream") is True or headers.get("x-stream-response") == "true"
    run_id = headers.get("x-execution-id")
    if run_id is not None and (problem := _execution_id_problem(run_id)):
        return legacy_error(
            400, "Invalid execution ID header", details=[{"path": "X-Execution-Id", "message": problem}]
        )
    timeout_header = headers.get("x-execution-timeout-seconds")
    cap: float | None = None
    if timeout_header is not None:
        if not asynchronous:
            return legacy_error(400, "X-Execution-Timeout-Seconds is supported only for async runs")
        if problem := _timeout_problem(timeout_header):
            return legacy_error(
                400,
                "Invalid execution timeout header",
                details=[{"path": "X-Execution-Timeout-Seconds", "message": problem}],
            )
        cap = min(float(timeout_header), 5400.0)
    if body.get("isClientSession") is True or "workflowStateOverride" in body or body.get("useDraftState") is True:
        return legacy_error(400, "API key callers cannot use draft or client-session execution controls")
    run_from = body.get("runFromBlock")
    if isinstance(run_from, dict) and ("sourceSnapshot" in run_from or "executionId" in run_from):
        return legacy_error(400, "API key callers cannot provide runFromBlock snapshots")
    if asynchronous and (body.get("selectedOutputs") or "includeFileBase64" in body or "base64MaxBytes" in body):
        return legacy_error(400, "Async execution does not support draft or override execution controls")
    protocol = headers.get("x-sim-stream-protocol") == PROTOCOL
    if stream and (body.get("includeThinking") or body.get("includeToolCalls")) and not protocol:
        return legacy_error(400, THINKING_NEEDS_PROTOCOL)
    if asynchronous and key is None:
        return legacy_error(401, "Unauthorized")

    if workflow is None:
        return legacy_error(404, "Workflow not found")
    if key is not None and (denial := scope_denial(state, key, workflow.workspace_id)):
        return denial
    if run_id is not None and run_id in state.used_run_ids:
        return legacy_error(409, "Execution ID has already been used", code="EXECUTION_ID_CONFLICT", executionId=run_id)
    if not workflow.deployed:
        return legacy_error(403, "Workflow is not deployed")
    if "triggerType" in body and body["triggerType"] != "api":
        return legacy_error(400, "External callers cannot override triggerType")
    refusal = check_quotas(state, key, asynchronous=asynchronous, path=request.url.path)
    if refusal:
        return _refusal(refusal)

    workflow_input = {k: v for k, v in body.items() if k not in CONTROL_FIELDS}
    if run_id is not None and not state.claim_run_id(run_id):
        return legacy_error(409, "Execution ID has already been used", code="EXECUTION_ID_CONFLICT", executionId=run_id)
    try:
        workflow_input = convert_files(workflow, workflow_input, run_id or "pending")
    except FileInputError as exc:
        return legacy_error(400, str(exc))
    mode = "async" if asynchronous else ("stream" if stream else "sync")
    run = state.create_run(
        workflow,
        key,
        surface="legacy",
        mode=mode,
        input=start_output(workflow, workflow_input),
        run_id=run_id,
        cap_s=cap,
    )
    if asynchronous:
        return _async_receipt(state, run, request)
    if stream:
        builder = FrameBuilder(
            workflow,
            list(body.get("selectedOutputs") or []),
            protocol,
            bool(body.get("includeThinking")),
            bool(body.get("includeToolCalls")),
        )
        return await stream_response(state, run, builder, protocol, extra={})
    return await _sync_result(state, run, request)


def _async_receipt(state: SandboxState, run: Run, request: Request) -> Response:
    assert run.job_id is not None
    path = request.url.path
    run.request_id = request.state.request_id  # the job's correlation quotes the enqueuing call
    if state.faults.consume("ambiguous_enqueue", path):
        return legacy_error(
            503,
            "Async execution queue acceptance could not be confirmed",
            {"X-Execution-Id": run.id},
            code="ASYNC_ENQUEUE_AMBIGUOUS",
            executionId=run.id,
        )
    return JSON(
        {
            "success": True,
            "async": True,
            "jobId": run.job_id,
            "executionId": run.id,
            "message": "Workflow execution queued",
            "statusUrl": state.request_url(f"/api/jobs/{run.job_id}"),
        },
        status_code=202,
    )


async def stream_response(
    state: SandboxState, run: Run, builder: FrameBuilder, protocol: bool, extra: dict[str, str]
) -> Response:
    headers = {"Content-Type": "text/event-stream", **SSE_HEADERS, **extra}
    if protocol:
        headers["X-Sim-Stream-Protocol"] = PROTOCOL
    return FirstFrameResponse(sse_body(state, run, builder), headers=headers)


def _metadata(state: SandboxState, run: Run, *, whole_ms: bool = False) -> dict[str, Any]:
    """Execute reports fractional ms (sync-execute.body); resume was not captured, so it keeps
    the whole ms the OpenAPI text documents."""
    _, ended = run.status(state.clock.now())
    end = ended if ended is not None else state.clock.now()
    duration = sync_duration_ms(run.start_at, end)
    return {"duration": round(duration) if whole_ms else duration, "startTime": iso(run.start_at), "endTime": iso(end)}


async def _sync_result(state: SandboxState, run: Run, request: Request) -> Response:
    if not await execute_sync(state, run, request.is_disconnected):
        return JSON({"success": False, "error": CLIENT_CANCELLED}, status_code=499)
    now = state.clock.now()
    status, _ = run.status(now)
    plan = run.plan
    if status == "failed":
        body: dict[str, Any] = {"success": False}
        if plan.output is not None and not run.timed_out:
            body["output"] = plan.output
        body["error"] = run.error_text(now)
        body["metadata"] = _metadata(state, run)
        return JSON(body, status_code=408 if run.timed_out else 500)
    if plan.response is not None:
        return JSON(plan.response["data"], status_code=plan.response["status"], headers=plan.response["headers"])
    return JSON({"success": True, "executionId": run.id, "output": plan.output, "metadata": _metadata(state, run)})


def _lookup_run(state: SandboxState, workflow_id: str, execution_id: str) -> Run | None:
    run = state.runs.get(execution_id)
    return run if run is not None and run.workflow.id == workflow_id else None


def _execution_of(request: Request) -> tuple[SandboxState, Run]:
    """The run a ``/workflows/{id}/executions/{executionId}`` route names, checked in the server's
    order: the workflow exists (before auth), the key, its scope, then the execution."""
    state = _state(request)
    workflow = state.workflows.get(request.path_params["id"])
    if workflow is None:
        raise Denied(legacy_error(404, "Workflow not found"))
    key = resolve_key(state, request)
    assert key is not None
    if denial := scope_denial(state, key, workflow.workspace_id):
        raise Denied(denial)
    run = _lookup_run(state, workflow.id, request.path_params["executionId"])
    if run is None:
        raise Denied(legacy_error(404, "Execution not found"))
    return state, run


async def execution_status(request: Request) -> Response:
    try:
        state, run = _execution_of(request)
    except Denied as denied:
        return denied.response
    return JSON(
        legacy_execution(
            state,
            run,
            request.query_params.get("includeOutput") == "true",
            _csv(request.query_params.get("selectedOutputs")),
        )
    )


def _csv(value: str | None) -> list[str]:
    return [v for v in (value or "").split(",") if v]


def legacy_execution(state: SandboxState, run: Run, include_output: bool, selected: list[str]) -> dict[str, Any]:
    now = state.clock.now()
    status, ended = run.status(now)
    if status == "redacting":  # not in this route's status set (§7.2); the run has no end recorded yet
        status = "running"
    started_at, ended_at = reported_times(run, status, ended)
    return {
        "executionId": run.id,
        "workflowId": run.workflow.id,
        "status": status,
        "trigger": "api",
        "level": "error" if status == "failed" else "info",
        "startedAt": started_at,
        "endedAt": ended_at,
        "totalDurationMs": duration_ms(state, run),
        "paused": paused_block(state, run, legacy=True),
        "cost": cost_of(state, run),
        "error": run.error_text(now) if status == "failed" else None,
        "finalOutput": run.plan.output if include_output and status == "completed" else None,
        "blockOutputs": block_outputs(state, run, selected),
    }


async def cancel_execution(request: Request) -> Response:
    try:
        state, run = _execution_of(request)
    except Denied as denied:
        return denied.response
    outcome = cancel_run(state, run, legacy=True)
    if outcome in ("already_completed", "already_failed"):
        return legacy_error(409, f"Execution cannot be cancelled while {outcome.removeprefix('already_')}")
    return JSON(cancel_body(state, run, outcome, id_key="executionId"))


def cancel_run(state: SandboxState, run: Run, *, legacy: bool) -> str:
    """Cancel ``run`` if it can be; returns the server's ``reason``.

    Without Redis (``--no-redis``) v2 cannot tell an ended run apart (``redis_unavailable``) and
    legacy cancels every live run as a queued one (``tests/fixtures/sim-0.8.9/v2-cancel-completed.body``,
    ``slow-legacy-cancel.body``); with Redis the ``redis/`` captures hold."""
    status, _ = run.status(state.clock.now())
    if status in ("completed", "failed", "cancelled"):
        return f"already_{status}" if legacy or state.config.redis else "redis_unavailable"
    state.force(run, "cancelled", "Cancelled")
    queued = status == "queued" or (legacy and not state.config.redis)
    return "queue_cancelled" if queued else "recorded"


def cancel_body(state: SandboxState, run: Run, reason: str, *, id_key: str) -> dict[str, Any]:
    """The cancel answer of both surfaces (legacy names the run ``executionId``, v2 ``runId``)."""
    redis = state.config.redis
    return {
        "success": reason != "redis_unavailable",
        id_key: run.id,
        "redisAvailable": redis,
        "durablyRecorded": reason == "recorded" or (redis and reason == "queue_cancelled"),
        "locallyAborted": False,
        "pausedCancelled": False,
        "reason": reason,
    }


async def job_status(request: Request) -> Response:
    state = _state(request)
    value = request.headers.get("x-api-key")
    if not value:
        return legacy_coded(401, "Unauthorized")
    key = state.key_for(value)
    if key is None:
        return legacy_coded(401, "Invalid API key")
    run_id = state.jobs.get(request.path_params["jobId"])
    if run_id is None:
        return legacy_coded(404, "Task not found")
    run = state.runs[run_id]
    why = state.key_may_use(key, run.workflow.workspace_id)
    if why == "scope":
        return legacy_coded(403, "API key is not authorized for this workspace")
    if why == "personal":
        return legacy_coded(403, "Access denied")
    now = state.clock.now()
    status, ended = run.status(now)
    job_status_value = LEGACY_STATUS[status]
    body: dict[str, Any] = {
        "success": True,
        "taskId": run.job_id,
        "status": job_status_value,
        "metadata": {
            "userId": run.key.user_id if run.key else None,
            "workflowId": run.workflow.id,
            "correlation": {
                "source": "workflow",
                "requestId": run.request_id,
                "workflowId": run.workflow.id,
                "executionId": run.id,
                "triggerType": "api",
            },
            "workspaceId": run.workflow.workspace_id,
        },
        "output": None,
    }
    if job_status_value == "completed":
        body["output"] = {
            "output": run.plan.output,
            "success": True,
            "executedAt": iso(ended or now),
            "workflowId": run.workflow.id,
            "executionId": run.id,
        }
    elif job_status_value in ("failed", "cancelled"):
        # a failed workflow fails the job: output null, the block's message as error
        # (tests/fixtures/sim-0.8.9/fail-job-poll.body)
        body["error"] = run.error_text(now) or "Cancelled"
    return JSON(body)


async def workflow_status(request: Request) -> Response:
    state = _state(request)
    workflow = state.workflows.get(request.path_params["id"])
    # this route's 404 quotes the request id (tests/fixtures/sim-0.8.9/wskey-foreign-status.body)
    not_found = {"code": "WORKFLOW_NOT_FOUND", "requestId": request.state.request_id}
    if workflow is None:
        return legacy_error(404, "Workflow not found", **not_found)
    key = state.key_for(request.headers.get("x-api-key"))
    if key is None:
        return legacy_error(401, "Unauthorized")
    if state.key_may_use(key, workflow.workspace_id) is not None:
        return legacy_error(404, "Workflow not found", **not_found)
    return JSON(
        {
            "isDeployed": workflow.deployed,
            "deployedAt": iso(workflow.deployed_at) if workflow.deployed_at else None,
            "needsRedeployment": workflow.needs_redeployment,
        }
    )


def usage_limits_body(state: SandboxState, key: ApiKey) -> dict[str, Any]:
    def bucket(kind: str) -> dict[str, Any]:
        b = state.peek(kind, key.user_id)
        # without Redis an empty bucket reads -1 and not limited (tests/fixtures/sim-0.8.9/rl-usage-when-empty.body)
        empty = b.remaining == 0
        return {
            "isLimited": empty and state.config.redis,
            "requestsPerMinute": b.rate,
            "maxBurst": b.capacity,
            "remaining": -1 if empty and not state.config.redis else b.remaining,
            "resetAt": iso(b.reset_at),
        }

    return {
        "success": True,
        "rateLimit": {"sync": bucket("sync"), "async": bucket("async"), "authType": "api"},
        "usage": {"currentPeriodCost": state.current_cost(), "limit": state.usage_limit, "plan": state.plan},
        "storage": storage_block(state),
    }


async def usage_limits(request: Request) -> Response:
    state = _state(request)
    key = state.key_for(request.headers.get("x-api-key"))
    if key is None:
        return legacy_error(401, "Authentication required", code="AUTHENTICATION_REQUIRED")
    return JSON(usage_limits_body(state, key))


# --- human in the loop -------------------------------------------------------------------------


def pause_point(state: SandboxState, run: Run) -> dict[str, Any]:
    assert run.plan.pause is not None
    resumed = run.resumed
    base = f"/api/resume/{run.workflow.id}/{run.id}/{run.context_id}"
    return {
        "contextId": run.context_id,
        "blockId": run.plan.pause["blockId"],
        "response": run.plan.pause["response"],
        "registeredAt": iso(run.start_at + run.run_length),
        "resumeStatus": "resumed" if resumed else "paused",
        "snapshotReady": True,
        "resumeLinks": {
            "apiUrl": state.request_url(base),
            "uiUrl": state.request_url(f"/resume/{run.workflow.id}/{run.id}"),
            "contextId": run.context_id,
            "executionId": run.id,
            "workflowId": run.workflow.id,
        },
        "queuePosition": None,
        "latestResumeEntry": None,
    }


def paused_summary(state: SandboxState, run: Run) -> dict[str, Any]:
    paused_at = iso(run.start_at + run.run_length)
    return {
        "id": f"pe_{run.id}",
        "workflowId": run.workflow.id,
        "executionId": run.id,
        "status": "fully_resumed" if run.resumed else "paused",
        "totalPauseCount": 1,
        "resumedCount": 1 if run.resumed else 0,
        "pausedAt": paused_at,
        "updatedAt": paused_at,
        "expiresAt": iso(run.start_at + run.run_length + 7 * 86400),
        "metadata": {},
        "triggerIds": [],
        "pausePoints": [pause_point(state, run)],
    }


def _paused_runs(state: SandboxState, workflow: Workflow) -> list[Run]:
    now = state.clock.now()
    return [
        r
        for r in state.runs_of(workflow.id)
        if r.plan.pause is not None and (r.resumed or r.status(now)[0] == "paused")
    ]


def _workflow_for_key(request: Request, param: str) -> tuple[SandboxState, Workflow, ApiKey]:
    state = _state(request)
    key = resolve_key(state, request)
    assert key is not None
    workflow = state.workflows.get(request.path_params[param])
    if workflow is None:
        raise Denied(legacy_error(404, "Workflow not found"))
    if denial := scope_denial(state, key, workflow.workspace_id):
        raise Denied(denial)
    return state, workflow, key


async def paused_list(request: Request) -> Response:
    try:
        state, workflow, _ = _workflow_for_key(request, "id")
    except Denied as denied:
        return denied.response
    wanted = request.query_params.get("status")
    items = [paused_summary(state, r) for r in _paused_runs(state, workflow)]
    if wanted:
        items = [i for i in items if i["status"] == wanted]
    return JSON({"pausedExecutions": items})


def _paused_run(state: SandboxState, workflow: Workflow, execution_id: str) -> Run | None:
    return next((r for r in _paused_runs(state, workflow) if r.id == execution_id), None)


async def paused_detail(request: Request) -> Response:
    param = "id" if "id" in request.path_params else "workflowId"
    try:
        state, workflow, _ = _workflow_for_key(request, param)
    except Denied as denied:
        return denied.response
    run = _paused_run(state, workflow, request.path_params["executionId"])
    if run is None:
        return legacy_error(404, "Paused execution not found")
    return JSON(
        {**paused_summary(state, run), "executionSnapshot": {"executionId": run.id, "input": run.input}, "queue": []}
    )


async def resume_context(request: Request) -> Response:
    try:
        state, workflow, key = _workflow_for_key(request, "workflowId")
    except Denied as denied:
        return denied.response
    run = _paused_run(state, workflow, request.path_params["executionId"])
    if run is None or run.context_id != request.path_params["contextId"]:
        return legacy_error(404, "Pause context not found")
    if request.method == "GET":
        return JSON(
            {
                "execution": paused_summary(state, run),
                "pausePoint": pause_point(state, run),
                "queue": [],
                "activeResumeEntry": None,
            }
        )
    if run.resumed:
        return legacy_error(400, "This pause point has already been resumed")
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError:
        return legacy_error(400, "Invalid JSON in request body")
    resume_input = body.get("input", body) if isinstance(body, dict) else {}
    if not isinstance(resume_input, dict):
        resume_input = {"input": resume_input}
    new = start_resume(state, run, key, resume_input, surface="legacy")
    if new.mode == "async":
        return _async_receipt(state, new, request)
    if new.mode == "stream":
        builder = FrameBuilder(workflow, [], False)
        return await stream_response(state, new, builder, False, extra={"X-Execution-Id": new.id})
    if not await execute_sync(state, new, request.is_disconnected):
        return JSON({"success": False, "error": CLIENT_CANCELLED}, status_code=499)
    status, _ = new.status(state.clock.now())
    return JSON(
        {
            "success": status != "failed",
            "status": status,
            "executionId": new.id,
            "output": new.plan.output,
            "error": new.error_text(state.clock.now()),
            "metadata": _metadata(state, new, whole_ms=True),
        }
    )


def start_resume(
    state: SandboxState, run: Run, key: ApiKey | None, resume_input: dict[str, Any], *, surface: str
) -> Run:
    """Resume a paused run: a new run (new id) in the original run's mode."""
    assert run.workflow.resume_planner is not None
    plan = run.workflow.resume_planner(run.input, resume_input, random.Random(f"{state.config.seed}:{run.id}:resume"))
    new = state.create_run(
        run.workflow,
        key,
        surface=surface,
        mode=run.mode,
        input=resume_input,
        plan=plan,
        resumed_from=run.id,
    )
    with state.lock:
        run.resumed = True
        run.live_ended_at = run.live_ended_at or state.clock.now()
    return new


ROUTES = [
    Route("/api/workflows/{id}/execute", execute, methods=["POST"]),
    Route("/api/workflows/{id}/executions/{executionId}", execution_status, methods=["GET"]),
    Route("/api/workflows/{id}/executions/{executionId}/cancel", cancel_execution, methods=["POST"]),
    Route("/api/workflows/{id}/status", workflow_status, methods=["GET"]),
    Route("/api/workflows/{id}/paused", paused_list, methods=["GET"]),
    Route("/api/workflows/{id}/paused/{executionId}", paused_detail, methods=["GET"]),
    Route("/api/resume/{workflowId}/{executionId}", paused_detail, methods=["GET"]),
    Route("/api/resume/{workflowId}/{executionId}/{contextId}", resume_context, methods=["GET", "POST"]),
    Route("/api/jobs/{jobId}", job_status, methods=["GET"]),
    Route("/api/users/me/usage-limits", usage_limits, methods=["GET"]),
]
