"""The official Python SDK (``simstudio-sdk`` from PyPI) against the sandbox (issue 2, item 5).

The SDK 0.2.x only speaks v2 (plus the legacy status, jobs and usage routes, CONTRACT §14), is
synchronous (``requests``) and has no streaming. If it is not installed, the ``sdk`` fixture
installs it from PyPI into the running interpreter; only a failure for want of a network skips.

Every response the SDK receives also goes through the conformance checks: a ``requests``
response hook on the SDK's session feeds it to the same validator as the checked httpx client.
The sandbox runs on a ManualClock; the tests move it between polls.
"""

from __future__ import annotations

import importlib
import re
import subprocess
import sys
from collections.abc import Iterator
from types import ModuleType, SimpleNamespace
from typing import Any

import httpx
import pytest

from benchmarks import sandbox_process
from simdesk.sandbox import demo
from simdesk.sandbox.clock import parse_iso
from simdesk.sandbox.server import RunningSandbox
from tests.conformance.contract import check_headers
from tests.conformance.openapi import Exchange, OpenAPIValidator
from tests.support.conformance import ClientFactory, advance, execute_legacy

NO_NETWORK = re.compile(
    r"Could not fetch URL|NewConnectionError|Temporary failure in name resolution|Network is unreachable|"
    r"No matching distribution found|Failed to establish a new connection|ConnectTimeout|ProxyError",
)


@pytest.fixture(scope="session")
def sdk() -> ModuleType:
    """``import simstudio``, installing ``simstudio-sdk`` from PyPI first if it is missing."""
    try:
        return importlib.import_module("simstudio")
    except ImportError:
        pass
    result = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--disable-pip-version-check", "simstudio-sdk>=0.2.1"],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if result.returncode != 0:
        output = result.stdout + result.stderr
        if NO_NETWORK.search(output):
            pytest.skip(f"simstudio-sdk is not installed and PyPI is unreachable:\n{output[-800:]}")
        pytest.fail(f"pip install simstudio-sdk failed:\n{output[-2000:]}")
    importlib.invalidate_caches()
    return importlib.import_module("simstudio")


class SdkWatcher:
    """Checks every response the SDK's ``requests`` session receives, and remembers them."""

    def __init__(self, validator: OpenAPIValidator) -> None:
        self.validator = validator
        self.responses: list[Any] = []

    def __call__(self, response: Any, *args: Any, **kwargs: Any) -> Any:
        self.responses.append(response)
        request = response.request
        path = httpx.URL(request.url).path
        media = response.headers.get("content-type", "").split(";")[0].strip().lower()
        body = response.json() if media == "application/json" else None
        exchange = Exchange(
            method=request.method,
            path=path,
            status=response.status_code,
            headers=httpx.Headers(dict(response.headers)),
            body=body,
            request_headers=httpx.Headers(dict(request.headers)),
        )
        problems = self.validator.validate(exchange) + check_headers(exchange)
        assert not problems, "response to the SDK does not conform:\n  " + "\n  ".join(problems)
        return response

    @property
    def last(self) -> Any:
        return self.responses[-1]


@pytest.fixture
def watcher(openapi: OpenAPIValidator) -> SdkWatcher:
    return SdkWatcher(openapi)


@pytest.fixture
def sim(sdk: ModuleType, sb: RunningSandbox, watcher: SdkWatcher) -> Iterator[Any]:
    client = sdk.SimStudioClient(api_key=demo.DEMO_KEY, base_url=sb.base_url + "/")
    client._session.hooks["response"].append(watcher)
    yield client
    client.close()


def test_sdk_is_the_v2_generation(sdk: ModuleType) -> None:
    major, minor = (int(p) for p in sdk.__version__.split(".")[:2])
    assert (major, minor) >= (0, 2)  # 0.1.x spoke only the legacy surface


def test_execute_workflow_sync_echo(sim: Any, watcher: SdkWatcher) -> None:
    payload = {"message": "hello from the SDK", "nested": {"n": [1, 2, 3]}, "unicode": "14°C 🌊"}
    result = sim.execute_workflow(demo.ECHO_ID, payload)
    assert result.success is True and result.status == "completed"
    assert result.output == payload
    assert result.error is None
    assert result.metadata["runId"] == watcher.last.headers["x-run-id"]
    assert watcher.last.request.method == "POST"
    assert httpx.URL(watcher.last.request.url).path == f"/api/v2/workflows/{demo.ECHO_ID}/execute"


def test_execute_workflow_non_dict_input_is_wrapped(sim: Any) -> None:
    # the Start block adds its declared field, empty (tests/fixtures/sim-0.8.9/sync-empty-body.body)
    assert sim.execute_workflow(demo.ECHO_ID, "plain text").output == {"message": "", "input": "plain text"}


def test_sdk_cannot_consume_a_stream(sim: Any, sdk: ModuleType, watcher: SdkWatcher) -> None:
    # §14: the SDK forwards stream:true, buffers the SSE body and fails to parse it as JSON
    with pytest.raises(sdk.SimStudioError) as error:
        sim.execute_workflow(demo.STORY_ID, {"words": 5}, stream=True, selected_outputs=["Storyteller.content"])
    assert error.value.code == "EXECUTION_ERROR"
    assert watcher.last.headers["content-type"].startswith("text/event-stream")
    assert watcher.last.text.endswith('data: "[DONE]"\n\n')


def test_execute_workflow_failed_run_returns_normally(sim: Any) -> None:
    result = sim.execute_workflow(demo.FAILING_ID, {"url": "https://example.invalid"})
    # the v2 sync result names the block apart from its message (tests/fixtures/sim-0.8.9/fail-v2-sync.body)
    assert (result.success, result.status, result.error) == (False, "failed", "502 from upstream")


def test_async_receipt_then_get_workflow_run_until_done(sim: Any, sb: RunningSandbox) -> None:
    receipt = sim.execute_workflow(demo.SLOW_ID, {"minutes": 1}, async_execution=True)
    assert receipt.success is True and receipt.async_execution is True
    assert receipt.status_url == f"{sb.base_url}/api/v2/workflows/{demo.SLOW_ID}/runs/{receipt.run_id}"
    seen = []
    for _ in range(20):
        run = sim.get_workflow_run(demo.SLOW_ID, receipt.run_id)
        seen.append(run["status"])
        if run["status"] in ("completed", "failed", "cancelled"):
            break
        advance(sb, 15)
    assert seen[0] == "queued" and "running" in seen and seen[-1] == "completed"
    final = sim.get_workflow_run(demo.SLOW_ID, receipt.run_id, include_output=True, selected_outputs=["b-step-12"])
    assert final["output"]["progress"]["percent"] == 100
    assert final["blockOutputs"]["b-step-12"]["rows"] == 12_000


def test_get_job_status_on_a_legacy_job(
    sim: Any, sdk: ModuleType, sb: RunningSandbox, make_client: ClientFactory
) -> None:
    # the SDK only starts v2 runs; a legacy job comes from a raw legacy async execute
    raw = execute_legacy(make_client(sb), demo.SLOW_ID, {"minutes": 1}, headers={"X-Execution-Mode": "async"})
    job_id = raw.json()["jobId"]
    pending = sim.get_job_status(job_id)
    assert (pending["taskId"], pending["status"]) == (job_id, "pending")
    advance(sb, 62)
    done = sim.get_job_status(job_id)
    assert done["status"] == "completed"
    assert done["output"]["output"]["progress"]["done"] == 12
    with pytest.raises(sdk.SimStudioError, match="Task not found") as missing:
        sim.get_job_status("run_does_not_exist")
    assert (missing.value.code, missing.value.status) == ("TASK_NOT_FOUND", 404)


def test_get_workflow_status_and_validate_workflow(sim: Any) -> None:
    status = sim.get_workflow_status(demo.ECHO_ID)
    assert status.is_deployed is True and status.needs_redeployment is False
    assert parse_iso(status.deployed_at) > 0
    assert sim.validate_workflow(demo.ECHO_ID) is True
    assert sim.validate_workflow(demo.UNDEPLOYED_ID) is False
    assert sim.validate_workflow("3b1f7c92-0000-4a6b-9c0d-0000000000ff") is False


def test_get_usage_limits(sim: Any) -> None:
    limits = sim.get_usage_limits()
    assert limits.success is True
    assert limits.rate_limit["sync"]["requestsPerMinute"] == 50
    assert limits.rate_limit["async"]["maxBurst"] == 400
    assert limits.rate_limit["authType"] == "api"
    assert limits.usage["plan"] == "free" and limits.usage["limit"] == 20


def test_get_rate_limit_info_after_a_v2_call(sim: Any, watcher: SdkWatcher) -> None:
    assert sim.get_rate_limit_info() is None
    sim.execute_workflow(demo.ECHO_ID, {"message": "count me"})
    info = sim.get_rate_limit_info()
    headers = watcher.last.headers
    assert info.limit == int(headers["x-ratelimit-limit"]) == 60
    assert info.remaining == int(headers["x-ratelimit-remaining"]) == 59
    assert info.reset == int(parse_iso(headers["x-ratelimit-reset"]) * 1000)  # the SDK keeps epoch ms
    assert info.retry_after is None


def test_execute_with_retry_through_a_429(
    sim: Any, sdk: ModuleType, sb: RunningSandbox, watcher: SdkWatcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    slept: list[float] = []
    # the SDK calls time.sleep(Retry-After × jitter); give its module a time that only records
    monkeypatch.setattr(sdk, "time", SimpleNamespace(sleep=slept.append))
    sb.faults.update({"storm_429": 1})
    result = sim.execute_with_retry(demo.ECHO_ID, {"message": "eventually"})
    assert result.success is True and result.output == {"message": "eventually"}
    statuses = [r.status_code for r in watcher.responses]
    assert statuses == [429, 200]
    retry_after = int(watcher.responses[0].headers["retry-after"])
    assert len(slept) == 1
    assert 0.75 * retry_after <= slept[0] <= 1.25 * retry_after  # the SDK jitters Retry-After ±25 %


def test_execute_with_retry_gives_up_after_max_retries(
    sim: Any, sdk: ModuleType, sb: RunningSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    slept: list[float] = []
    monkeypatch.setattr(sdk, "time", SimpleNamespace(sleep=slept.append))
    sb.faults.update({"storm_429": 5})
    with pytest.raises(sdk.SimStudioError) as error:
        sim.execute_with_retry(demo.ECHO_ID, {}, max_retries=2)
    assert (error.value.code, error.value.status) == ("RATE_LIMIT_EXCEEDED", 429)
    assert len(slept) == 2


def test_sdk_on_a_gated_server_gets_not_found(sdk: ModuleType, gated_sb: RunningSandbox, watcher: SdkWatcher) -> None:
    client = sdk.SimStudioClient(api_key=demo.DEMO_KEY, base_url=gated_sb.base_url)
    client._session.hooks["response"].append(watcher)
    with client, pytest.raises(sdk.SimStudioError) as error:
        client.execute_workflow(demo.ECHO_ID, {})
    assert (error.value.code, error.value.status, str(error.value)) == ("NOT_FOUND", 404, "Not found")


# --- the CLI sandbox, as the "done when" runs it ----------------------------------------


@pytest.fixture
def cli_sandbox(request: pytest.FixtureRequest) -> Iterator[str]:
    """``simdesk sandbox --port N --api-key sk-sim-demo [extra flags]`` in a subprocess; yields its URL."""
    flags: list[str] = getattr(request, "param", [])
    with sandbox_process(*flags) as url:
        yield url


def test_cli_sandbox_answers_the_sdk(sdk: ModuleType, cli_sandbox: str, watcher: SdkWatcher) -> None:
    with sdk.SimStudioClient(api_key=demo.DEMO_KEY, base_url=cli_sandbox) as client:
        client._session.hooks["response"].append(watcher)
        assert client.execute_workflow(demo.ECHO_ID, {"message": "via the CLI"}).output == {"message": "via the CLI"}
        assert client.get_rate_limit_info().limit == 60
        assert client.validate_workflow(demo.ECHO_ID) is True
        assert client.get_usage_limits().usage["plan"] == "free"


@pytest.mark.parametrize("cli_sandbox", [["--no-v2"]], indirect=True)
def test_cli_sandbox_no_v2_reproduces_the_gate(sdk: ModuleType, cli_sandbox: str, watcher: SdkWatcher) -> None:
    with sdk.SimStudioClient(api_key=demo.DEMO_KEY, base_url=cli_sandbox) as client:
        client._session.hooks["response"].append(watcher)
        with pytest.raises(sdk.SimStudioError) as error:
            client.execute_workflow(demo.ECHO_ID, {})
        assert (error.value.code, error.value.status) == ("NOT_FOUND", 404)
        assert client.get_workflow_status(demo.ECHO_ID).is_deployed is True  # legacy still answers
