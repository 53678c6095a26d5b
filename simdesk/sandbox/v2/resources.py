"""Workspaces (``/api/v2/workspaces``, as in Sim's openapi-v2-resources.json)."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from simdesk.sandbox.clock import iso
from simdesk.sandbox.state import SandboxState
from simdesk.sandbox.v2.admission import Ctx, V2Error, choice_param, ordered, paginate, route


def _workspace_item(state: SandboxState, ws: Any) -> dict[str, Any]:
    return {
        "id": ws.id,
        "name": ws.name,
        "color": ws.color,
        "logoUrl": None,
        "memberCount": ws.member_count,
        "createdAt": iso(ws.created_at),
        "updatedAt": iso(ws.created_at),
    }


@route("workspaces.list", allowed={"limit", "cursor", "sortBy", "sortOrder"})
async def list_workspaces(ctx: Ctx) -> Response:
    assert ctx.key is not None
    sort_by = choice_param(ctx.query, "sortBy", "name", ("name", "createdAt", "updatedAt"))
    order = choice_param(ctx.query, "sortOrder", "asc", ("asc", "desc"))
    items = [_workspace_item(ctx.state, w) for w in ctx.state.visible_workspaces(ctx.key)]
    items = ordered(items, lambda i: i[sort_by], order)
    page, nxt = paginate(items, ctx.query, {"sortBy": sort_by, "sortOrder": order})
    return ctx.ok(page, nextCursor=nxt)


@route("workspaces.get")
async def get_workspace(ctx: Ctx) -> Response:
    assert ctx.key is not None
    ws = ctx.state.workspaces.get(ctx.request.path_params["workspaceId"])
    if ws is None or ctx.state.key_may_use(ctx.key, ws.id) is not None:
        raise V2Error(404, "Workspace not found")
    return ctx.ok(_workspace_item(ctx.state, ws))
