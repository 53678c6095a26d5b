"""Response shapes of the surfaces, and the ASGI middleware every request passes through.

Legacy and v1 errors are ``{"error": "<text>", …}``; v2 answers ``{"data": …}`` or
``{"error": {"code", "message", "details?"}}`` with ``Cache-Control: private, no-store``.
The middleware adds ``x-request-id`` (8 hex characters) to every API response (not ``/api/health``)
and the web server's security and CORS headers (:mod:`simdesk.sandbox.web_headers`), sends JSON
answers chunked (no ``Content-Length``) as Sim's server does, and applies the request-level fault
knobs (latency, HTML 502, 503, 429 storms, malformed JSON, apex redirect).
"""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import AsyncIterator
from typing import Any

from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from simdesk.sandbox.buckets import BucketState, retry_after_seconds
from simdesk.sandbox.clock import iso, parse_iso
from simdesk.sandbox.state import SandboxState
from simdesk.sandbox.web_headers import web_headers

V2_STATUS_CODES = {
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    402: "USAGE_LIMIT_EXCEEDED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    409: "CONFLICT",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    423: "LOCKED",
    429: "RATE_LIMITED",
    499: "CLIENT_CLOSED_REQUEST",
    500: "INTERNAL_ERROR",
    503: "SERVICE_UNAVAILABLE",
}
WWW_AUTHENTICATE = 'SimApiKey realm="Sim API", header="x-api-key"'

_HTML_502 = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)


class JSON(JSONResponse):
    """Compact JSON that keeps non-ASCII text as is, like the real server."""

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode()


class FirstFrameResponse(StreamingResponse):
    """A stream whose response headers go out together with its first chunk, as Sim's do.

    Next.js holds a streaming route's headers back until the first bytes of the body exist
    (``tests/fixtures/sim-0.8.9/slow-stream-raw.bin.chunks.json``: headers and the first frame in
    one read, 8.7 s after the request, for a workflow that waits 8 s). Starlette would send them
    at once, so the first chunk is awaited before the response starts. A client that goes away
    meanwhile is still noticed: Starlette listens for the disconnect around all of this.
    """

    async def stream_response(self, send: Send) -> None:
        chunks = aiter(self.body_iterator)
        try:
            first = await anext(chunks)
        except StopAsyncIteration:
            first = None
        self.body_iterator = _after(first, chunks)
        await super().stream_response(send)


async def _after(first: str | bytes | memoryview | None, rest: AsyncIterator[Any]) -> AsyncIterator[Any]:
    if first is not None:
        yield first
    async for chunk in rest:
        yield chunk


def legacy_error(status: int, error: str, headers: dict[str, str] | None = None, **extra: Any) -> Response:
    return JSON({"error": error, **extra}, status_code=status, headers=headers)


def legacy_coded(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    """Legacy jobs/status errors carry ``code``: the message in UPPER_SNAKE."""
    code = "".join(c if c.isalnum() else "_" for c in message.upper()).strip("_")
    while "__" in code:
        code = code.replace("__", "_")
    return legacy_error(status, message, headers, code=code)


def rate_headers(bucket: BucketState | None) -> dict[str, str]:
    if bucket is None:
        return {}
    return {
        "X-RateLimit-Limit": str(bucket.capacity),
        "X-RateLimit-Remaining": str(bucket.remaining),
        "X-RateLimit-Reset": iso(bucket.reset_at),
    }


def v1_rate_limited(bucket: BucketState, now: float) -> Response:
    """v1's empty request bucket (CONTRACT §8.3): ``retryAfter`` is the refill time in epoch ms."""
    headers = {**rate_headers(bucket), "Retry-After": str(retry_after_seconds(bucket, now))}
    reset = iso(bucket.reset_at)
    return legacy_error(
        429,
        "Rate limit exceeded",
        headers,
        message=f"API rate limit exceeded. Please retry after {reset}",
        retryAfter=round(parse_iso(reset) * 1000),  # the header's instant to the ms, as Sim's one Date gives both
    )


def v2_headers(bucket: BucketState | None = None, extra: dict[str, str] | None = None) -> dict[str, str]:
    headers = {"Cache-Control": "private, no-store", **rate_headers(bucket)}
    if extra:
        headers.update(extra)
    return headers


def v2_error(
    status: int,
    message: str,
    details: Any = None,
    *,
    bucket: BucketState | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    error: dict[str, Any] = {"code": V2_STATUS_CODES[status], "message": message}
    if details is not None:
        error["details"] = details
    extra = dict(headers or {})
    if status == 401:
        extra["WWW-Authenticate"] = WWW_AUTHENTICATE
    return JSON({"error": error}, status_code=status, headers=v2_headers(bucket, extra))


def v2_data(data: Any, status: int = 200, *, bucket: BucketState | None = None, **extra: Any) -> Response:
    headers = {k: str(v) for k, v in extra.pop("headers", {}).items()}
    return JSON({"data": data, **extra}, status_code=status, headers=v2_headers(bucket, headers))


class SandboxMiddleware:
    """Request ids and request-level faults, as pure ASGI so streams pass through untouched."""

    def __init__(self, app: ASGIApp, state: SandboxState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith("/api/"):
            await self.app(scope, receive, send)
            return
        faults = self.state.faults
        request_id = None if path == "/api/health" else secrets.token_hex(4)
        scope.setdefault("state", {})["request_id"] = request_id  # routes quote it (request.state)
        if faults.latency_s:
            await asyncio.sleep(faults.latency_s)
        canned = self._canned_fault(path, scope)
        send = self._wrap_send(send, request_id, path)
        if canned is not None:
            await canned(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _canned_fault(self, path: str, scope: Scope) -> Response | None:
        faults = self.state.faults
        v2 = path.startswith("/api/v2/")
        gated = v2 and not self.state.config.v2  # the gate answers before any bucket is drawn from
        if faults.redirect_to:
            query = scope.get("query_string", b"").decode()
            target = faults.redirect_to.rstrip("/") + path + (f"?{query}" if query else "")
            return Response(status_code=301, headers={"Location": target})
        if faults.consume("html_502", path):
            return Response(_HTML_502, status_code=502, media_type="text/html")
        if faults.consume("unavailable_503", path):
            wait = {"Retry-After": faults.retry_after or "5"}
            if v2:
                return v2_error(503, "Service temporarily unavailable", {"code": "SERVICE_OVERLOADED"}, headers=wait)
            return legacy_error(503, "Service temporarily unavailable", wait)
        if not gated and faults.consume("storm_429", path):
            now = self.state.clock.now()
            rate = self.state.rate("api-endpoint")
            bucket = BucketState(rate, 2 * rate, 0, now + 30, False)
            if path.startswith("/api/v1/"):
                return v1_rate_limited(bucket, now)
            if v2:
                return v2_error(
                    429,
                    "API rate limit exceeded",
                    {"retryAfter": iso(bucket.reset_at)},
                    bucket=bucket,
                    headers={"Retry-After": faults.retry_after or "30"},
                )
            return legacy_error(429, "Rate limit exceeded. Please try again later.")
        return None

    def _wrap_send(self, send: Send, request_id: str | None, path: str) -> Send:
        state = self.state
        path_json = {"is_json": False, "broken": False}

        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = web_headers(path, state.request_url("")) + list(message.get("headers", []))
                if request_id:
                    headers.append((b"x-request-id", request_id.encode()))
                ctype = next((v for k, v in headers if k.lower() == b"content-type"), b"")
                if ctype.startswith(b"application/json"):
                    path_json["broken"] = state.faults.consume("malformed_json", path)
                    headers = [(k, v) for k, v in headers if k.lower() != b"content-length"]
                message = {**message, "headers": headers}
            elif message["type"] == "http.response.body" and path_json["broken"]:
                body = message.get("body", b"")
                message = {**message, "body": body[: max(1, len(body) // 2)]}
            await send(message)

        return wrapped
