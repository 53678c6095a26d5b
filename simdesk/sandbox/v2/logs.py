"""Execution logs with their trace spans (``/api/v2/logs``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.responses import Response

from simdesk.sandbox import logbook
from simdesk.sandbox.clock import iso
from simdesk.sandbox.model import Workflow
from simdesk.sandbox.runs import cost_of, duration_ms
from simdesk.sandbox.state import Run, SandboxState
from simdesk.sandbox.v2.admission import (
    Ctx,
    V2Error,
    bad_request,
    bool_param,
    choice_param,
    date_range,
    ordered,
    paginate,
    route,
    workspace_for,
)


def trace_spans(state: SandboxState, run: Run) -> list[dict[str, Any]]:
    """One root "Workflow Execution" span whose ``children`` are the block spans, shaped as real
    Sim's (``tests/fixtures/sim-0.8.9/v2-log-one.body``): block spans carry ``duration`` (fractional
    ms), ``executionOrder``, ``input`` and ids ``<blockId>-<epoch ms>``; nothing has ``durationMs``."""
    elapsed = run.elapsed(state.clock.now())
    children: list[dict[str, Any]] = []
    prev = 0.0
    for step in run.plan.steps_done(elapsed):
        if step.kind != "block_done":
            continue
        block = run.workflow.block(step.block_id)
        span = _block_span(run, step.block_id, prev, step.at, len(children) + 1)
        span.update(name=block.name if block else step.block_id, type=block.type if block else "function")
        span["output"] = step.value
        if block and block.type == "agent" and isinstance(step.value, dict) and "tokens" in step.value:
            span["tokens"] = step.value["tokens"]
            span["cost"] = {
                "total": run.plan.cost,
                "input": run.plan.cost / 3,
                "output": run.plan.cost * 2 / 3,
                "toolCost": 0,
            }
        children.append(span)
        prev = step.at
    failed = run.status(state.clock.now())[0] == "failed"
    if failed and run.plan.error:
        error = run.plan.error
        span = _block_span(run, str(error.get("blockId", "block")), prev, run.run_length, len(children) + 1)
        span.update(name=error.get("blockName", "Block"), type=error.get("blockType", "api"), status="error")
        span["output"] = {"error": error["message"]}
        children.append(span)
    if not children:
        return []
    end = max(run.start_at + prev, run.start_at + (run.run_length if failed else 0.0))
    return [
        {
            "id": "workflow-execution",
            "name": "Workflow Execution",
            "type": "workflow",
            "duration": round((end - run.start_at) * 1000),
            "startTime": iso(run.start_at),
            "endTime": iso(end),
            "status": "error" if failed else "success",
            "children": children,
        }
    ]


def _block_span(run: Run, block_id: str, start: float, end: float, order: int) -> dict[str, Any]:
    started = run.start_at + start
    return {
        "id": f"{block_id}-{round(started * 1000)}",
        "name": block_id,
        "type": "function",
        "duration": (end - start) * 1000,
        "startTime": iso(started),
        "endTime": iso(run.start_at + end),
        "status": "success",
        "blockId": block_id,
        "input": {},
        "output": None,
        "relativeStartMs": round(start * 1000),
        "children": [],
        "executionOrder": order,
    }


def log_item(state: SandboxState, run: Run, *, workflow: bool, spans: bool, final: bool) -> dict[str, Any]:
    """A v2 log item; ``workflow``, ``spans`` and ``final`` add those blocks (v1 builds on it too)."""
    now = state.clock.now()
    status, ended = run.status(now)
    item: dict[str, Any] = {
        "runId": run.id,
        "workflowId": run.workflow.id,
        "deploymentVersionId": f"dv_{run.workflow.id[-6:]}_3",
        "status": "pending" if status == "queued" else status,
        "level": "error" if status == "failed" else "info",
        "trigger": "api",
        "startedAt": iso(run.start_at),
        "endedAt": iso(ended) if ended else None,
        "totalDurationMs": duration_ms(state, run),
        "cost": cost_of(state, run),
        "files": None,
    }
    if workflow:
        item["workflow"] = {
            "id": run.workflow.id,
            "name": run.workflow.name,
            "description": run.workflow.description,
            "deleted": False,
        }
    if final:
        item["finalOutput"] = run.plan.output if status == "completed" else None
    if spans:
        item["traceSpans"] = trace_spans(state, run)
    return item


LOG_PARAMS = {
    "workspaceId",
    "workflowIds",
    "folderPaths",
    "triggers",
    "level",
    "startDate",
    "endDate",
    "minDurationMs",
    "maxDurationMs",
    "minCost",
    "maxCost",
    "model",
    "runId",
    "details",
    "includeTraceSpans",
    "includeFinalOutput",
    "limit",
    "cursor",
    "order",
}


@dataclass(frozen=True)
class LogFilter:
    """What both log lists filter on, as Sim's shared ``public-filters.ts`` does; ``None`` = not filtered."""

    workflow_ids: frozenset[str] | None = None
    in_folder: Callable[[Workflow], bool] | None = None  # v2 names folders by path, v1 by id
    triggers: frozenset[str] | None = None  # "all" in it switches the filter off
    run_id: str | None = None
    start: float = float("-inf")
    end: float = float("inf")
    level: str | None = None
    min_duration_ms: float | None = None
    max_duration_ms: float | None = None
    min_cost: float | None = None
    max_cost: float | None = None
    model: str | None = None

    def runs(self, state: SandboxState, workspace_id: str) -> list[Run]:
        """The workspace's runs that have a log row (a queued run has none yet) and pass every filter."""
        now = state.clock.now()
        runs = [r for r in list(state.runs.values()) if r.workflow.workspace_id == workspace_id]
        runs = [r for r in runs if r.status(now)[0] != "queued" and self.start <= r.start_at <= self.end]
        if self.workflow_ids is not None:
            runs = [r for r in runs if r.workflow.id in self.workflow_ids]
        if self.in_folder is not None:
            runs = [r for r in runs if self.in_folder(r.workflow)]
        if self.triggers and "all" not in self.triggers and "api" not in self.triggers:
            runs = []  # every sandbox run is an API run
        if self.run_id is not None:
            runs = [r for r in runs if r.id == self.run_id]
        if self.level is not None:
            runs = [r for r in runs if ("error" if r.status(now)[0] == "failed" else "info") == self.level]
        if self.model is not None:
            runs = []  # the sandbox's own runs record no model on their log row
        return runs

    def items(
        self, state: SandboxState, workspace_id: str, *, workflow: bool, spans: bool, final: bool
    ) -> list[dict[str, Any]]:
        """The v2 log items of the sandbox's own runs and of its seeded ones (``sandbox.logbook``)."""
        items = [
            log_item(state, r, workflow=workflow, spans=spans, final=final) for r in self.runs(state, workspace_id)
        ]
        items = [i for i in items if self._within(i)]
        seed = state.config.seed
        seeded = logbook.matching(state.logbook, self, workspace_id)
        if not (workflow or spans or final):
            return items + [r.basic() for r in seeded]
        return items + [r.item(workflow=workflow, spans=spans, final=final, seed=seed) for r in seeded]

    def _within(self, item: dict[str, Any]) -> bool:
        duration, cost = item["totalDurationMs"], item["cost"]["total"] if item["cost"] else None
        for value, low, high in (
            (duration, self.min_duration_ms, self.max_duration_ms),
            (cost, self.min_cost, self.max_cost),
        ):
            if low is None and high is None:
                continue
            if (
                value is None
                or value < (low if low is not None else value)
                or value > (high if high is not None else value)
            ):
                return False
        return True


def _in_folder_paths(paths: list[str]) -> Callable[[Workflow], bool]:
    return lambda wf: any(wf.folder_path == f or wf.folder_path.startswith(f.rstrip("/") + "/") for f in paths)


@route("logs.list", allowed=LOG_PARAMS, required={"workspaceId"})
async def list_logs(ctx: Ctx) -> Response:
    q = ctx.query
    ws = workspace_for(ctx, q["workspaceId"])
    details = choice_param(q, "details", "basic", ("basic", "full"))
    order = choice_param(q, "order", "desc", ("asc", "desc"))
    level = q.get("level")
    if level is not None:
        choice_param(q, "level", "", ("info", "error"))
    start, end = date_range(q)
    wanted = LogFilter(
        workflow_ids=frozenset(q["workflowIds"].split(",")) if "workflowIds" in q else None,
        in_folder=_in_folder_paths(q["folderPaths"].split(",")) if "folderPaths" in q else None,
        triggers=frozenset(q["triggers"].split(",")) if "triggers" in q else None,
        run_id=q.get("runId"),
        start=start,
        end=end,
        level=level,
        min_duration_ms=_bound(q, "minDurationMs"),
        max_duration_ms=_bound(q, "maxDurationMs"),
        min_cost=_bound(q, "minCost"),
        max_cost=_bound(q, "maxCost"),
        model=q.get("model") or None,
    )
    full = details == "full"
    spans, final = full or bool_param(q, "includeTraceSpans"), full or bool_param(q, "includeFinalOutput")
    items = wanted.items(ctx.state, ws, workflow=full, spans=spans, final=final)
    items = ordered(items, lambda i: (i["startedAt"], i["runId"]), order)
    filters = {k: q.get(k) for k in sorted(LOG_PARAMS - {"limit", "cursor"})}
    page, nxt = paginate(items, {**q, "limit": str(_clamped_limit(q))}, filters, 100, 1000)
    return ctx.ok(page, nextCursor=nxt)


def _bound(q: dict[str, str], name: str) -> float | None:
    if name not in q:
        return None
    try:
        return float(q[name])
    except ValueError:
        raise bad_request("Invalid query parameters", [{"path": [name], "message": "Expected number"}]) from None


def _clamped_limit(q: dict[str, str]) -> int:
    """Logs clamp ``limit`` into 1–1000 instead of refusing it (CONTRACT §9)."""
    raw = q.get("limit", "100")
    try:
        return max(1, min(int(raw), 1000))
    except ValueError:
        raise bad_request(
            "Invalid query parameters", [{"path": ["limit"], "message": "Must be a whole number"}]
        ) from None


@route("logs.get")
async def get_log(ctx: Ctx) -> Response:
    assert ctx.key is not None
    run = ctx.state.runs.get(ctx.request.path_params["runId"])
    seeded = ctx.state.logbook.get(ctx.request.path_params["runId"])
    if run is None and seeded is not None and ctx.state.key_may_use(ctx.key, seeded.workflow.workspace_id) is None:
        return ctx.ok(_seeded_detail(ctx.state, seeded))
    if (
        run is None
        or ctx.state.key_may_use(ctx.key, run.workflow.workspace_id) is not None
        or run.status(ctx.state.clock.now())[0] == "queued"
    ):
        raise V2Error(404, "Log not found")
    state = ctx.state
    item = log_item(state, run, workflow=True, spans=True, final=True)
    wf = run.workflow
    item["workflow"] = {
        "id": wf.id,
        "name": wf.name,
        "description": wf.description,
        "folderPath": wf.folder_path,
        "ownerEmail": "demo@simdesk.local",
        "workspaceId": wf.workspace_id,
        "createdAt": iso(wf.created_at),
        "updatedAt": iso(wf.deployed_at or wf.created_at),
        "deleted": False,
    }
    item.pop("level", None)
    item["level"] = "error" if item["status"] == "failed" else "info"
    item["workflowState"] = None
    item["createdAt"] = iso(run.created_at)
    return ctx.ok(item)


def _seeded_detail(state: SandboxState, seeded: logbook.SeededRun) -> dict[str, Any]:
    item = seeded.item(workflow=True, spans=True, final=True, seed=state.config.seed)
    wf = seeded.workflow
    item["workflow"].update(folderPath=wf.folder_path, workspaceId=wf.workspace_id)
    item["workflowState"] = None
    item["createdAt"] = item["startedAt"]
    return item
