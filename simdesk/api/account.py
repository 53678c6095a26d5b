"""Logs, usage, billing, health and the "Test connection" check (CONTRACT §9, §11, §13)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

from simdesk.api import parse_catalogue, wire
from simdesk.api.errors import AuthenticationError, FeatureUnavailableError, SimError
from simdesk.api.messages import user_message
from simdesk.api.pages import pages
from simdesk.api.query import build
from simdesk.api.responses import object_of
from simdesk.api.session import Session
from simdesk.api.urls import segment
from simdesk.core.rates import ASYNC_EXECUTIONS, SYNC_EXECUTIONS, RateLimitState
from simdesk.core.runs import Surface
from simdesk.core.usage import (
    BillingStatus,
    ConnectionCheck,
    ExecutionLimit,
    Health,
    LogEntry,
    UsageLimits,
)

LOG_FILTERS = {
    "workflow_ids": "workflowIds",
    "folder_paths": "folderPaths",
    "triggers": "triggers",
    "level": "level",
    "start_date": "startDate",
    "end_date": "endDate",
    "min_duration_ms": "minDurationMs",
    "max_duration_ms": "maxDurationMs",
    "min_cost": "minCost",
    "max_cost": "maxCost",
    "model": "model",
    "run_id": "runId",
    "details": "details",
    "include_trace_spans": "includeTraceSpans",
    "include_final_output": "includeFinalOutput",
    "order": "order",
    "page_size": "limit",
}


class Account:
    """The account operations of :class:`simdesk.api.SimClient` (see its methods for docs)."""

    def __init__(self, session: Session) -> None:
        self.s = session

    def list_logs(self, workspace_id: str, filters: Mapping[str, Any]) -> AsyncIterator[LogEntry]:
        params = {"workspaceId": workspace_id, **build(filters, LOG_FILTERS, what="list_logs")}

        async def generate() -> AsyncIterator[LogEntry]:
            async for page in pages(self.s, "/api/v2/logs", params, "v2 logs.list", feature="Logs"):
                for item in page:
                    yield parse_catalogue.log_entry(item)

        return generate()

    async def get_log(self, run_id: str) -> LogEntry:
        data = await self.s.v2_data(f"/api/v2/logs/{segment(run_id)}", bucket="v2 logs.get", feature="Logs")
        return parse_catalogue.log_entry(data)

    async def get_usage_limits(self) -> UsageLimits:
        reply = await self.s.call("GET", "/api/users/me/usage-limits", bucket=None)
        usage = parse_catalogue.usage_limits(object_of(reply))
        for bucket, limit in ((SYNC_EXECUTIONS, usage.sync), (ASYNC_EXECUTIONS, usage.async_)):
            if limit is not None:
                self.s.rate_limits.update(_execution_state(bucket, limit))
        return usage

    async def get_billing_status(self, workspace_id: str | None) -> BillingStatus:
        params = {"workspaceId": workspace_id} if workspace_id else None
        data = await self.s.v2_data(
            "/api/v2/billing/status", bucket="v2 billing.status", feature="Billing status", params=params
        )
        return parse_catalogue.billing_status(data)

    async def health(self) -> Health:
        reply = await self.s.call("GET", "/api/health", bucket=None)
        return parse_catalogue.health(reply.json())

    async def check_connection(self, on_step: Callable[[str], None] | None = None) -> ConnectionCheck:
        """Health → key → v2 detection, each step reported; never raises a :class:`SimError`.

        ``on_step`` hears each step as it begins ("Reaching the server…"), for a progress line.
        """
        step = on_step or (lambda _text: None)
        step("Reaching the server…")
        try:
            health = await self.health()
        except SimError as exc:
            return ConnectionCheck(False, None, None, None, None, user_message(exc), exc)
        if not health.ok:
            return ConnectionCheck(False, None, None, None, None, "The server says it is not healthy.")
        if not self.s.has_key:
            return ConnectionCheck(
                True,
                None,
                None,
                None,
                None,
                "The server answers. Without an API key only public workflows can run.",
            )
        step("Checking the API key…")
        try:
            plan = (await self.get_usage_limits()).plan
        except SimError as exc:
            valid = False if isinstance(exc, AuthenticationError) else None
            return ConnectionCheck(True, valid, None, None, None, user_message(exc), exc)
        step("Looking for the v2 API…")
        try:
            listed = await self.s.v2_data(
                "/api/v2/workspaces", bucket="v2 workspaces.list", feature="Listing workspaces", params={"limit": "100"}
            )
            count: int | None = len(wire.items(listed, "workspace list"))
        except FeatureUnavailableError:
            count = None
        except SimError as exc:
            return ConnectionCheck(True, True, None, plan, None, user_message(exc), exc)
        surface: Surface = "v2" if count is not None else "legacy"
        return ConnectionCheck(True, True, surface, plan, count, _summary(surface, plan, count))


def _summary(surface: Surface, plan: str | None, count: int | None) -> str:
    facts = [f"{plan} plan"] if plan else []
    if count is not None:
        facts.append(f"{count} workspace{'s' if count != 1 else ''}")
    head = "Connected to Sim" + (f" ({', '.join(facts)})" if facts else "") + "."
    if surface == "legacy":
        head += " This server has the v2 API switched off: workflows run by id, but browsing and logs are unavailable."
    return head


def _execution_state(bucket: str, limit: ExecutionLimit) -> RateLimitState:
    return RateLimitState(
        bucket=bucket,
        limit=limit.max_burst,
        remaining=limit.remaining,
        reset_at=limit.reset_at,
        observed_at=time.time(),
        per_minute=limit.per_minute,
    )
