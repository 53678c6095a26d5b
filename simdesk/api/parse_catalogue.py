"""Reading catalogue, usage, billing, log and health answers into :mod:`simdesk.core` types."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from simdesk.api import parse_spans, wire
from simdesk.core.catalogue import (
    Deployment,
    Folder,
    WorkflowDetail,
    WorkflowInput,
    WorkflowStatus,
    WorkflowSummary,
    Workspace,
)
from simdesk.core.runs import RunStatus
from simdesk.core.usage import BillingStatus, ExecutionLimit, Health, LogEntry, UsageLimits


def workspace(data: Any) -> Workspace:
    """A ``/api/v2/workspaces`` item."""
    body = wire.obj(data)
    return Workspace(
        id=wire.required(body, "id", "workspace"),
        name=wire.text(body.get("name")) or "",
        color=wire.text(body.get("color")),
        logo_url=wire.text(body.get("logoUrl")),
        member_count=wire.integer(body.get("memberCount")),
        created_at=wire.when(body.get("createdAt")),
        updated_at=wire.when(body.get("updatedAt")),
    )


def folder(data: Any) -> Folder:
    """A ``/api/v2/workflows/folders`` item."""
    body = wire.obj(data)
    return Folder(
        name=wire.text(body.get("name")) or "",
        path=wire.required(body, "path", "folder"),
        parent_path=wire.text(body.get("parentPath")),
        locked=wire.flag(body.get("locked")),
        created_at=wire.when(body.get("createdAt")),
        updated_at=wire.when(body.get("updatedAt")),
    )


def workflow_summary(data: Any) -> WorkflowSummary:
    """A ``/api/v2/workflows`` item (also the head of a workflow detail)."""
    body = wire.obj(data)
    return WorkflowSummary(
        id=wire.required(body, "id", "workflow"),
        name=wire.text(body.get("name")) or "",
        workspace_id=wire.text(body.get("workspaceId")) or "",
        folder_path=wire.text(body.get("folderPath")) or "/",
        description=wire.text(body.get("description")),
        is_deployed=wire.flag(body.get("isDeployed")),
        deployed_at=wire.when(body.get("deployedAt")),
        run_count=wire.integer(body.get("runCount")) or 0,
        last_run_at=wire.when(body.get("lastRunAt")),
        created_at=wire.when(body.get("createdAt")),
        updated_at=wire.when(body.get("updatedAt")),
    )


def v1_workflow_summary(data: Any) -> WorkflowSummary:
    """A ``/api/v1/workflows`` item. v1 names a workflow's folder by id only (``folderId``), so
    ``folder_path`` is ``"/"`` at the root and ``""`` (unknown) inside a folder."""
    body = wire.obj(data)
    summary = workflow_summary(body)
    return replace(summary, folder_path="") if wire.text(body.get("folderId")) else summary


def workflow_detail(data: Any) -> WorkflowDetail:
    """``/api/v2/workflows/{id}``: the summary plus ``inputs`` and ``variables``."""
    body = wire.obj(data)
    declared = body.get("inputs")
    inputs = tuple(
        WorkflowInput(
            name=wire.text(item.get("name")) or "",
            type=wire.text(item.get("type")) or "string",
            description=wire.text(item.get("description")),
        )
        for item in (declared if isinstance(declared, list) else ())
        if isinstance(item, dict)
    )
    return WorkflowDetail(summary=workflow_summary(body), inputs=inputs, variables=wire.obj(body.get("variables")))


def deployment(data: Any, *, workflow_id: str) -> Deployment:
    """``/api/v2/workflows/{id}/deployment``."""
    body = wire.obj(data)
    active = wire.obj(body.get("activeDeployment"))
    attempt = wire.obj(body.get("latestDeploymentAttempt"))
    warnings = body.get("warnings")
    return Deployment(
        workflow_id=wire.text(body.get("id")) or workflow_id,
        is_deployed=wire.flag(body.get("isDeployed")),
        deployed_at=wire.when(body.get("deployedAt")),
        needs_redeployment=wire.flag(body.get("needsRedeployment")),
        version=wire.integer(active.get("version")),
        warnings=tuple(str(w) for w in warnings) if isinstance(warnings, list) else (),
        latest_attempt_status=wire.text(attempt.get("status")),
    )


def workflow_status(data: Any) -> WorkflowStatus:
    """Legacy ``/api/workflows/{id}/status``."""
    body = wire.obj(data)
    return WorkflowStatus(
        is_deployed=wire.flag(body.get("isDeployed")),
        deployed_at=wire.when(body.get("deployedAt")),
        needs_redeployment=wire.flag(body.get("needsRedeployment")),
    )


def _execution_limit(data: Any) -> ExecutionLimit | None:
    body = wire.obj(data)
    if not body:
        return None
    return ExecutionLimit(
        per_minute=wire.integer(body.get("requestsPerMinute")),
        max_burst=wire.integer(body.get("maxBurst")),
        remaining=wire.integer(body.get("remaining")),
        reset_at=wire.when(body.get("resetAt")),
        is_limited=wire.flag(body.get("isLimited")),
    )


def usage_limits(data: Any) -> UsageLimits:
    """``/api/users/me/usage-limits``."""
    body = wire.obj(data)
    rate = wire.obj(body.get("rateLimit"))
    usage = wire.obj(body.get("usage"))
    storage = wire.obj(body.get("storage"))
    return UsageLimits(
        sync=_execution_limit(rate.get("sync")),
        async_=_execution_limit(rate.get("async")),
        auth_type=wire.text(rate.get("authType")),
        plan=wire.text(usage.get("plan")),
        current_period_cost=wire.number(usage.get("currentPeriodCost")),
        cost_limit=wire.number(usage.get("limit")),
        storage_used_bytes=wire.integer(storage.get("usedBytes")),
        storage_limit_bytes=wire.integer(storage.get("limitBytes")),
    )


def billing_status(data: Any) -> BillingStatus:
    """``/api/v2/billing/status``."""
    body = wire.obj(data)
    period = wire.obj(body.get("period"))
    credits = wire.obj(body.get("credits"))
    return BillingStatus(
        workspace_id=wire.text(body.get("workspaceId")),
        plan=wire.text(body.get("plan")),
        status=wire.text(body.get("status")),
        period_start=wire.when(period.get("start")),
        period_end=wire.when(period.get("end")),
        credits_used=wire.number(credits.get("used")),
        credits_limit=wire.number(credits.get("limit")),
        credits_remaining=wire.number(credits.get("remaining")),
    )


def log_entry(data: Any) -> LogEntry:
    """A ``/api/v2/logs`` item or a ``/api/v2/logs/{runId}`` detail."""
    body = wire.obj(data)
    workflow = wire.obj(body.get("workflow"))
    spans = body.get("traceSpans")
    return LogEntry(
        run_id=wire.required(body, "runId", "log entry"),
        workflow_id=wire.text(body.get("workflowId")) or wire.text(workflow.get("id")),
        status=RunStatus.parse(body.get("status")),
        level=wire.text(body.get("level")),
        trigger=wire.text(body.get("trigger")),
        started_at=wire.when(body.get("startedAt")),
        ended_at=wire.when(body.get("endedAt")),
        duration_ms=wire.number(body.get("totalDurationMs")),
        cost=wire.number(wire.obj(body.get("cost")).get("total")),
        workflow_name=wire.text(workflow.get("name")),
        final_output=body.get("finalOutput"),
        trace_spans=tuple(s for s in spans if isinstance(s, dict)) if isinstance(spans, list) else (),
        spans=parse_spans.spans(spans),
        raw=body,
    )


def v1_log_entry(data: Any) -> LogEntry:
    """A ``/api/v1/logs`` item: the run id is ``executionId`` and there is no status, only the
    level (a row is written when the run ends: ``error`` is a failed run, else it completed)."""
    body = wire.obj(data)
    run_id = wire.required(body, "executionId", "v1 log entry")
    status = "failed" if body.get("level") == "error" else "completed"
    return replace(log_entry({**body, "runId": run_id, "status": status}), raw=body)


def health(data: Any) -> Health:
    """``/api/health``."""
    body = wire.obj(data)
    return Health(ok=body.get("status") == "ok", timestamp=wire.when(body.get("timestamp")))
