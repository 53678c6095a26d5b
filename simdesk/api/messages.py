"""The app's one place that turns errors into words: :func:`user_message`.

Short, actionable sentences for a dialog or a status line. Details (request ids, tracebacks,
server codes) belong in the log; a request id is mentioned only where quoting it to support is
the useful next step. Never includes the API key (no error carries it). A sentence is at most
:data:`~simdesk.core.text.READABLE_CHARS` long: a server's error text can be megabytes (a proxy's
page, a stack trace), and the whole of it stays in the error, which is what gets logged.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from simdesk.api.errors import (
    AmbiguousEnqueueError,
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    ConfigurationError,
    ConflictError,
    FeatureUnavailableError,
    NoOutputError,
    NotFoundError,
    PermissionDeniedError,
    ProtocolError,
    RateLimitError,
    RedirectError,
    RequestTooLargeError,
    RunFailedError,
    ServerError,
    SimError,
    UsageLimitError,
    ValidationError,
)
from simdesk.core.text import shorten

# Where things are fixed, named as the menus name them.
PROFILES = "File → Profiles…"
TRACK = "Jobs → Track a run…"


def _seconds(value: float | None) -> str:
    if value is None:
        return "a minute"
    if value > 3600:  # a server may ask for years; no person waits on a figure like that
        return "a while"
    whole = max(1, round(value))
    return f"{whole} second{'s' if whole != 1 else ''}"


def _quote(exc: SimError) -> str:
    return f" If it keeps happening, quote request id {exc.request_id}." if exc.request_id else ""


def _origin(url: str | None) -> str | None:
    if not url:
        return None
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None


def _codes(exc: SimError) -> set[str]:
    return {c for c in (exc.code, exc.detail_code) if c}


def user_message(exc: BaseException) -> str:
    """A sentence or two telling the user what happened and what to do, cut to a readable length."""
    return shorten(_sentence(exc))


def _sentence(exc: BaseException) -> str:
    if not isinstance(exc, SimError):
        return "Something went wrong. Details are in the log."
    match exc:
        case RedirectError():
            origin = _origin(exc.location)
            if origin:
                return f"The server moved to {origin}. Use that address in {PROFILES}"
            return f"The server redirected the request. Check the server address in {PROFILES}"
        case ConfigurationError() | FeatureUnavailableError():
            return exc.message
        case AuthenticationError():
            return (
                f"Sim did not accept the API key. Paste a valid key in {PROFILES} "
                "(make one in Sim under Settings → API keys)."
            )
        case UsageLimitError():
            return "This account has used up its credit. Upgrade the plan or wait for the next period."
        case PermissionDeniedError():
            return _permission(exc)
        case NotFoundError():
            return f"{exc.message.rstrip('.')}. It may have been deleted, or this key cannot see it."
        case ConflictError():
            if _codes(exc) & {"RUN_ID_CONFLICT", "EXECUTION_ID_CONFLICT"}:
                return "That run id was used before. Start the run again to get a new one."
            return f"Sim refused because of a conflict: {exc.message}"
        case RequestTooLargeError():
            return f"The input is too large. {exc.message}."
        case ValidationError():
            return f"Sim rejected the request: {exc.message.rstrip('.')}."
        case RateLimitError():
            return _rate_limited(exc)
        case AmbiguousEnqueueError():
            return (
                f"Sim could not confirm the run was queued. Follow run {exc.run_id} with {TRACK} "
                "before starting it again."
            )
        case ServerError():
            if exc.status == 503:
                return f"Sim is briefly unavailable. Try again in {_seconds(exc.retry_after)}."
            return f"Sim had a problem (HTTP {exc.status}). Try again.{_quote(exc)}"
        case NoOutputError():
            return f"{exc.message}."
        case APITimeoutError():
            if exc.run_id:
                return f"Sim did not answer in time. Follow run {exc.run_id} with {TRACK} to see its outcome."
            return "Sim did not answer in time. Check your connection and try again."
        case APIConnectionError():
            if not exc.request_sent:
                return f"Cannot reach the Sim server. Check the address in {PROFILES} and your network."
            return "The connection to Sim broke. Try again."
        case RunFailedError():
            return f"The run did not finish with an answer: {exc.message.rstrip('.')}."
        case ProtocolError():
            if "HTML" in exc.message:  # before the run id: every execute attempt carries one
                return _web_page(exc)
            if exc.run_id:
                return (
                    f"The live output stopped before the run finished. Follow run {exc.run_id} "
                    f"with {TRACK} to see its outcome."
                )
            return f"Sim sent an answer this app cannot read.{_quote(exc)}"
    return exc.message


def _web_page(exc: ProtocolError) -> str:
    """A page of HTML where Sim's API answers: a proxy's or gateway's error page (5xx), or a
    website at this address. A run id is only something to check: the run may not exist."""
    where = f" (HTTP {exc.status})" if exc.status else ""
    said = f"The server answered with a web page{where} instead of Sim's API"
    if exc.status is not None and exc.status >= 500:
        said += ": a proxy or gateway error."
    else:
        said += f". Check the address in {PROFILES}"
    if exc.run_id:
        return f"{said} Follow run {exc.run_id} with {TRACK} before starting it again."
    return f"{said}{_quote(exc)}"


def _permission(exc: PermissionDeniedError) -> str:
    codes = _codes(exc)
    if "WORKFLOW_NOT_DEPLOYED" in codes or exc.message == "Workflow is not deployed":
        return "This workflow is not deployed. Deploy it in Sim, then run it again."
    if "PERSONAL_API_KEYS_DISABLED" in codes or "Personal API keys" in exc.message:
        return "This workspace does not accept personal API keys. Use a workspace key."
    if "not authorized for this workspace" in exc.message:
        return "This API key belongs to another workspace."
    return f"This API key may not do that: {exc.message}"


def _rate_limited(exc: RateLimitError) -> str:
    codes = _codes(exc)
    if "EXECUTION_CONCURRENCY_LIMIT" in codes or "concurrent" in exc.message:
        return "Too many runs are in progress on this account. Try again when some finish."
    if "ADMISSION_GATE_CAPACITY" in codes or "capacity" in exc.message:
        return f"Sim is at capacity. Try again in {_seconds(exc.retry_after)}."
    return f"Sim's rate limit was reached. Try again in {_seconds(exc.retry_after)}."
