"""The pipeline every v2 route shares, and what the handlers parse with.

Every route goes through :func:`route`: per-IP pre-auth limit → ``X-API-Key`` → gate → the
operation's request bucket (for the key and its user; the tighter one is reported) → strict
query/body parsing → ``{"data": …}`` or the v2 error envelope. Query parameters, cursors and
the key's access to a workspace or workflow are checked here too, alike for every resource.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from simdesk.sandbox.buckets import BucketState
from simdesk.sandbox.clock import iso, parse_iso
from simdesk.sandbox.model import ApiKey, Workflow
from simdesk.sandbox.respond import v2_data, v2_error
from simdesk.sandbox.runs import retry_after_for
from simdesk.sandbox.state import SandboxState


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


def bad_request(message: str, details: Any = None) -> V2Error:
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
        raise bad_request("Invalid query parameters", issues)
    return seen


def int_param(q: dict[str, str], name: str, default: int, lo: int, hi: int) -> int:
    if name not in q:
        return default
    value = q[name]
    if not value.isdigit() or not lo <= int(value) <= hi:
        raise bad_request(
            "Invalid query parameters", [{"path": [name], "message": f"Must be a whole number from {lo} to {hi}"}]
        )
    return int(value)


def choice_param(q: dict[str, str], name: str, default: str, options: tuple[str, ...]) -> str:
    value = q.get(name, default)
    if value not in options:
        raise bad_request(
            "Invalid query parameters", [{"path": [name], "message": f"Must be one of {', '.join(options)}"}]
        )
    return value


def bool_param(q: dict[str, str], name: str) -> bool:
    value = q.get(name, "false")
    if value not in ("true", "false"):
        raise bad_request("Invalid query parameters", [{"path": [name], "message": "Must be true or false"}])
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


def paginate(
    items: list[Any], q: dict[str, str], filters: dict[str, Any], default_limit: int = 50, max_limit: int = 100
) -> tuple[list[Any], str | None]:
    """Opaque cursors that remember the filters: reuse with other filters is a 400 (§8.2)."""
    limit = int_param(q, "limit", default_limit, 1, max_limit)
    offset = 0
    if "cursor" in q:
        try:
            decoded = json.loads(base64.urlsafe_b64decode(q["cursor"].encode()))
            offset = int(decoded["o"])
            same = decoded["f"] == filters
        except (ValueError, KeyError, TypeError):
            raise bad_request("Invalid cursor", [{"path": ["cursor"], "message": "Invalid cursor"}]) from None
        if not same:
            raise bad_request(
                "Cursor does not match the current filters", [{"path": ["cursor"], "message": "Cursor filters changed"}]
            )
    chunk = items[offset : offset + limit]
    nxt = None
    if offset + limit < len(items):
        nxt = base64.urlsafe_b64encode(json.dumps({"o": offset + limit, "f": filters}).encode()).decode()
    return chunk, nxt


def ordered(items: list[Any], key: Callable[[Any], Any], order: str) -> list[Any]:
    return sorted(items, key=key, reverse=order == "desc")


def date_range(q: dict[str, str]) -> tuple[float, float]:
    def parse(name: str, default: float) -> float:
        if name not in q:
            return default
        value = q[name]
        if not value.endswith("Z"):
            raise bad_request(
                "Invalid query parameters",
                [{"path": [name], "message": "Must be a UTC ISO 8601 timestamp ending in Z"}],
            )
        try:
            return parse_iso(value)
        except ValueError:
            raise bad_request("Invalid query parameters", [{"path": [name], "message": "Invalid date"}]) from None

    return parse("startDate", float("-inf")), parse("endDate", float("inf"))


# --- access -----------------------------------------------------------------------------------


def workspace_for(ctx: Ctx, workspace_id: str) -> str:
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


def workflow_of(ctx: Ctx) -> Workflow:
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
