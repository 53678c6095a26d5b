"""v2's transient ``redacting``: a finished async run reads so until its outcome is recorded (CONTRACT.md §7.3, §17).

Sim masks a finished run's log before it writes the outcome, end time and cost; until then the
run's status is ``redacting``. The sandbox does this when started with ``redacting_s``; every
response here is also checked against the OpenAPI text by the conformance client.
"""

from __future__ import annotations

from typing import Any

import pytest

from simdesk.sandbox import demo
from simdesk.sandbox.clock import parse_iso
from simdesk.sandbox.server import RunningSandbox
from tests.support.conformance import (
    ClientFactory,
    ConformanceClient,
    SandboxFactory,
    advance,
    data,
    execute_legacy,
    execute_v2,
)

REDACTING_S = 2.0
# echo: 1 s queued, 0.05 s of work; at 1.5 s it has finished and is being masked until 3.05 s
WORK_DONE_S = 1.5


@pytest.fixture
def redacting_sb(make_sandbox: SandboxFactory) -> RunningSandbox:
    return make_sandbox(redacting_s=REDACTING_S)


def _start(client: ConformanceClient, workflow_id: str) -> str:
    return str(data(execute_v2(client, workflow_id, {"input": {"n": 1}, "async": True}))["runId"])


def _run(client: ConformanceClient, workflow_id: str, run_id: str) -> dict[str, Any]:
    response = client.get(f"/api/v2/workflows/{workflow_id}/runs/{run_id}", params={"includeOutput": "true"})
    return dict(data(response))


def test_a_finished_async_run_reads_redacting_then_completed(
    redacting_sb: RunningSandbox, make_client: ClientFactory
) -> None:
    client = make_client(redacting_sb)
    queued_at = redacting_sb.clock.now()
    run_id = _start(client, demo.ECHO_ID)
    advance(redacting_sb, WORK_DONE_S)
    masking = _run(client, demo.ECHO_ID, run_id)
    assert masking["status"] == "redacting"
    # nothing of the outcome is recorded yet
    assert [masking[k] for k in ("endedAt", "durationMs", "cost", "output", "error")] == [None] * 5
    advance(redacting_sb, REDACTING_S - 0.5)
    assert _run(client, demo.ECHO_ID, run_id)["status"] == "redacting"
    advance(redacting_sb, 0.1)
    done = _run(client, demo.ECHO_ID, run_id)
    assert done["status"] == "completed" and done["output"] == {"message": "", "n": 1}
    # the recorded end is when the work ended, not when the masking did
    assert done["durationMs"] == 50
    assert parse_iso(done["endedAt"]) == pytest.approx(queued_at + 1.05, abs=0.002)


def test_run_lists_and_logs_report_redacting_and_failures_are_masked_too(
    redacting_sb: RunningSandbox, make_client: ClientFactory
) -> None:
    client = make_client(redacting_sb)
    run_id = _start(client, demo.FAILING_ID)  # fails after 0.5 s of work
    advance(redacting_sb, 2.0)
    listed = data(client.get(f"/api/v2/workflows/{demo.FAILING_ID}/runs"))
    assert [item["status"] for item in listed if item["runId"] == run_id] == ["redacting"]
    log = data(client.get(f"/api/v2/logs/{run_id}"))
    assert (log["status"], log["endedAt"]) == ("redacting", None)
    advance(redacting_sb, REDACTING_S)
    failed = _run(client, demo.FAILING_ID, run_id)
    assert failed["status"] == "failed" and failed["error"]["code"] == "EXECUTION_FAILED"


def test_legacy_routes_report_a_redacting_run_as_still_running(
    redacting_sb: RunningSandbox, make_client: ClientFactory
) -> None:
    client = make_client(redacting_sb)
    receipt = execute_legacy(client, demo.ECHO_ID, {"n": 1}, headers={"X-Execution-Mode": "async"}).json()
    execution = f"/api/workflows/{demo.ECHO_ID}/executions/{receipt['executionId']}"
    job = f"/api/jobs/{receipt['jobId']}"
    advance(redacting_sb, WORK_DONE_S)
    # §7.2 has no `redacting`: the execution has no end recorded yet, and the job has not returned
    masking = client.get(execution).json()
    assert (masking["status"], masking["endedAt"]) == ("running", None)
    assert client.get(job).json()["status"] == "processing"
    advance(redacting_sb, REDACTING_S)
    assert client.get(execution).json()["status"] == "completed"
    assert client.get(job).json()["status"] == "completed"


def test_sync_runs_and_a_default_sandbox_never_report_redacting(
    redacting_sb: RunningSandbox, sb: RunningSandbox, make_client: ClientFactory
) -> None:
    masked = make_client(redacting_sb)
    answered = data(execute_v2(masked, demo.ECHO_ID, {"input": {"n": 1}}))
    assert _run(masked, demo.ECHO_ID, answered["runId"])["status"] == "completed"
    plain = make_client(sb)
    run_id = _start(plain, demo.ECHO_ID)
    advance(sb, WORK_DONE_S)
    assert _run(plain, demo.ECHO_ID, run_id)["status"] == "completed"
