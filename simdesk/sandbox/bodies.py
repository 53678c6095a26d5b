"""Request bodies, read with care: the size cap applies while the body arrives, not after.

The sandbox may be pointed at by any tool, so one ASGI middleware reads every request body
before a route sees it:

* a ``Content-Length`` over the cap is answered 413 at once, without reading a byte of it;
* a chunked body is counted as it streams and answered 413 as soon as it passes the cap (the
  rest is never read), so a 1 GiB upload costs at most the cap in memory;
* JSON nested deeper than :data:`MAX_JSON_DEPTH` is answered 400 with the surface's wording for
  an unreadable body (Python's parser would raise ``RecursionError``, not ``ValueError``);
* a client that goes away before its body is complete leaves one log line, and the route is
  never called.

Routes then get the body from memory as usual (``await request.body()``).
"""

from __future__ import annotations

import logging
import re
from array import array
from itertools import accumulate

from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from simdesk.sandbox.respond import legacy_error, v2_error
from simdesk.sandbox.runs import MAX_BODY_BYTES

log = logging.getLogger("simdesk.sandbox")

MAX_JSON_DEPTH = 512
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
# brackets to +1 / -1 (as signed bytes), everything else dropped
_DEPTH_TABLE = bytes(1 if c in b"[{" else 255 if c in b"]}" else 0 for c in range(256))
_NOT_BRACKETS = bytes(c for c in range(256) if c not in b"[]{}")


def json_depth(raw: bytes) -> int:
    """How deeply ``raw``'s arrays and objects nest (brackets inside strings do not count)."""
    brackets = _STRING.sub(b"", raw).translate(None, _NOT_BRACKETS).translate(_DEPTH_TABLE)
    return max(accumulate(array("b", brackets)), default=0)


def too_deep(raw: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """True when ``raw`` nests deeper than ``limit`` (cheap when it has few brackets at all)."""
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return False
    return json_depth(raw) > limit


def _too_large(path: str) -> Response:
    what = "Workflow execution request body" if path.endswith("/execute") else "Request body"
    message = f"{what} exceeds maximum size"
    return v2_error(413, message) if path.startswith("/api/v2/") else legacy_error(413, message)


def _unreadable(path: str) -> Response:
    # Sim's wording for a body it cannot parse: tests/fixtures/sim-0.8.9/bad-json.body and v2-bad-json.body
    if path.startswith("/api/v2/"):
        return v2_error(400, "Request body must be valid JSON")
    return legacy_error(400, "Invalid JSON in request body")


class BodyLimit:
    """Reads each HTTP request body up to ``limit`` bytes before the app runs (see the module doc)."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        declared = dict(scope.get("headers", [])).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.limit:
            await _too_large(path)(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                log.info("client left during its request: %s %s after %d body bytes", scope["method"], path, size)
                return
            body = message.get("body", b"")
            size += len(body)
            if size > self.limit:
                await _too_large(path)(scope, receive, send)
                return
            chunks.append(body)
            if not message.get("more_body", False):
                break
        raw = b"".join(chunks)
        if too_deep(raw):
            await _unreadable(path)(scope, receive, send)
            return
        await self.app(scope, _replay(raw, receive), send)


def _replay(raw: bytes, receive: Receive) -> Receive:
    """``receive`` for the app: the body read already, then the real channel (for disconnects)."""
    pending = True

    async def replayed() -> Message:
        nonlocal pending
        if pending:
            pending = False
            return {"type": "http.request", "body": raw, "more_body": False}
        return await receive()

    return replayed
