"""Every legacy route with realistic calls (CONTRACT §4, §7.1, §7.2, §8.1, §10, §11, §13).

The edge cases of §16 are in ``test_edge_cases.py``; the checked client validates every response.
"""

from __future__ import annotations

from typing import Any

import pytest

from simdesk.sandbox import demo
from simdesk.sandbox.server import RunningSandbox
from tests.support.conformance import (
    ISO_MS,
    ClientFactory,
    ConformanceClient,
    SandboxFactory,
    advance,
    execute_legacy,
    legacy_error,
)

ASYNC_MODE = {"X-Execution-Mode": "async"}


def test_health(make_client: ClientFactory, sb: RunningSandbox) -> None:
    response = make_client(sb, key=None).get("/api/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and ISO_MS.match(body["timestamp"])


def test_execute_sync_echo(client: ConformanceClient) -> None:
    response = execute_legacy(client, demo.ECHO_ID, {"message": "hello", "count": 3})
    body = response.json()
    assert (response.status_code, body["success"], body["output"]) == (200, True, {"message": "hello", "count": 3})
    # fractional milliseconds, as tests/fixtures/sim-0.8.9/sync-execute.body has them
    assert isinstance(body["metadata"]["duration"], float) and body["metadata"]["duration"] == 50
    assert ISO_MS.match(body["metadata"]["startTime"]) and ISO_MS.match(body["metadata"]["endTime"])
    assert "error" not in body and "logs" not in body and "traceSpans" not in body


def test_execute_empty_body_gives_declared_fields_empty(client: ConformanceClient) -> None:
    """tests/fixtures/sim-0.8.9/sync-empty-body.body: the Start block's declared string field reads ""."""
    response = client.post(f"/api/workflows/{demo.ECHO_ID}/execute")
    assert (response.status_code, response.json()["output"]) == (200, {"message": ""})


def test_execute_stream_via_header(client: ConformanceClient) -> None:
    response = execute_legacy(
        client,
        demo.STORY_ID,
        {"words": 8, "selectedOutputs": ["Storyteller.content"]},
        headers={"X-Stream-Response": "true"},
    )
    assert response.headers["content-type"].startswith("text/event-stream")
    assert "x-execution-id" not in response.headers  # §4.4: the run id is reported nowhere
    checker = client.sse(response)
    assert len(checker.text_by_block()["b-storyteller"].split()) == 8
    assert all("executionId" not in str(f) for f in checker.frames)


def test_execute_async_with_caller_execution_id(client: ConformanceClient) -> None:
    response = execute_legacy(
        client,
        demo.SLOW_ID,
        {"minutes": 2},
        headers={"X-Execution-Mode": "async", "X-Execution-Id": "desk-legacy-async-1"},
    )
    assert response.status_code == 202
    assert response.json()["executionId"] == "desk-legacy-async-1"


def test_self_hosted_job_ids_contain_a_colon(make_client: ClientFactory, sb: RunningSandbox) -> None:
    """The default, as tests/fixtures/sim-0.8.9/async-execute.body has it."""
    client = make_client(sb)
    receipt = execute_legacy(client, demo.SLOW_ID, {}, headers={"X-Execution-Mode": "async"}).json()
    assert receipt["jobId"] == f"workflow-execution:{receipt['executionId']}"
    job = client.get(f"/api/jobs/{receipt['jobId']}")
    assert (job.status_code, job.json()["taskId"]) == (200, receipt["jobId"])


@pytest.mark.parametrize(
    ("headers", "body", "message"),
    [
        ({}, {"triggerType": "manual"}, "External callers cannot override triggerType"),
        # tests/fixtures/sim-0.8.9/timeout-hdr-sync.body
        ({"X-Execution-Timeout-Seconds": "60"}, {}, "X-Execution-Timeout-Seconds is supported only for async runs"),
        (
            {"X-Execution-Mode": "async"},
            {"selectedOutputs": ["Echo.message"]},
            "Async execution does not support draft or override execution controls",
        ),
        ({}, {"stream": "yes"}, "Invalid request body"),
    ],
)
def test_execute_validation_errors(
    client: ConformanceClient, headers: dict[str, Any], body: dict[str, Any], message: str
) -> None:
    response = execute_legacy(client, demo.ECHO_ID, body, headers=headers)
    assert (response.status_code, legacy_error(response)) == (400, message)


def test_execute_invalid_json(client: ConformanceClient) -> None:
    response = client.post(
        f"/api/workflows/{demo.ECHO_ID}/execute", content=b"{nope", headers={"Content-Type": "application/json"}
    )
    assert (response.status_code, response.json()) == (400, {"error": "Invalid JSON in request body"})


def test_execute_no_key_on_unknown_workflow_is_401(make_client: ClientFactory, sb: RunningSandbox) -> None:
    response = execute_legacy(make_client(sb, key=None), "3b1f7c92-0000-4a6b-9c0d-0000000000ff")
    assert (response.status_code, response.json()) == (401, {"error": "Unauthorized"})


def test_execute_public_workflow(make_client: ClientFactory, sb: RunningSandbox) -> None:
    anonymous = make_client(sb, key=None)
    assert execute_legacy(anonymous, demo.PUBLIC_ID, {"x": 1}).json()["output"]["pong"] is True
    queued = execute_legacy(anonymous, demo.PUBLIC_ID, {}, headers={"X-Execution-Mode": "async"})
    assert (queued.status_code, legacy_error(queued)) == (401, "Unauthorized")
    bad_key = execute_legacy(make_client(sb, key="sk-sim-wrong"), demo.PUBLIC_ID)
    assert (bad_key.status_code, legacy_error(bad_key)) == (401, "Invalid API key")


# --- jobs and executions -----------------------------------------------------------------------


def test_job_errors_carry_upper_snake_codes(make_client: ClientFactory, sb: RunningSandbox) -> None:
    unknown = make_client(sb).get("/api/jobs/run_nope")
    assert (unknown.status_code, unknown.json()) == (404, {"error": "Task not found", "code": "TASK_NOT_FOUND"})
    bad = make_client(sb, key="sk-sim-wrong").get("/api/jobs/run_nope")
    assert (bad.status_code, bad.json()) == (401, {"error": "Invalid API key", "code": "INVALID_API_KEY"})
    none = make_client(sb, key=None).get("/api/jobs/run_nope")
    assert none.status_code == 401 and none.json()["code"] in ("UNAUTHORIZED", "AUTHENTICATION_REQUIRED")


def test_execution_status_selected_outputs(client: ConformanceClient, sb: RunningSandbox) -> None:
    receipt = execute_legacy(client, demo.SLOW_ID, {"minutes": 1}, headers={"X-Execution-Mode": "async"}).json()
    advance(sb, 61.5)
    url = f"/api/workflows/{demo.SLOW_ID}/executions/{receipt['executionId']}"
    status = client.get(url, params={"selectedOutputs": "b-step-03.progress,b-step-12"}).json()
    assert status["status"] == "completed"
    assert status["blockOutputs"]["b-step-03.progress"]["done"] == 3
    assert status["blockOutputs"]["b-step-12"]["rows"] == 12_000
    assert status["finalOutput"] is None  # only with includeOutput=true
    assert status["cost"]["total"] > 0 and status["totalDurationMs"] == 60_000
    unknown = client.get(f"/api/workflows/{demo.SLOW_ID}/executions/never-ran")
    assert (unknown.status_code, legacy_error(unknown)) == (404, "Execution not found")


def test_execution_status_of_a_paused_run(client: ConformanceClient) -> None:
    paused = execute_legacy(client, demo.APPROVAL_ID, {"amount": 10}).json()
    status = client.get(f"/api/workflows/{demo.APPROVAL_ID}/executions/{paused['executionId']}").json()
    assert status["status"] == "paused"
    assert status["paused"]["pauseKind"] == "human"
    assert status["paused"]["pausedExecutionId"]


# --- workflow status, usage limits, paused executions ----------------------------------------


def test_workflow_status(client: ConformanceClient) -> None:
    echo = client.get(f"/api/workflows/{demo.ECHO_ID}/status").json()
    assert echo["isDeployed"] is True and ISO_MS.match(echo["deployedAt"]) and echo["needsRedeployment"] is False
    assert client.get(f"/api/workflows/{demo.RESEARCH_ID}/status").json()["needsRedeployment"] is True
    draft = client.get(f"/api/workflows/{demo.UNDEPLOYED_ID}/status").json()
    assert (draft["isDeployed"], draft["deployedAt"]) == (False, None)


def test_workflow_status_errors(make_client: ClientFactory, sb: RunningSandbox) -> None:
    none = make_client(sb, key=None).get(f"/api/workflows/{demo.ECHO_ID}/status")
    assert (none.status_code, none.json()) == (401, {"error": "Unauthorized"})
    scope = make_client(sb, key=demo.WORKSPACE_KEY).get(f"/api/workflows/{demo.TRIAGE_ID}/status")
    # the 404 quotes the request id (tests/fixtures/sim-0.8.9/wskey-foreign-status.body)
    expected = {"error": "Workflow not found", "code": "WORKFLOW_NOT_FOUND", "requestId": scope.headers["x-request-id"]}
    assert (scope.status_code, scope.json()) == (404, expected)


def test_usage_limits(client: ConformanceClient) -> None:
    before = client.get("/api/users/me/usage-limits").json()
    sync = before["rateLimit"]["sync"]
    assert (sync["requestsPerMinute"], sync["maxBurst"]) == (50, 100)
    assert (before["rateLimit"]["async"]["requestsPerMinute"], before["rateLimit"]["authType"]) == (200, "api")
    assert (before["usage"]["plan"], before["usage"]["limit"]) == ("free", 20)
    execute_legacy(client, demo.ECHO_ID)
    after = client.get("/api/users/me/usage-limits").json()["rateLimit"]["sync"]
    assert after["remaining"] == sync["remaining"] - 1
    assert after["isLimited"] is False


def test_usage_limits_auth_failures(make_client: ClientFactory, sb: RunningSandbox) -> None:
    expected = {"error": "Authentication required", "code": "AUTHENTICATION_REQUIRED"}
    for key in (None, "sk-sim-wrong"):
        response = make_client(sb, key=key).get("/api/users/me/usage-limits")
        assert (response.status_code, response.json()) == (401, expected)


@pytest.fixture
def paused_run(client: ConformanceClient) -> dict[str, Any]:
    return dict(execute_legacy(client, demo.APPROVAL_ID, {"amount": 99}).json())


def test_paused_routes_not_found(client: ConformanceClient, paused_run: dict[str, Any]) -> None:
    missing = client.get(f"/api/workflows/{demo.APPROVAL_ID}/paused/never-paused")
    assert (missing.status_code, legacy_error(missing)) == (404, "Paused execution not found")
    via_resume = client.get(f"/api/resume/{demo.APPROVAL_ID}/{paused_run['executionId']}")
    assert via_resume.status_code == 200 and via_resume.json()["executionId"] == paused_run["executionId"]
    context = client.get(f"/api/resume/{demo.APPROVAL_ID}/{paused_run['executionId']}/wrong-context")
    assert (context.status_code, legacy_error(context)) == (404, "Pause context not found")


def test_absolute_urls_use_the_public_url(make_client: ClientFactory, make_sandbox: SandboxFactory) -> None:
    client = make_client(make_sandbox(public_url="https://sim.example.com/"))
    receipt = execute_legacy(client, demo.SLOW_ID, {}, headers={"X-Execution-Mode": "async"}).json()
    assert receipt["statusUrl"] == f"https://sim.example.com/api/jobs/{receipt['jobId']}"
    run = client.post(f"/api/v2/workflows/{demo.SLOW_ID}/execute", json={"async": True}).json()["data"]
    assert run["statusUrl"].startswith("https://sim.example.com/api/v2/workflows/")


def test_resume_of_an_async_legacy_run_is_a_202_receipt(client: ConformanceClient, sb: RunningSandbox) -> None:
    paused = execute_legacy(client, demo.APPROVAL_ID, {"amount": 7}, headers={"X-Execution-Mode": "async"}).json()
    advance(sb, 5)
    listed = client.get(f"/api/workflows/{demo.APPROVAL_ID}/paused").json()["pausedExecutions"]
    point = next(p for p in listed if p["executionId"] == paused["executionId"])["pausePoints"][0]
    response = client.post(point["resumeLinks"]["apiUrl"].removeprefix(sb.base_url), json={"approved": True})
    assert response.status_code == 202
    receipt = response.json()
    assert receipt["async"] is True and receipt["executionId"] != paused["executionId"]
    advance(sb, 5)
    job = client.get(f"/api/jobs/{receipt['jobId']}").json()
    assert (job["status"], job["output"]["output"]["booked"]) == ("completed", True)


ID_RULE = "Execution ID can only contain letters, numbers, dots, underscores, colons, and hyphens"


@pytest.mark.parametrize(
    ("headers", "detail"),
    [
        # Sim's header schema words each rule (the first as tests/fixtures/sim-0.8.9/exec-id-invalid.body)
        ({"X-Execution-Id": "bad id!"}, ID_RULE),
        ({"X-Execution-Id": "x" * 129}, "Execution ID too long"),
        ({**ASYNC_MODE, "X-Execution-Timeout-Seconds": "1.5"}, "Execution timeout must be a whole number of seconds"),
        ({**ASYNC_MODE, "X-Execution-Timeout-Seconds": "0"}, "Execution timeout must be positive"),
        ({**ASYNC_MODE, "X-Execution-Timeout-Seconds": "604801"}, "Execution timeout cannot exceed 604800 seconds"),
    ],
)
def test_execute_header_errors_name_the_rule(client: ConformanceClient, headers: dict[str, str], detail: str) -> None:
    response = execute_legacy(client, demo.ECHO_ID, {}, headers=headers)
    body = response.json()
    error = "Invalid execution ID header" if "X-Execution-Id" in headers else "Invalid execution timeout header"
    assert (response.status_code, body["error"], [d["message"] for d in body["details"]]) == (400, error, [detail])
