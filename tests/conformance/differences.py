"""KNOWN_DIFFERENCES: the one place listing where the sandbox follows CONTRACT.md, not the OpenAPI text.

CONTRACT.md (``shared/sim-api/CONTRACT.md``) was written from Sim's server code; where the code and
the published OpenAPI files disagree, "the code wins" (its §17, plus remarks in §4–§13). The
sandbox reproduces the code's behaviour, so a response that falls under one of these entries is
checked against the small schema below, written by hand from CONTRACT.md, instead of the OpenAPI
response schema. Everything not listed here is held to the OpenAPI files as they are.

Each :class:`Difference` names the routes and statuses it covers, what the OpenAPI text says,
what the server does (with the CONTRACT.md section), and the schema used. Flags:

* ``only_where_undocumented``: applies only when the OpenAPI text has no response for that
  status and media type (e.g. legacy error statuses the core spec leaves out).
* ``opt_in``: applies only when a test declares the case for one exchange (a Response block's
  reply is arbitrary JSON; nothing in the exchange itself tells it apart from a broken body).
* ``schema is None`` with ``media_type = text/event-stream``: the body is an SSE stream whose frames
  ``contract.SseChecker`` checks against CONTRACT.md §6.3.

The first matching entry wins, so specific entries come before general ones.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from jsonschema import Draft202012Validator

if TYPE_CHECKING:
    from tests.conformance.openapi import Exchange

SSE = "text/event-stream"

# --- building blocks (CONTRACT.md §1: ISO 8601 UTC with milliseconds and Z) -------------------

ISO_MS = {"type": "string", "pattern": r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$"}
ISO_MS_OR_NULL = {"anyOf": [ISO_MS, {"type": "null"}]}
RUN_ID = {"type": "string", "pattern": r"^[A-Za-z0-9._:-]{1,128}$"}
UPPER_SNAKE = {"type": "string", "pattern": r"^[A-Z0-9]+(_[A-Z0-9]+)*$"}

LEGACY_ERROR: dict[str, Any] = {
    "$comment": "CONTRACT §0: legacy error body {error: <string>, …maybe code}",
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {"type": "string", "minLength": 1},
        "code": UPPER_SNAKE,
        "details": {},
        "executionId": RUN_ID,
    },
}

LEGACY_FAILED_RUN: dict[str, Any] = {
    "$comment": "CONTRACT §4.2: {success:false, output:<partial or absent>, error:<msg>, metadata:{…}}",
    "type": "object",
    "required": ["success", "error"],
    "properties": {
        "success": {"const": False},
        "executionId": RUN_ID,
        "output": {},
        "error": {"type": "string", "minLength": 1},
        "metadata": {
            "type": "object",
            "properties": {
                "duration": {"type": "number", "minimum": 0},
                "startTime": ISO_MS,
                "endTime": ISO_MS,
            },
        },
    },
}

EXECUTION_BUCKET: dict[str, Any] = {
    "type": "object",
    "required": ["isLimited", "requestsPerMinute", "maxBurst", "remaining", "resetAt"],
    "additionalProperties": False,
    "properties": {
        "isLimited": {"type": "boolean"},
        "requestsPerMinute": {"type": "integer", "minimum": 0},
        "maxBurst": {"type": "integer", "minimum": 0},
        "remaining": {"type": "integer", "minimum": -1},  # -1: an empty bucket without Redis (rl-usage-when-empty.body)
        "resetAt": ISO_MS,
    },
}

USAGE_LIMITS: dict[str, Any] = {
    "$comment": "CONTRACT §11 and §17 'Usage limits shape'",
    "type": "object",
    "required": ["success", "rateLimit", "usage", "storage"],
    "additionalProperties": False,
    "properties": {
        "success": {"const": True},
        "rateLimit": {
            "type": "object",
            "required": ["sync", "async", "authType"],
            "additionalProperties": False,
            "properties": {
                "sync": EXECUTION_BUCKET,
                "async": EXECUTION_BUCKET,
                "authType": {"enum": ["api", "manual"]},
            },
        },
        "usage": {
            "type": "object",
            "required": ["currentPeriodCost", "limit", "plan"],
            "properties": {
                "currentPeriodCost": {"type": "number", "minimum": 0},
                "limit": {"type": "number", "minimum": 0},
                "plan": {"type": "string"},
            },
        },
        "storage": {
            "type": "object",
            "required": ["usedBytes", "limitBytes", "percentUsed"],
            "properties": {
                "usedBytes": {"type": "integer", "minimum": 0},
                "limitBytes": {"type": "integer", "minimum": 0},
                "percentUsed": {"type": "number", "minimum": 0, "maximum": 100},
            },
        },
    },
}

JOB_STATUS: dict[str, Any] = {
    "$comment": "real Sim v0.8.9: job-poll.body, fail-job-poll.body, slow-legacy-job-*.body",
    "type": "object",
    "required": ["success", "taskId", "status", "metadata", "output"],
    "additionalProperties": False,
    "properties": {
        "success": {"type": "boolean"},
        "taskId": {"type": "string", "minLength": 1},
        "status": {"enum": ["pending", "processing", "completed", "failed", "cancelled"]},
        "metadata": {
            "type": "object",
            "required": ["workflowId", "workspaceId", "userId", "correlation"],
            "additionalProperties": False,
            "properties": {
                "workflowId": {"type": "string"},
                "workspaceId": {"type": "string"},
                "userId": {"type": "string"},
                "correlation": {
                    "type": "object",
                    "required": ["executionId"],
                    "properties": {
                        "executionId": RUN_ID,
                        "requestId": {"type": "string"},
                        "source": {"type": "string"},
                        "workflowId": {"type": "string"},
                        "triggerType": {"type": "string"},
                    },
                },
            },
        },
        "output": {
            "$comment": "a wrapper: the workflow's result is output.output; null until completed",
            "anyOf": [
                {
                    "type": "object",
                    "required": ["success", "output"],
                    "properties": {
                        "success": {"const": True},
                        "workflowId": {"type": "string"},
                        "executionId": RUN_ID,
                        "output": {},
                        "executedAt": ISO_MS,
                    },
                },
                {"type": "null"},
            ],
        },
        "error": {"type": "string", "minLength": 1},
    },
    "allOf": [
        {
            "if": {"properties": {"status": {"enum": ["failed", "cancelled"]}}},
            "then": {"required": ["error"], "properties": {"output": {"type": "null"}}},
            "else": {"not": {"required": ["error"]}},
        },
        {
            "if": {"properties": {"status": {"const": "completed"}}},
            "then": {"properties": {"output": {"type": "object"}}},
            "else": {"properties": {"output": {"type": "null"}}},
        },
    ],
}

LEGACY_SYNC_RESULT: dict[str, Any] = {
    "$comment": "real Sim v0.8.9: sync-execute.body (metadata.duration is fractional ms)",
    "type": "object",
    "required": ["success", "executionId", "output", "metadata"],
    "additionalProperties": False,
    "properties": {
        "success": {"const": True},
        "executionId": RUN_ID,
        "output": {},
        "metadata": {
            "type": "object",
            "required": ["duration", "startTime", "endTime"],
            "additionalProperties": False,
            "properties": {"duration": {"type": "number", "minimum": 0}, "startTime": ISO_MS, "endTime": ISO_MS},
        },
    },
}

V2_SYNC_RESULT: dict[str, Any] = {
    "$comment": "real Sim v0.8.9: v2-execute-sync.body, fail-v2-sync.body (durationMs is fractional ms)",
    "type": "object",
    "required": ["data"],
    "additionalProperties": False,
    "properties": {
        "data": {
            "type": "object",
            "required": ["runId", "workflowId", "status", "output", "error", "startedAt", "endedAt", "durationMs"],
            "additionalProperties": False,
            "properties": {
                "runId": RUN_ID,
                "workflowId": {"type": "string"},
                "status": {"enum": ["completed", "failed", "paused"]},
                "output": {},
                "error": {
                    "anyOf": [
                        {"type": "null"},
                        {
                            "type": "object",
                            "required": ["code", "message"],
                            "properties": {"message": {"type": "string"}},
                        },
                    ]
                },
                "startedAt": ISO_MS,
                "endedAt": ISO_MS_OR_NULL,
                "durationMs": {"type": ["number", "null"], "minimum": 0},
            },
        }
    },
}

WORKFLOW_STATUS: dict[str, Any] = {
    "$comment": "CONTRACT §8.1: isPublished is no longer returned",
    "type": "object",
    "required": ["isDeployed", "deployedAt", "needsRedeployment"],
    "additionalProperties": False,
    "properties": {
        "isDeployed": {"type": "boolean"},
        "deployedAt": ISO_MS_OR_NULL,
        "needsRedeployment": {"type": "boolean"},
    },
}

HEALTH: dict[str, Any] = {
    "$comment": "CONTRACT §13",
    "type": "object",
    "required": ["status", "timestamp"],
    "properties": {"status": {"const": "ok"}, "timestamp": ISO_MS},
}

V2_GATE_NOT_FOUND: dict[str, Any] = {
    "$comment": "CONTRACT §0: exactly {error:{code:NOT_FOUND, message:'Not found'}}",
    "type": "object",
    "required": ["error"],
    "additionalProperties": False,
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "additionalProperties": False,
            "properties": {"code": {"const": "NOT_FOUND"}, "message": {"const": "Not found"}},
        }
    },
}

ANYTHING: dict[str, Any] = {"$comment": "CONTRACT §4.2: a Response block's data, any JSON"}

# --- v1 (CONTRACT §8.3; no OpenAPI text at all): shapes of Sim's v1 route handlers ---------------


def _record(properties: dict[str, Any], optional: tuple[str, ...] = ()) -> dict[str, Any]:
    """A closed object whose properties are all required but the ``optional`` ones."""
    required = [name for name in properties if name not in optional]
    return {"type": "object", "required": required, "additionalProperties": False, "properties": properties}


def _without(schema: dict[str, Any], name: str) -> dict[str, Any]:
    """``schema`` less one of its properties."""
    return {
        **schema,
        "required": [r for r in schema["required"] if r != name],
        "properties": {k: v for k, v in schema["properties"].items() if k != name},
    }


_V1_EXECUTION_LIMIT = _without(EXECUTION_BUCKET, "isLimited")  # usage-limits' buckets, minus isLimited
_USAGE = USAGE_LIMITS["properties"]["usage"]

# CONTRACT §8.3 limits: the execution buckets (no isLimited) and usage with isExceeded
V1_LIMITS = _record(
    {
        "workflowExecutionRateLimit": _record({"sync": _V1_EXECUTION_LIMIT, "async": _V1_EXECUTION_LIMIT}),
        "usage": _record({**_USAGE["properties"], "isExceeded": {"type": "boolean"}}),
    }
)

_NULLABLE_ID = {"anyOf": [{"type": "string", "minLength": 1}, {"type": "null"}]}

V1_WORKFLOW = _record(
    {
        "id": {"type": "string", "minLength": 1},
        "name": {"type": "string"},
        "description": {"type": ["string", "null"]},
        "folderId": _NULLABLE_ID,
        "workspaceId": {"type": "string", "minLength": 1},
        "isDeployed": {"type": "boolean"},
        "deployedAt": ISO_MS_OR_NULL,
        "runCount": {"type": "integer", "minimum": 0},
        "lastRunAt": ISO_MS_OR_NULL,
        "createdAt": ISO_MS,
        "updatedAt": ISO_MS,
    }
)

# v1 logs/route.ts: a log row id and the executionId, no status; workflow only with details=full
V1_LOG = _record(
    {
        "id": {"type": "string", "minLength": 1},
        "workflowId": _NULLABLE_ID,
        "executionId": RUN_ID,
        "deploymentVersionId": _NULLABLE_ID,
        "level": {"enum": ["info", "error"]},
        "trigger": {"type": "string", "minLength": 1},
        "startedAt": ISO_MS,
        "endedAt": ISO_MS_OR_NULL,
        "totalDurationMs": {"type": ["integer", "null"], "minimum": 0},
        "cost": {
            "anyOf": [
                {"type": "object", "required": ["total"], "properties": {"total": {"type": "number"}}},
                {"type": "null"},
            ]
        },
        "files": {"type": ["array", "null"]},
        "workflow": _record(
            {
                "id": _NULLABLE_ID,
                "name": {"type": "string"},
                "description": {"type": ["string", "null"]},
                "deleted": {"type": "boolean"},
            }
        ),
        "finalOutput": {},
        "traceSpans": {"type": "array", "items": {"type": "object"}},
    },
    optional=("workflow", "finalOutput", "traceSpans"),
)


def v1_list(item: dict[str, Any]) -> dict[str, Any]:
    """``{data: [item], nextCursor?, limits}``: nextCursor is left out (never null) on the last page."""
    properties = {"data": {"type": "array", "items": item}, "nextCursor": {"type": "string", "minLength": 1}}
    return _record({**properties, "limits": V1_LIMITS}, optional=("nextCursor",))


# CONTRACT §8.3: 429 {error:'Rate limit exceeded', message, retryAfter:<epoch ms>}
V1_RATE_LIMITED = _record(
    {
        "error": {"const": "Rate limit exceeded"},
        "message": {"type": "string", "minLength": 1},
        "retryAfter": {"type": "integer", "minimum": 1_000_000_000_000},
    }
)

# CONTRACT §8.3 'Errors {error}'; a 400 adds the schema issues in details
V1_ERROR = _record(
    {
        "error": {"type": "string", "minLength": 1},
        "details": {"type": "array", "items": {"type": "object", "required": ["path", "message"]}},
    },
    optional=("details",),
)


# --- the table ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Difference:
    """One place where the server (and so the sandbox) differs from the OpenAPI text."""

    id: str
    contract: str  # the CONTRACT.md section(s) that say so
    openapi_says: str
    server_does: str
    routes: tuple[tuple[str, str], ...]  # (METHOD or "*", path template; "/**" = any rest)
    statuses: frozenset[int] | None = None  # None = any status
    media_type: str = "application/json"
    schema: Mapping[str, Any] | None = None
    only_where_undocumented: bool = False
    opt_in: bool = False

    def matches(self, ex: Exchange) -> bool:
        if self.statuses is not None and ex.status not in self.statuses:
            return False
        if ex.media_type != self.media_type:
            return False
        return any(
            (method == "*" or method == ex.method.upper()) and template_regex(template).match(ex.path)
            for method, template in self.routes
        )

    def check(self, ex: Exchange) -> list[str]:
        if self.schema is None:
            return []
        validator = Draft202012Validator(dict(self.schema))
        return [f"at /{'/'.join(str(p) for p in e.absolute_path)}: {e.message}" for e in validator.iter_errors(ex.body)]


def template_regex(template: str) -> re.Pattern[str]:
    """``/a/{id}/b`` → a regex with one named group per parameter; a trailing ``/**`` matches any rest."""
    rest = template.endswith("/**")
    base = template[:-3] if rest else template
    parts = re.split(r"(\{[^}/]+\})", base)
    regex = "".join(f"(?P<{p[1:-1]}>[^/]+)" if p.startswith("{") and p.endswith("}") else re.escape(p) for p in parts)
    return re.compile("^" + regex + ("(?:/.*)?" if rest else "") + "$")


LEGACY_EXECUTE = ("POST", "/api/workflows/{id}/execute")
LEGACY_READ_ROUTES = (
    ("GET", "/api/jobs/{jobId}"),
    ("GET", "/api/workflows/{id}/executions/{executionId}"),
    ("POST", "/api/workflows/{id}/executions/{executionId}/cancel"),
    ("GET", "/api/workflows/{id}/paused"),
    ("GET", "/api/workflows/{id}/paused/{executionId}"),
    ("GET", "/api/resume/{workflowId}/{executionId}"),
    ("GET", "/api/resume/{workflowId}/{executionId}/{contextId}"),
    ("POST", "/api/resume/{workflowId}/{executionId}/{contextId}"),
    ("GET", "/api/users/me/usage-limits"),
)

V1_ROUTES = (("GET", "/api/v1/workflows"), ("GET", "/api/v1/logs"))
V1_DIFFERENCES = tuple(
    Difference(
        id=f"v1-{name}",
        contract=contract,
        openapi_says="the v1 routes are not in the OpenAPI files",
        server_does=server_does,
        routes=routes,
        statuses=statuses,
        schema=schema,
    )
    for name, contract, routes, statuses, schema, server_does in (
        ("workflows", "§8.3", V1_ROUTES[:1], frozenset({200}), v1_list(V1_WORKFLOW),
         "200 {data:[{id, name, description, folderId, workspaceId, isDeployed, deployedAt, runCount, lastRunAt, "
         "createdAt, updatedAt}], nextCursor?, limits}, whether v2 is on or off"),
        ("logs", "§8.3 '/api/v1/logs also exists'", V1_ROUTES[1:], frozenset({200}), v1_list(V1_LOG),
         "200 {data:[{id, workflowId, executionId, deploymentVersionId, level, trigger, startedAt, endedAt, "
         "totalDurationMs, cost, files, workflow?, finalOutput?, traceSpans?}], nextCursor?, limits}; no status"),
        ("rate-limited", "§8.3, §3.2 'v1 routes'", V1_ROUTES, frozenset({429}), V1_RATE_LIMITED,
         "429 {error:'Rate limit exceeded', message, retryAfter:<epoch ms>} with X-RateLimit-* and Retry-After"),
        ("errors", "§8.3 'Errors {error}'", V1_ROUTES, None, V1_ERROR,
         "401/400/403/5xx answer {error: <string>} (a 400 adds details), never the v2 envelope"),
    )
)  # fmt: skip

KNOWN_DIFFERENCES: tuple[Difference, ...] = (
    Difference(
        id="legacy-response-block",
        contract="§4.2 'Response block', §16.18",
        openapi_says="execute answers an ExecutionResult (200) or AsyncExecutionResult (202)",
        server_does="a deployed workflow that ran a Response block answers with that block's "
        "status, headers and JSON data, no envelope (declared per test: opt-in)",
        routes=(LEGACY_EXECUTE,),
        schema=ANYTHING,
        opt_in=True,
    ),
    Difference(
        id="legacy-execute-sse",
        contract="§4.4, §6, §17 'SSE completion frame' / 'SSE terminator'",
        openapi_says="200 is application/json only; the guides show a final "
        '{"event":"done",…,"metadata":{"duration"}} frame and a bare data: [DONE]',
        server_does="stream:true / X-Stream-Response answers 200 text/event-stream; frames per §6.3: "
        'terminal {"event":"final","data":{success,output,status?}}, or {"event":"error"} when a block '
        'fails (no final; fail-legacy-stream.body), then data: "[DONE]" (quoted)',
        routes=(LEGACY_EXECUTE,),
        statuses=frozenset({200}),
        media_type=SSE,
    ),
    Difference(
        id="v2-execute-sse-frames",
        contract="§5.2 'Stream 200', §6.3, §17 'SSE completion frame' / 'SSE terminator'",
        openapi_says="200 text/event-stream with schema {type: string} (frames undescribed)",
        server_does="frames per §6.3 (final, not done, or error when a block fails; quoted [DONE]); "
        "no X-Run-Id, no run id in frames (fail-v2-stream.body)",
        routes=(("POST", "/api/v2/workflows/{id}/execute"),),
        statuses=frozenset({200}),
        media_type=SSE,
    ),
    Difference(
        id="legacy-execute-sync-duration",
        contract="§4.2; real Sim v0.8.9 capture sync-execute.body",
        openapi_says="metadata.duration is an integer",
        server_does="metadata.duration is fractional milliseconds (15.125469999969937)",
        routes=(LEGACY_EXECUTE,),
        statuses=frozenset({200}),
        schema=LEGACY_SYNC_RESULT,
    ),
    Difference(
        id="v2-execute-sync-duration",
        contract="§5.2; real Sim v0.8.9 captures v2-execute-sync.body, fail-v2-sync.body",
        openapi_says="durationMs is an integer",
        server_does="durationMs of a sync result is fractional milliseconds (22.376154000055976)",
        routes=(("POST", "/api/v2/workflows/{id}/execute"), ("POST", "/api/v2/workflows/{id}/runs/{runId}/resume")),
        statuses=frozenset({200}),
        schema=V2_SYNC_RESULT,
    ),
    Difference(
        id="legacy-execute-failed-run",
        contract="§4.2, §16.16, §16.17, §17 'Failed run HTTP status'",
        openapi_says="execute documents 200/202/401/404/429 only",
        server_does="a run that fails answers 500 (or a passed-through 4xx), a sync timeout 408, "
        "with {success:false, output?, error, metadata}",
        routes=(LEGACY_EXECUTE,),
        statuses=frozenset({408}),
        schema=LEGACY_FAILED_RUN,
    ),
    Difference(
        id="legacy-execute-500",
        contract="§4.2, §4.3 'Enqueue failures', §17 'Failed run HTTP status'",
        openapi_says="500 not documented for execute",
        server_does="500 for a failed run ({success:false,error,output?,metadata}) or "
        '{"error":"Failed to queue async execution"}',
        routes=(LEGACY_EXECUTE,),
        statuses=frozenset({500}),
        schema={"anyOf": [LEGACY_FAILED_RUN, LEGACY_ERROR]},
    ),
    Difference(
        id="legacy-execute-499",
        contract="§4.2 'Client disconnect'",
        openapi_says="499 not documented",
        server_does='{"success":false,"error":"Client cancelled request"}; the run is recorded cancelled '
        "(slow-sync-disconnect-status.body)",
        routes=(LEGACY_EXECUTE,),
        statuses=frozenset({499}),
        schema={
            "type": "object",
            "required": ["success", "error"],
            "properties": {"success": {"const": False}, "error": {"const": "Client cancelled request"}},
        },
    ),
    Difference(
        id="legacy-execute-error-statuses",
        contract="§4.5, §3.3, §17 'Execute error statuses (core spec)'",
        openapi_says="execute documents 200/202/401/404/429 only",
        server_does="also 400, 402, 403, 409, 413, 503 with the legacy envelope {error, code?, executionId?, details?}",
        routes=(LEGACY_EXECUTE,),
        statuses=frozenset({400, 402, 403, 409, 413, 503}),
        schema=LEGACY_ERROR,
    ),
    Difference(
        id="legacy-job-status",
        contract="§7.1, §17 'Job status'",
        openapi_says="status ∈ queued|processing|…; metadata {startedAt, completedAt, duration}; "
        "estimatedDuration; output is the workflow output",
        server_does="status ∈ pending|processing|completed|failed|cancelled (never queued); metadata "
        "{userId, workflowId, correlation, workspaceId}; no estimatedDuration; output null until "
        "completed, then a wrapper ({success, output, …}); a failed workflow fails the job with "
        "output null and error (fail-job-poll.body)",
        routes=(("GET", "/api/jobs/{jobId}"),),
        statuses=frozenset({200}),
        schema=JOB_STATUS,
    ),
    Difference(
        id="usage-limits-shape",
        contract="§11, §17 'Usage limits shape'",
        openapi_says="core spec omits rateLimit; the guides show rateLimit.sync/async.{isLimited, "
        "limit, remaining, resetAt}",
        server_does="rateLimit {sync, async: {isLimited, requestsPerMinute, maxBurst, remaining, "
        "resetAt}, authType}; no `limit`; plus usage and storage",
        routes=(("GET", "/api/users/me/usage-limits"),),
        statuses=frozenset({200}),
        schema=USAGE_LIMITS,
    ),
    Difference(
        id="legacy-undocumented-error-statuses",
        contract="§7.1, §7.2, §7.4, §10, §11 (error lists)",
        openapi_says="each legacy route documents a few error statuses (e.g. jobs 401/403/404)",
        server_does="also 403, 409 (cancel on a completed run), 500, 503 …, always the legacy envelope {error, code?}",
        routes=LEGACY_READ_ROUTES,
        schema=LEGACY_ERROR,
        only_where_undocumented=True,
    ),
    Difference(
        id="legacy-workflow-status",
        contract="§8.1, §17 'Workflow status'",
        openapi_says="GET /api/workflows/{id}/status is not in the OpenAPI files (the TS SDK type "
        "still has isPublished)",
        server_does="{isDeployed, deployedAt|null, needsRedeployment}; never isPublished",
        routes=(("GET", "/api/workflows/{id}/status"),),
        statuses=frozenset({200}),
        schema=WORKFLOW_STATUS,
    ),
    Difference(
        id="legacy-workflow-status-errors",
        contract="§8.1",
        openapi_says="route not described",
        server_does='401 {"error":"Unauthorized"}, 404 {"error":"Workflow not found",'
        '"code":"WORKFLOW_NOT_FOUND","requestId":"<x-request-id>"} (wskey-foreign-status.body), '
        '500 {"error":"Failed to get status",…}',
        routes=(("GET", "/api/workflows/{id}/status"),),
        schema=LEGACY_ERROR,
    ),
    Difference(
        id="health",
        contract="§13",
        openapi_says="GET /api/health is not in the OpenAPI files",
        server_does='200 {"status":"ok","timestamp":"<ISO>"}, no auth, no x-request-id',
        routes=(("GET", "/api/health"),),
        statuses=frozenset({200}),
        schema=HEALTH,
    ),
    *V1_DIFFERENCES,
    Difference(
        id="v2-unknown-path",
        contract="§0 'Availability', §16.4",
        openapi_says="only the documented v2 paths exist",
        server_does='any other /api/v2/* path answers 404 {"error":{"code":"NOT_FOUND",'
        '"message":"Not found"}} (the same body as the v2 gate)',
        routes=(("*", "/api/v2/**"),),
        statuses=frozenset({404}),
        schema=V2_GATE_NOT_FOUND,
        only_where_undocumented=True,
    ),
)

# --- §17 rows that are behaviour, not a response schema ----------------------------------------
# Where each of CONTRACT.md §17's other rows is held to the server's behaviour. (The schema rows
# are the KNOWN_DIFFERENCES above.)
SECTION_17_BEHAVIOUR: dict[str, str] = {
    "SSE errors": "contract.FRAME_SCHEMAS (stream_error, error, chunk_reset, thinking, tool); test_edge_08, _10",
    "Streaming via SDK": "test_official_sdk.test_sdk_cannot_consume_a_stream",
    "What streams": "test_edge_09_* (no selectedOutputs → final only; only selected agents stream)",
    "Async trigger (0.1.x)": "test_edge_19_legacy_body_async_runs_sync; test_edge_12 (X-Execution-Mode)",
    "Async receipt": "test_edge_12_* (legacy spec shape; v2 {data:{runId,statusUrl}})",
    "Sync result fields": "test_legacy_routes.test_execute_sync_echo (no logs/traceSpans/totalDuration)",
    "Rate-limit headers": "contract.check_headers (none on legacy; ISO reset; Limit = capacity); "
    "test_v1_routes.test_v1_shares_one_bucket_across_routes",
    "Reset display": "test_official_sdk.test_get_rate_limit_info_after_a_v2_call (SDK keeps epoch ms)",
    "Retry-After": "test_official_sdk.test_execute_with_retry_through_a_429 (jittered ±25 %)",
    "Polling loop (guides)": "v2 run status enum from the OpenAPI text (queued … redacting … paused)",
    "Error codes": "test_edge_05_* (RATE_LIMITED; RATE_LIMIT_EXCEEDED only in details.code)",
    "selectedOutputs (core spec)": "test_edge_19_legacy_flat_and_nested_input (sync JSON keeps the full output)",
    "Base URL": "test_edge_23_apex_redirect_is_a_301_not_followed",
    "v2 availability": "test_edge_04_*",
    "Input": "test_edge_19_* (legacy flat/nested, v2 input must be an object)",
}
