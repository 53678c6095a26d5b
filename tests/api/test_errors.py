"""Status + body → typed error, for both envelopes, HTML and bad JSON; redirects; no httpx or key leaks."""

from __future__ import annotations

import httpx
import pytest

from simdesk.api import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
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
    user_message,
)
from simdesk.api.retry import NO_RETRY
from simdesk.sandbox import demo
from tests.api.mock_server import KEY, MockSim, legacy_error, v2_error
from tests.support.api import FakeClock, run

WF = demo.ECHO_ID
V2_WF = f"/api/v2/workflows/{WF}"
STATUS = f"/api/workflows/{WF}/status"
EXECUTE = f"/api/v2/workflows/{WF}/execute"


def fail_once(sim: MockSim, method: str, path: str, response: httpx.Response | Exception) -> SimError:
    sim.on(method, path, response)

    async def call() -> SimError:
        async with sim.client(retry=NO_RETRY) as c:
            try:
                if path == STATUS:
                    await c.get_workflow_status(WF)
                elif method == "POST":
                    await c.execute(WF, {})
                else:
                    await c.get_workflow(WF)
            except SimError as exc:
                return exc
        raise AssertionError("no error raised")

    return run(call())


@pytest.mark.parametrize(
    ("status", "code", "cls"),
    [
        (400, "BAD_REQUEST", ValidationError),
        (401, "UNAUTHORIZED", AuthenticationError),
        (402, "USAGE_LIMIT_EXCEEDED", UsageLimitError),
        (403, "FORBIDDEN", PermissionDeniedError),
        (404, "NOT_FOUND", NotFoundError),
        (409, "CONFLICT", ConflictError),
        (413, "PAYLOAD_TOO_LARGE", RequestTooLargeError),
        (415, "UNSUPPORTED_MEDIA_TYPE", ValidationError),
        (423, "LOCKED", PermissionDeniedError),
        (429, "RATE_LIMITED", RateLimitError),
        (499, "CLIENT_CLOSED_REQUEST", APIStatusError),
        (500, "INTERNAL_ERROR", ServerError),
        (503, "SERVICE_UNAVAILABLE", ServerError),
    ],
)
def test_v2_envelope_maps_to_the_class_and_keeps_code_details_and_request_id(
    status: int, code: str, cls: type[SimError]
) -> None:
    details = {"code": "SOME_REASON", "runId": "desk-1"}
    exc = fail_once(MockSim(), "GET", V2_WF, v2_error(status, code, "Something specific", details))
    assert type(exc) is cls
    assert (exc.status, exc.code, exc.detail_code, exc.message) == (status, code, "SOME_REASON", "Something specific")
    assert exc.request_id == "req-1"
    assert exc.details == details


@pytest.mark.parametrize(
    ("status", "body", "cls", "code"),
    [
        (401, {"error": "Unauthorized"}, AuthenticationError, None),
        (404, {"error": "Workflow not found", "code": "WORKFLOW_NOT_FOUND"}, NotFoundError, "WORKFLOW_NOT_FOUND"),
        (403, {"error": "Personal API keys are not allowed for this workspace"}, PermissionDeniedError, None),
        (500, {"error": "Failed to get status", "code": "FAILED_TO_GET_STATUS"}, ServerError, "FAILED_TO_GET_STATUS"),
    ],
)
def test_legacy_envelope_maps_to_the_class(status: int, body: dict[str, str], cls: type[SimError], code: str) -> None:
    exc = fail_once(MockSim(), "GET", STATUS, httpx.Response(status, json=body, headers={"x-request-id": "q"}))
    assert type(exc) is cls
    assert exc.message == body["error"]
    assert exc.code == code
    assert exc.request_id == "q"


def test_legacy_capacity_429_keeps_its_message_and_retry_after() -> None:
    body = {
        "error": "Too many requests",
        "message": "Server is at capacity. Please retry shortly.",
        "code": "ADMISSION_GATE_CAPACITY",
        "retryable": True,
        "retryAfterSeconds": 5,
    }
    exc = fail_once(MockSim(), "GET", STATUS, httpx.Response(429, json=body))
    assert isinstance(exc, RateLimitError)
    assert exc.retry_after == 5
    assert "capacity" in exc.message and exc.code == "ADMISSION_GATE_CAPACITY"
    assert "capacity" in user_message(exc)


def test_malformed_rate_limit_headers_never_raise_a_value_error() -> None:
    headers = {"Retry-After": "soon", "X-RateLimit-Limit": "lots", "X-RateLimit-Reset": "tomorrow"}
    exc = fail_once(MockSim(), "GET", V2_WF, v2_error(429, "RATE_LIMITED", "API rate limit exceeded", headers=headers))
    assert isinstance(exc, RateLimitError)
    assert exc.retry_after is None
    assert exc.limit is not None and exc.limit.limit is None and exc.limit.reset_at is None


def test_a_string_error_on_a_v2_route_is_still_understood() -> None:
    exc = fail_once(MockSim(), "GET", V2_WF, legacy_error(404, "Workflow not found"))
    assert isinstance(exc, NotFoundError)
    assert exc.message == "Workflow not found"


HTML = b"<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"


@pytest.mark.parametrize("status", [200, 404, 502])
def test_an_html_page_is_a_protocol_error_that_keeps_its_status(status: int) -> None:
    response = httpx.Response(status, content=HTML, headers={"content-type": "text/html"})
    exc = fail_once(MockSim(), "GET", V2_WF, response)
    assert isinstance(exc, ProtocolError)
    assert exc.status == status
    assert "HTML" in exc.message
    assert "web page" in user_message(exc)


@pytest.mark.parametrize("mode", ["sync", "stream"])
def test_a_proxys_html_502_to_a_run_says_web_page_and_names_the_run_only_to_check(mode: str) -> None:
    page = httpx.Response(502, content=HTML, headers={"content-type": "text/html", "x-request-id": "req-5"})
    sim = MockSim().on("POST", EXECUTE, page)

    async def call() -> SimError:
        async with sim.client(retry=NO_RETRY) as c:
            try:
                if mode == "sync":
                    await c.execute(WF, {}, run_id="desk-html")
                else:
                    async for _ in c.stream(WF, {}, run_id="desk-html"):
                        pass
            except SimError as exc:
                return exc
        raise AssertionError("no error raised")

    exc = run(call())
    assert isinstance(exc, ProtocolError) and exc.status == 502 and exc.run_id == "desk-html"
    message = user_message(exc)
    assert message.startswith("The server answered with a web page (HTTP 502) instead of Sim's API")
    assert "proxy or gateway" in message and "Follow run desk-html with Jobs → Track a run…" in message
    assert "live output" not in message  # the run id no longer makes it a broken stream


def test_a_web_page_that_is_no_gateway_error_points_to_the_address() -> None:
    message = user_message(ProtocolError("The server sent an HTML page (HTTP 200 answer)", status=200, request_id="r9"))
    assert "web page (HTTP 200)" in message and "Check the address in File → Profiles…" in message and "r9" in message
    assert "proxy or gateway" not in message


@pytest.mark.parametrize("body", [b'{"data": {"id": ', b"", b"\xff\xfe{}"], ids=["truncated", "empty", "bad-utf8"])
def test_unreadable_json_is_a_protocol_error(body: bytes) -> None:
    exc = fail_once(MockSim(), "GET", V2_WF, httpx.Response(200, content=body))
    assert isinstance(exc, ProtocolError)
    assert exc.__cause__ is not None  # chained, never raised bare


def test_a_success_without_the_v2_envelope_is_a_protocol_error() -> None:
    exc = fail_once(MockSim(), "GET", V2_WF, httpx.Response(200, json={"id": WF}))
    assert isinstance(exc, ProtocolError)
    assert "data" in exc.message


@pytest.mark.parametrize("status", [301, 308])
def test_a_redirect_names_its_location_and_is_never_followed(status: int) -> None:
    sim = MockSim()
    target = f"https://www.sim.ai{EXECUTE}"
    sim.on("GET", "/api/v2/workspaces", httpx.Response(200, json={"data": []}))  # would be a followed GET
    exc = fail_once(sim, "POST", EXECUTE, httpx.Response(status, headers={"Location": target}))
    assert isinstance(exc, RedirectError)
    assert exc.location == target
    assert target in str(exc)
    assert len(sim.requests) == 1
    assert user_message(exc) == "The server moved to https://www.sim.ai. Use that address in File → Profiles…"


@pytest.mark.parametrize(
    ("raised", "cls", "sent"),
    [
        (httpx.ConnectError("[Errno 111] Connection refused"), APIConnectionError, False),
        (httpx.ConnectTimeout("timed out"), APITimeoutError, False),
        (httpx.PoolTimeout("no connection free"), APITimeoutError, False),
        (httpx.ReadTimeout("timed out"), APITimeoutError, True),
        (httpx.WriteTimeout("timed out"), APITimeoutError, True),
        (httpx.ReadError("reset by peer"), APIConnectionError, True),
        (httpx.WriteError("broken pipe"), APIConnectionError, True),
        (httpx.RemoteProtocolError("Server disconnected without sending a response."), APIConnectionError, True),
        (httpx.DecodingError("bad gzip"), ProtocolError, None),
        (httpx.TooManyRedirects("loop"), ProtocolError, None),
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, Exception) else None,
)
def test_no_httpx_exception_escapes(raised: Exception, cls: type[SimError], sent: bool | None) -> None:
    exc = fail_once(MockSim(), "GET", STATUS, raised)
    assert type(exc) is cls
    assert exc.__cause__ is raised
    if sent is not None:
        assert isinstance(exc, APIConnectionError) and exc.request_sent is sent


def _strings_of(exc: BaseException) -> str:
    parts = [str(exc), repr(exc), repr(exc.args), repr(vars(exc)), user_message(exc)]
    cause = exc.__cause__
    while cause is not None:
        parts += [str(cause), repr(cause)]
        cause = cause.__cause__
    return "\n".join(parts)


@pytest.mark.parametrize(
    "answer",
    [
        v2_error(401, "UNAUTHORIZED", "Invalid API key"),
        httpx.Response(502, content=HTML),
        httpx.ConnectError("refused"),
        httpx.ReadTimeout("slow"),
        httpx.Response(200, content=b"{"),
        httpx.Response(301, headers={"Location": "https://www.sim.ai/api/x"}),
    ],
    ids=["401", "html", "connect", "timeout", "json", "redirect"],
)
def test_errors_never_carry_the_api_key(answer: httpx.Response | Exception) -> None:
    exc = fail_once(MockSim(), "GET", V2_WF, answer)
    assert KEY not in _strings_of(exc)
    assert KEY[-12:] not in _strings_of(exc)


def test_the_client_repr_hides_the_key() -> None:
    async def main() -> str:
        async with MockSim().client(FakeClock()) as c:
            return repr(c)

    text = run(main())
    assert KEY not in text and "key=set" in text


def test_user_messages_are_short_and_actionable_for_every_class() -> None:
    samples: list[SimError] = [
        AuthenticationError("Invalid API key", status=401),
        UsageLimitError("Usage limit exceeded", status=402),
        PermissionDeniedError("Workflow is not deployed", status=403, detail_code="WORKFLOW_NOT_DEPLOYED"),
        PermissionDeniedError("Personal API keys are not allowed for this workspace", status=403),
        NotFoundError("Workflow not found", status=404),
        ConflictError("Run ID has already been used", status=409, detail_code="RUN_ID_CONFLICT"),
        ValidationError("async and stream cannot be combined", status=400),
        RateLimitError("API rate limit exceeded", status=429, retry_after=30),
        RateLimitError("Too many", status=429, detail_code="EXECUTION_CONCURRENCY_LIMIT", retry_after=5),
        ServerError("Service temporarily unavailable", status=503, retry_after=5),
        ServerError("Internal error", status=500, request_id="req-9"),
        APITimeoutError("slow", run_id="desk-1"),
        APIConnectionError("refused", request_sent=False),
        ProtocolError("stream stopped", run_id="desk-2"),
    ]
    messages = [user_message(e) for e in samples]
    assert all(0 < len(m) <= 160 for m in messages), messages
    assert len(set(messages)) == len(messages)
    assert "Settings" in messages[0]
    assert "not deployed" in messages[2] and "workspace key" in messages[3]
    assert "30 seconds" in messages[7] and "in progress" in messages[8]
    assert "req-9" in messages[10] and "desk-1" in messages[11] and "desk-2" in messages[13]
    assert user_message(RuntimeError("internal detail")) == "Something went wrong. Details are in the log."
