"""Reading Sim's answers: JSON bodies, the two error envelopes, and status → error mapping.

v2 errors are ``{"error": {"code", "message", "details?"}}``; legacy errors are
``{"error": "<text>", "code"?: …}`` (CONTRACT §0, §5.3, §4.5). Anything else with an error
status is still mapped by status; a body that is not JSON at all (a proxy's HTML page) becomes a
:class:`ProtocolError` that keeps the status, so a 502 page is still seen as transient.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from simdesk.api.errors import (
    APIStatusError,
    AuthenticationError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    ProtocolError,
    RateLimitError,
    RedirectError,
    RequestTooLargeError,
    ServerError,
    SimError,
    UsageLimitError,
    ValidationError,
)
from simdesk.api.ratelimit import parse_retry_after
from simdesk.core.json_text import loads
from simdesk.core.rates import RateLimitState

GATE_MESSAGE = "Not found"  # v2 switched off (a missing workflow says "Workflow not found")

_BY_STATUS: dict[int, type[APIStatusError]] = {
    400: ValidationError,
    401: AuthenticationError,
    402: UsageLimitError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    413: RequestTooLargeError,
    415: ValidationError,
    422: ValidationError,
    423: PermissionDeniedError,
}


@dataclass(frozen=True, slots=True)
class Reply:
    """A fully read HTTP answer. ``headers`` has lower-case names (look them up in lower case)."""

    status: int
    headers: Mapping[str, str]
    body: bytes

    @classmethod
    def of(cls, response: httpx.Response, body: bytes) -> Reply:
        """From an httpx response, with its headers copied once into a plain dict: each lookup in
        ``httpx.Headers`` scans every header, and a reply is looked up a dozen times."""
        return cls(response.status_code, dict(response.headers.items()), body)

    @property
    def request_id(self) -> str | None:
        """The server's ``x-request-id`` (show it in error dialogs)."""
        return self.headers.get("x-request-id")

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def json(self) -> Any:
        """The body as JSON, or :class:`ProtocolError` when it is not JSON."""
        return decode_json(self.body, status=self.status, request_id=self.request_id)


def decode_json(body: bytes, *, status: int | None = None, request_id: str | None = None) -> Any:
    """Parse a JSON body; anything else (HTML, truncated JSON, bad UTF-8, nesting too deep for
    the parser) is a ProtocolError."""
    try:
        return loads(body)
    except ValueError as exc:
        raise ProtocolError(_not_json_message(body, status), status=status, request_id=request_id) from exc


def _not_json_message(body: bytes, status: int | None) -> str:
    head = body.lstrip()[:15].lower()
    where = f"HTTP {status} " if status else ""
    if head.startswith((b"<!doctype", b"<html", b"<")):
        return f"The server sent an HTML page ({where}answer), not Sim's JSON: a proxy or a website?"
    if not body.strip():
        return "The server sent an empty answer where Sim sends JSON"
    return "The server sent malformed JSON"


def data_of(reply: Reply) -> Any:
    """The ``data`` member of a v2 success body."""
    body = reply.json()
    if not isinstance(body, dict) or "data" not in body:
        raise ProtocolError(
            "The server's answer lacks the v2 'data' envelope",
            status=reply.status,
            request_id=reply.request_id,
        )
    return body["data"]


def object_of(reply: Reply) -> dict[str, Any]:
    """A legacy success body, which must be a JSON object."""
    body = reply.json()
    if not isinstance(body, dict):
        raise ProtocolError(
            "The server's answer is not a JSON object", status=reply.status, request_id=reply.request_id
        )
    return body


def is_gate_closed(reply: Reply) -> bool:
    """True when a v2 route answered "v2 is switched off here" (404, message exactly "Not found")."""
    if reply.status != 404:
        return False
    try:
        body = loads(reply.body)
    except ValueError:
        return False
    error = body.get("error") if isinstance(body, dict) else None
    return isinstance(error, dict) and error.get("message") == GATE_MESSAGE


@dataclass(frozen=True, slots=True)
class _Envelope:
    message: str
    code: str | None
    detail_code: str | None
    details: Any
    run_id: str | None
    retry_after: float | None


def _envelope(body: Any, status: int) -> _Envelope:
    """Pick message/code/details out of a v2 or legacy error body (or nothing useful)."""
    if not isinstance(body, dict):
        return _Envelope(f"HTTP {status}", None, None, body, None, None)
    error = body.get("error")
    if isinstance(error, dict):  # v2
        details = error.get("details")
        detail = details if isinstance(details, dict) else {}
        return _Envelope(
            message=_text(error.get("message")) or f"HTTP {status}",
            code=_text(error.get("code")),
            detail_code=_text(detail.get("code")),
            details=details,
            run_id=_text(detail.get("runId")),
            retry_after=None,
        )
    extra = _text(body.get("message"))
    message = _text(error) or extra or f"HTTP {status}"
    if extra and extra != message:
        message = f"{message}: {extra}"
    retry_after = body.get("retryAfterSeconds")
    return _Envelope(
        message=message,
        code=_text(body.get("code")),
        detail_code=None,
        details=body.get("details"),
        run_id=_text(body.get("executionId")),
        retry_after=float(retry_after) if isinstance(retry_after, int | float) else None,
    )


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def error_from_reply(reply: Reply, *, run_id: str | None = None, limit: RateLimitState | None = None) -> SimError:
    """The typed error for a non-2xx answer. ``run_id`` is the id this client sent, if any."""
    status = reply.status
    if 300 <= status < 400:
        location = reply.headers.get("location")
        where = f" to {location}" if location else ""
        return RedirectError(
            f"The server redirected this API call{where}. Use that address as the base URL.",
            location=location,
            status_code=status,
            request_id=reply.request_id,
            run_id=run_id,
            body=reply.body,
        )
    try:
        body = loads(reply.body)
    except ValueError:
        return ProtocolError(
            _not_json_message(reply.body, status),
            status_code=status,
            request_id=reply.request_id,
            run_id=run_id,
            body=reply.body,
        )
    env = _envelope(body, status)
    common: dict[str, Any] = {
        "status_code": status,
        "code": env.code,
        "detail_code": env.detail_code,
        "request_id": reply.request_id,
        "run_id": reply.headers.get("x-run-id") or env.run_id or run_id,
        "details": env.details,
        "body": reply.body,
    }
    retry_after = parse_retry_after(reply.headers.get("retry-after"))
    if retry_after is None:
        retry_after = env.retry_after
    if status == 429:
        return RateLimitError(env.message, retry_after=retry_after, limit=limit, **common)
    if status >= 500:
        return ServerError(env.message, retry_after=retry_after, **common)
    return _BY_STATUS.get(status, APIStatusError)(env.message, **common)
