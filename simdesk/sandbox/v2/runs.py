"""Runs: execute, status, the run list, cancel and resume (``/api/v2/workflows/{id}/execute|runs``)."""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import Response

from simdesk.sandbox.clock import iso
from simdesk.sandbox.engine import CLIENT_CANCELLED, execute_sync
from simdesk.sandbox.frames import FrameBuilder
from simdesk.sandbox.legacy import (
    PROTOCOL,
    THINKING_NEEDS_PROTOCOL,
    cancel_body,
    cancel_run,
    start_resume,
    stream_response,
)
from simdesk.sandbox.respond import rate_headers
from simdesk.sandbox.runs import (
    CAPACITY_MESSAGE,
    MAX_BODY_BYTES,
    MAX_TIMEOUT_S,
    RATE_MESSAGE,
    RUN_ID_RE,
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
    sync_duration_ms,
    v2_error_object,
)
from simdesk.sandbox.state import Run, SandboxState
from simdesk.sandbox.v2.admission import (
    Ctx,
    V2Error,
    bad_request,
    bool_param,
    choice_param,
    date_range,
    ordered,
    paginate,
    route,
    workflow_of,
)

EXECUTE_FIELDS = {
    "input",
    "async",
    "executionTimeoutSeconds",
    "stream",
    "selectedOutputs",
    "includeThinking",
    "includeToolCalls",
    "includeFileBase64",
    "base64MaxBytes",
}


def _parse_execute_body(raw: bytes, protocol: bool) -> dict[str, Any]:
    try:
        body = json.loads(raw)
    except ValueError:
        raise bad_request("Request body must be valid JSON") from None
    if not isinstance(body, dict):
        raise bad_request("Invalid request body", [{"path": [], "message": "Expected object"}])
    issues: list[dict[str, Any]] = []
    if "input" in body and not isinstance(body["input"], dict):
        issues.append(_invalid_type("input", "record", body["input"]))
    for name in ("async", "stream", "includeThinking", "includeToolCalls", "includeFileBase64"):
        if name in body and not isinstance(body[name], bool):
            issues.append(_invalid_type(name, "boolean", body[name]))
    sel = body.get("selectedOutputs")
    if sel is not None and not isinstance(sel, list):
        issues.append(_invalid_type("selectedOutputs", "array", sel))
    elif sel is not None and len(sel) > 100:
        issues.append(_bound(["selectedOutputs"], "too_big", "Too big: expected array to have <=100 items"))
    elif sel is not None:
        for i, item in enumerate(sel):
            if not isinstance(item, str):
                issues.append({**_invalid_type("selectedOutputs", "string", item), "path": ["selectedOutputs", i]})
            elif not item:
                message = "Too small: expected string to have >=1 characters"
                issues.append(_bound(["selectedOutputs", i], "too_small", message))
    for name, hi in (("executionTimeoutSeconds", MAX_TIMEOUT_S), ("base64MaxBytes", MAX_BODY_BYTES)):
        v = body.get(name)
        if v is None:
            continue
        if not isinstance(v, int) or isinstance(v, bool):
            issues.append(_invalid_type(name, "number", v))
        elif v < 1:
            issues.append(_bound([name], "too_small", "Too small: expected number to be >=1"))
        elif v > hi:
            issues.append(_bound([name], "too_big", f"Too big: expected number to be <={hi}"))
    unknown = [name for name in body if name not in EXECUTE_FIELDS]
    if unknown:
        listed = ", ".join(f'"{name}"' for name in unknown)
        message = f"Unrecognized key{'s' if len(unknown) > 1 else ''}: {listed}"
        issues.append({"code": "unrecognized_keys", "keys": unknown, "path": [], "message": message})
    if issues:
        # zod's summary: the first issue's message (tests/fixtures/sim-0.8.9/v2-unknown-field.body)
        raise bad_request(issues[0]["message"], issues)
    if body.get("async") and body.get("stream"):
        raise bad_request("async and stream cannot be combined")
    if (body.get("async") and any(body.get(n) for n in ("selectedOutputs", "includeThinking", "includeToolCalls"))) or (
        body.get("async") and any(n in body for n in ("includeFileBase64", "base64MaxBytes"))
    ):
        raise bad_request("async cannot be combined with streaming or output options")
    if "executionTimeoutSeconds" in body and not body.get("async"):
        raise bad_request("executionTimeoutSeconds is supported only for async execution")
    if body.get("includeThinking") or body.get("includeToolCalls"):
        # Sim's two checks, in its order and words (the second as stream-thinking-noproto.body has it)
        if not body.get("stream"):
            raise bad_request("includeThinking and includeToolCalls require stream: true")
        if not protocol:
            raise bad_request(THINKING_NEEDS_PROTOCOL)
    return body


_JS_TYPES = {bool: "boolean", int: "number", float: "number", str: "string", list: "array", dict: "object"}


def _invalid_type(name: str, expected: str, value: Any) -> dict[str, Any]:
    """A zod ``invalid_type`` issue, worded as Sim's zod words it (v2-input-string.body)."""
    received = "null" if value is None else _JS_TYPES.get(type(value), "unknown")
    message = f"Invalid input: expected {expected}, received {received}"
    return {"expected": expected, "code": "invalid_type", "path": [name], "message": message}


def _bound(path: list[Any], code: str, message: str) -> dict[str, Any]:
    """A zod ``too_small`` / ``too_big`` issue."""
    return {"code": code, "path": path, "message": message}


def _refuse(state: SandboxState, refusal: Refusal) -> V2Error:
    if refusal.kind == "usage":
        return V2Error(402, "Usage limit exceeded. Please upgrade your plan to continue.")
    if refusal.kind == "rate":
        return V2Error(
            429, RATE_MESSAGE, {"code": "RATE_LIMIT_EXCEEDED"}, {"Retry-After": str(refusal.retry_after or 1)}
        )
    if refusal.kind == "concurrency":
        return V2Error(
            429,
            "Too many concurrent executions are in progress for this billing account.",
            {"code": "EXECUTION_CONCURRENCY_LIMIT"},
            {"Retry-After": "5"},
        )
    return V2Error(429, CAPACITY_MESSAGE, None, {"Retry-After": "5"})


@route("workflows.execute", key_optional=True)
async def execute(ctx: Ctx) -> Response:
    state, request = ctx.state, ctx.request
    wf = state.workflows.get(request.path_params["id"])
    if ctx.key is None and not (wf is not None and wf.public_api and wf.deployed):
        raise V2Error(401, "Unauthorized")
    raw = await request.body()
    if len(raw) > MAX_BODY_BYTES:
        raise V2Error(413, "Workflow execution request body exceeds maximum size")
    protocol = request.headers.get("x-sim-stream-protocol") == PROTOCOL
    body = _parse_execute_body(raw, protocol)
    run_id = request.headers.get("x-run-id") if ctx.key is not None else None
    if run_id is not None and not RUN_ID_RE.match(run_id):
        raise bad_request(
            "Invalid X-Run-Id header", [{"path": ["x-run-id"], "message": "Must match ^[A-Za-z0-9._:-]{1,128}$"}]
        )
    asynchronous = bool(body.get("async"))
    if asynchronous and ctx.key is None:
        raise V2Error(401, "Unauthorized")
    wf = workflow_of(ctx)
    if not wf.deployed:
        raise V2Error(403, "Workflow is not deployed", {"code": "WORKFLOW_NOT_DEPLOYED"})
    if run_id is not None and not state.claim_run_id(run_id):
        raise V2Error(
            409, "Run ID has already been used", {"code": "RUN_ID_CONFLICT", "runId": run_id}, {"X-Run-Id": run_id}
        )
    refusal = check_quotas(state, ctx.key, asynchronous=asynchronous, path=request.url.path)
    if refusal:
        raise _refuse(state, refusal)
    try:
        run_input = start_output(wf, convert_files(wf, dict(body.get("input") or {}), run_id or "pending"))
    except FileInputError as exc:
        raise bad_request(str(exc)) from None
    stream = bool(body.get("stream"))
    mode = "async" if asynchronous else ("stream" if stream else "sync")
    cap = None
    if asynchronous and "executionTimeoutSeconds" in body:
        cap = min(float(body["executionTimeoutSeconds"]), 5400.0)
    run = state.create_run(wf, ctx.key, surface="v2", mode=mode, input=run_input, run_id=run_id, cap_s=cap)
    if asynchronous:
        if state.faults.consume("ambiguous_enqueue", request.url.path):
            raise V2Error(
                503,
                "Async execution queue acceptance could not be confirmed",
                {"code": "ASYNC_ENQUEUE_AMBIGUOUS", "runId": run.id},
                {"X-Run-Id": run.id},
            )
        return ctx.ok(
            {"runId": run.id, "statusUrl": state.request_url(f"/api/v2/workflows/{wf.id}/runs/{run.id}")},
            202,
            headers={"X-Run-Id": run.id},
        )
    if stream:
        builder = FrameBuilder(
            wf,
            list(body.get("selectedOutputs") or []),
            protocol,
            bool(body.get("includeThinking")),
            bool(body.get("includeToolCalls")),
        )
        extra = {"Cache-Control": "no-cache", **{k: v for k, v in _rate(ctx).items()}}
        return await stream_response(state, run, builder, protocol, extra=extra)
    if not await execute_sync(state, run, request.is_disconnected):
        raise V2Error(499, CLIENT_CANCELLED, {"runId": run.id}, {"X-Run-Id": run.id})
    return ctx.ok(run_result(state, run, sync=True), headers={"X-Run-Id": run.id})


def _rate(ctx: Ctx) -> dict[str, str]:
    return rate_headers(ctx.bucket)


def run_result(state: SandboxState, run: Run, *, sync: bool) -> dict[str, Any]:
    """The §5.2 result of a finished sync run (block attribution only here)."""
    now = state.clock.now()
    status, ended = run.status(now)
    error = None
    if status == "failed":
        if run.timed_out:
            error = {"code": "TIMEOUT", "message": run.error_text(now)}
        elif run.plan.error and sync:
            # the block's own message; the stored one (legacy, polled runs) has its name in front
            # (tests/fixtures/sim-0.8.9/fail-v2-sync.body against fail-v2-run.body)
            error = dict(run.plan.error)
            error["message"] = str(error["message"]).removeprefix(f"{error.get('blockName')}: ")
        else:
            error = v2_error_object(state, run)
    return {
        "runId": run.id,
        "workflowId": run.workflow.id,
        "status": status,
        "output": None if run.timed_out else run.plan.output,
        "error": error,
        "startedAt": iso(run.start_at),
        "endedAt": iso(ended) if ended else None,
        "durationMs": sync_duration_ms(run.start_at, ended) if ended is not None else None,
    }


# --- runs --------------------------------------------------------------------------------------


def _run(ctx: Ctx) -> Run:
    wf = workflow_of(ctx)
    run = ctx.state.runs.get(ctx.request.path_params["runId"])
    if run is None or run.workflow.id != wf.id:
        raise V2Error(404, "Run not found")
    return run


def run_status(state: SandboxState, run: Run, include_output: bool, selected: list[str]) -> dict[str, Any]:
    now = state.clock.now()
    status, ended = run.status(now)
    started_at, ended_at = reported_times(run, status, ended)
    return {
        "runId": run.id,
        "workflowId": run.workflow.id,
        "status": status,
        "trigger": "api",
        "startedAt": started_at,
        "endedAt": ended_at,
        "durationMs": duration_ms(state, run),
        "paused": _v2_paused(state, run),
        "cost": cost_of(state, run),
        "error": v2_error_object(state, run),
        "output": run.plan.output if include_output and status == "completed" else None,
        "blockOutputs": block_outputs(state, run, selected),
    }


def _v2_paused(state: SandboxState, run: Run) -> dict[str, Any] | None:
    return paused_block(state, run, legacy=False)


@route("runs.get", allowed={"includeOutput", "selectedOutputs"})
async def get_run(ctx: Ctx) -> Response:
    run = _run(ctx)
    selected = [s for s in ctx.query.get("selectedOutputs", "").split(",") if s]
    return ctx.ok(run_status(ctx.state, run, bool_param(ctx.query, "includeOutput"), selected))


@route("runs.list", allowed={"status", "trigger", "startDate", "endDate", "limit", "cursor", "order"})
async def list_runs(ctx: Ctx) -> Response:
    wf = workflow_of(ctx)
    q = ctx.query
    order = choice_param(q, "order", "desc", ("asc", "desc"))
    status_filter = q.get("status")
    if status_filter is not None:
        choice_param(q, "status", "", ("pending", "running", "completed", "failed", "cancelled", "paused"))
    start, end = date_range(q)
    now = ctx.state.clock.now()
    items = []
    for run in ctx.state.runs_of(wf.id):
        status, ended = run.status(now)
        shown = "pending" if status == "queued" else status
        if status_filter and shown != status_filter:
            continue
        if not start <= run.created_at <= end:
            continue
        started_at, ended_at = reported_times(run, status, ended)
        items.append(
            (
                run.created_at,
                run.id,
                {
                    "runId": run.id,
                    "workflowId": wf.id,
                    "status": shown,
                    "trigger": q.get("trigger", "api"),
                    "startedAt": started_at,
                    "endedAt": ended_at,
                    "durationMs": duration_ms(ctx.state, run),
                    "cost": cost_of(ctx.state, run),
                },
            )
        )
    if q.get("trigger") not in (None, "api"):
        items = []
    items = ordered(items, lambda i: (i[0], i[1]), order)
    filters = {k: q.get(k) for k in ("status", "trigger", "startDate", "endDate", "order")}
    page, nxt = paginate([i[2] for i in items], q, filters)
    return ctx.ok(page, nextCursor=nxt)


@route("runs.cancel")
async def cancel(ctx: Ctx) -> Response:
    run = _run(ctx)
    reason = cancel_run(ctx.state, run, legacy=False)
    return ctx.ok(cancel_body(ctx.state, run, reason, id_key="runId"))


@route("runs.resume")
async def resume(ctx: Ctx) -> Response:
    run = _run(ctx)
    try:
        body = json.loads(await ctx.request.body())
    except ValueError:
        raise bad_request("Request body must be valid JSON") from None
    if not isinstance(body, dict) or set(body) - {"contextId", "input"} or not isinstance(body.get("contextId"), str):
        raise bad_request(
            "Invalid request body", [{"path": ["contextId"], "message": "Expected {contextId, input?} only"}]
        )
    state = ctx.state
    if run.status(state.clock.now())[0] != "paused" or run.resumed:
        raise V2Error(409, "Run is not paused", {"code": "RUN_NOT_PAUSED"})
    if body["contextId"] != run.context_id:
        raise V2Error(404, "Pause context not found")
    resume_input = body.get("input") if isinstance(body.get("input"), dict) else {"input": body.get("input")}
    new = start_resume(state, run, ctx.key, resume_input or {}, surface="v2")
    if new.mode == "async":
        url = state.request_url(f"/api/v2/workflows/{run.workflow.id}/runs/{new.id}")
        return ctx.ok({"runId": new.id, "statusUrl": url}, 202, headers={"X-Run-Id": new.id})
    if not await execute_sync(state, new, ctx.request.is_disconnected):
        raise V2Error(499, CLIENT_CANCELLED, {"runId": new.id})
    return ctx.ok(run_result(state, new, sync=True), headers={"X-Run-Id": new.id})
