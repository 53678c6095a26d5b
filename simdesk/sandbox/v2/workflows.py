"""The workflow catalogue: workflows, folders and deployments (``/api/v2/workflows``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.responses import Response

from simdesk.sandbox.clock import iso
from simdesk.sandbox.model import Workflow
from simdesk.sandbox.state import SandboxState
from simdesk.sandbox.v2.admission import (
    Ctx,
    bool_param,
    choice_param,
    ordered,
    paginate,
    route,
    workflow_of,
    workspace_for,
)


def _stats(state: SandboxState, workflow: Workflow) -> tuple[int, float | None]:
    now = state.clock.now()
    done = [r for r in state.runs_of(workflow.id) if r.status(now)[0] == "completed"]
    last = max((r.status(now)[1] or 0.0 for r in done), default=None)
    return len(done), last


def workflow_item(state: SandboxState, wf: Workflow) -> dict[str, Any]:
    runs, last = _stats(state, wf)
    return {
        "id": wf.id,
        "name": wf.name,
        "description": wf.description,
        "folderPath": wf.folder_path,
        "workspaceId": wf.workspace_id,
        "isDeployed": wf.deployed,
        "deployedAt": iso(wf.deployed_at) if wf.deployed_at else None,
        "runCount": runs,
        "lastRunAt": iso(last) if last else None,
        "createdAt": iso(wf.created_at),
        "updatedAt": iso(wf.deployed_at or wf.created_at),
    }


@route(
    "workflows.list",
    allowed={"workspaceId", "folderPath", "deployedOnly", "limit", "cursor", "search", "sortBy", "sortOrder"},
    required={"workspaceId"},
)
async def list_workflows(ctx: Ctx) -> Response:
    q = ctx.query
    ws = workspace_for(ctx, q["workspaceId"])
    sort_by = choice_param(q, "sortBy", "position", ("position", "name", "createdAt", "updatedAt", "runCount"))
    order = choice_param(q, "sortOrder", "asc", ("asc", "desc"))
    deployed_only = bool_param(q, "deployedOnly")
    folder = q.get("folderPath")
    search = q.get("search", "").strip().lower()
    wfs = [w for w in ctx.state.workflows.values() if w.workspace_id == ws]
    if folder is not None:
        # Sim resolves the path to one folder (a missing leading slash is added; "/" is the root)
        # and lists that folder only, not its subfolders; a path naming no folder gives an empty page.
        wanted = "/" + folder.strip("/")
        wfs = [w for w in wfs if w.folder_path == wanted]
    if deployed_only:
        wfs = [w for w in wfs if w.deployed]
    if search:  # Sim matches the name only, case-insensitively
        wfs = [w for w in wfs if search in w.name.lower()]
    items = [(w.position, workflow_item(ctx.state, w)) for w in wfs]
    sort_key: Callable[[Any], Any] = (
        (lambda p: p[0]) if sort_by == "position" else (lambda p: (p[1][sort_by], p[1]["id"]))
    )
    items = ordered(items, sort_key, order)
    filters = {k: q.get(k) for k in ("workspaceId", "folderPath", "deployedOnly", "search", "sortBy", "sortOrder")}
    page, nxt = paginate([i for _, i in items], q, filters)
    return ctx.ok(page, nextCursor=nxt)


@route("folders.list", allowed={"workspaceId", "parentPath", "search", "sortBy"}, required={"workspaceId"})
async def list_folders(ctx: Ctx) -> Response:
    q = ctx.query
    ws = workspace_for(ctx, q["workspaceId"])
    sort_by = choice_param(q, "sortBy", "name", ("name", "createdAt", "updatedAt"))
    folders = [f for f in ctx.state.folders if f.workspace_id == ws]
    if "parentPath" in q:
        folders = [f for f in folders if f.parent_path == q["parentPath"]]
    if "search" in q:
        folders = [f for f in folders if q["search"].lower() in f.name.lower()]
    items = [
        {
            "name": f.name,
            "path": f.path,
            "parentPath": f.parent_path,
            "createdAt": iso(f.created_at),
            "updatedAt": iso(f.created_at),
            "locked": f.locked,
        }
        for f in folders
    ]
    items.sort(key=lambda i: str(i[sort_by]))
    return ctx.ok(items, nextCursor=None)


@route("workflows.get")
async def get_workflow(ctx: Ctx) -> Response:
    wf = workflow_of(ctx)
    inputs = [dict(i) for i in wf.inputs] if wf.deployed else []
    return ctx.ok({**workflow_item(ctx.state, wf), "variables": dict(wf.variables), "inputs": inputs})


@route("workflows.deployment")
async def get_deployment(ctx: Ctx) -> Response:
    wf = workflow_of(ctx)
    deployed_at = iso(wf.deployed_at) if wf.deployed_at else None
    active = None
    attempt = None
    if wf.deployed:
        version_id = f"dv_{wf.id[-6:]}_3"
        active = {"deploymentVersionId": version_id, "version": 3, "deployedAt": deployed_at}
        attempt = {
            "id": f"da_{wf.id[-6:]}_3",
            "deploymentVersionId": version_id,
            "version": 3,
            "action": "deploy",
            "status": "active",
            "isCurrent": True,
            "readiness": {"webhooks": "not_applicable", "schedules": "not_applicable", "mcp": "not_applicable"},
            "requestedAt": deployed_at,
            "activatedAt": deployed_at,
            "error": None,
        }
    warnings = ["The workflow has changed since it was deployed"] if wf.needs_redeployment else []
    return ctx.ok(
        {
            "id": wf.id,
            "isDeployed": wf.deployed,
            "deployedAt": deployed_at,
            "warnings": warnings,
            "activeDeployment": active,
            "latestDeploymentAttempt": attempt,
            "needsRedeployment": wf.needs_redeployment,
        }
    )
