"""The workspace panel's service: members and the person's own level, the key's kind, and the
workspace's MCP servers and their tools.

Sim's API has no "who am I", so the person's level comes from the member list and the email they
say is theirs (remembered per profile by the caller); the key's kind comes from one v1 request
(:meth:`simdesk.api.SimClient.key_kind`). Tools are fetched on demand only: Sim connects to the MCP
server for each listing.

Signals:
    members_changed(list[Member])
    access_changed(object, str): the person's level (None when not known) and the key kind
    servers_changed(list[McpServer])
    tools_changed(str, list[McpTool]): a server id and its tools
    failed(str, str): area ("members", "servers", "tools:<server id>") and the sentence
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Signal

from simdesk.core.workspace_access import KeyKind, Level, Member, denial
from simdesk.services.answers import Answers
from simdesk.services.knowledge import ClientGetter, describe


class WorkspaceAccessService(QObject):
    """Members, level, key kind and MCP servers of one workspace at a time."""

    members_changed = Signal(list)
    access_changed = Signal(object, str)
    servers_changed = Signal(list)
    tools_changed = Signal(str, list)
    failed = Signal(str, str)

    def __init__(self, client_getter: ClientGetter, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._client = client_getter
        self.workspace_id: str | None = None
        self.me: str | None = None
        self.members: list[Member] = []
        self.key_kind: KeyKind = "unknown"
        self._answers = Answers(self.failed.emit, describe)
        self._run = self._answers.run

    @property
    def level(self) -> Level | None:
        """The person's level in the workspace, if their email is among the members."""
        mine = (self.me or "").strip().casefold()
        return next((m.role for m in self.members if m.email.casefold() == mine), None) if mine else None

    def why_not(self, action_id: str) -> str | None:
        """Why ``action_id`` is not allowed here (a tooltip), or ``None``."""
        return denial(action_id, self.level, self.key_kind)

    def set_me(self, email: str | None) -> None:
        self.me = email
        self.access_changed.emit(self.level, self.key_kind)

    def use_client(self, client_getter: ClientGetter) -> None:
        """Another profile's client: answers still on their way are dropped; call
        :meth:`set_workspace` next."""
        self._client = client_getter
        self._answers.forget()
        self.key_kind = "unknown"

    def set_workspace(self, workspace_id: str | None) -> None:
        self.workspace_id = workspace_id
        self._answers.forget()
        self.members = []
        self.members_changed.emit([])
        self.servers_changed.emit([])
        if workspace_id is not None:
            self.refresh()

    def refresh(self) -> None:
        """Members, key kind and servers again (tools stay on demand)."""
        workspace = self.workspace_id
        if workspace is None:
            return
        self._run("members", "members.browse", self._load_members(workspace))
        self._run("servers", "mcp.browse", self._load_servers(workspace))

    def load_tools(self, server_id: str, *, refresh: bool = False) -> None:
        workspace = self.workspace_id
        if workspace is not None:
            self._run(f"tools:{server_id}", "mcp.tools", self._load_tools(workspace, server_id, refresh))

    async def aclose(self) -> None:
        await self._answers.aclose()

    async def _load_members(self, workspace: str) -> Callable[[], None]:
        client = await self._client()
        members = await client.list_members(workspace)
        kind = await client.key_kind() if self.key_kind == "unknown" else self.key_kind

        def publish() -> None:
            self.members, self.key_kind = members, kind
            self.members_changed.emit(members)
            self.access_changed.emit(self.level, kind)

        return publish

    async def _load_servers(self, workspace: str) -> Callable[[], None]:
        client = await self._client()
        servers = await client.list_mcp_servers(workspace)
        return lambda: self.servers_changed.emit(servers)

    async def _load_tools(self, workspace: str, server_id: str, refresh: bool) -> Callable[[], None]:
        client = await self._client()
        tools = await client.list_mcp_tools(workspace, server_id, refresh=refresh)
        return lambda: self.tools_changed.emit(server_id, tools)
