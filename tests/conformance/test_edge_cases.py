"""CONTRACT.md §16, "Edge cases a faithful sandbox must reproduce": one test group per item.

Tests are named ``test_edge_NN_…`` after the §16 item they cover. Every response also passes the
checked client's validation (OpenAPI + known differences + CONTRACT header/SSE rules).
"""

from __future__ import annotations

import base64
import time
import uuid
from typing import Any

import httpx
import pytest

from simdesk.sandbox import demo
from simdesk.sandbox.clock import RealClock
from simdesk.sandbox.server import RunningSandbox
from tests.support.conformance import (
    CAPACITY_MESSAGE,
    CONCURRENCY_PREFIX,
    ISO_MS,
    RATE_MESSAGE,
    USAGE_MESSAGE,
    ClientFactory,
    ConformanceClient,
    SandboxFactory,
    advance,
    data,
    execute_legacy,
    execute_v2,
    legacy_error,
    poll_until,
    rate_headers,
    seconds_until,
    v2_error,
)

STORY_SELECT = ["Storyteller.content"]
NOT_FOUND = {"error": {"code": "NOT_FOUND", "message": "Not found"}}


def rid(tag: str) -> str:
    return f"desk-{tag}-{uuid.uuid4().hex[:12]}"


def stream_v2(client: ConformanceClient, workflow_id: str, body: dict[str, Any], **kw: object) -> httpx.Response:
    response = execute_v2(client, workflow_id, {"stream": True, **body}, **kw)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/event-stream")
    return response


@pytest.fixture
def realtime_sb(make_sandbox: SandboxFactory) -> RunningSandbox:
    """A sandbox on the real clock at real pace, for the client-disconnect cases."""
    return make_sandbox(clock=RealClock())


# --- 1. bad / missing key ---------------------------------------------------------------------


def test_edge_01_legacy_bad_missing_and_bearer_key(make_client: ClientFactory, sb: RunningSandbox) -> None:
    bad = execute_legacy(make_client(sb, key="sk-sim-wrong"), demo.ECHO_ID)
    assert (bad.status_code, bad.json()) == (401, {"error": "Invalid API key"})
    none = execute_legacy(make_client(sb, key=None), demo.ECHO_ID)
    assert (none.status_code, none.json()) == (401, {"error": "Unauthorized"})
    bearer = make_client(sb, key=None, headers={"Authorization": f"Bearer {demo.DEMO_KEY}"})
    as_bearer = execute_legacy(bearer, demo.ECHO_ID)
    assert (as_bearer.status_code, as_bearer.json()) == (401, {"error": "Unauthorized"})


def test_edge_01_v2_bad_and_missing_key_envelope(make_client: ClientFactory, sb: RunningSandbox) -> None:
    bad = make_client(sb, key="sk-sim-wrong").get("/api/v2/workspaces")
    assert bad.status_code == 401
    assert v2_error(bad)[:2] == ("UNAUTHORIZED", "Invalid API key")
    assert bad.headers["www-authenticate"] == 'SimApiKey realm="Sim API", header="x-api-key"'
    missing = make_client(sb, key=None).get("/api/v2/workspaces")
    assert (missing.status_code, v2_error(missing)[:2]) == (401, ("UNAUTHORIZED", "API key required"))
    # v2 ignores Authorization entirely: a Bearer-only call is a call without a key
    bearer = make_client(sb, key=None, headers={"Authorization": f"Bearer {demo.DEMO_KEY}"})
    assert v2_error(bearer.get("/api/v2/workspaces"))[:2] == ("UNAUTHORIZED", "API key required")
    unkeyed_run = execute_v2(make_client(sb, key=None), demo.ECHO_ID)
    assert (unkeyed_run.status_code, v2_error(unkeyed_run)[1]) == (401, "Unauthorized")


def test_edge_01_legacy_status_routes_check_workflow_before_auth(
    make_client: ClientFactory, sb: RunningSandbox
) -> None:
    bad_key = make_client(sb, key="sk-sim-wrong")
    missing = "3b1f7c92-0000-4a6b-9c0d-0000000000ff"
    status = bad_key.get(f"/api/workflows/{missing}/status")
    assert (status.status_code, status.json()["error"]) == (404, "Workflow not found")
    execution = bad_key.get(f"/api/workflows/{missing}/executions/some-run")
    assert (execution.status_code, legacy_error(execution)) == (404, "Workflow not found")
    # …while a known workflow with a bad key is a 401
    known = bad_key.get(f"/api/workflows/{demo.ECHO_ID}/executions/some-run")
    assert (known.status_code, legacy_error(known)) == (401, "Invalid API key")


# --- 2. unknown workflow, and key scope --------------------------------------------------------


def test_edge_02_unknown_workflow_both_surfaces(client: ConformanceClient) -> None:
    missing = "3b1f7c92-0000-4a6b-9c0d-0000000000ff"
    legacy = execute_legacy(client, missing)
    assert (legacy.status_code, legacy.json()) == (404, {"error": "Workflow not found"})
    v2 = execute_v2(client, missing)
    assert (v2.status_code, v2_error(v2)[:2]) == (404, ("NOT_FOUND", "Workflow not found"))
    detail = client.get(f"/api/v2/workflows/{missing}")
    assert (detail.status_code, v2_error(detail)[1]) == (404, "Workflow not found")


def test_edge_02_workspace_key_on_foreign_workflow(make_client: ClientFactory, sb: RunningSandbox) -> None:
    ws_client = make_client(sb, key=demo.WORKSPACE_KEY)
    legacy = execute_legacy(ws_client, demo.TRIAGE_ID)
    assert (legacy.status_code, legacy_error(legacy)) == (403, "API key is not authorized for this workspace")
    v2 = execute_v2(ws_client, demo.TRIAGE_ID)
    assert (v2.status_code, v2_error(v2)[:2]) == (404, ("NOT_FOUND", "Workflow not found"))
    # its own workspace works
    own = execute_v2(ws_client, demo.ECHO_ID, {"input": {"message": "mine"}})
    assert (own.status_code, data(own)["output"]) == (200, {"message": "mine"})


def test_edge_02_personal_key_on_workspace_that_forbids_it(client: ConformanceClient) -> None:
    legacy = execute_legacy(client, demo.LOCKED_ID)
    assert (legacy.status_code, legacy_error(legacy)) == (
        403,
        "Personal API keys are not allowed for this workspace",
    )
    v2 = execute_v2(client, demo.LOCKED_ID)
    code, _, details = v2_error(v2)
    assert (v2.status_code, code, details["code"]) == (403, "FORBIDDEN", "PERSONAL_API_KEYS_DISABLED")


# --- 3. undeployed workflow --------------------------------------------------------------------


def test_edge_03_undeployed_workflow_creates_no_run(client: ConformanceClient) -> None:
    legacy = execute_legacy(client, demo.UNDEPLOYED_ID, {"idea": "x"})
    assert (legacy.status_code, legacy.json()) == (403, {"error": "Workflow is not deployed"})
    v2 = execute_v2(client, demo.UNDEPLOYED_ID, {"input": {"idea": "x"}}, headers={"X-Run-Id": rid("undeployed")})
    code, message, details = v2_error(v2)
    assert (v2.status_code, code, message) == (403, "FORBIDDEN", "Workflow is not deployed")
    assert details["code"] == "WORKFLOW_NOT_DEPLOYED"
    runs = client.get(f"/api/v2/workflows/{demo.UNDEPLOYED_ID}/runs")
    assert (runs.status_code, data(runs)) == (200, [])
    logs = client.get("/api/v2/logs", params={"workspaceId": demo.WS_DEMO, "workflowIds": demo.UNDEPLOYED_ID})
    assert data(logs) == []


# --- 4. v2 gated off ---------------------------------------------------------------------------

V2_ROUTES = [
    ("GET", "/api/v2/workspaces"),
    ("GET", f"/api/v2/workspaces/{demo.WS_DEMO}"),
    ("GET", f"/api/v2/workflows?workspaceId={demo.WS_DEMO}"),
    ("GET", f"/api/v2/workflows/folders?workspaceId={demo.WS_DEMO}"),
    ("GET", f"/api/v2/workflows/{demo.ECHO_ID}"),
    ("GET", f"/api/v2/workflows/{demo.ECHO_ID}/deployment"),
    ("POST", f"/api/v2/workflows/{demo.ECHO_ID}/execute"),
    ("GET", f"/api/v2/workflows/{demo.ECHO_ID}/runs"),
    ("GET", f"/api/v2/workflows/{demo.ECHO_ID}/runs/some-run"),
    ("POST", f"/api/v2/workflows/{demo.ECHO_ID}/runs/some-run/cancel"),
    ("POST", f"/api/v2/workflows/{demo.ECHO_ID}/runs/some-run/resume"),
    ("GET", f"/api/v2/logs?workspaceId={demo.WS_DEMO}"),
    ("GET", "/api/v2/logs/some-run"),
    ("GET", "/api/v2/billing/status"),
]


@pytest.mark.parametrize(("method", "path"), V2_ROUTES)
def test_edge_04_gate_answers_not_found_to_a_valid_key(
    make_client: ClientFactory, gated_sb: RunningSandbox, method: str, path: str
) -> None:
    response = make_client(gated_sb).request(method, path, json={} if method == "POST" else None)
    assert (response.status_code, response.json()) == (404, NOT_FOUND)


@pytest.mark.parametrize(("method", "path"), V2_ROUTES)
def test_edge_04_gate_checks_the_key_first(
    make_client: ClientFactory, gated_sb: RunningSandbox, method: str, path: str
) -> None:
    response = make_client(gated_sb, key="sk-sim-wrong").request(method, path, json={} if method == "POST" else None)
    assert (response.status_code, v2_error(response)[:2]) == (401, ("UNAUTHORIZED", "Invalid API key"))


def test_edge_04_unknown_v2_paths_and_legacy_on_gated_server(
    make_client: ClientFactory, gated_sb: RunningSandbox, sb: RunningSandbox
) -> None:
    for client in (make_client(gated_sb), make_client(gated_sb, key=None), make_client(sb)):
        response = client.get("/api/v2/no-such-thing/here")
        assert (response.status_code, response.json()) == (404, NOT_FOUND)
    legacy = execute_legacy(make_client(gated_sb), demo.ECHO_ID, {"message": "still here"})
    assert (legacy.status_code, legacy.json()["output"]) == (200, {"message": "still here"})


# --- 5. 429 in all flavours --------------------------------------------------------------------


def test_edge_05_v2_request_bucket_per_operation(client: ConformanceClient, sb: RunningSandbox) -> None:
    first = client.get("/api/v2/workspaces")
    limit, remaining, reset = rate_headers(first)
    assert (limit, remaining) == (60, 59)  # free: 30/min, capacity 2× (§3.1)
    for expected in range(58, -1, -1):
        assert rate_headers(client.get("/api/v2/workspaces"))[1] == expected
    limited = client.get("/api/v2/workspaces")
    code, message, details = v2_error(limited)
    assert (limited.status_code, code, message) == (429, "RATE_LIMITED", "API rate limit exceeded")
    assert rate_headers(limited)[:2] == (60, 0)
    assert details["retryAfter"] == limited.headers["x-ratelimit-reset"] == reset
    assert ISO_MS.match(reset)
    assert int(limited.headers["retry-after"]) == seconds_until(reset, sb.clock.now())
    # one bucket per operation: another operation is untouched
    other = client.get("/api/v2/workflows", params={"workspaceId": demo.WS_DEMO})
    assert (other.status_code, rate_headers(other)[1]) == (200, 59)


def test_edge_05_v2_request_bucket_refills_stepwise(client: ConformanceClient, sb: RunningSandbox) -> None:
    for _ in range(60):
        client.get("/api/v2/workspaces")
    assert client.get("/api/v2/workspaces").status_code == 429
    advance(sb, 59)
    assert client.get("/api/v2/workspaces").status_code == 429
    advance(sb, 1.5)
    refilled = client.get("/api/v2/workspaces")
    assert (refilled.status_code, rate_headers(refilled)[1]) == (200, 29)  # +30 once per window, then −1


def test_edge_05_execution_bucket_legacy_no_headers_v2_details(client: ConformanceClient) -> None:
    for _ in range(100):  # free sync: 50/min, capacity 100, shared by both surfaces
        assert execute_legacy(client, demo.ECHO_ID).status_code == 200
    legacy = execute_legacy(client, demo.ECHO_ID)
    assert (legacy.status_code, legacy.json()) == (429, {"error": RATE_MESSAGE})
    assert not any(h.startswith("x-ratelimit") or h == "retry-after" for h in legacy.headers)
    v2 = execute_v2(client, demo.ECHO_ID)
    code, message, details = v2_error(v2)
    assert (v2.status_code, code, message, details) == (
        429,
        "RATE_LIMITED",
        RATE_MESSAGE,
        {"code": "RATE_LIMIT_EXCEEDED"},
    )
    assert int(v2.headers["retry-after"]) >= 1
    limits = client.get("/api/users/me/usage-limits").json()["rateLimit"]["sync"]
    assert (limits["remaining"], limits["isLimited"], limits["maxBurst"]) == (0, True, 100)


def test_edge_05_concurrency_429(client: ConformanceClient, sb: RunningSandbox) -> None:
    sb.faults.update({"concurrency_429": 2})
    legacy = execute_legacy(client, demo.ECHO_ID)
    assert legacy.status_code == 429
    assert legacy_error(legacy).startswith(CONCURRENCY_PREFIX)
    assert "retry-after" not in legacy.headers
    v2 = execute_v2(client, demo.ECHO_ID)
    code, _, details = v2_error(v2)
    assert (v2.status_code, code, details["code"]) == (429, "RATE_LIMITED", "EXECUTION_CONCURRENCY_LIMIT")
    assert v2.headers["retry-after"] == "5"


def test_edge_05_capacity_gate_429(client: ConformanceClient, sb: RunningSandbox) -> None:
    sb.faults.update({"capacity_429": 2})
    legacy = execute_legacy(client, demo.ECHO_ID)
    assert legacy.status_code == 429
    assert legacy.json() == {
        "error": "Too many requests",
        "message": CAPACITY_MESSAGE,
        "code": "ADMISSION_GATE_CAPACITY",
        "retryable": True,
        "retryAfterSeconds": 5,
    }
    assert legacy.headers["retry-after"] == "5"
    v2 = execute_v2(client, demo.ECHO_ID)
    assert (v2.status_code, v2_error(v2)[:2]) == (429, ("RATE_LIMITED", CAPACITY_MESSAGE))
    assert v2.headers["retry-after"] == "5"


# --- 6. usage limit exceeded -------------------------------------------------------------------


def test_edge_06_usage_limit_402_and_usage_limits_agree(make_client: ClientFactory, fresh_sb: RunningSandbox) -> None:
    client = make_client(fresh_sb)
    before = client.get("/api/users/me/usage-limits").json()["usage"]
    assert before["currentPeriodCost"] < before["limit"] == fresh_sb.state.usage_limit
    fresh_sb.state.set_cost(fresh_sb.state.usage_limit)
    legacy = execute_legacy(client, demo.ECHO_ID)
    assert (legacy.status_code, legacy.json()) == (402, {"error": USAGE_MESSAGE})
    v2 = execute_v2(client, demo.ECHO_ID)
    assert (v2.status_code, v2_error(v2)[0]) == (402, "USAGE_LIMIT_EXCEEDED")
    queued = execute_v2(client, demo.SLOW_ID, {"async": True})
    assert queued.status_code == 402
    usage = client.get("/api/users/me/usage-limits").json()["usage"]
    assert usage["currentPeriodCost"] >= usage["limit"]
    assert usage["plan"] == "free"


# --- 7. SSE split across TCP chunks ------------------------------------------------------------


def _story_text(client: ConformanceClient) -> str:
    sync = execute_v2(client, demo.STORY_ID, {"input": {}})
    text: str = data(sync)["output"]["content"]
    assert "°" in text and "🌊" in text  # multi-byte code points the split must survive
    return text


def test_edge_07_frames_split_at_odd_bytes_with_crlf(client: ConformanceClient, sb: RunningSandbox) -> None:
    expected = _story_text(client)
    sb.faults.update({"split_frames": True, "crlf": True})
    response = stream_v2(client, demo.STORY_ID, {"input": {}, "selectedOutputs": STORY_SELECT})
    checker = client.sse(response)
    assert checker.finished and checker.crlf
    assert checker.text_by_block() == {"b-storyteller": expected}
    assert checker.split_reads > 0  # frames (and code points) did arrive cut across reads
    assert checker.events()[-2:] == ["final", "[DONE]"]


def test_edge_07_coalesced_frames_and_bare_done(client: ConformanceClient, sb: RunningSandbox) -> None:
    sb.faults.update({"coalesce_frames": True, "bare_done": True})
    response = stream_v2(client, demo.STORY_ID, {"input": {"words": 40}, "selectedOutputs": STORY_SELECT})
    checker = client.sse(response)
    assert checker.bare_done
    assert checker.raw_chunks < len(checker.frames)  # several frames per write
    assert len(checker.text_by_block()["b-storyteller"].split()) == 40


def test_edge_07_quoted_done_and_selected_function_output_in_final(client: ConformanceClient) -> None:
    """A selected non-agent output streams no chunk; the final frame carries it under its block id
    (tests/fixtures/sim-0.8.9/stream-select.body, v2-stream-selected.body)."""
    response = stream_v2(
        client, demo.STORY_ID, {"input": {"words": 12}, "selectedOutputs": [*STORY_SELECT, "b-story-stats.words"]}
    )
    assert response.text.endswith('data: "[DONE]"\n\n')
    checker = client.sse(response)
    assert not checker.bare_done
    stats_chunks = [f for f in checker.frames if isinstance(f, dict) and f.get("blockId") == "b-story-stats"]
    assert stats_chunks == []
    assert checker.terminal == {"event": "final", "data": {"success": True, "output": {"b-story-stats": {"words": 12}}}}


# --- 8. errors mid-stream ----------------------------------------------------------------------


def test_edge_08_terminal_error_frame_without_final(client: ConformanceClient, sb: RunningSandbox) -> None:
    sb.faults.update({"fail_stream_after_first": 1})
    run_id = rid("midstream")
    response = stream_v2(
        client, demo.STORY_ID, {"input": {"words": 30}, "selectedOutputs": STORY_SELECT}, headers={"X-Run-Id": run_id}
    )
    checker = client.sse(response)
    assert checker.events() == ["chunk", "error", "[DONE]"]
    assert checker.terminal is not None and checker.terminal["error"]
    run = data(client.get(f"/api/v2/workflows/{demo.STORY_ID}/runs/{run_id}"))
    assert run["status"] == "failed"


def test_edge_08_stream_error_is_not_terminal(client: ConformanceClient, sb: RunningSandbox) -> None:
    sb.faults.update({"stream_error_after_first": 1})
    response = stream_v2(client, demo.STORY_ID, {"input": {"words": 30}, "selectedOutputs": STORY_SELECT})
    events = client.sse(response).events()
    assert events[:2] == ["chunk", "stream_error"]
    assert events[2:].count("chunk") == 29
    assert events[-2:] == ["final", "[DONE]"]
    assert client.sse(response).terminal == {"event": "final", "data": {"success": True, "output": {}}}


def test_edge_08_failing_block_ends_the_stream_with_error_not_final(client: ConformanceClient) -> None:
    """tests/fixtures/sim-0.8.9/fail-v2-stream.body: an error frame (block name first), then [DONE]."""
    response = stream_v2(client, demo.FAILING_ID, {"input": {}})
    checker = client.sse(response)
    assert checker.events() == ["error", "[DONE]"]
    assert checker.terminal == {"event": "error", "error": "HTTP 1: 502 from upstream"}


def test_edge_08_timeout_error_text(client: ConformanceClient) -> None:
    response = stream_v2(client, demo.SLOW_ID, {"input": {"minutes": 6}})  # 360 s > free sync cap 300 s
    checker = client.sse(response)
    assert checker.terminal == {"event": "error", "error": "Execution timed out after 5 minutes"}
    assert checker.events() == ["error", "[DONE]"]


# --- 9. what streams -------------------------------------------------------------------------


def test_edge_09_no_selected_outputs_only_final(client: ConformanceClient) -> None:
    expected = data(execute_v2(client, demo.ECHO_ID, {"input": {"message": "hello"}}))["output"]
    response = stream_v2(client, demo.ECHO_ID, {"input": {"message": "hello"}})
    checker = client.sse(response)
    assert checker.events() == ["final", "[DONE]"]
    assert checker.terminal == {"event": "final", "data": {"success": True, "output": expected}}
    story = stream_v2(client, demo.STORY_ID, {"input": {"words": 20}})
    assert client.sse(story).events() == ["final", "[DONE]"]  # an agent, but not selected: no chunks


def test_edge_09_streamed_agent_not_repeated_in_final(client: ConformanceClient) -> None:
    response = stream_v2(client, demo.STORY_ID, {"input": {"words": 25}, "selectedOutputs": STORY_SELECT})
    checker = client.sse(response)
    assert checker.events().count("chunk") == 25
    assert len(checker.text_by_block()["b-storyteller"].split()) == 25
    final = checker.terminal
    assert final is not None and "b-storyteller" not in final["data"]["output"]


# --- 10. protocol header ---------------------------------------------------------------------


def test_edge_10_agent_events_with_protocol_header(client: ConformanceClient) -> None:
    body = {
        "input": {"question": "How warm is Oslo today?"},
        "selectedOutputs": ["Researcher.content"],
        "includeThinking": True,
        "includeToolCalls": True,
    }
    response = stream_v2(client, demo.RESEARCH_ID, body, headers={"X-Sim-Stream-Protocol": "agent-events-v1"})
    assert response.headers["x-sim-stream-protocol"] == "agent-events-v1"
    checker = client.sse(response)
    events = checker.events()
    assert {"thinking", "chunk_reset", "tool"} <= set(events)
    assert events.index("chunk") < events.index("chunk_reset") < events.index("tool")
    tools = [f for f in checker.frames if isinstance(f, dict) and f.get("event") == "tool"]
    assert [(t["phase"], t["name"]) for t in tools] == [
        ("start", "web_search"),
        ("end", "web_search"),
        ("start", "read_page"),
        ("end", "read_page"),
    ]
    answer = data(execute_v2(client, demo.RESEARCH_ID, {"input": body["input"]}))["output"]["content"]
    assert checker.text_by_block() == {"b-researcher": answer}  # the draft was retracted


def test_edge_10_without_header_tool_agent_answers_in_one_piece(client: ConformanceClient) -> None:
    response = stream_v2(client, demo.RESEARCH_ID, {"input": {}, "selectedOutputs": ["Researcher.content"]})
    assert "x-sim-stream-protocol" not in response.headers
    checker = client.sse(response)
    assert checker.events() == ["chunk", "final", "[DONE]"]
    assert checker.text_by_block()["b-researcher"].startswith("Short answer to")


def test_edge_10_flags_without_header_are_400(client: ConformanceClient) -> None:
    v2 = execute_v2(client, demo.RESEARCH_ID, {"stream": True, "includeThinking": True})
    assert (v2.status_code, v2_error(v2)[0]) == (400, "BAD_REQUEST")
    legacy = execute_legacy(client, demo.RESEARCH_ID, {"stream": True, "includeToolCalls": True})
    assert legacy.status_code == 400
    assert "X-Sim-Stream-Protocol" in legacy_error(legacy)


# --- 11. client disconnect -------------------------------------------------------------------


def test_edge_11_closing_a_stream_cancels_the_run(make_client: ClientFactory, realtime_sb: RunningSandbox) -> None:
    """tests/fixtures/sim-0.8.9/redis/slow-stream-disconnect-status.body: cancelled, no error, base cost."""
    client = make_client(realtime_sb)
    run_id = rid("disconnect")
    body = {"input": {}, "stream": True, "selectedOutputs": STORY_SELECT}
    with client.stream(
        "POST", f"/api/v2/workflows/{demo.STORY_ID}/execute", json=body, headers={"X-Run-Id": run_id}
    ) as response:
        assert response.status_code == 200
        first = next(response.iter_bytes())
        assert first.startswith(b"data: ")
    run = poll_until(
        lambda: data(client.get(f"/api/v2/workflows/{demo.STORY_ID}/runs/{run_id}")),
        lambda r: r["status"] != "running",
    )
    assert (run["status"], run["error"], run["cost"]) == ("cancelled", None, {"total": 0.005})
    log = data(client.get(f"/api/v2/logs/{run_id}"))
    assert (log["status"], log["level"]) == ("cancelled", "info")


def test_edge_11_abandoned_sync_call_cancels_the_run(make_client: ClientFactory, realtime_sb: RunningSandbox) -> None:
    """tests/fixtures/sim-0.8.9/redis/slow-sync-disconnect-status.body."""
    impatient = make_client(realtime_sb, timeout=httpx.Timeout(5.0, read=0.3))
    run_id = rid("sync-abort")
    with pytest.raises(httpx.ReadTimeout):
        execute_legacy(impatient, demo.SLOW_ID, {"minutes": 1}, headers={"X-Execution-Id": run_id})
    client = make_client(realtime_sb)
    status = poll_until(
        lambda: client.get(f"/api/workflows/{demo.SLOW_ID}/executions/{run_id}").json(),
        lambda r: r["status"] != "running",
    )
    assert (status["status"], status["level"], status["error"]) == ("cancelled", "info", None)


# --- 12. async lifecycle ---------------------------------------------------------------------


def test_edge_12_legacy_job_pending_processing_completed(client: ConformanceClient, sb: RunningSandbox) -> None:
    receipt = execute_legacy(client, demo.SLOW_ID, {"minutes": 1}, headers={"X-Execution-Mode": "async"})
    assert receipt.status_code == 202
    body = receipt.json()
    assert (body["success"], body["async"], body["message"]) == (True, True, "Workflow execution queued")
    assert body["statusUrl"] == f"{sb.base_url}/api/jobs/{body['jobId']}"
    job_url = f"/api/jobs/{body['jobId']}"
    execution_url = f"/api/workflows/{demo.SLOW_ID}/executions/{body['executionId']}"
    assert client.get(job_url).json()["status"] == "pending"
    assert client.get(execution_url).json()["status"] == "queued"
    advance(sb, 1.5)
    assert client.get(job_url).json()["status"] == "processing"
    assert client.get(execution_url).json()["status"] == "running"
    advance(sb, 60)
    job = client.get(job_url).json()
    assert job["status"] == "completed"
    assert job["output"]["success"] is True
    assert job["output"]["output"]["progress"] == {"done": 12, "total": 12, "percent": 100}
    assert job["metadata"]["correlation"]["executionId"] == body["executionId"]
    final = client.get(execution_url, params={"includeOutput": "true"}).json()
    assert final["status"] == "completed"
    assert final["finalOutput"] == job["output"]["output"]


def test_edge_12_v2_run_queued_running_completed(client: ConformanceClient, sb: RunningSandbox) -> None:
    receipt = execute_v2(client, demo.SLOW_ID, {"input": {"minutes": 1}, "async": True})
    assert receipt.status_code == 202
    run_id = data(receipt)["runId"]
    assert data(receipt)["statusUrl"] == f"{sb.base_url}/api/v2/workflows/{demo.SLOW_ID}/runs/{run_id}"
    url = f"/api/v2/workflows/{demo.SLOW_ID}/runs/{run_id}"
    queued = data(client.get(url))
    assert (queued["status"], queued["endedAt"], queued["output"]) == ("queued", None, None)
    advance(sb, 31)  # queued 1 s, then half way through 60 s of work
    running = data(client.get(url, params={"selectedOutputs": "b-step-06"}))
    assert running["status"] == "running"
    assert running["blockOutputs"]["b-step-06"]["progress"]["percent"] == 50
    advance(sb, 30)
    done = data(client.get(url, params={"includeOutput": "true"}))
    assert (done["status"], done["error"]) == ("completed", None)
    assert done["output"]["progress"]["percent"] == 100
    assert done["durationMs"] == 60_000
    assert ISO_MS.match(done["endedAt"])


def test_edge_12_failed_workflow_fails_the_job(client: ConformanceClient, sb: RunningSandbox) -> None:
    """tests/fixtures/sim-0.8.9/fail-job-poll.body: failed, output null, the block's message as error."""
    receipt = execute_legacy(client, demo.FAILING_ID, {}, headers={"X-Execution-Mode": "async"}).json()
    advance(sb, 5)
    job = client.get(f"/api/jobs/{receipt['jobId']}").json()
    assert (job["status"], job["output"], job["error"]) == ("failed", None, "HTTP 1: 502 from upstream")


def test_edge_12_failed_job_error_string_and_v2_error_object(client: ConformanceClient, sb: RunningSandbox) -> None:
    headers = {"X-Execution-Mode": "async", "X-Execution-Timeout-Seconds": "10"}
    receipt = execute_legacy(client, demo.SLOW_ID, {"minutes": 1}, headers=headers).json()
    v2 = data(execute_v2(client, demo.FAILING_ID, {"async": True}))
    advance(sb, 15)
    job = client.get(f"/api/jobs/{receipt['jobId']}").json()
    assert (job["status"], job["error"]) == ("failed", "Execution timed out after 10 seconds")
    run = data(client.get(f"/api/v2/workflows/{demo.FAILING_ID}/runs/{v2['runId']}"))
    assert run["status"] == "failed"
    assert run["error"] == {"code": "EXECUTION_FAILED", "message": "HTTP 1: 502 from upstream"}


# --- 13. cancelled jobs and runs ---------------------------------------------------------------


def test_edge_13_v2_cancel_recorded_then_noops(client: ConformanceClient, sb: RunningSandbox) -> None:
    run_id = data(execute_v2(client, demo.SLOW_ID, {"input": {"minutes": 5}, "async": True}))["runId"]
    advance(sb, 3)
    base = f"/api/v2/workflows/{demo.SLOW_ID}/runs/{run_id}"
    first = data(client.post(f"{base}/cancel"))
    assert (first["success"], first["reason"], first["durablyRecorded"]) == (True, "recorded", True)
    run = data(client.get(base))  # tests/fixtures/sim-0.8.9/redis/slow-v2-run-after-cancel.body
    assert (run["status"], run["error"], run["cost"]) == ("cancelled", None, {"total": 0.005})
    again = data(client.post(f"{base}/cancel"))
    assert (again["reason"], again["durablyRecorded"]) == ("already_cancelled", False)
    done = data(execute_v2(client, demo.ECHO_ID))["runId"]
    noop = data(client.post(f"/api/v2/workflows/{demo.ECHO_ID}/runs/{done}/cancel"))
    assert (noop["success"], noop["reason"]) == (True, "already_completed")
    failed = data(execute_v2(client, demo.FAILING_ID))["runId"]
    assert data(client.post(f"/api/v2/workflows/{demo.FAILING_ID}/runs/{failed}/cancel"))["reason"] == "already_failed"


def test_edge_13_legacy_cancel_queued_running_and_completed(client: ConformanceClient, sb: RunningSandbox) -> None:
    queued = execute_legacy(client, demo.SLOW_ID, {"minutes": 5}, headers={"X-Execution-Mode": "async"}).json()
    cancel = client.post(f"/api/workflows/{demo.SLOW_ID}/executions/{queued['executionId']}/cancel")
    assert (cancel.status_code, cancel.json()["reason"]) == (200, "queue_cancelled")
    job = client.get(f"/api/jobs/{queued['jobId']}").json()
    assert (job["status"], job["error"]) == ("cancelled", "Cancelled")
    running = execute_legacy(client, demo.SLOW_ID, {"minutes": 5}, headers={"X-Execution-Mode": "async"}).json()
    advance(sb, 5)
    recorded = client.post(f"/api/workflows/{demo.SLOW_ID}/executions/{running['executionId']}/cancel").json()
    assert (recorded["success"], recorded["reason"], recorded["executionId"]) == (
        True,
        "recorded",
        running["executionId"],
    )
    completed = execute_legacy(client, demo.ECHO_ID).json()["executionId"]
    conflict = client.post(f"/api/workflows/{demo.ECHO_ID}/executions/{completed}/cancel")
    assert (conflict.status_code, conflict.json()) == (409, {"error": "Execution cannot be cancelled while completed"})
    twice = client.post(f"/api/workflows/{demo.SLOW_ID}/executions/{running['executionId']}/cancel").json()
    assert (twice["reason"], twice["durablyRecorded"]) == ("already_cancelled", False)
    unknown = client.post(f"/api/workflows/{demo.ECHO_ID}/executions/nope/cancel")
    assert (unknown.status_code, legacy_error(unknown)) == (404, "Execution not found")


# --- 14. run id conflicts ----------------------------------------------------------------------


def test_edge_14_reused_run_id_is_409_on_both_surfaces(client: ConformanceClient) -> None:
    run_id = rid("claim")
    assert execute_v2(client, demo.ECHO_ID, headers={"X-Run-Id": run_id}).headers["x-run-id"] == run_id
    again = execute_v2(client, demo.ECHO_ID, headers={"X-Run-Id": run_id})
    assert again.status_code == 409
    assert again.json() == {
        "error": {
            "code": "CONFLICT",
            "message": "Run ID has already been used",
            "details": {"code": "RUN_ID_CONFLICT", "runId": run_id},
        }
    }
    assert again.headers["x-run-id"] == run_id
    legacy = execute_legacy(client, demo.ECHO_ID, headers={"X-Execution-Id": run_id})  # ids are shared
    assert legacy.status_code == 409
    assert legacy.json() == {
        "error": "Execution ID has already been used",
        "code": "EXECUTION_ID_CONFLICT",
        "executionId": run_id,
    }


@pytest.mark.parametrize("bad_id", ["has space", "semi;colon", "x" * 129, "ümlaut"])
def test_edge_14_invalid_run_id_is_400(client: ConformanceClient, bad_id: str) -> None:
    header = bad_id.encode()  # sent as raw UTF-8 bytes, like a careless client would
    v2 = execute_v2(client, demo.ECHO_ID, headers={"X-Run-Id": header})
    assert (v2.status_code, v2_error(v2)[0]) == (400, "BAD_REQUEST")
    legacy = execute_legacy(client, demo.ECHO_ID, headers={"X-Execution-Id": header})
    assert (legacy.status_code, legacy_error(legacy)) == (400, "Invalid execution ID header")


def test_edge_14_longest_valid_run_id(client: ConformanceClient) -> None:
    run_id = ("A.b_c:d-" * 16)[:116] + uuid.uuid4().hex[:12]
    assert len(run_id) == 128
    response = execute_v2(client, demo.ECHO_ID, headers={"X-Run-Id": run_id})
    assert (response.status_code, data(response)["runId"]) == (200, run_id)


# --- 15. ambiguous enqueue ---------------------------------------------------------------------


def test_edge_15_ambiguous_enqueue_run_still_exists(client: ConformanceClient, sb: RunningSandbox) -> None:
    sb.faults.update({"ambiguous_enqueue": 2})
    v2 = execute_v2(client, demo.SLOW_ID, {"async": True})
    code, _, details = v2_error(v2)
    assert (v2.status_code, code, details["code"]) == (503, "SERVICE_UNAVAILABLE", "ASYNC_ENQUEUE_AMBIGUOUS")
    assert "retry-after" not in v2.headers
    run_id = v2.headers["x-run-id"]
    assert details["runId"] == run_id
    polled = client.get(f"/api/v2/workflows/{demo.SLOW_ID}/runs/{run_id}")
    assert (polled.status_code, data(polled)["runId"]) == (200, run_id)
    legacy = execute_legacy(client, demo.SLOW_ID, {}, headers={"X-Execution-Mode": "async"})
    assert legacy.status_code == 503
    body = legacy.json()
    assert (body["error"], body["code"]) == (
        "Async execution queue acceptance could not be confirmed",
        "ASYNC_ENQUEUE_AMBIGUOUS",
    )
    assert legacy.headers["x-execution-id"] == body["executionId"]
    execution = client.get(f"/api/workflows/{demo.SLOW_ID}/executions/{body['executionId']}")
    assert execution.status_code == 200


# --- 16. sync timeout --------------------------------------------------------------------------


def test_edge_16_sync_timeout(client: ConformanceClient) -> None:
    legacy = execute_legacy(client, demo.SLOW_ID, {"minutes": 6})
    assert legacy.status_code == 408
    body = legacy.json()
    assert (body["success"], body["error"]) == (False, "Execution timed out after 5 minutes")
    v2 = execute_v2(client, demo.SLOW_ID, {"input": {"minutes": 6}})
    assert v2.status_code == 200
    result = data(v2)
    assert result["status"] == "failed"
    assert result["error"] == {"code": "TIMEOUT", "message": "Execution timed out after 5 minutes"}


# --- 17. legacy failed run ---------------------------------------------------------------------


def test_edge_17_failed_run_legacy_500_v2_200(client: ConformanceClient) -> None:
    legacy = execute_legacy(client, demo.FAILING_ID, {"url": "https://example.invalid"})
    assert legacy.status_code == 500
    body = legacy.json()
    assert (body["success"], body["error"], body["output"]) == (False, "HTTP 1: 502 from upstream", {})
    v2 = execute_v2(client, demo.FAILING_ID, {"input": {}})
    result = data(v2)
    assert (v2.status_code, result["status"], result["output"]) == (200, "failed", {})
    assert result["error"] == {
        "code": "BLOCK_EXECUTION_FAILED",
        "message": "502 from upstream",  # no block name in front (tests/fixtures/sim-0.8.9/fail-v2-sync.body)
        "blockId": "b-http-1",
        "blockName": "HTTP 1",
        "blockType": "api",
    }
    polled = data(client.get(f"/api/v2/workflows/{demo.FAILING_ID}/runs/{result['runId']}"))
    assert polled["error"] == {"code": "EXECUTION_FAILED", "message": "HTTP 1: 502 from upstream"}


# --- 18. Response block ------------------------------------------------------------------------


def test_edge_18_response_block_sets_status_headers_body(client: ConformanceClient) -> None:
    with client.allow("legacy-response-block"):
        legacy = execute_legacy(client, demo.RESPONDER_ID, {"payload": {"a": 1}})
    assert legacy.status_code == 201
    assert legacy.headers["x-demo-responder"] == "yes"
    assert legacy.json() == {"received": {"payload": {"a": 1}}, "ticket": "T-1042", "accepted": True}
    v2 = execute_v2(client, demo.RESPONDER_ID, {"input": {"payload": {"a": 1}}})
    assert v2.status_code == 200  # v2 never lets the block set status or headers
    assert "x-demo-responder" not in v2.headers
    assert data(v2)["output"]["data"]["ticket"] == "T-1042"


def test_edge_18_response_block_is_opt_in_for_the_validator(client: ConformanceClient) -> None:
    with pytest.raises(AssertionError, match="status not documented"):
        execute_legacy(client, demo.RESPONDER_ID, {"payload": {}})


# --- 19. input edge cases ----------------------------------------------------------------------


def test_edge_19_legacy_flat_and_nested_input(client: ConformanceClient) -> None:
    flat = execute_legacy(client, demo.ECHO_ID, {"message": "flat", "selectedOutputs": ["Echo.nothing"]}).json()
    nested = execute_legacy(client, demo.ECHO_ID, {"input": {"message": "nested"}}).json()
    assert flat["output"]["message"] == "flat"
    assert nested["output"]["message"] == "nested"
    assert flat["output"] == {"message": "flat"}  # control fields are not input; sync JSON is the full output


def test_edge_19_legacy_body_async_runs_sync(client: ConformanceClient) -> None:
    response = execute_legacy(client, demo.ECHO_ID, {"message": "m", "async": True})
    assert response.status_code == 200
    assert response.json()["output"] == {"message": "m", "async": True}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        # Sim words a body error as zod's first issue (tests/fixtures/sim-0.8.9/v2-unknown-field.body,
        # v2-input-string.body, v2-async-stream.body, v2-timeout-noasync.body)
        ({"input": {}, "verbose": True}, 'Unrecognized key: "verbose"'),
        ({"input": "just text"}, "Invalid input: expected record, received string"),
        ({"input": [1, 2]}, "Invalid input: expected record, received array"),
        ({"async": True, "stream": True}, "async and stream cannot be combined"),
        ({"executionTimeoutSeconds": 60}, "executionTimeoutSeconds is supported only for async execution"),
        ({"async": True, "executionTimeoutSeconds": 0}, "Too small: expected number to be >=1"),
        ({"selectedOutputs": [""]}, "Too small: expected string to have >=1 characters"),
        ({"async": True, "selectedOutputs": ["Echo.message"]}, None),
        ({"base64MaxBytes": 10 * 2**20 + 1}, "Too big: expected number to be <=10485760"),
        ({"includeToolCalls": True}, None),
    ],
)
def test_edge_19_v2_strict_body(client: ConformanceClient, body: dict[str, Any], message: str | None) -> None:
    response = execute_v2(client, demo.ECHO_ID, body)
    code, text, _ = v2_error(response)
    assert (response.status_code, code) == (400, "BAD_REQUEST")
    if message is not None:
        assert text == message


def test_edge_19_v2_empty_or_non_json_body(client: ConformanceClient) -> None:
    for content in (b"", b"not json"):
        response = client.post(
            f"/api/v2/workflows/{demo.ECHO_ID}/execute", content=content, headers={"Content-Type": "application/json"}
        )
        assert (response.status_code, v2_error(response)[:2]) == (
            400,
            ("BAD_REQUEST", "Request body must be valid JSON"),
        )


def test_edge_19_v2_unknown_field_details_name_it(client: ConformanceClient) -> None:
    response = execute_v2(client, demo.ECHO_ID, {"input": {}, "verbose": True})
    details = v2_error(response)[2]
    assert any("verbose" in str(issue) for issue in details)


@pytest.mark.parametrize(
    "query",
    ["includeOutput=true&bogus=1", "includeOutput=", "includeOutput=true&includeOutput=true", "includeOutput=yes"],
)
def test_edge_19_v2_strict_query(client: ConformanceClient, query: str) -> None:
    run_id = data(execute_v2(client, demo.ECHO_ID))["runId"]
    response = client.get(f"/api/v2/workflows/{demo.ECHO_ID}/runs/{run_id}?{query}")
    assert (response.status_code, v2_error(response)[0]) == (400, "BAD_REQUEST")


# --- 20. sizes and files -----------------------------------------------------------------------


def test_edge_20_bodies_over_10_mib_are_413(client: ConformanceClient) -> None:
    big = "x" * (10 * 2**20 + 1)
    legacy = execute_legacy(client, demo.ECHO_ID, {"message": big})
    assert (legacy.status_code, legacy.json()) == (
        413,
        {"error": "Workflow execution request body exceeds maximum size"},
    )
    v2 = execute_v2(client, demo.ECHO_ID, {"input": {"message": big}})
    assert (v2.status_code, v2_error(v2)[0]) == (413, "PAYLOAD_TOO_LARGE")


def test_edge_20_malformed_data_url_is_400(client: ConformanceClient) -> None:
    bad = {"type": "file", "data": "data:text/plain,not-base64", "name": "notes.txt", "mime": "text/plain"}
    legacy = execute_legacy(client, demo.FILES_ID, {"documents": [bad]})
    assert legacy.status_code == 400
    assert legacy_error(legacy).startswith("File processing failed: ")
    v2 = execute_v2(client, demo.FILES_ID, {"input": {"documents": [bad]}})
    assert v2.status_code == 400
    assert v2_error(v2)[1].startswith("File processing failed: ")


def test_edge_20_inline_file_is_converted(client: ConformanceClient) -> None:
    blob = "Quarterly plan — three goals, one risk.\n".encode() * 100
    file = {
        "type": "file",
        "data": "data:text/plain;base64," + base64.b64encode(blob).decode(),
        "name": "plan.txt",
        "mime": "text/plain",
    }
    result = data(execute_v2(client, demo.FILES_ID, {"input": {"documents": [file]}}))
    assert result["status"] == "completed"
    assert result["output"]["files"] == [{"name": "plan.txt", "size": len(blob)}]


# --- 21. paused runs ---------------------------------------------------------------------------


def test_edge_21_pause_and_resume_v2(client: ConformanceClient) -> None:
    paused = data(execute_v2(client, demo.APPROVAL_ID, {"input": {"amount": 80}}))
    assert (paused["status"], paused["error"]) == ("paused", None)
    base = f"/api/v2/workflows/{demo.APPROVAL_ID}/runs/{paused['runId']}"
    polled = data(client.get(base))
    assert polled["status"] == "paused"
    block = polled["paused"]
    assert (block["pauseKind"], block["blockedOnBlockId"], block["resumedCount"]) == ("human", "b-approval", 0)
    resumed = client.post(f"{base}/resume", json={"contextId": block["contextId"], "input": {"approved": True}})
    assert resumed.status_code == 200
    result = data(resumed)
    assert result["runId"] != paused["runId"]  # resuming makes a new run
    assert (result["status"], result["output"]["booked"]) == ("completed", True)
    strict = client.post(f"{base}/resume", json={"contextId": block["contextId"], "extra": 1})
    assert strict.status_code == 400


def test_edge_21_pause_legacy_sync_stream_and_resume(client: ConformanceClient) -> None:
    legacy = execute_legacy(client, demo.APPROVAL_ID, {"amount": 50}).json()
    assert (legacy["success"], legacy["output"]["awaiting"]) == (True, "approval")
    stream = stream_v2(client, demo.APPROVAL_ID, {"input": {"amount": 50}})
    final = client.sse(stream).terminal
    assert final is not None and final["data"]["status"] == "paused"
    listed = client.get(f"/api/workflows/{demo.APPROVAL_ID}/paused").json()["pausedExecutions"]
    mine = next(p for p in listed if p["executionId"] == legacy["executionId"])
    point = mine["pausePoints"][0]
    assert point["resumeStatus"] == "paused"
    context = client.get(f"/api/resume/{demo.APPROVAL_ID}/{legacy['executionId']}/{point['contextId']}").json()
    assert context["pausePoint"]["contextId"] == point["contextId"]
    detail = client.get(f"/api/workflows/{demo.APPROVAL_ID}/paused/{legacy['executionId']}").json()
    assert detail["executionId"] == legacy["executionId"] and "queue" in detail
    resumed = client.post(
        f"/api/resume/{demo.APPROVAL_ID}/{legacy['executionId']}/{point['contextId']}",
        json={"input": {"approved": False}},
    ).json()
    assert resumed["executionId"] != legacy["executionId"]
    assert (resumed["success"], resumed["status"], resumed["output"]["booked"]) == (True, "completed", False)


# --- 22. 503 and request ids -------------------------------------------------------------------


def test_edge_22_v2_infra_503_retry_after_5(client: ConformanceClient, sb: RunningSandbox) -> None:
    sb.faults.update({"unavailable_503": 1})
    response = client.get("/api/v2/workspaces")
    assert (response.status_code, v2_error(response)[:2]) == (
        503,
        ("SERVICE_UNAVAILABLE", "Service temporarily unavailable"),
    )
    assert response.headers["retry-after"] == "5"
    assert client.get("/api/v2/workspaces").status_code == 200  # counted: one 503 only


def test_edge_22_request_id_on_every_api_response_but_health(client: ConformanceClient) -> None:
    responses = [
        client.get("/api/v2/workspaces"),
        execute_legacy(client, demo.ECHO_ID),
        client.get("/api/users/me/usage-limits"),
        client.get("/api/jobs/nope"),
        client.get("/api/v2/nowhere"),
        execute_v2(client, demo.UNDEPLOYED_ID),
    ]
    ids = [r.headers["x-request-id"] for r in responses]
    assert all(ids) and len(set(ids)) == len(ids)  # generated per request
    health = client.get("/api/health")
    assert health.status_code == 200 and "x-request-id" not in health.headers


# --- 23. apex redirect -------------------------------------------------------------------------


def test_edge_23_apex_redirect_is_a_301_not_followed(client: ConformanceClient, sb: RunningSandbox) -> None:
    sb.faults.update({"redirect_to": "https://www.sim.ai"})
    response = execute_v2(client, demo.ECHO_ID, {"input": {}})
    assert response.status_code == 301
    assert response.headers["location"] == f"https://www.sim.ai/api/v2/workflows/{demo.ECHO_ID}/execute"
    listed = client.get("/api/v2/workflows", params={"workspaceId": demo.WS_DEMO})
    assert listed.headers["location"] == f"https://www.sim.ai/api/v2/workflows?workspaceId={demo.WS_DEMO}"


# --- 24. large value refs ----------------------------------------------------------------------


LARGE_REF_KEYS = {"__simLargeValueRef", "version", "id", "kind", "size", "key", "executionId", "preview"}


def test_edge_24_large_value_ref_in_output(client: ConformanceClient) -> None:
    for output in (
        data(execute_v2(client, demo.LARGE_ID, {"input": {"rows": 5}}))["output"],
        execute_legacy(client, demo.LARGE_ID, {"rows": 5}).json()["output"],
    ):
        ref = output["archive"]
        assert ref["__simLargeValueRef"] is True and ref["version"] == 1
        assert ref["kind"] in ("array", "object", "string", "json")
        assert isinstance(ref["size"], int) and ref["size"] > 8 * 2**20
        assert set(ref) <= LARGE_REF_KEYS
        assert output["count"] == len(output["rows"]) == 5


# --- more of the above, by item ---------------------------------------------------------------


@pytest.mark.parametrize(
    "selector",
    [
        "Storyteller.content",
        "story teller.content",
        "STORYTELLER.content",
        "b-storyteller_content",
        "b-storyteller.content",
        "b-storyteller",
    ],
)
def test_edge_09_selector_forms(client: ConformanceClient, selector: str) -> None:
    response = stream_v2(client, demo.STORY_ID, {"input": {"words": 6}, "selectedOutputs": [selector]})
    assert len(client.sse(response).text_by_block()["b-storyteller"].split()) == 6


def test_edge_07_silent_gap_after_the_first_frame(client: ConformanceClient, sb: RunningSandbox) -> None:
    sb.faults.update({"stream_gap_s": 0.5})
    body = {"input": {"words": 5}, "stream": True, "selectedOutputs": STORY_SELECT}
    with client.stream("POST", f"/api/v2/workflows/{demo.STORY_ID}/execute", json=body) as response:
        pieces = response.iter_bytes()
        next(pieces)
        started = time.perf_counter()
        rest = b"".join(pieces)
        gap = time.perf_counter() - started
    assert gap >= 0.3
    assert rest.endswith(b'data: "[DONE]"\n\n')


def test_edge_19_legacy_files_only_converted_at_the_top_level(client: ConformanceClient) -> None:
    blob = b"%PDF-1.7 tiny"
    file = {"type": "file", "data": "data:application/pdf;base64," + base64.b64encode(blob).decode(), "name": "a.pdf"}
    top = execute_legacy(client, demo.FILES_ID, {"documents": [file]}).json()["output"]["files"]
    nested = execute_legacy(client, demo.FILES_ID, {"input": {"documents": [file]}}).json()["output"]["files"]
    assert top == [{"name": "a.pdf", "size": len(blob)}]  # uploaded: a stored file with its size
    assert nested == [{"name": "a.pdf", "size": 0}]  # passed through untouched: no `size`


@pytest.mark.parametrize(
    ("body", "headers"),
    [
        ({"isClientSession": True}, {}),
        ({"useDraftState": True}, {}),
        ({"workflowStateOverride": {}}, {}),
        ({"runFromBlock": {"executionId": "x"}}, {}),
        ({}, {"X-Execution-Mode": "async", "X-Execution-Timeout-Seconds": "604801"}),
    ],
)
def test_edge_19_legacy_controls_api_keys_may_not_use(
    client: ConformanceClient, body: dict[str, Any], headers: dict[str, Any]
) -> None:
    response = execute_legacy(client, demo.ECHO_ID, body, headers=headers)
    assert response.status_code == 400
    assert legacy_error(response)


def test_edge_05_idle_bucket_expires_back_to_full(client: ConformanceClient, sb: RunningSandbox) -> None:
    for _ in range(61):
        client.get("/api/v2/workspaces")
    advance(sb, 121)  # idle for more than ~120 s: forgotten, back to full
    assert rate_headers(client.get("/api/v2/workspaces"))[1] == 59
