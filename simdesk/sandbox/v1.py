"""The v1 surface: ``GET /api/v1/workflows`` and ``GET /api/v1/logs`` (CONTRACT.md §8.3, §3).

Ungated: both answer whether the ``v2-api`` flag is on or off. Each request goes the way Sim's v1
middleware takes it: ``X-API-Key`` (401 ``{"error"}`` without rate headers: no bucket was
consulted) → the one request bucket all v1 routes share, per user (429 ``{error, message,
retryAfter: <epoch ms>}`` with ``Retry-After``) → lenient query parsing (unknown parameters are
ignored; a bad value is a 400 ``{error, details}`` whose ``error`` is the first issue's message) →
workspace access (403 ``{"error"}``) → ``{data, nextCursor?, limits}``. Every answer after the
bucket carries its ``X-RateLimit-*``.

Cursors are Sim's keysets (base64 JSON of the last row's sort key), not bound to the filters, and
``nextCursor`` is left out on the last page. A workflows cursor that cannot be read is ignored
(the list starts over), a logs cursor that cannot be read is a 400 ``"Invalid cursor"``.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from simdesk.sandbox.clock import iso, parse_iso
from simdesk.sandbox.legacy import Denied, resolve_key, scope_denial, usage_limits_body
from simdesk.sandbox.model import ApiKey
from simdesk.sandbox.respond import JSON, legacy_error, rate_headers, v1_rate_limited
from simdesk.sandbox.state import SandboxState
from simdesk.sandbox.v2.logs import LogFilter
from simdesk.sandbox.v2.workflows import workflow_item

BUCKET = "api-endpoint:v1"  # one bucket for every v1 route (v2 has one per operation)
MAX_ID_LENGTH = 128
LOG_FIELDS = ("workflowId", "deploymentVersionId", "level", "trigger", "startedAt", "endedAt", "totalDurationMs")
EXECUTION_LIMIT_FIELDS = ("requestsPerMinute", "maxBurst", "remaining", "resetAt")


class V1Error(Exception):
    """A v1 failure on its way to ``{"error": message, "details"?}``."""

    def __init__(self, status: int, message: str, details: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.details = status, message, details


@dataclass
class Ctx:
    """An admitted v1 request: the key is valid and the bucket gave a token."""

    state: SandboxState
    key: ApiKey
    query: dict[str, str]
    request: Request

    def ok(self, data: list[dict[str, Any]], next_cursor: str | None) -> Response:
        body: dict[str, Any] = {"data": data}
        if next_cursor is not None:  # Sim's JSON drops an undefined nextCursor
            body["nextCursor"] = next_cursor
        body["limits"] = user_limits(self.state, self.key)
        return JSON(body)


Handler = Callable[[Ctx], Awaitable[Response]]


def route(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """Wrap a handler in the v1 admission pipeline (see the module docstring)."""

    async def endpoint(request: Request) -> Response:
        state: SandboxState = request.app.state.sandbox
        try:
            key = resolve_key(state, request, missing="API key required")
        except Denied as denied:
            return denied.response
        assert key is not None  # only a public_ok lookup comes back empty
        # keyed per user, as Sim's v1 middleware does, so a workspace key shares its creator's bucket
        bucket = state.take(BUCKET, f"user:{key.user_id}")
        if not bucket.allowed:
            return v1_rate_limited(bucket, state.clock.now())
        try:
            response = await handler(Ctx(state, key, dict(request.query_params), request))
        except V1Error as err:
            extra = {"details": err.details} if err.details is not None else {}
            response = legacy_error(err.status, err.message, None, **extra)
        # Sim stamps the bucket on whatever the route answers once it was consulted, 4xx included
        response.headers.update(rate_headers(bucket))
        return response

    return endpoint


def user_limits(state: SandboxState, key: ApiKey) -> dict[str, Any]:
    """The ``limits`` block: the execution buckets and usage, as usage-limits reports them."""
    report = usage_limits_body(state, key)
    rate = report["rateLimit"]
    return {
        "workflowExecutionRateLimit": {
            kind: {name: rate[kind][name] for name in EXECUTION_LIMIT_FIELDS} for kind in ("sync", "async")
        },
        "usage": {**report["usage"], "isExceeded": state.usage_exceeded()},
    }


# --- query parsing (Sim's zod schemas: unknown parameters pass, the last of repeated ones wins) ---


def _issue(name: str, message: str, code: str = "invalid_value") -> V1Error:
    return V1Error(400, message, [{"code": code, "path": [name], "message": message}])


def _workspace_id(q: dict[str, str]) -> str:
    value = q.get("workspaceId", "")
    if not value:
        raise _issue("workspaceId", "Workspace ID is required", "invalid_type")
    if len(value) > MAX_ID_LENGTH:
        raise _issue("workspaceId", "Workspace ID is too long", "too_big")
    return value


def _flag(q: dict[str, str], name: str) -> bool:
    value = q.get(name, "").strip().lower()
    if value in ("true", "1"):
        return True
    if value in ("false", "0", ""):
        return False
    raise _issue(name, "must be a boolean (true/false)", "invalid_type")


def _number(q: dict[str, str], name: str) -> float | None:
    """``z.coerce.number()``: JavaScript's ``Number(text)``, so a blank value is 0."""
    if name not in q:
        return None
    text = q[name].strip()
    try:
        value = float(text) if text else 0.0
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise _issue(name, "Invalid input: expected number, received NaN", "invalid_type")
    return value


def _choice(q: dict[str, str], name: str, options: tuple[str, ...]) -> str | None:
    value = q.get(name)
    if value is not None and value not in options:
        expected = "|".join(f'"{o}"' for o in options)
        raise _issue(name, f"Invalid option: expected one of {expected}")
    return value


def _csv(q: dict[str, str], name: str) -> frozenset[str] | None:
    """A comma list; empty entries drop out and an empty list filters nothing."""
    values = frozenset(v for v in q.get(name, "").split(",") if v)
    return values or None


# --- keyset pages ------------------------------------------------------------------------------


def _encode(data: dict[str, Any]) -> str:
    return base64.b64encode(json.dumps(data, separators=(",", ":")).encode()).decode()


def _decode(cursor: str) -> dict[str, Any] | None:
    try:
        data = json.loads(base64.b64decode(cursor.encode()))
    except (ValueError, binascii.Error):
        return None
    return data if isinstance(data, dict) else None


def _keyset_page[T](
    items: list[T], key: Callable[[T], tuple[Any, ...]], after: tuple[Any, ...] | None, limit: int, descending: bool
) -> tuple[list[T], T | None]:
    """The ``limit`` rows strictly past ``after`` in the list's order, and the last of them when more follow."""
    ordered = sorted(items, key=key, reverse=descending)
    if after is not None:
        ordered = [i for i in ordered if (key(i) < after if descending else key(i) > after)]
    page = ordered[:limit]
    return page, page[-1] if len(ordered) > limit else None


# --- the routes --------------------------------------------------------------------------------


@route
async def list_workflows(ctx: Ctx) -> Response:
    q = ctx.query
    workspace_id = _workspace_id(q)
    folder_id = q.get("folderId") or None  # a blank folderId filters nothing
    deployed_only = _flag(q, "deployedOnly")
    limit = _number(q, "limit")
    if limit is not None and limit < 1:
        raise _issue("limit", "Too small: expected number to be >=1", "too_small")
    if limit is not None and limit > 100:
        raise _issue("limit", "Too big: expected number to be <=100", "too_big")
    if denial := scope_denial(ctx.state, ctx.key, workspace_id):
        return denial
    state = ctx.state
    workflows = [w for w in state.workflows.values() if w.workspace_id == workspace_id]
    if folder_id is not None:
        workflows = [w for w in workflows if state.folder_id(w) == folder_id]
    if deployed_only:
        workflows = [w for w in workflows if w.deployed]
    after = _workflows_cursor(q.get("cursor"))
    rows = [(w.position, iso(w.created_at), w.id, w) for w in workflows]
    page, last = _keyset_page(rows, lambda r: r[:3], after, int(limit or 50), descending=False)
    items = []
    for *_, wf in page:
        item = {("folderId" if k == "folderPath" else k): v for k, v in workflow_item(state, wf).items()}
        item["folderId"] = state.folder_id(wf)  # v1 knows folders by id only
        items.append(item)
    cursor = _encode({"sortOrder": last[0], "createdAt": last[1], "id": last[2]}) if last else None
    return ctx.ok(items, cursor)


def _workflows_cursor(cursor: str | None) -> tuple[Any, ...] | None:
    """Where a workflows page resumes; ``None`` (the first page) for a cursor Sim could not read either."""
    data = _decode(cursor) if cursor else None
    if data is None or not all(k in data for k in ("sortOrder", "createdAt", "id")):
        return None
    return data["sortOrder"], data["createdAt"], data["id"]


@route
async def list_logs(ctx: Ctx) -> Response:
    q = ctx.query
    workspace_id = _workspace_id(q)
    level = _choice(q, "level", ("info", "error"))
    full = _choice(q, "details", ("basic", "full")) == "full"
    order = _choice(q, "order", ("desc", "asc")) or "desc"
    bounds = {name: _number(q, name) for name in ("minDurationMs", "maxDurationMs", "minCost", "maxCost")}
    spans, final = full and _flag(q, "includeTraceSpans"), full and _flag(q, "includeFinalOutput")
    raw_limit = _number(q, "limit")
    limit = 100 if raw_limit is None else min(max(1, math.trunc(raw_limit)), 1000)  # clamped, never refused
    if denial := scope_denial(ctx.state, ctx.key, workspace_id):
        return denial
    after = None
    if q.get("cursor"):
        after = _logs_cursor(q["cursor"], order)
        if after is None:
            return legacy_error(400, "Invalid cursor")
    folder_ids = _csv(q, "folderIds")
    state = ctx.state
    wanted = LogFilter(
        workflow_ids=_csv(q, "workflowIds"),
        in_folder=(lambda wf: state.folder_id(wf) in folder_ids) if folder_ids else None,
        triggers=_csv(q, "triggers"),
        run_id=q.get("executionId") or None,
        start=_date(q, "startDate", -math.inf),
        end=_date(q, "endDate", math.inf),
        level=level,
    )
    items = [_log(i) for i in wanted.items(state, workspace_id, workflow=full, spans=spans, final=final)]
    items = [i for i in items if _within(i, bounds)]
    page, last = _keyset_page(items, _log_key, after, limit, descending=order == "desc")
    cursor = _encode({"startedAt": last["startedAt"], "id": last["id"], "order": order}) if last else None
    return ctx.ok(page, cursor)


def _log(v2_item: dict[str, Any]) -> dict[str, Any]:
    """A v1 log item from a v2 one: its own ``id``, ``executionId`` for the run id, no ``status``."""
    item = {"id": f"log_{v2_item['runId']}", "executionId": v2_item["runId"]}
    item.update({name: v2_item[name] for name in LOG_FIELDS})
    item["cost"], item["files"] = v2_item["cost"], v2_item["files"]
    for extra in ("workflow", "finalOutput", "traceSpans"):
        if v2_item.get(extra) is not None:  # Sim adds a block only when the run has it
            item[extra] = v2_item[extra]
    return item


def _log_key(item: dict[str, Any]) -> tuple[float, str]:
    return parse_iso(item["startedAt"]), item["id"]


def _logs_cursor(cursor: str, order: str) -> tuple[float, str] | None:
    """Sim's ``decodePublicLogCursor``: a date, a non-empty id, and the order the list is read in."""
    data = _decode(cursor)
    if data is None or data.get("order", order) != order:
        return None
    started, log_id = data.get("startedAt"), data.get("id")
    if not isinstance(started, str) or not isinstance(log_id, str) or not log_id:
        return None
    try:
        return parse_iso(started), log_id
    except ValueError:
        return None


def _date(q: dict[str, str], name: str, default: float) -> float:
    if not q.get(name):
        return default
    try:
        return parse_iso(q[name])
    except ValueError:
        # Sim's schema takes any string and its query then fails (a 500); a 400 says more
        raise _issue(name, "Invalid date") from None


def _within(item: dict[str, Any], bounds: dict[str, float | None]) -> bool:
    """The duration and cost bounds; like SQL, a run without that figure fails any bound on it."""
    checks = (
        ("minDurationMs", item["totalDurationMs"], 1),
        ("maxDurationMs", item["totalDurationMs"], -1),
        ("minCost", (item["cost"] or {}).get("total"), 1),
        ("maxCost", (item["cost"] or {}).get("total"), -1),
    )
    for name, value, sign in checks:
        bound = bounds[name]
        if bound is not None and (value is None or sign * (value - bound) < 0):
            return False
    return True


ROUTES = [
    Route("/api/v1/workflows", list_workflows, methods=["GET"]),
    Route("/api/v1/logs", list_logs, methods=["GET"]),
]
