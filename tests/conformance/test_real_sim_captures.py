"""The sandbox answers as the real Sim v0.8.9 did: each test names the capture it follows.

The captures live in ``tests/fixtures/sim-0.8.9/`` (read by :mod:`tests.support.captures`; the
``redis/`` variant wins where both exist, as Sim's compose file runs Redis). Each test sends the
sandbox the request that was sent to Sim, over loopback, and compares the status, the JSON shape
(keys and value types; ids, times and costs left as their types) and the exact wording of errors.
The sandbox's demo workflows stand in for the captured ones: Echo for the Start-only echo
workflow, Flaky Fetch for the one whose HTTP block fails, Slow Report for the Wait workflows and
Webhook Responder for the Response-block workflow.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from simdesk.sandbox import demo
from simdesk.sandbox.clock import RealClock
from simdesk.sandbox.server import RunningSandbox
from tests.support.captures import Capture, load, shape
from tests.support.conformance import (
    ClientFactory,
    ConformanceClient,
    SandboxFactory,
    advance,
    data,
    execute_legacy,
    execute_v2,
    poll_until,
)

ASYNC = {"X-Execution-Mode": "async"}


def _output_free(body: dict[str, Any]) -> dict[str, Any]:
    """``body`` less its workflow output, which depends on the workflow, not on the server."""
    return {k: v for k, v in body.items() if k not in ("output", "finalOutput")}


# --- 2, 3. a client that goes away cancels the run; a cancelled run has no error and a cost -----


@pytest.fixture
def realtime_sb(make_sandbox: SandboxFactory) -> RunningSandbox:
    return make_sandbox(clock=RealClock())


@pytest.mark.parametrize("capture", ["slow-sync-disconnect-status", "slow-stream-disconnect-status"])
def test_disconnect_cancels_the_run(make_client: ClientFactory, realtime_sb: RunningSandbox, capture: str) -> None:
    run_id = f"desk-{capture}"
    impatient = make_client(realtime_sb, timeout=httpx.Timeout(5.0, read=0.3))
    body = {"minutes": 1, "stream": True} if "stream" in capture else {"minutes": 1}
    try:  # a stream's headers may come at once or only with its first output: either way the client leaves
        with impatient.stream(
            "POST", f"/api/workflows/{demo.SLOW_ID}/execute", json=body, headers={"X-Execution-Id": run_id}
        ):
            pass
    except httpx.ReadTimeout:
        pass
    client = make_client(realtime_sb)
    status = poll_until(
        lambda: client.get(f"/api/workflows/{demo.SLOW_ID}/executions/{run_id}").json(),
        lambda r: r["status"] != "running",
    )
    real = load(capture).json()
    assert shape(status) == shape(real)
    assert (status["status"], status["level"], status["error"]) == ("cancelled", "info", None)
    assert status["cost"] == real["cost"] == {"total": 0.005}


def test_cancelled_v2_run_has_no_error_and_a_cost(client: ConformanceClient, sb: RunningSandbox) -> None:
    run_id = data(execute_v2(client, demo.SLOW_ID, {"input": {"minutes": 1}, "async": True}))["runId"]
    advance(sb, 3)
    base = f"/api/v2/workflows/{demo.SLOW_ID}/runs/{run_id}"
    running = client.get(base)
    assert shape(data(running)) == shape(load("slow-v2-run-running").json()["data"])
    first, again = client.post(f"{base}/cancel"), client.post(f"{base}/cancel")
    for answer, capture in ((first, "slow-v2-cancel"), (again, "slow-v2-cancel-again")):
        real = load(capture).json()["data"]
        assert shape(data(answer)) == shape(real)
        assert {k: v for k, v in data(answer).items() if k != "runId"} == {
            k: v for k, v in real.items() if k != "runId"
        }
    after = data(client.get(base))
    real = load("slow-v2-run-after-cancel").json()["data"]
    assert shape(after) == shape(real)
    assert (after["status"], after["error"], after["cost"]) == ("cancelled", None, {"total": 0.005})


# --- 4. a block failing during a stream: error frame, then [DONE], no final ---------------------


@pytest.mark.parametrize(
    ("capture", "url", "body"),
    [
        ("fail-legacy-stream", f"/api/workflows/{demo.FAILING_ID}/execute", {"stream": True}),
        ("fail-v2-stream", f"/api/v2/workflows/{demo.FAILING_ID}/execute", {"stream": True, "input": {}}),
    ],
)
def test_failing_block_ends_the_stream_with_an_error_frame(
    client: ConformanceClient, capture: str, url: str, body: dict[str, Any]
) -> None:
    response = client.post(url, json=body)
    real = load(capture)
    assert response.status_code == real.status == 200
    frames = client.sse(response).frames
    assert shape(frames) == shape(real.frames())
    assert frames[-1] == "[DONE]" and frames[0]["event"] == "error"
    assert frames[0]["error"].startswith("HTTP 1: ") and real.frames()[0]["error"].startswith("HTTP 1: ")


@pytest.mark.parametrize(
    ("capture", "url", "body"),
    [
        ("fail-legacy-sync", f"/api/workflows/{demo.FAILING_ID}/execute", {}),
        ("fail-v2-sync", f"/api/v2/workflows/{demo.FAILING_ID}/execute", {"input": {}}),
    ],
)
def test_failed_sync_run(client: ConformanceClient, capture: str, url: str, body: dict[str, Any]) -> None:
    response = client.post(url, json=body)
    real = load(capture)
    assert response.status_code == real.status
    assert shape(response.json()) == shape(real.json())
    ours, theirs = response.json().get("data", response.json()), real.json().get("data", real.json())
    assert ours["output"] == theirs["output"] == {}
    if capture == "fail-v2-sync":  # the block's own message, its name apart
        assert (ours["error"]["message"], theirs["error"]["message"][:4]) == ("502 from upstream", "HTTP")
        assert ours["error"]["blockName"] == theirs["error"]["blockName"] == "HTTP 1"


# --- 5, 10. legacy async jobs: workflow-execution ids; a failed workflow fails the job ----------


def test_failed_legacy_async_job_reads_failed(client: ConformanceClient, sb: RunningSandbox) -> None:
    receipt = execute_legacy(client, demo.FAILING_ID, {}, headers=ASYNC)
    real_receipt = load("fail-legacy-async")
    assert receipt.status_code == real_receipt.status == 202
    assert shape(receipt.json()) == shape(real_receipt.json())
    advance(sb, 5)
    job = client.get(f"/api/jobs/{receipt.json()['jobId']}").json()
    real = load("fail-job-poll").json()
    assert shape(job) == shape(real)
    assert (job["status"], job["output"]) == (real["status"], real["output"]) == ("failed", None)
    assert job["error"] == "HTTP 1: 502 from upstream"
    assert job["metadata"]["correlation"]["requestId"] == receipt.headers["x-request-id"]


@pytest.mark.parametrize("encode_colon", [False, True])
def test_legacy_job_ids_and_their_status(client: ConformanceClient, sb: RunningSandbox, encode_colon: bool) -> None:
    receipt = execute_legacy(client, demo.ECHO_ID, {"message": "hello async"}, headers=ASYNC)
    body, real = receipt.json(), load("async-execute").json()
    assert shape(body) == shape(real)
    assert body["jobId"] == f"workflow-execution:{body['executionId']}"
    assert body["statusUrl"] == f"{sb.base_url}/api/jobs/{body['jobId']}"
    advance(sb, 5)
    job_id = body["jobId"].replace(":", "%3A") if encode_colon else body["jobId"]
    job = client.get(f"/api/jobs/{job_id}").json()
    real_job = load("job-poll").json()
    assert shape(job) == shape(real_job)
    assert job["output"]["output"] == real_job["output"]["output"] == {"message": "hello async"}
    assert "maxDurationSeconds" not in job["metadata"]


def test_running_legacy_job_has_null_output(client: ConformanceClient, sb: RunningSandbox) -> None:
    body = execute_legacy(client, demo.SLOW_ID, {"minutes": 1}, headers=ASYNC).json()
    advance(sb, 3)
    job = client.get(f"/api/jobs/{body['jobId']}").json()
    real = load("slow-legacy-job-running").json()
    assert shape(job) == shape(real)
    assert (job["status"], job["output"]) == ("processing", None)


# --- 6. selected outputs of non-agent blocks come in the final frame only ----------------------


@pytest.mark.parametrize(
    ("capture", "workflow_id", "selector", "block_id", "body"),
    [
        ("stream-select", demo.ECHO_ID, "Start.message", "b-start", {"message": "hello stream °✓"}),
        ("resp-legacy-stream-sel", demo.RESPONDER_ID, "Response.data", "b-response", {}),
    ],
)
def test_selected_non_agent_outputs_only_in_final(
    client: ConformanceClient, capture: str, workflow_id: str, selector: str, block_id: str, body: dict[str, Any]
) -> None:
    response = execute_legacy(client, workflow_id, {**body, "stream": True, "selectedOutputs": [selector]})
    frames = client.sse(response).frames
    real = load(capture).frames()
    assert [f.get("event") if isinstance(f, dict) else f for f in frames] == ["final", "[DONE]"]
    (real_block,) = real[0]["data"]["output"].values()
    assert list(frames[0]["data"]["output"]) == [block_id]
    ours = frames[0]["data"]["output"][block_id]
    assert set(ours) == set(real_block)  # {"<path>": value}
    if capture == "stream-select":  # the same input as the capture's, so the same value
        assert ours == real_block


def test_v2_selected_start_output(client: ConformanceClient) -> None:
    body = {"input": {"message": "sel"}, "stream": True, "selectedOutputs": ["Start.message"]}
    frames = client.sse(execute_v2(client, demo.ECHO_ID, body)).frames
    (real_block,) = load("v2-stream-selected").frames()[0]["data"]["output"].values()
    assert frames[0] == {"event": "final", "data": {"success": True, "output": {"b-start": real_block}}}


# --- 7, 8. the Start block's output; fractional sync durations ---------------------------------


@pytest.mark.parametrize(
    ("capture", "body"),
    [
        ("sync-execute", {"message": "hello real sim"}),
        ("sync-empty-body", None),
        ("sync-input-wrapped", {"input": {"message": "wrapped"}}),
        ("sync-body-async-true", {"message": "m", "async": True}),
    ],
)
def test_legacy_sync_echo_is_the_start_output(client: ConformanceClient, capture: str, body: Any) -> None:
    url = f"/api/workflows/{demo.ECHO_ID}/execute"
    response = client.post(url) if body is None else client.post(url, json=body)
    real = load(capture)
    assert response.status_code == real.status
    assert shape(response.json()) == shape(real.json())
    assert response.json()["output"] == real.json()["output"]
    assert isinstance(response.json()["metadata"]["duration"], float)


def test_v2_sync_result(client: ConformanceClient) -> None:
    response = execute_v2(client, demo.ECHO_ID, {"input": {"message": "hello v2"}})
    real = load("v2-execute-sync").json()
    assert shape(data(response)) == shape(real["data"])
    assert data(response)["output"] == real["data"]["output"]
    assert isinstance(data(response)["durationMs"], float)


# --- 9. trace spans ----------------------------------------------------------------------------


def test_log_trace_spans_nest_under_one_root(client: ConformanceClient) -> None:
    run_id = data(execute_v2(client, demo.ECHO_ID, {"input": {"message": "hello v2"}}))["runId"]
    (root,) = data(client.get(f"/api/v2/logs/{run_id}"))["traceSpans"]
    (real_root,) = load("v2-log-one").json()["data"]["traceSpans"]
    assert set(root) == set(real_root)
    assert {k: root[k] for k in ("id", "name", "type", "status")} == {
        k: real_root[k] for k in ("id", "name", "type", "status")
    }
    start = root["children"][0]
    real_start = real_root["children"][0]
    assert set(start) == set(real_start)
    assert shape({k: v for k, v in start.items() if k not in ("input", "output")}) == shape(
        {k: v for k, v in real_start.items() if k not in ("input", "output")}
    )
    assert start["output"] == real_start["output"] == {"message": "hello v2"}
    assert re.fullmatch(r"b-start-\d{13}", start["id"]) and re.fullmatch(
        rf"{real_start['blockId']}-\d{{13}}", real_start["id"]
    )


# --- 11. with Redis (the default), cancel answers as the sandbox always did -----------------------------------


def test_cancel_of_a_completed_run_with_redis(client: ConformanceClient) -> None:
    run_id = data(execute_v2(client, demo.ECHO_ID))["runId"]
    answer = data(client.post(f"/api/v2/workflows/{demo.ECHO_ID}/runs/{run_id}/cancel"))
    real = load("v2-cancel-completed")
    assert real.name == "v2-cancel-completed" and real.json()["data"]["redisAvailable"] is True  # the redis/ variant
    assert {k: v for k, v in answer.items() if k != "runId"} == {
        k: v for k, v in real.json()["data"].items() if k != "runId"
    }


def test_legacy_cancel_of_a_running_job_with_redis(client: ConformanceClient, sb: RunningSandbox) -> None:
    body = execute_legacy(client, demo.SLOW_ID, {"minutes": 1}, headers=ASYNC).json()
    advance(sb, 3)
    answer = client.post(f"/api/workflows/{demo.SLOW_ID}/executions/{body['executionId']}/cancel").json()
    real = load("slow-legacy-cancel").json()
    assert {k: v for k, v in answer.items() if k != "executionId"} == {
        k: v for k, v in real.items() if k != "executionId"
    }
    job = client.get(f"/api/jobs/{body['jobId']}").json()
    real_job = load("slow-legacy-job-after-cancel").json()
    assert shape(job) == shape(real_job)
    assert (job["status"], job["output"], job["error"]) == ("cancelled", None, "Cancelled")


# --- 11. without Redis (--no-redis), the answers recorded before Redis ran -------------------------


@pytest.fixture
def no_redis_sb(make_sandbox: SandboxFactory) -> RunningSandbox:
    return make_sandbox(redis=False)


def test_v2_cancel_without_redis(make_client: ClientFactory, no_redis_sb: RunningSandbox) -> None:
    client = make_client(no_redis_sb)
    done = data(execute_v2(client, demo.ECHO_ID))["runId"]
    completed = data(client.post(f"/api/v2/workflows/{demo.ECHO_ID}/runs/{done}/cancel"))
    slow = data(execute_v2(client, demo.SLOW_ID, {"input": {"minutes": 1}, "async": True}))["runId"]
    advance(no_redis_sb, 3)
    base = f"/api/v2/workflows/{demo.SLOW_ID}/runs/{slow}"
    first, again = data(client.post(f"{base}/cancel")), data(client.post(f"{base}/cancel"))
    for answer, capture in (
        (completed, "v2-cancel-completed"),
        (first, "slow-v2-cancel"),
        (again, "slow-v2-cancel-again"),
    ):
        real = load(capture, redis=False).json()["data"]
        assert {k: v for k, v in answer.items() if k != "runId"} == {k: v for k, v in real.items() if k != "runId"}
    assert data(client.get(base))["status"] == "cancelled"


def test_legacy_cancel_without_redis(make_client: ClientFactory, no_redis_sb: RunningSandbox) -> None:
    client = make_client(no_redis_sb)
    body = execute_legacy(client, demo.SLOW_ID, {"minutes": 1}, headers=ASYNC).json()
    advance(no_redis_sb, 3)
    answer = client.post(f"/api/workflows/{demo.SLOW_ID}/executions/{body['executionId']}/cancel").json()
    real = load("slow-legacy-cancel", redis=False).json()
    assert {k: v for k, v in answer.items() if k != "executionId"} == {
        k: v for k, v in real.items() if k != "executionId"
    }
    status = client.get(f"/api/workflows/{demo.SLOW_ID}/executions/{body['executionId']}").json()
    assert shape(status) == shape(load("slow-legacy-exec-after-cancel", redis=False).json())
    assert (status["status"], status["error"]) == ("cancelled", None)


def test_usage_limits_of_an_empty_bucket_without_redis(
    make_client: ClientFactory, make_sandbox: SandboxFactory
) -> None:
    client = make_client(make_sandbox(redis=False, self_hosted=True))
    answers = [execute_legacy(client, demo.ECHO_ID).status_code for _ in range(101)]  # the sync bucket holds 100
    assert answers[-1] == 429
    usage = client.get("/api/users/me/usage-limits").json()
    real = load("rl-usage-when-empty", redis=False).json()
    assert shape(usage) == shape(real)
    assert (usage["rateLimit"]["sync"]["remaining"], usage["rateLimit"]["sync"]["isLimited"]) == (-1, False)
    with_redis = load("rl-usage-when-empty").json()["rateLimit"]["sync"]
    assert (with_redis["remaining"], with_redis["isLimited"]) == (0, True)  # what the default sandbox says


# --- 12. error wording -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("capture", "body"),
    [
        ("v2-unknown-field", {"input": {}, "bogus": 1}),
        ("v2-input-string", {"input": "just text"}),
        ("v2-timeout-noasync", {"input": {}, "executionTimeoutSeconds": 60}),
        ("v2-async-stream", {"input": {}, "async": True, "stream": True}),
    ],
)
def test_v2_body_errors_word_as_sim(client: ConformanceClient, capture: str, body: dict[str, Any]) -> None:
    response = execute_v2(client, demo.ECHO_ID, body)
    real = load(capture)
    assert (response.status_code, response.json()) == (real.status, real.json())


@pytest.mark.parametrize(
    ("capture", "headers", "body"),
    [
        ("timeout-hdr-sync", {"X-Execution-Timeout-Seconds": "60"}, {}),
        ("exec-id-invalid", {"X-Execution-Id": "bad id!"}, {}),
        ("stream-thinking-noproto", {}, {"stream": True, "includeThinking": True}),
        ("trigger-type-override", {}, {"triggerType": "manual"}),
    ],
)
def test_legacy_execute_errors_word_as_sim(
    client: ConformanceClient, capture: str, headers: dict[str, str], body: dict[str, Any]
) -> None:
    response = execute_legacy(client, demo.ECHO_ID, body, headers=headers)
    real = load(capture)
    assert (response.status_code, response.json()) == (real.status, real.json())


def test_v2_thinking_without_protocol_words_as_legacy(client: ConformanceClient) -> None:
    """v2 shares the legacy route's text for the missing protocol header (stream-thinking-noproto.body)."""
    body = {"input": {}, "stream": True, "includeThinking": True}
    response = execute_v2(client, demo.RESEARCH_ID, body)
    assert (response.status_code, response.json()["error"]["message"]) == (
        400,
        load("stream-thinking-noproto").json()["error"],
    )


def test_workflow_status_404_quotes_the_request_id(make_client: ClientFactory, sb: RunningSandbox) -> None:
    response = make_client(sb, key=demo.WORKSPACE_KEY).get(f"/api/workflows/{demo.TRIAGE_ID}/status")
    real = load("wskey-foreign-status")
    assert response.status_code == real.status == 404
    assert shape(response.json()) == shape(real.json())
    assert response.json()["requestId"] == response.headers["x-request-id"]
    assert real.json()["requestId"] == real.header("x-request-id")


# --- 13. headers -------------------------------------------------------------------------------

NOT_COMPARED = {"date", "connection", "keep-alive", "x-request-id", "x-run-id", "x-ratelimit-reset"}


def _static_headers(headers: list[tuple[str, str]], origin: str) -> list[tuple[str, str]]:
    return [
        (k, v.replace(origin, "<origin>")) for k, v in headers if k not in NOT_COMPARED and k != "x-ratelimit-remaining"
    ]


@pytest.mark.parametrize(
    ("capture", "method", "url", "body"),
    [
        ("sync-execute", "POST", f"/api/workflows/{demo.ECHO_ID}/execute", {"message": "x"}),
        ("v2-execute-sync", "POST", f"/api/v2/workflows/{demo.ECHO_ID}/execute", {"input": {"message": "x"}}),
        ("v2-workspaces", "GET", "/api/v2/workspaces", None),
        ("stream-header", "POST", f"/api/workflows/{demo.ECHO_ID}/execute", {"stream": True}),
    ],
)
def test_headers_as_sim_sends_them(
    client: ConformanceClient, sb: RunningSandbox, capture: str, method: str, url: str, body: Any
) -> None:
    response = client.request(method, url, json=body)
    response.read()
    real = load(capture)
    ours = _static_headers([(k.decode().lower(), v.decode()) for k, v in response.headers.raw], sb.base_url)
    theirs = _static_headers(real.headers, "http://127.0.0.1:3000")
    assert sorted(ours) == sorted(theirs)
    assert re.fullmatch(r"[0-9a-f]{8}", response.headers["x-request-id"])
    assert re.fullmatch(r"[0-9a-f]{8}", real.header("x-request-id") or "")


def test_response_block_answer_carries_every_server_header(client: ConformanceClient) -> None:
    with client.allow("legacy-response-block"):
        response = execute_legacy(client, demo.RESPONDER_ID, {"who": "desk"})
    real = load("resp-legacy-sync")
    assert response.status_code == real.status == 201
    assert response.headers["x-demo-responder"] == "yes" and real.header("x-custom") == "yes"
    server = {k for k, _ in real.headers} - {"x-custom", "date", "connection", "keep-alive"}
    assert server <= {k.lower() for k in response.headers}


# --- 14. billing off ---------------------------------------------------------------------------


def test_self_hosted_reports_sims_billing_off_limits(make_client: ClientFactory, make_sandbox: SandboxFactory) -> None:
    client = make_client(make_sandbox(self_hosted=True))
    execute_legacy(client, demo.ECHO_ID)  # spend is not recorded without billing
    usage = client.get("/api/users/me/usage-limits").json()
    real = load("usage-limits").json()
    assert shape(usage) == shape(real)
    assert usage["usage"] == real["usage"] == {"currentPeriodCost": 0, "limit": 99999, "plan": "free"}
    sync, real_sync = usage["rateLimit"]["sync"], real["rateLimit"]["sync"]
    assert (sync["requestsPerMinute"], sync["maxBurst"]) == (real_sync["requestsPerMinute"], real_sync["maxBurst"])
    billing = data(client.get("/api/v2/billing/status", params={"workspaceId": demo.WS_DEMO}))
    real_billing = load("v2-billing").json()["data"]
    assert shape(billing) == shape(real_billing)
    assert billing["credits"] == real_billing["credits"] == {"used": 0, "limit": 200000, "remaining": 200000}
    assert (billing["plan"], billing["period"]) == (real_billing["plan"], real_billing["period"])


# --- 15. unknown v2 paths ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"), [("GET", "/api/v2/nothing-here"), ("POST", "/api/v2/a/b/c"), ("GET", "/api/v2")]
)
def test_unknown_v2_paths_answer_json(make_client: ClientFactory, sb: RunningSandbox, method: str, path: str) -> None:
    response = make_client(sb, key=None).request(method, path)
    real: Capture = load("v2-unknown-path")
    assert (response.status_code, response.json()) == (real.status, real.json())
    assert response.headers["cache-control"] == real.header("cache-control") == "private, no-store"
