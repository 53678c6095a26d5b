"""MCP servers and their tools: ``GET /api/v2/mcp-servers`` and ``GET /api/v2/mcp-servers/{id}/tools``.

Seeded servers in the Demo workspace: two that answer, one that cannot be reached (its tool list
is Sim's 503 "The MCP server could not be reached", and the server row carries the error), and one
that is disabled (Sim's 409). As in Sim:

* the list is strict about its query (``workspaceId`` required; ``search``, ``sortBy`` name |
  createdAt | updatedAt, ``sortOrder``, ``limit``, ``cursor``) and never shows header values,
  only ``headerNames``;
* tool discovery is refused to a workspace-scoped key (403 ``WORKSPACE_KEY_OPERATION_NOT_PERMITTED``:
  it connects under a person's credentials), the server is looked up first (404 "MCP server not
  found"), and ``refresh`` is a boolean; the list is one page (``nextCursor`` always null).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from starlette.responses import Response
from starlette.routing import Route

from simdesk.sandbox.clock import iso
from simdesk.sandbox.demo import T0, WS_DEMO
from simdesk.sandbox.members import reachable_workspace
from simdesk.sandbox.v2.admission import Ctx, V2Error, bool_param, choice_param, ordered, paginate, route

UNREACHABLE = "The MCP server could not be reached"
UNREACHABLE_RETRY_AFTER_S = 5  # Sim's v2Error stamps every 503 with Retry-After: 5


@dataclass(frozen=True)
class McpServer:
    id: str
    workspace_id: str
    name: str
    url: str
    tools: tuple[dict[str, Any], ...]
    description: str | None = None
    auth_type: str = "headers"
    header_names: tuple[str, ...] = ()
    enabled: bool = True
    reachable: bool = True
    created_at: float = T0
    updated_at: float = T0
    extra: dict[str, Any] = field(default_factory=dict)


def _schema(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": required}


SERVERS = (
    McpServer(
        "mcp-3f7a9c21",
        WS_DEMO,
        "Docs server",
        "https://mcp.docs.example/mcp",
        (
            {
                "name": "search_docs",
                "description": "Search the internal documentation",
                "inputSchema": _schema(
                    {
                        "query": {"type": "string", "description": "Search terms"},
                        "limit": {"type": "integer", "minimum": 1, "maximum": 20, "default": 5},
                    },
                    ["query"],
                ),
            },
            {
                "name": "get_page",
                "description": "Fetch one documentation page by its path",
                "inputSchema": _schema({"path": {"type": "string"}}, ["path"]),
            },
        ),
        description="Internal documentation tools",
        header_names=("Authorization",),
        created_at=T0 + 1000,
        updated_at=T0 + 5000,
    ),
    McpServer(
        "mcp-8b21e4d0",
        WS_DEMO,
        "Weather",
        "https://weather.example/mcp",
        (
            {
                "name": "forecast",
                "description": "Daily forecast for a place",
                "inputSchema": _schema(
                    {
                        "place": {"type": "string"},
                        "days": {"type": "integer", "minimum": 1, "maximum": 7},
                        "units": {"type": "string", "enum": ["metric", "imperial"]},
                    },
                    ["place"],
                ),
            },
        ),
        auth_type="none",
        created_at=T0 + 2000,
        updated_at=T0 + 2000,
    ),
    McpServer(
        "mcp-c0ffee00",
        WS_DEMO,
        "Broken CRM",
        "https://crm.internal.example/mcp",
        (),
        description="Its host no longer answers",
        header_names=("X-Api-Token",),
        reachable=False,
        created_at=T0 + 3000,
        updated_at=T0 + 3000,
    ),
    McpServer(
        "mcp-0ff0ff00",
        WS_DEMO,
        "Paused billing tools",
        "https://billing.example/mcp",
        (),
        enabled=False,
        created_at=T0 + 4000,
        updated_at=T0 + 4000,
    ),
)


def server_item(server: McpServer) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": server.id,
        "name": server.name,
        "transport": "streamable-http",
        "authType": server.auth_type,
        "url": server.url,
        "timeout": 30000,
        "retries": 3,
        "enabled": server.enabled,
        "toolCount": len(server.tools),
        "createdAt": iso(server.created_at),
        "updatedAt": iso(server.updated_at),
        "hasHeaders": bool(server.header_names),
        "headerNames": list(server.header_names),
        "hasOauthClientSecret": False,
    }
    if server.description is not None:
        item["description"] = server.description
    if not server.enabled:
        item.update(connectionStatus="disconnected", lastError=None)
    elif server.reachable:
        item.update(
            connectionStatus="connected",
            lastError=None,
            lastToolsRefresh=iso(server.updated_at),
            lastConnected=iso(server.updated_at),
        )
    else:
        item.update(connectionStatus="error", lastError=f"Failed to connect to {server.name}: connection refused")
    return item


@route(
    "mcp_servers.list",
    allowed={"workspaceId", "search", "sortBy", "sortOrder", "limit", "cursor"},
    required={"workspaceId"},
)
async def list_servers(ctx: Ctx) -> Response:
    q = ctx.query
    workspace = reachable_workspace(ctx, q["workspaceId"])
    sort_by = choice_param(q, "sortBy", "createdAt", ("name", "createdAt", "updatedAt"))
    order = choice_param(q, "sortOrder", "desc", ("asc", "desc"))
    needle = q.get("search", "").casefold()
    items = [server_item(s) for s in SERVERS if s.workspace_id == workspace and needle in s.name.casefold()]
    items = ordered(items, lambda i: i[sort_by], order)
    filters = {"workspaceId": workspace, "search": needle, "sortBy": sort_by, "sortOrder": order}
    page, nxt = paginate(items, q, filters)
    return ctx.ok(page, nextCursor=nxt)


@route("mcp_servers.tools", allowed={"workspaceId", "refresh"}, required={"workspaceId"})
async def list_tools(ctx: Ctx) -> Response:
    assert ctx.key is not None
    q = ctx.query
    bool_param(q, "refresh")  # a live reconnect in Sim; the sandbox's tools never change
    server_id = ctx.request.path_params["id"]
    server = next((s for s in SERVERS if s.id == server_id and s.workspace_id == q["workspaceId"]), None)
    if server is None:
        raise V2Error(404, "MCP server not found")
    if ctx.key.kind == "workspace":
        raise V2Error(
            403,
            "Workspace API key cannot perform this operation",
            {"code": "WORKSPACE_KEY_OPERATION_NOT_PERMITTED"},
        )
    reachable_workspace(ctx, server.workspace_id, missing="MCP server not found")
    if not server.enabled:
        raise V2Error(409, "The MCP server is disabled; enable it before listing its tools")
    if not server.reachable:
        raise V2Error(503, UNREACHABLE, headers={"Retry-After": str(UNREACHABLE_RETRY_AFTER_S)})
    tools = [{**tool, "serverId": server.id, "serverName": server.name} for tool in server.tools]
    return ctx.ok(tools, nextCursor=None)


ROUTES = [
    Route("/api/v2/mcp-servers", list_servers, methods=["GET"]),
    Route("/api/v2/mcp-servers/{id}/tools", list_tools, methods=["GET"]),
]
