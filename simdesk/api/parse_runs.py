"""Reading runs, receipts, jobs and cancel answers from either surface into :mod:`simdesk.core.runs`.

The legacy surface reports the same runs as v2 in other words (CONTRACT §4, §7): ``executionId``
for ``runId``, an error *string* instead of ``{code, message}``, ``finalOutput`` for ``output``,
``metadata.duration`` for ``durationMs``. Each reader here takes one shape.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from simdesk.api import wire
from simdesk.api.urls import segment
from simdesk.core.runs import (
    AsyncReceipt,
    CancelResult,
    Job,
    PauseInfo,
    ResponseBlockReply,
    Run,
    RunError,
    RunResult,
    RunStatus,
)

_TIMEOUT_PREFIX = "Execution timed out"


def v2_status_url(base_url: str, workflow_id: str, run_id: str) -> str:
    """Where a v2 run can be polled, built from our base URL (not the server's idea of itself)."""
    return f"{base_url}/api/v2/workflows/{segment(workflow_id)}/runs/{segment(run_id)}"


def legacy_status_url(base_url: str, workflow_id: str, run_id: str, job_id: str | None) -> str:
    """Where a legacy run can be polled: its job if it has one, else its execution resource."""
    if job_id:
        return f"{base_url}/api/jobs/{segment(job_id)}"
    return f"{base_url}/api/workflows/{segment(workflow_id)}/executions/{segment(run_id)}"


def run_error(value: Any) -> RunError | None:
    """A v2 ``{code, message, block…}`` error, or a legacy string, as :class:`RunError`."""
    if isinstance(value, str) and value:
        code = "TIMEOUT" if value.startswith(_TIMEOUT_PREFIX) else None
        return RunError(message=value, code=code)
    error = wire.obj(value)
    if not error:
        return None
    return RunError(
        message=wire.text(error.get("message")) or wire.text(error.get("code")) or "The run failed",
        code=wire.text(error.get("code")),
        block_id=wire.text(error.get("blockId")),
        block_name=wire.text(error.get("blockName")),
        block_type=wire.text(error.get("blockType")),
    )


def result_v2(data: Any, *, workflow_id: str, run_id: str, request_id: str | None = None) -> RunResult:
    """A v2 sync (or resume) result: ``{runId, status, output, error, startedAt, …}``."""
    body = wire.obj(data)
    return RunResult(
        run_id=wire.text(body.get("runId")) or run_id,
        workflow_id=wire.text(body.get("workflowId")) or workflow_id,
        status=RunStatus.parse(body.get("status")),
        output=body.get("output"),
        error=run_error(body.get("error")),
        started_at=wire.when(body.get("startedAt")),
        ended_at=wire.when(body.get("endedAt")),
        duration_ms=wire.number(body.get("durationMs")),
        surface="v2",
        request_id=request_id,
    )


def is_legacy_result(body: Any) -> bool:
    """True for the legacy execute envelope ``{success, executionId?, output?, error?, …}``."""
    return isinstance(body, dict) and isinstance(body.get("success"), bool)


def result_legacy(
    body: Mapping[str, Any], *, workflow_id: str, run_id: str, request_id: str | None = None
) -> RunResult:
    """A legacy sync result; ``success:false`` (HTTP 200, 408 or 500) is a failed run."""
    metadata = wire.obj(body.get("metadata"))
    success = body.get("success") is True
    status = RunStatus.parse(body.get("status"))
    if status is RunStatus.UNKNOWN:
        status = RunStatus.COMPLETED if success else RunStatus.FAILED
    error = run_error(body.get("error"))
    if error is None and not success:
        error = RunError("The run failed")
    return RunResult(
        run_id=wire.text(body.get("executionId")) or run_id,
        workflow_id=workflow_id,
        status=status,
        output=body.get("output"),
        error=error,
        started_at=wire.when(metadata.get("startTime")),
        ended_at=wire.when(metadata.get("endTime")),
        duration_ms=wire.number(metadata.get("duration")),
        surface="legacy",
        request_id=request_id,
    )


def result_response_block(
    status: int,
    headers: Mapping[str, str],
    data: Any,
    *,
    workflow_id: str,
    run_id: str,
    request_id: str | None = None,
) -> RunResult:
    """A legacy reply shaped by a Response block: arbitrary JSON, status and headers."""
    reply = ResponseBlockReply(status=status, headers=dict(headers), data=data)
    return RunResult(
        run_id=run_id,
        workflow_id=workflow_id,
        status=RunStatus.COMPLETED,
        output=data,
        surface="legacy",
        response=reply,
        request_id=request_id,
    )


def result_from_run(run: Run) -> RunResult:
    """A polled run as a result (after reconciling a lost answer)."""
    return RunResult(
        run_id=run.run_id,
        workflow_id=run.workflow_id,
        status=run.status,
        output=run.output,
        error=run.error,
        started_at=run.started_at,
        ended_at=run.ended_at,
        duration_ms=run.duration_ms,
        surface=run.surface,
    )


def receipt_v2(data: Any, *, base_url: str, workflow_id: str, run_id: str) -> AsyncReceipt:
    """A v2 202: ``{runId, statusUrl, queuePosition?}``."""
    body = wire.obj(data)
    rid = wire.text(body.get("runId")) or run_id
    return AsyncReceipt(
        run_id=rid,
        workflow_id=workflow_id,
        status_url=v2_status_url(base_url, workflow_id, rid),
        queue_position=wire.integer(body.get("queuePosition")),
        surface="v2",
    )


def receipt_legacy(body: Mapping[str, Any], *, base_url: str, workflow_id: str, run_id: str) -> AsyncReceipt:
    """A legacy 202 ``{jobId, executionId, statusUrl, …}`` or a queued resume."""
    rid = wire.text(body.get("executionId")) or run_id
    job_id = wire.text(body.get("jobId"))
    return AsyncReceipt(
        run_id=rid,
        workflow_id=workflow_id,
        status_url=legacy_status_url(base_url, workflow_id, rid, job_id),
        job_id=job_id,
        queue_position=wire.integer(body.get("queuePosition")),
        surface="legacy",
    )


def pause_info(value: Any) -> PauseInfo | None:
    """The ``paused`` block of a polled run."""
    body = wire.obj(value)
    if not body:
        return None
    return PauseInfo(
        context_id=wire.text(body.get("contextId")),
        paused_at=wire.when(body.get("pausedAt")),
        resume_at=wire.when(body.get("resumeAt")),
        kind=wire.text(body.get("pauseKind")),
        blocked_on_block_id=wire.text(body.get("blockedOnBlockId")),
    )


def run_v2(data: Any, *, workflow_id: str | None = None) -> Run:
    """A v2 run (``get_run`` or a ``list_runs`` item)."""
    body = wire.obj(data)
    return Run(
        run_id=wire.required(body, "runId", "run"),
        workflow_id=wire.text(body.get("workflowId")) or workflow_id or "",
        status=RunStatus.parse(body.get("status")),
        trigger=wire.text(body.get("trigger")),
        started_at=wire.when(body.get("startedAt")),
        ended_at=wire.when(body.get("endedAt")),
        duration_ms=wire.number(body.get("durationMs")),
        cost=wire.number(wire.obj(body.get("cost")).get("total")),
        error=run_error(body.get("error")),
        output=body.get("output"),
        block_outputs=body.get("blockOutputs") if isinstance(body.get("blockOutputs"), dict) else None,
        paused=pause_info(body.get("paused")),
        surface="v2",
    )


def run_legacy(body: Mapping[str, Any], *, workflow_id: str) -> Run:
    """A legacy execution resource (``/api/workflows/{id}/executions/{executionId}``)."""
    return Run(
        run_id=wire.required(body, "executionId", "execution"),
        workflow_id=wire.text(body.get("workflowId")) or workflow_id,
        status=RunStatus.parse(body.get("status")),
        trigger=wire.text(body.get("trigger")),
        started_at=wire.when(body.get("startedAt")),
        ended_at=wire.when(body.get("endedAt")),
        duration_ms=wire.number(body.get("totalDurationMs")),
        cost=wire.number(wire.obj(body.get("cost")).get("total")),
        error=run_error(body.get("error")),
        output=body.get("finalOutput"),
        block_outputs=body.get("blockOutputs") if isinstance(body.get("blockOutputs"), dict) else None,
        paused=pause_info(body.get("paused")),
        surface="legacy",
    )


def cancel_result(data: Any, *, run_id: str) -> CancelResult:
    """A cancel answer from either surface (same fields)."""
    body = wire.obj(data)
    return CancelResult(
        run_id=wire.text(body.get("runId")) or wire.text(body.get("executionId")) or run_id,
        success=body.get("success") is True,
        reason=wire.text(body.get("reason")),
        durably_recorded=body.get("durablyRecorded") is True,
    )


def job(body: Mapping[str, Any], *, job_id: str) -> Job:
    """A legacy job; its ``output`` wraps the workflow's output (``output.output``)."""
    metadata = wire.obj(body.get("metadata"))
    correlation = wire.obj(metadata.get("correlation"))
    wrapper = body.get("output")
    inner = wire.obj(wrapper)
    return Job(
        job_id=wire.text(body.get("taskId")) or job_id,
        status=RunStatus.parse(body.get("status")),
        run_id=wire.text(correlation.get("executionId")) or wire.text(inner.get("executionId")),
        workflow_id=wire.text(metadata.get("workflowId")) or wire.text(inner.get("workflowId")),
        output=inner.get("output") if "output" in inner else wrapper,
        run_success=inner.get("success") if isinstance(inner.get("success"), bool) else None,
        error=wire.text(body.get("error")) or wire.text(inner.get("error")),
        metadata=metadata,
    )
