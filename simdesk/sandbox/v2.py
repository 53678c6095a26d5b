"""The v2 surface: ``/api/v2/...`` behind the ``v2-api`` gate (CONTRACT.md §0, §5, §7.3, §8.2, §9, §11).

Every route goes through :func:`route`: per-IP pre-auth limit → ``X-API-Key`` → gate → the
operation's request bucket (for the key and its user; the tighter one is reported) → strict
query/body parsing → ``{"data": …}`` or the v2 error envelope.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from simdesk.sandbox import logbook
from simdesk.sandbox.buckets import BucketState
from simdesk.sandbox.clock import iso, parse_iso
from simdesk.sandbox.engine import execute_sync
from simdesk.sandbox.frames import FrameBuilder
from simdesk.sandbox.legacy import PROTOCOL, cancel_run, start_resume, stream_response
from simdesk.sandbox.model import ApiKey, Workflow
from simdesk.sandbox.respond import rate_headers, v2_data, v2_error
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
    retry_after_for,
    storage_block,
    v2_error_object,
)
from simdesk.sandbox.state import Run, SandboxState


class V2Error(Exception):
    """A v2 failure on its way to the envelope."""

    def __init__(self, status: int, message: str, details: Any = None, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.details, self.headers = status, message, details, headers


@dataclass
class Ctx:
    """An admitted request."""

    request: Request
    state: SandboxState
    key: ApiKey | None
    bucket: BucketState | None
    query: dict[str, str]

    def ok(self, data: Any, status: int = 200, **extra: Any) -> Response:
        return v2_data(data, status, bucket=self.bucket, **extra)


Handler = Callable[[Ctx], Awaitable[Response]]


def _fail(message: str, details: Any = None) -> V2Error:
    return V2Error(400, message, details)


def _query(
    request: Request, allowed: frozenset[str] | set[str], required: frozenset[str] | set[str] = frozenset()
) -> dict[str, str]:
    """Strict query parsing: unknown, blank or repeated parameters are 400s."""
    items = request.query_params.multi_items()
    seen: dict[str, str] = {}
    issues = []
    for name, value in items:
        if name not in allowed:
            issues.append({"path": [name], "message": f"Unrecognized query parameter '{name}'"})
        elif name in seen:
            issues.append({"path": [name], "message": "Duplicate query parameter"})
        elif value.strip() == "":
            issues.append({"path": [name], "message": "Must not be blank"})
        seen[name] = value
    for name in sorted(required - set(seen)):
        issues.append({"path": [name], "message": "Required"})
    if issues:
        raise _fail("Invalid query parameters", issues)
    return seen


def _int(q: dict[str, str], name: str, default: int, lo: int, hi: int) -> int:
    if name not in q:
        return default
    value = q[name]
    if not value.isdigit() or not lo <= int(value) <= hi:
        raise _fail(
            "Invalid query parameters", [{"path": [name], "message": f"Must be a whole number from {lo} to {hi}"}]
        )
    return int(value)


def _choice(q: dict[str, str], name: str, default: str, options: tuple[str, ...]) -> str:
    value = q.get(name, default)
    if value not in options:
        raise _fail("Invalid query parameters", [{"path": [name], "message": f"Must be one of {', '.join(options)}"}])
    return value


def _bool(q: dict[str, str], name: str) -> bool:
    value = q.get(name, "false")
    if value not in ("true", "false"):
        raise _fail("Invalid query parameters", [{"path": [name], "message": "Must be true or false"}])
    return value == "true"


def route(
    operation: str,
    *,
    allowed: frozenset[str] | set[str] = frozenset(),
    required: frozenset[str] | set[str] = frozenset(),
    key_optional: bool = False,
) -> Callable[[Handler], Callable[[Request], Awaitable[Response]]]:
    """Wrap a handler in the shared v2 admission pipeline."""

    def wrap(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            state: SandboxState = request.app.state.sandbox
            bucket: BucketState | None = None
            try:
                # Sim keys this bucket on the client address even for self-hosted servers without billing.
                if state.config.ip_limit:
                    by_ip = state.take("ip", request.client.host if request.client else "unknown")
                    if not by_ip.allowed:
                        return _rate_limited(state, by_ip)
                value = request.headers.get("x-api-key")
                key = state.key_for(value)
                if value and key is None:
                    raise V2Error(401, "Invalid API key")
                if key is None and not key_optional:
                    raise V2Error(401, "API key required")
                if not state.config.v2:
                    raise V2Error(404, "Not found")
                if key is not None:
                    bucket = _request_bucket(state, operation, key)
                    if not bucket.allowed:
                        return _rate_limited(state, bucket)
                query = _query(request, allowed, required)
                return await handler(Ctx(request, state, key, bucket, query))
            except V2Error as err:
                return v2_error(err.status, err.message, err.details, bucket=bucket, headers=err.headers)

        return endpoint

    return wrap


def _rate_limited(state: SandboxState, bucket: BucketState) -> Response:
    """An empty admission bucket: the per-IP one and the request buckets refuse alike (§3.3)."""
    return v2_error(
        429,
        "API rate limit exceeded",
        {"retryAfter": iso(bucket.reset_at)},
        bucket=bucket,
        headers={"Retry-After": retry_after_for(state, bucket.reset_at)},
    )


def _request_bucket(state: SandboxState, operation: str, key: ApiKey) -> BucketState:
    by_key = state.take(f"api-endpoint:{operation}", f"key:{key.key}")
    subject = f"ws:{key.workspace_id}" if key.workspace_id else f"user:{key.user_id}"
    by_owner = state.take(f"api-endpoint:{operation}", subject)
    if not by_key.allowed or not by_owner.allowed:
        return by_key if not by_key.allowed else by_owner
    return by_key if by_key.remaining <= by_owner.remaining else by_owner


# --- pagination --------------------------------------------------------------------------------


def _page(
    items: list[Any], q: dict[str, str], filters: dict[str, Any], default_limit: int = 50, max_limit: int = 100
) -> tuple[list[Any], str | None]:
    """Opaque cursors that remember the filters: reuse with other filters is a 400 (§8.2)."""
    limit = _int(q, "limit", default_limit, 1, max_limit)
    offset = 0
    if "cursor" in q:
        try:
            decoded = json.loads(base64.urlsafe_b64decode(q["cursor"].encode()))
            offset = int(decoded["o"])
            same = decoded["f"] == filters
        except (ValueError, KeyError, TypeError):
            raise _fail("Invalid cursor", [{"path": ["cursor"], "message": "Invalid cursor"}]) from None
        if not same:
            raise _fail(
                "Cursor does not match the current filters", [{"path": ["cursor"], "message": "Cursor filters changed"}]
            )
    chunk = items[offset : offset + limit]
    nxt = None
    if offset + limit < len(items):
        nxt = base64.urlsafe_b64encode(json.dumps({"o": offset + limit, "f": filters}).encode()).decode()
    return chunk, nxt


def _order(items: list[Any], key: Callable[[Any], Any], order: str) -> list[Any]:
    return sorted(items, key=key, reverse=order == "desc")


# --- workspaces, workflows, folders ------------------------------------------------------------


def _workspace_item(state: SandboxState, ws: Any) -> dict[str, Any]:
    return {
        "id": ws.id,
        "name": ws.name,
        "color": ws.color,
        "logoUrl": None,
        "memberCount": ws.member_count,
        "createdAt": iso(ws.created_at),
        "updatedAt": iso(ws.created_at),
    }


@route("workspaces.list", allowed={"limit", "cursor", "sortBy", "sortOrder"})
async def list_workspaces(ctx: Ctx) -> Response:
    assert ctx.key is not None
    sort_by = _choice(ctx.query, "sortBy", "name", ("name", "createdAt", "updatedAt"))
    order = _choice(ctx.query, "sortOrder", "asc", ("asc", "desc"))
    items = [_workspace_item(ctx.state, w) for w in ctx.state.visible_workspaces(ctx.key)]
    items = _order(items, lambda i: i[sort_by], order)
    page, nxt = _page(items, ctx.query, {"sortBy": sort_by, "sortOrder": order})
    return ctx.ok(page, nextCursor=nxt)


@route("workspaces.get")
async def get_workspace(ctx: Ctx) -> Response:
    assert ctx.key is not None
    ws = ctx.state.workspaces.get(ctx.request.path_params["workspaceId"])
    if ws is None or ctx.state.key_may_use(ctx.key, ws.id) is not None:
        raise V2Error(404, "Workspace not found")
    return ctx.ok(_workspace_item(ctx.state, ws))


def _stats(state: SandboxState, workflow: Workflow) -> tuple[int, float | None]:
    now = state.clock.now()
    done = [r for r in state.runs_of(workflow.id) if r.status(now)[0] == "completed"]
    last = max((r.status(now)[1] or 0.0 for r in done), default=None)
    return len(done), last


def workflow_item(state: SandboxState, wf: Workflow) -> dict[str, Any]:
    runs, last = _stats(state, wf)
    return {
        "id": wf.id,
        "name": wf.name,
        "description": wf.description,
        "folderPath": wf.folder_path,
        "workspaceId": wf.workspace_id,
        "isDeployed": wf.deployed,
        "deployedAt": iso(wf.deployed_at) if wf.deployed_at else None,
        "runCount": runs,
        "lastRunAt": iso(last) if last else None,
        "createdAt": iso(wf.created_at),
        "updatedAt": iso(wf.deployed_at or wf.created_at),
    }


def _workspace_for(ctx: Ctx, workspace_id: str) -> str:
    assert ctx.key is not None
    ws = ctx.state.workspaces.get(workspace_id)
    if ws is None:
        raise V2Error(404, "Workspace not found")
    why = ctx.state.key_may_use(ctx.key, workspace_id)
    if why == "personal":
        raise V2Error(
            403, "Personal API keys are not allowed for this workspace", {"code": "PERSONAL_API_KEYS_DISABLED"}
        )
    if why == "scope":
        raise V2Error(404, "Workspace not found")
    return ws.id


@route(
    "workflows.list",
    allowed={"workspaceId", "folderPath", "deployedOnly", "limit", "cursor", "search", "sortBy", "sortOrder"},
    required={"workspaceId"},
)
async def list_workflows(ctx: Ctx) -> Response:
    q = ctx.query
    ws = _workspace_for(ctx, q["workspaceId"])
    sort_by = _choice(q, "sortBy", "position", ("position", "name", "createdAt", "updatedAt", "runCount"))
    order = _choice(q, "sortOrder", "asc", ("asc", "desc"))
    deployed_only = _bool(q, "deployedOnly")
    folder = q.get("folderPath")
    search = q.get("search", "").strip().lower()
    wfs = [w for w in ctx.state.workflows.values() if w.workspace_id == ws]
    if folder is not None:
        # Sim resolves the path to one folder (a missing leading slash is added; "/" is the root)
        # and lists that folder only, not its subfolders; a path naming no folder gives an empty page.
        wanted = "/" + folder.strip("/")
        wfs = [w for w in wfs if w.folder_path == wanted]
    if deployed_only:
        wfs = [w for w in wfs if w.deployed]
    if search:  # Sim matches the name only, case-insensitively
        wfs = [w for w in wfs if search in w.name.lower()]
    items = [(w.position, workflow_item(ctx.state, w)) for w in wfs]
    sort_key: Callable[[Any], Any] = (
        (lambda p: p[0]) if sort_by == "position" else (lambda p: (p[1][sort_by], p[1]["id"]))
    )
    items = _order(items, sort_key, order)
    filters = {k: q.get(k) for k in ("workspaceId", "folderPath", "deployedOnly", "search", "sortBy", "sortOrder")}
    page, nxt = _page([i for _, i in items], q, filters)
    return ctx.ok(page, nextCursor=nxt)


@route("folders.list", allowed={"workspaceId", "parentPath", "search", "sortBy"}, required={"workspaceId"})
async def list_folders(ctx: Ctx) -> Response:
    q = ctx.query
    ws = _workspace_for(ctx, q["workspaceId"])
    sort_by = _choice(q, "sortBy", "name", ("name", "createdAt", "updatedAt"))
    folders = [f for f in ctx.state.folders if f.workspace_id == ws]
    if "parentPath" in q:
        folders = [f for f in folders if f.parent_path == q["parentPath"]]
    if "search" in q:
        folders = [f for f in folders if q["search"].lower() in f.name.lower()]
    items = [
        {
            "name": f.name,
            "path": f.path,
            "parentPath": f.parent_path,
            "createdAt": iso(f.created_at),
            "updatedAt": iso(f.created_at),
            "locked": f.locked,
        }
        for f in folders
    ]
    items.sort(key=lambda i: str(i[sort_by]))
    return ctx.ok(items, nextCursor=None)


def _workflow(ctx: Ctx) -> Workflow:
    wf = ctx.state.workflows.get(ctx.request.path_params["id"])
    if wf is None:
        raise V2Error(404, "Workflow not found")
    if ctx.key is not None:
        why = ctx.state.key_may_use(ctx.key, wf.workspace_id)
        if why == "scope":
            raise V2Error(404, "Workflow not found")
        if why == "personal":
            raise V2Error(
                403, "Personal API keys are not allowed for this workspace", {"code": "PERSONAL_API_KEYS_DISABLED"}
            )
    return wf


@route("workflows.get")
async def get_workflow(ctx: Ctx) -> Response:
    wf = _workflow(ctx)
    inputs = [dict(i) for i in wf.inputs] if wf.deployed else []
    return ctx.ok({**workflow_item(ctx.state, wf), "variables": dict(wf.variables), "inputs": inputs})


@route("workflows.deployment")
async def get_deployment(ctx: Ctx) -> Response:
    wf = _workflow(ctx)
    deployed_at = iso(wf.deployed_at) if wf.deployed_at else None
    active = None
    attempt = None
    if wf.deployed:
        version_id = f"dv_{wf.id[-6:]}_3"
        active = {"deploymentVersionId": version_id, "version": 3, "deployedAt": deployed_at}
        attempt = {
            "id": f"da_{wf.id[-6:]}_3",
            "deploymentVersionId": version_id,
            "version": 3,
            "action": "deploy",
            "status": "active",
            "isCurrent": True,
            "readiness": {"webhooks": "not_applicable", "schedules": "not_applicable", "mcp": "not_applicable"},
            "requestedAt": deployed_at,
            "activatedAt": deployed_at,
            "error": None,
        }
    warnings = ["The workflow has changed since it was deployed"] if wf.needs_redeployment else []
    return ctx.ok(
        {
            "id": wf.id,
            "isDeployed": wf.deployed,
            "deployedAt": deployed_at,
            "warnings": warnings,
            "activeDeployment": active,
            "latestDeploymentAttempt": attempt,
            "needsRedeployment": wf.needs_redeployment,
        }
    )


# --- execute -----------------------------------------------------------------------------------

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
        raise _fail("Request body must be valid JSON") from None
    if not isinstance(body, dict):
        raise _fail("Invalid request body", [{"path": [], "message": "Expected object"}])
    issues: list[dict[str, Any]] = []
    for name in body:
        if name not in EXECUTE_FIELDS:
            issues.append(
                {"code": "unrecognized_keys", "keys": [name], "path": [], "message": f'Unrecognized key: "{name}"'}
            )
    if "input" in body and not isinstance(body["input"], dict):
        issues.append({"path": ["input"], "message": "Expected object"})
    for name in ("async", "stream", "includeThinking", "includeToolCalls", "includeFileBase64"):
        if name in body and not isinstance(body[name], bool):
            issues.append({"path": [name], "message": "Expected boolean"})
    sel = body.get("selectedOutputs")
    if sel is not None and (
        not isinstance(sel, list) or len(sel) > 100 or not all(isinstance(s, str) and s for s in sel)
    ):
        issues.append({"path": ["selectedOutputs"], "message": "Expected up to 100 non-empty strings"})
    for name, hi in (("executionTimeoutSeconds", MAX_TIMEOUT_S), ("base64MaxBytes", MAX_BODY_BYTES)):
        v = body.get(name)
        if v is not None and (not isinstance(v, int) or isinstance(v, bool) or not 1 <= v <= hi):
            issues.append({"path": [name], "message": f"Expected an integer from 1 to {hi}"})
    if issues:
        raise _fail("Invalid request body", issues)
    if body.get("async") and body.get("stream"):
        raise _fail("async and stream cannot be combined")
    if (body.get("async") and any(body.get(n) for n in ("selectedOutputs", "includeThinking", "includeToolCalls"))) or (
        body.get("async") and any(n in body for n in ("includeFileBase64", "base64MaxBytes"))
    ):
        raise _fail("async cannot be combined with streaming or output options")
    if "executionTimeoutSeconds" in body and not body.get("async"):
        raise _fail("executionTimeoutSeconds requires async")
    if (body.get("includeThinking") or body.get("includeToolCalls")) and not (body.get("stream") and protocol):
        raise _fail(
            "includeThinking and includeToolCalls require stream: true and the "
            f"X-Sim-Stream-Protocol: {PROTOCOL} header"
        )
    return body


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
        raise _fail(
            "Invalid X-Run-Id header", [{"path": ["x-run-id"], "message": "Must match ^[A-Za-z0-9._:-]{1,128}$"}]
        )
    asynchronous = bool(body.get("async"))
    if asynchronous and ctx.key is None:
        raise V2Error(401, "Unauthorized")
    wf = _workflow(ctx)
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
        run_input = convert_files(wf, dict(body.get("input") or {}), run_id or "pending")
    except FileInputError as exc:
        raise _fail(str(exc)) from None
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
        raise V2Error(499, "Client cancelled request", {"runId": run.id}, {"X-Run-Id": run.id})
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
            error = dict(run.plan.error)
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
        "durationMs": duration_ms(state, run),
    }


# --- runs --------------------------------------------------------------------------------------


def _run(ctx: Ctx) -> Run:
    wf = _workflow(ctx)
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
    return ctx.ok(run_status(ctx.state, run, _bool(ctx.query, "includeOutput"), selected))


@route("runs.list", allowed={"status", "trigger", "startDate", "endDate", "limit", "cursor", "order"})
async def list_runs(ctx: Ctx) -> Response:
    wf = _workflow(ctx)
    q = ctx.query
    order = _choice(q, "order", "desc", ("asc", "desc"))
    status_filter = q.get("status")
    if status_filter is not None:
        _choice(q, "status", "", ("pending", "running", "completed", "failed", "cancelled", "paused"))
    start, end = _dates(q)
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
    items = _order(items, lambda i: (i[0], i[1]), order)
    filters = {k: q.get(k) for k in ("status", "trigger", "startDate", "endDate", "order")}
    page, nxt = _page([i[2] for i in items], q, filters)
    return ctx.ok(page, nextCursor=nxt)


def _dates(q: dict[str, str]) -> tuple[float, float]:
    def parse(name: str, default: float) -> float:
        if name not in q:
            return default
        value = q[name]
        if not value.endswith("Z"):
            raise _fail(
                "Invalid query parameters",
                [{"path": [name], "message": "Must be a UTC ISO 8601 timestamp ending in Z"}],
            )
        try:
            return parse_iso(value)
        except ValueError:
            raise _fail("Invalid query parameters", [{"path": [name], "message": "Invalid date"}]) from None

    return parse("startDate", float("-inf")), parse("endDate", float("inf"))


@route("runs.cancel")
async def cancel(ctx: Ctx) -> Response:
    run = _run(ctx)
    reason = cancel_run(ctx.state, run)
    return ctx.ok(
        {
            "success": True,
            "runId": run.id,
            "redisAvailable": True,
            "durablyRecorded": not reason.startswith("already_"),
            "locallyAborted": False,
            "pausedCancelled": False,
            "reason": reason,
        }
    )


@route("runs.resume")
async def resume(ctx: Ctx) -> Response:
    run = _run(ctx)
    try:
        body = json.loads(await ctx.request.body())
    except ValueError:
        raise _fail("Request body must be valid JSON") from None
    if not isinstance(body, dict) or set(body) - {"contextId", "input"} or not isinstance(body.get("contextId"), str):
        raise _fail("Invalid request body", [{"path": ["contextId"], "message": "Expected {contextId, input?} only"}])
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
        raise V2Error(499, "Client cancelled request", {"runId": new.id})
    return ctx.ok(run_result(state, new, sync=True), headers={"X-Run-Id": new.id})


# --- logs and billing --------------------------------------------------------------------------


def trace_spans(state: SandboxState, run: Run) -> list[dict[str, Any]]:
    elapsed = run.elapsed(state.clock.now())
    spans = []
    prev = 0.0
    for step in run.plan.steps_done(elapsed):
        if step.kind != "block_done":
            continue
        block = run.workflow.block(step.block_id)
        start = run.start_at + prev
        span: dict[str, Any] = {
            "id": f"span-{run.id[:8]}-{step.block_id}",
            "name": block.name if block else step.block_id,
            "type": block.type if block else "function",
            "blockId": step.block_id,
            "durationMs": int((step.at - prev) * 1000),
            "startTime": iso(start),
            "endTime": iso(run.start_at + step.at),
            "status": "success",
            "relativeStartMs": int(prev * 1000),
            "output": step.value,
        }
        if block and block.type == "agent" and isinstance(step.value, dict) and "tokens" in step.value:
            span["tokens"] = step.value["tokens"]
            span["cost"] = {
                "total": run.plan.cost,
                "input": run.plan.cost / 3,
                "output": run.plan.cost * 2 / 3,
                "toolCost": 0,
            }
        spans.append(span)
        prev = step.at
    if run.status(state.clock.now())[0] == "failed" and run.plan.error:
        spans.append(
            {
                "id": f"span-{run.id[:8]}-error",
                "name": run.plan.error.get("blockName", "Block"),
                "type": run.plan.error.get("blockType", "api"),
                "blockId": run.plan.error.get("blockId"),
                "status": "error",
                "errorMessage": run.plan.error["message"],
                "durationMs": int(run.plan.duration * 1000),
            }
        )
    return spans


def log_item(state: SandboxState, run: Run, *, workflow: bool, spans: bool, final: bool) -> dict[str, Any]:
    """A v2 log item; ``workflow``, ``spans`` and ``final`` add those blocks (v1 builds on it too)."""
    now = state.clock.now()
    status, ended = run.status(now)
    item: dict[str, Any] = {
        "runId": run.id,
        "workflowId": run.workflow.id,
        "deploymentVersionId": f"dv_{run.workflow.id[-6:]}_3",
        "status": "pending" if status == "queued" else status,
        "level": "error" if status == "failed" else "info",
        "trigger": "api",
        "startedAt": iso(run.start_at),
        "endedAt": iso(ended) if ended else None,
        "totalDurationMs": duration_ms(state, run),
        "cost": cost_of(state, run),
        "files": None,
    }
    if workflow:
        item["workflow"] = {
            "id": run.workflow.id,
            "name": run.workflow.name,
            "description": run.workflow.description,
            "deleted": False,
        }
    if final:
        item["finalOutput"] = run.plan.output if status == "completed" else None
    if spans:
        item["traceSpans"] = trace_spans(state, run)
    return item


LOG_PARAMS = {
    "workspaceId",
    "workflowIds",
    "folderPaths",
    "triggers",
    "level",
    "startDate",
    "endDate",
    "minDurationMs",
    "maxDurationMs",
    "minCost",
    "maxCost",
    "model",
    "runId",
    "details",
    "includeTraceSpans",
    "includeFinalOutput",
    "limit",
    "cursor",
    "order",
}


@dataclass(frozen=True)
class LogFilter:
    """What both log lists filter on, as Sim's shared ``public-filters.ts`` does; ``None`` = not filtered."""

    workflow_ids: frozenset[str] | None = None
    in_folder: Callable[[Workflow], bool] | None = None  # v2 names folders by path, v1 by id
    triggers: frozenset[str] | None = None  # "all" in it switches the filter off
    run_id: str | None = None
    start: float = float("-inf")
    end: float = float("inf")
    level: str | None = None
    min_duration_ms: float | None = None
    max_duration_ms: float | None = None
    min_cost: float | None = None
    max_cost: float | None = None
    model: str | None = None

    def runs(self, state: SandboxState, workspace_id: str) -> list[Run]:
        """The workspace's runs that have a log row (a queued run has none yet) and pass every filter."""
        now = state.clock.now()
        runs = [r for r in list(state.runs.values()) if r.workflow.workspace_id == workspace_id]
        runs = [r for r in runs if r.status(now)[0] != "queued" and self.start <= r.start_at <= self.end]
        if self.workflow_ids is not None:
            runs = [r for r in runs if r.workflow.id in self.workflow_ids]
        if self.in_folder is not None:
            runs = [r for r in runs if self.in_folder(r.workflow)]
        if self.triggers and "all" not in self.triggers and "api" not in self.triggers:
            runs = []  # every sandbox run is an API run
        if self.run_id is not None:
            runs = [r for r in runs if r.id == self.run_id]
        if self.level is not None:
            runs = [r for r in runs if ("error" if r.status(now)[0] == "failed" else "info") == self.level]
        if self.model is not None:
            runs = []  # the sandbox's own runs record no model on their log row
        return runs

    def items(
        self, state: SandboxState, workspace_id: str, *, workflow: bool, spans: bool, final: bool
    ) -> list[dict[str, Any]]:
        """The v2 log items of the sandbox's own runs and of its seeded ones (``sandbox.logbook``)."""
        items = [
            log_item(state, r, workflow=workflow, spans=spans, final=final) for r in self.runs(state, workspace_id)
        ]
        items = [i for i in items if self._within(i)]
        seed = state.config.seed
        seeded = logbook.matching(state.logbook, self, workspace_id)
        if not (workflow or spans or final):
            return items + [r.basic() for r in seeded]
        return items + [r.item(workflow=workflow, spans=spans, final=final, seed=seed) for r in seeded]

    def _within(self, item: dict[str, Any]) -> bool:
        duration, cost = item["totalDurationMs"], item["cost"]["total"] if item["cost"] else None
        for value, low, high in (
            (duration, self.min_duration_ms, self.max_duration_ms),
            (cost, self.min_cost, self.max_cost),
        ):
            if low is None and high is None:
                continue
            if (
                value is None
                or value < (low if low is not None else value)
                or value > (high if high is not None else value)
            ):
                return False
        return True


def _in_folder_paths(paths: list[str]) -> Callable[[Workflow], bool]:
    return lambda wf: any(wf.folder_path == f or wf.folder_path.startswith(f.rstrip("/") + "/") for f in paths)


@route("logs.list", allowed=LOG_PARAMS, required={"workspaceId"})
async def list_logs(ctx: Ctx) -> Response:
    q = ctx.query
    ws = _workspace_for(ctx, q["workspaceId"])
    details = _choice(q, "details", "basic", ("basic", "full"))
    order = _choice(q, "order", "desc", ("asc", "desc"))
    level = q.get("level")
    if level is not None:
        _choice(q, "level", "", ("info", "error"))
    start, end = _dates(q)
    wanted = LogFilter(
        workflow_ids=frozenset(q["workflowIds"].split(",")) if "workflowIds" in q else None,
        in_folder=_in_folder_paths(q["folderPaths"].split(",")) if "folderPaths" in q else None,
        triggers=frozenset(q["triggers"].split(",")) if "triggers" in q else None,
        run_id=q.get("runId"),
        start=start,
        end=end,
        level=level,
        min_duration_ms=_bound(q, "minDurationMs"),
        max_duration_ms=_bound(q, "maxDurationMs"),
        min_cost=_bound(q, "minCost"),
        max_cost=_bound(q, "maxCost"),
        model=q.get("model") or None,
    )
    full = details == "full"
    spans, final = full or _bool(q, "includeTraceSpans"), full or _bool(q, "includeFinalOutput")
    items = wanted.items(ctx.state, ws, workflow=full, spans=spans, final=final)
    items = _order(items, lambda i: (i["startedAt"], i["runId"]), order)
    filters = {k: q.get(k) for k in sorted(LOG_PARAMS - {"limit", "cursor"})}
    page, nxt = _page(items, {**q, "limit": str(_clamped_limit(q))}, filters, 100, 1000)
    return ctx.ok(page, nextCursor=nxt)


def _bound(q: dict[str, str], name: str) -> float | None:
    if name not in q:
        return None
    try:
        return float(q[name])
    except ValueError:
        raise _fail("Invalid query parameters", [{"path": [name], "message": "Expected number"}]) from None


def _clamped_limit(q: dict[str, str]) -> int:
    """Logs clamp ``limit`` into 1–1000 instead of refusing it (CONTRACT §9)."""
    raw = q.get("limit", "100")
    try:
        return max(1, min(int(raw), 1000))
    except ValueError:
        raise _fail("Invalid query parameters", [{"path": ["limit"], "message": "Must be a whole number"}]) from None


@route("logs.get")
async def get_log(ctx: Ctx) -> Response:
    assert ctx.key is not None
    run = ctx.state.runs.get(ctx.request.path_params["runId"])
    seeded = ctx.state.logbook.get(ctx.request.path_params["runId"])
    if run is None and seeded is not None and ctx.state.key_may_use(ctx.key, seeded.workflow.workspace_id) is None:
        return ctx.ok(_seeded_detail(ctx.state, seeded))
    if (
        run is None
        or ctx.state.key_may_use(ctx.key, run.workflow.workspace_id) is not None
        or run.status(ctx.state.clock.now())[0] == "queued"
    ):
        raise V2Error(404, "Log not found")
    state = ctx.state
    item = log_item(state, run, workflow=True, spans=True, final=True)
    wf = run.workflow
    item["workflow"] = {
        "id": wf.id,
        "name": wf.name,
        "description": wf.description,
        "folderPath": wf.folder_path,
        "ownerEmail": "demo@simdesk.local",
        "workspaceId": wf.workspace_id,
        "createdAt": iso(wf.created_at),
        "updatedAt": iso(wf.deployed_at or wf.created_at),
        "deleted": False,
    }
    item.pop("level", None)
    item["level"] = "error" if item["status"] == "failed" else "info"
    item["workflowState"] = None
    item["createdAt"] = iso(run.created_at)
    return ctx.ok(item)


def _seeded_detail(state: SandboxState, seeded: logbook.SeededRun) -> dict[str, Any]:
    item = seeded.item(workflow=True, spans=True, final=True, seed=state.config.seed)
    wf = seeded.workflow
    item["workflow"].update(folderPath=wf.folder_path, workspaceId=wf.workspace_id)
    item["workflowState"] = None
    item["createdAt"] = item["startedAt"]
    return item


@route("billing.status", allowed={"workspaceId"})
async def billing_status(ctx: Ctx) -> Response:
    state = ctx.state
    ws = _workspace_for(ctx, ctx.query["workspaceId"]) if "workspaceId" in ctx.query else None
    used = state.current_cost()
    limit = state.usage_limit
    if state.plan == "free":
        # without a Stripe subscription the period is the open interval (openapi-v2-billing.json)
        period = {"start": "1970-01-01T00:00:00.000Z", "end": "9999-12-31T00:00:00.000Z"}
    else:
        start = state.clock.now() - state.clock.now() % (30 * 86400)
        period = {"start": iso(start), "end": iso(start + 30 * 86400)}
    assert ctx.key is not None
    credits = None
    if ctx.key.workspace_id is None:  # always null for a workspace API key
        credits = {"used": used, "limit": limit, "remaining": round(max(0.0, limit - used), 6)}
    return ctx.ok(
        {
            "workspaceId": ws,
            "period": period,
            "plan": state.plan,
            "status": "limit_exceeded" if state.usage_exceeded() else "active",
            "credits": credits,
            "storage": storage_block(state),
        }
    )


async def not_found(request: Request) -> Response:
    return v2_error(404, "Not found")


ROUTES = [
    Route("/api/v2/workspaces", list_workspaces, methods=["GET"]),
    Route("/api/v2/workspaces/{workspaceId}", get_workspace, methods=["GET"]),
    Route("/api/v2/workflows", list_workflows, methods=["GET"]),
    Route("/api/v2/workflows/folders", list_folders, methods=["GET"]),
    Route("/api/v2/workflows/{id}", get_workflow, methods=["GET"]),
    Route("/api/v2/workflows/{id}/deployment", get_deployment, methods=["GET"]),
    Route("/api/v2/workflows/{id}/execute", execute, methods=["POST"]),
    Route("/api/v2/workflows/{id}/runs", list_runs, methods=["GET"]),
    Route("/api/v2/workflows/{id}/runs/{runId}", get_run, methods=["GET"]),
    Route("/api/v2/workflows/{id}/runs/{runId}/cancel", cancel, methods=["POST"]),
    Route("/api/v2/workflows/{id}/runs/{runId}/resume", resume, methods=["POST"]),
    Route("/api/v2/logs", list_logs, methods=["GET"]),
    Route("/api/v2/logs/{runId}", get_log, methods=["GET"]),
    Route("/api/v2/billing/status", billing_status, methods=["GET"]),
    Route("/api/v2/{rest:path}", not_found, methods=["GET", "POST", "PUT", "PATCH", "DELETE"]),
]
