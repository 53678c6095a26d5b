"""The checkers themselves: they must catch what they claim to catch, or the other tests prove nothing."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from simdesk.sandbox import demo
from simdesk.sandbox.server import RunningSandbox
from tests.conformance.contract import SseChecker, SseViolation, check_headers
from tests.conformance.differences import KNOWN_DIFFERENCES, SECTION_17_BEHAVIOUR
from tests.conformance.openapi import Exchange, OpenAPIValidator, openapi_dir
from tests.support.conformance import ConformanceClient

V2_HEADERS = {
    "content-type": "application/json",
    "cache-control": "private, no-store",
    "x-request-id": "0a1b2c3d",
    # the web server's headers every real Sim answer carries (tests/fixtures/sim-0.8.9/*.headers)
    "content-security-policy": "default-src 'self'",
    "x-frame-options": "SAMEORIGIN",
    "access-control-allow-origin": "*",
    "x-ratelimit-limit": "60",
    "x-ratelimit-remaining": "59",
    "x-ratelimit-reset": "2026-08-21T10:01:00.000Z",
}
RUN = {
    "runId": "r-1",
    "workflowId": "wf",
    "status": "completed",
    "trigger": "api",
    "startedAt": "2026-08-21T10:00:00.000Z",
    "endedAt": "2026-08-21T10:00:01.000Z",
    "durationMs": 1000,
    "paused": None,
    "cost": None,
    "error": None,
    "output": None,
    "blockOutputs": None,
}
JOB = {
    "success": True,
    "taskId": "run_1",
    "status": "pending",
    "metadata": {
        "workflowId": "wf",
        "workspaceId": "ws",
        "userId": "u",
        "correlation": {"executionId": "e1"},
    },
    "output": None,
}


def ex(method: str, path: str, status: int, body: Any, headers: dict[str, str] | None = None, **kw: Any) -> Exchange:
    return Exchange(method, path, status, httpx.Headers(headers or {"content-type": "application/json"}), body, **kw)


def test_spec_files_are_in_the_repo(openapi: OpenAPIValidator) -> None:
    repo = Path(__file__).resolve().parents[2]
    assert openapi.directory == openapi_dir()
    assert openapi.directory.is_relative_to(repo)
    assert len(openapi.documents) == 5


@pytest.mark.parametrize(
    ("method", "path", "template", "spec"),
    [
        ("GET", "/api/v2/workflows/folders", "/api/v2/workflows/folders", "openapi-v2-workflows.json"),
        ("GET", "/api/v2/workflows/abc", "/api/v2/workflows/{id}", "openapi-v2-workflows.json"),
        ("GET", "/api/v2/workflows/abc/runs/r:1", "/api/v2/workflows/{id}/runs/{runId}", "openapi-v2-workflows.json"),
        ("GET", "/api/v2/billing/status", "/api/v2/billing/status", "openapi-v2-billing.json"),
        ("GET", "/api/jobs/workflow-execution:e1", "/api/jobs/{jobId}", "openapi-core.json"),
        ("GET", "/api/v2/logs/r1", "/api/v2/logs/{runId}", "openapi-v2-logs.json"),
    ],
)
def test_operation_lookup(openapi: OpenAPIValidator, method: str, path: str, template: str, spec: str) -> None:
    op = openapi.find_operation(method, path)
    assert op is not None and (op.template, op.spec) == (template, spec)


def test_unknown_route_and_method(openapi: OpenAPIValidator) -> None:
    assert openapi.find_operation("DELETE", "/api/jobs/x") is None
    problems = openapi.validate(ex("GET", "/api/nothing", 200, {}))
    assert problems and "no operation" in problems[0]


def test_v2_body_violations_are_reported(openapi: OpenAPIValidator) -> None:
    good = ex("GET", "/api/v2/workflows/wf/runs/r-1", 200, {"data": RUN}, V2_HEADERS)
    assert openapi.validate(good) == []
    missing = {k: v for k, v in RUN.items() if k != "blockOutputs"}
    assert any(
        "blockOutputs" in p
        for p in openapi.validate(ex("GET", "/api/v2/workflows/wf/runs/r-1", 200, {"data": missing}))
    )
    extra = {**RUN, "executionId": "e1"}
    assert openapi.validate(ex("GET", "/api/v2/workflows/wf/runs/r-1", 200, {"data": extra}))
    bad_status = {**RUN, "status": "done"}
    assert openapi.validate(ex("GET", "/api/v2/workflows/wf/runs/r-1", 200, {"data": bad_status}))
    not_envelope = ex("GET", "/api/v2/workflows/wf", 404, {"error": "Workflow not found"})
    assert openapi.validate(not_envelope)


def test_undocumented_status_and_media_type(openapi: OpenAPIValidator) -> None:
    teapot = openapi.validate(ex("GET", "/api/v2/workflows/wf", 418, {"error": {"code": "X", "message": "y"}}))
    assert teapot and "not documented" in teapot[0]
    html = openapi.validate(ex("GET", "/api/v2/workflows/wf", 200, None, {"content-type": "text/html"}))
    assert html and "not declared" in html[0]


def test_response_headers_checked_against_their_schemas(openapi: OpenAPIValidator) -> None:
    epoch_reset = {**V2_HEADERS, "x-ratelimit-reset": "1787316060"}
    problems = openapi.validate(ex("GET", "/api/v2/workflows/wf/runs/r-1", 200, {"data": RUN}, epoch_reset))
    assert any("X-RateLimit-Reset" in p for p in problems)


def test_nullable_from_openapi_30_is_translated(openapi: OpenAPIValidator) -> None:
    status = {
        "executionId": "e",
        "workflowId": "w",
        "status": "running",
        "endedAt": None,
        "paused": None,
        "error": None,
    }
    path = "/api/workflows/w/executions/e"
    assert openapi.validate(ex("GET", path, 200, status)) == []
    assert openapi.validate(ex("GET", path, 200, {**status, "endedAt": 5}))
    assert openapi.validate(ex("GET", path, 200, {**status, "status": "unknown"}))


def test_known_difference_replaces_the_spec_schema(openapi: OpenAPIValidator) -> None:
    plain = OpenAPIValidator(differences=())
    pending = ex("GET", "/api/jobs/run_1", 200, JOB)
    assert plain.validate(pending), "the OpenAPI text rejects `pending`: the difference is needed"
    assert openapi.validate(pending) == []
    queued = ex("GET", "/api/jobs/run_1", 200, {**JOB, "status": "queued"})
    assert any("legacy-job-status" in p for p in openapi.validate(queued))
    estimated = ex("GET", "/api/jobs/run_1", 200, {**JOB, "estimatedDuration": 2000})
    assert openapi.validate(estimated)


def test_usage_limits_difference_rejects_the_guides_shape(openapi: OpenAPIValidator) -> None:
    bucket = {
        "isLimited": False,
        "requestsPerMinute": 50,
        "maxBurst": 100,
        "remaining": 99,
        "resetAt": "2026-08-21T10:01:00.000Z",
    }
    body = {
        "success": True,
        "rateLimit": {"sync": bucket, "async": bucket, "authType": "api"},
        "usage": {"currentPeriodCost": 1.5, "limit": 20, "plan": "free"},
        "storage": {"usedBytes": 1, "limitBytes": 10, "percentUsed": 10},
    }
    assert openapi.validate(ex("GET", "/api/users/me/usage-limits", 200, body)) == []
    guides = {**bucket, "limit": 100}
    body["rateLimit"] = {"sync": guides, "async": bucket, "authType": "api"}
    assert openapi.validate(ex("GET", "/api/users/me/usage-limits", 200, body))


def test_opt_in_difference_needs_the_declaration(openapi: OpenAPIValidator) -> None:
    reply = ex("POST", "/api/workflows/w/execute", 201, {"anything": [1]})
    assert openapi.validate(reply)
    declared = ex(
        "POST", "/api/workflows/w/execute", 201, {"anything": [1]}, allow=frozenset({"legacy-response-block"})
    )
    assert openapi.validate(declared) == []


def test_differences_table_is_well_formed(openapi: OpenAPIValidator) -> None:
    ids = [d.id for d in KNOWN_DIFFERENCES]
    assert len(ids) == len(set(ids))
    for diff in KNOWN_DIFFERENCES:
        assert diff.contract.startswith("§") and diff.openapi_says and diff.server_does
        assert diff.schema is not None or diff.media_type == "text/event-stream"
        for method, template in diff.routes:
            if template.endswith("/**"):
                continue
            concrete = template.replace("{", "x").replace("}", "")
            documented = openapi.find_operation(method if method != "*" else "GET", concrete) is not None
            # a difference on an undocumented route must say so
            assert documented or "not" in diff.openapi_says, (diff.id, template)


# --- CONTRACT header rules ---------------------------------------------------------------------


def test_header_rules_catch_departures() -> None:
    base = dict(V2_HEADERS)
    ok = ex("GET", "/api/v2/workspaces", 200, {"data": []}, base, request_headers={"x-api-key": "k"})
    assert check_headers(ok) == []
    no_cache = {k: v for k, v in base.items() if k != "cache-control"}
    assert check_headers(ex("GET", "/api/v2/workspaces", 200, {}, no_cache))
    unauthorized = ex("GET", "/api/v2/workspaces", 401, {"error": {"code": "UNAUTHORIZED", "message": "x"}}, base)
    assert any("WWW-Authenticate" in p for p in check_headers(unauthorized))
    legacy = ex("POST", "/api/workflows/w/execute", 200, {}, {**base, "cache-control": "x"})
    assert any("legacy route carries" in p for p in check_headers(legacy))
    no_id = {k: v for k, v in base.items() if k != "x-request-id"}
    assert any("x-request-id" in p for p in check_headers(ex("GET", "/api/v2/workspaces", 200, {}, no_id)))
    http_date = {**base, "retry-after": "Fri, 21 Aug 2026 10:00:00 GMT"}
    assert any("Retry-After" in p for p in check_headers(ex("GET", "/api/v2/workspaces", 429, {}, http_date)))
    keyed_without_rate = {"content-type": "application/json", "cache-control": "private, no-store", "x-request-id": "r"}
    admitted = ex("GET", "/api/v2/workspaces", 200, {}, keyed_without_rate, request_headers={"x-api-key": "k"})
    assert any("X-RateLimit" in p for p in check_headers(admitted))


# --- SSE frames --------------------------------------------------------------------------------


def frames(*payloads: Any, done: str = '"[DONE]"', nl: str = "\n") -> bytes:
    text = "".join(f"data: {json.dumps(p, separators=(',', ':'), ensure_ascii=False)}{nl}{nl}" for p in payloads)
    return (text + f"data: {done}{nl}{nl}").encode()


GOOD = (
    {"blockId": "a", "chunk": "14°C "},
    {"blockId": "a", "chunk": "🌊"},
    {"blockId": "b", "chunk": "\n\n{}"},
    {"event": "final", "data": {"success": True, "output": {}}},
)


def test_sse_checker_accepts_a_good_stream_split_anywhere() -> None:
    raw = frames(*GOOD)
    for size in (1, 2, 3, 7, len(raw)):
        checker = SseChecker()
        for i in range(0, len(raw), size):
            checker.feed(raw[i : i + size])
        checker.finish()
        assert checker.text_by_block() == {"a": "14°C 🌊", "b": "\n\n{}"}
        assert checker.events() == ["chunk", "chunk", "chunk", "final", "[DONE]"]


def test_sse_checker_accepts_crlf_and_bare_done() -> None:
    checker = SseChecker()
    checker.feed(frames(*GOOD, done="[DONE]", nl="\r\n"))
    checker.finish()
    assert checker.crlf and checker.bare_done


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        (frames({"blockId": "a", "chunk": "x"}, {"event": "done", "success": True}), "unknown frame event"),
        (frames({"event": "final", "data": {"success": True, "output": {}, "metadata": {"duration": 1}}}), "final"),
        (frames({"event": "final", "data": {"success": True, "output": {}}})[:-16], "without the"),
        (b'data: {"blockId": "a", "chunk": "x"}\n\n', "not compact"),
        (b"event: message\ndata: {}\n\n", "exactly one data"),
        (b": keep-alive\n\n", "does not start with"),
        (frames({"blockId": "a", "event": "thinking", "data": "hm"}), "without the X-Sim-Stream-Protocol"),
        (frames({"blockId": "a", "chunk": "x"}, {"blockId": "b", "chunk": "y"}), "lacks the"),
        (b'data: "[DONE]"\n\n', "before any terminal"),
        (
            frames({"event": "error", "error": "boom"}, {"event": "final", "data": {"success": False, "output": {}}}),
            "after the terminal",
        ),
        (frames({"event": "final", "data": {"success": True, "output": {}}}) + b'data: {"a":1}\n\n', r"after \[DONE\]"),
    ],
)
def test_sse_checker_rejects(raw: bytes, why: str) -> None:
    def read_all() -> None:
        checker = SseChecker()
        checker.feed(raw)
        checker.finish()

    with pytest.raises(SseViolation, match=why):
        read_all()


def test_sse_checker_protocol_frames_need_their_flags() -> None:
    thinking = frames(
        {"blockId": "a", "event": "thinking", "data": "hm"}, {"event": "final", "data": {"success": True, "output": {}}}
    )
    with pytest.raises(SseViolation, match="includeThinking"):
        SseChecker(protocol=True).feed(thinking)
    ok = SseChecker(protocol=True, include_thinking=True)
    ok.feed(thinking)
    ok.finish()
    assert ok.events()[0] == "thinking"


# --- the checked client ------------------------------------------------------------------------


def test_checked_client_fails_the_call_on_a_violation(sb: RunningSandbox) -> None:
    strict = ConformanceClient(
        OpenAPIValidator(differences=()), base_url=sb.base_url, headers={"X-API-Key": demo.DEMO_KEY}
    )
    with strict:
        with pytest.raises(AssertionError, match="does not conform"):
            strict.get("/api/health")  # not in the OpenAPI files: only a known difference covers it
        assert strict.violations
        assert strict.exchanges[-1].status == 200


def test_checked_client_checks_every_response(client: ConformanceClient) -> None:
    client.get("/api/health")
    client.post(f"/api/v2/workflows/{demo.ECHO_ID}/execute", json={"input": {}})
    client.post(
        f"/api/v2/workflows/{demo.STORY_ID}/execute",
        json={"input": {"words": 3}, "stream": True, "selectedOutputs": ["Storyteller.content"]},
    )
    assert [e.status for e in client.exchanges] == [200, 200, 200]
    assert client.exchanges[-1].media_type == "text/event-stream"
    assert client.violations == []


def test_sse_checker_counts_reads_that_end_inside_a_frame() -> None:
    raw = frames(*GOOD)
    whole = SseChecker()
    whole.feed(raw)
    assert whole.split_reads == 0
    cut = SseChecker()
    middle = raw.index("°".encode()) + 1  # inside the two bytes of °
    cut.feed(raw[:middle])
    cut.feed(raw[middle:])
    cut.finish()
    assert cut.split_reads == 1 and cut.text_by_block()["a"] == "14°C 🌊"


def test_section_17_coverage_names_existing_tests() -> None:
    here = Path(__file__).parent
    modules = list(here.glob("test_*.py"))
    defined = set(re.findall(r"^def (test_\w+)", "\n".join(p.read_text() for p in modules), re.M))
    defined |= {p.stem for p in modules}
    for topic, where in SECTION_17_BEHAVIOUR.items():
        for name in re.findall(r"test_\w+", where):
            stem = name.rstrip("_")
            assert any(d == name or d.startswith(stem) for d in defined), (topic, name)
