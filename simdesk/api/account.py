"""Logs, usage, billing, health and the "Test connection" check (sim-api.md §9, §11, §13)."""

from __future__ import annotations

import time
from collections.abc import AsyncGenerator, Callable, Sequence
from datetime import date, datetime
from typing import Any, Literal, TypedDict

from simdesk.api import parse_catalogue, wire
from simdesk.api.catalogue import V1_BUCKET
from simdesk.api.errors import AuthenticationError, FeatureUnavailableError, NotFoundError, SimError
from simdesk.api.messages import user_message
from simdesk.api.pages import AsyncPager, Fetch, fetcher, gated, walk
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


class LogFilters(TypedDict, total=False):
    """The filters Sim's log list takes (``GET /api/v2/logs``), each optional; ``None`` or blank
    leaves one out. Lists are sent comma-separated, dates as UTC ISO 8601 with ``Z``."""

    workflow_ids: Sequence[str] | None
    folder_paths: Sequence[str] | None
    triggers: Sequence[str] | None  # lower-case, e.g. "api", "manual", "schedule"; "all" turns it off
    level: Literal["info", "error"] | None
    start_date: datetime | date | None
    end_date: datetime | date | None
    min_duration_ms: int | None
    max_duration_ms: int | None
    min_cost: float | None  # USD
    max_cost: float | None
    model: str | None
    run_id: str | None
    details: Literal["basic", "full"] | None
    include_trace_spans: bool | None
    include_final_output: bool | None
    order: Literal["asc", "desc"] | None
    page_size: int | None  # Sim's ``limit``: 1 to 1000 a page


# LogFilters' names → the query parameters
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


# /api/v1/logs (servers with v2 switched off): folders by id only, the run id is `executionId`
V1_LOG_FILTERS = {k: v for k, v in LOG_FILTERS.items() if k != "folder_paths"} | {"run_id": "executionId"}


class Account:
    """The account operations of :class:`simdesk.api.SimClient` (see its methods for docs)."""

    def __init__(self, session: Session) -> None:
        self.s = session

    def list_logs(self, workspace_id: str, filters: LogFilters) -> AsyncPager[LogEntry]:
        params = {"workspaceId": workspace_id, **build(filters, LOG_FILTERS, what="list_logs")}
        v2 = fetcher(self.s, "/api/v2/logs", params, "v2 logs.list")

        async def first_v2() -> tuple[bool, Any]:
            return True, await v2(None)

        def v1() -> Fetch:
            if filters.get("folder_paths"):
                raise FeatureUnavailableError(
                    "Filtering logs by folder needs Sim's v2 API, which is switched off on this server"
                )
            v1_params = {"workspaceId": workspace_id, **build(filters, V1_LOG_FILTERS, what="list_logs")}
            return fetcher(self.s, "/api/v1/logs", v1_params, V1_BUCKET)

        async def first_v1() -> tuple[bool, Any]:
            return False, await v1()(None)

        async def generate() -> AsyncGenerator[LogEntry, None]:
            # the first page settles the surface; a cursor only makes sense on the route that made it
            on_v2, first = await self.s.either(first_v2, first_v1, feature="Logs")
            if on_v2:
                async for page in walk(gated(self.s, v2, "Logs"), first, "/api/v2/logs"):
                    for item in page:
                        yield parse_catalogue.log_entry(item)
                return
            async for page in walk(v1(), first, "/api/v1/logs"):
                for item in page:
                    yield parse_catalogue.v1_log_entry(item)

        return generate()

    async def get_log(self, run_id: str, workspace_id: str | None = None) -> LogEntry:
        async def from_v2() -> LogEntry:
            data = await self.s.v2_data(f"/api/v2/logs/{segment(run_id)}", bucket="v2 logs.get", feature="Logs")
            return parse_catalogue.log_entry(data)

        async def from_v1() -> LogEntry:
            if workspace_id is None:
                raise FeatureUnavailableError(
                    "Opening a run's log without its workspace needs Sim's v2 API, which is switched off on this server"
                )
            found = self.list_logs(workspace_id, {"run_id": run_id, "details": "full", "include_trace_spans": True,
                                                  "include_final_output": True})  # fmt: skip
            async for entry in found:
                return entry
            raise NotFoundError(f"No log of run {run_id} in this workspace", status=404)

        return await self.s.either(from_v2, from_v1, feature="Logs")

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
