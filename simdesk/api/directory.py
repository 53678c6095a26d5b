"""Who is in a workspace and what it connects to: members (v2), MCP servers and their tools (v2),
and which kind of key the client holds.

Sim's API has no "who am I": :meth:`Directory.key_kind` asks the ungated v1 knowledge list about a
workspace id no workspace has. Sim checks a workspace-scoped key's own workspace first (403 "API
key is not authorized for this workspace") and a personal key against the workspace's "allow
personal keys" setting, which an unknown workspace does not have (403 "Personal API keys are not
allowed for this workspace"); either answer names the kind, for one v1 request.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from simdesk.api import wire
from simdesk.api.errors import PermissionDeniedError
from simdesk.api.knowledge import V1_BUCKET
from simdesk.api.pages import pages
from simdesk.api.session import Session
from simdesk.core.workspace_access import LEVELS, KeyKind, Level, McpServer, McpTool, Member, key_kind_from_refusal

PROBE_WORKSPACE = "simdesk-key-kind-probe"  # no workspace has this id


class Directory:
    """The member, MCP and key operations of :class:`simdesk.api.SimClient`."""

    def __init__(self, session: Session) -> None:
        self.s = session

    async def list_members(self, workspace_id: str) -> list[Member]:
        found: list[Member] = []
        path = f"/api/v2/workspaces/{quote(workspace_id, safe='')}/members"
        async for page in pages(self.s, path, {"limit": "100"}, "v2 workspaces.members", feature="Workspace members"):
            found.extend(m for m in (member(item) for item in page) if m is not None)
        return found

    async def list_mcp_servers(self, workspace_id: str) -> list[McpServer]:
        found: list[McpServer] = []
        params = {"workspaceId": workspace_id, "limit": "100", "sortBy": "name", "sortOrder": "asc"}
        async for page in pages(self.s, "/api/v2/mcp-servers", params, "v2 mcp_servers.list", feature="MCP servers"):
            found.extend(mcp_server(item) for item in page)
        return found

    async def list_mcp_tools(self, workspace_id: str, server_id: str, *, refresh: bool = False) -> list[McpTool]:
        params = {"workspaceId": workspace_id}
        if refresh:
            params["refresh"] = "true"
        path = f"/api/v2/mcp-servers/{quote(server_id, safe='')}/tools"
        found: list[McpTool] = []
        async for page in pages(self.s, path, params, "v2 mcp_servers.tools", feature="MCP tools"):
            found.extend(t for t in (mcp_tool(item) for item in page) if t is not None)
        return found

    async def key_kind(self) -> KeyKind:
        try:
            await self.s.call("GET", "/api/v1/knowledge", params={"workspaceId": PROBE_WORKSPACE}, bucket=V1_BUCKET)
        except PermissionDeniedError as error:
            return key_kind_from_refusal(error.message)
        return "unknown"


def member(data: Any) -> Member | None:
    body = wire.obj(data)
    email = wire.text(body.get("email"))
    role = next((level for level in LEVELS if level == body.get("role")), None)
    if not email or role is None:
        return None
    level: Level = role
    return Member(
        email=email,
        name=wire.text(body.get("name")) or email,
        role=level,
        is_external=wire.flag(body.get("isExternal")),
        joined_at=wire.text(body.get("joinedAt")),
        image=wire.text(body.get("image")),
    )


def mcp_server(data: Any) -> McpServer:
    body = wire.obj(data)
    names = body.get("headerNames")
    return McpServer(
        id=wire.required(body, "id", "MCP server"),
        name=wire.text(body.get("name")) or "",
        transport=wire.text(body.get("transport")) or "streamable-http",
        url=wire.text(body.get("url")),
        enabled=body.get("enabled") is not False,
        connection_status=wire.text(body.get("connectionStatus")) or "disconnected",
        last_error=wire.text(body.get("lastError")),
        tool_count=wire.integer(body.get("toolCount")) or 0,
        description=wire.text(body.get("description")),
        auth_type=wire.text(body.get("authType")),
        header_names=tuple(n for n in names if isinstance(n, str)) if isinstance(names, list) else (),
        last_connected=wire.text(body.get("lastConnected")),
    )


def mcp_tool(data: Any) -> McpTool | None:
    body = wire.obj(data)
    name = wire.text(body.get("name"))
    if not name:
        return None
    return McpTool(
        name=name,
        description=wire.text(body.get("description")),
        input_schema=wire.obj(body.get("inputSchema")),
        server_id=wire.text(body.get("serverId")) or "",
        server_name=wire.text(body.get("serverName")) or "",
    )
