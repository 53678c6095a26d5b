"""Workspace members, permission levels, the actions each level allows, and MCP servers.

Sim gives each person one level per workspace (its permissions page): **read** views workflows,
results and logs but changes nothing and runs nothing; **write** adds creating, editing, deleting
and running workflows, environment variables, knowledge bases and tools; **admin** adds deploying,
inviting and removing people and the workspace's settings. The owner is an admin whose role is
locked; the public API reports the owner as ``admin`` like any other admin.

API keys come in two kinds. A **personal** key acts as its person, with that person's level in
each workspace (and only where the workspace allows personal keys). A **workspace** key is bound
to one workspace and may do what its operations allow a workspace key: MCP tool discovery, for
one, connects under a person's credentials and refuses a workspace key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Level = Literal["read", "write", "admin"]
KeyKind = Literal["personal", "workspace", "unknown"]
LEVELS: tuple[Level, ...] = ("read", "write", "admin")

# the 403 details codes Sim's v2 puts on a refusal a caller can act on
INSUFFICIENT_ROLE = "INSUFFICIENT_WORKSPACE_ROLE"
PERSONAL_KEYS_DISABLED = "PERSONAL_API_KEYS_DISABLED"
WORKSPACE_KEY_NOT_PERMITTED = "WORKSPACE_KEY_OPERATION_NOT_PERMITTED"
# Sim's v1 403 texts for the key's scope (apps/sim/lib/api-key/policy-messages.ts)
WORKSPACE_KEY_SCOPE_DENIED = "API key is not authorized for this workspace"
PERSONAL_KEY_DENIED = "Personal API keys are not allowed for this workspace"


@dataclass(frozen=True)
class Action:
    """Something a panel offers, with the level Sim requires for it."""

    id: str
    label: str
    level: Level
    workspace_key: bool = True  # False: Sim refuses it to a workspace-scoped key


ACTIONS: dict[str, Action] = {
    a.id: a
    for a in (
        Action("knowledge.browse", "Browse knowledge bases", "read"),
        Action("knowledge.search", "Search knowledge bases", "read"),
        Action("knowledge.upload", "Upload a document", "write"),
        Action("knowledge.create", "Create a knowledge base", "write"),
        Action("knowledge.delete", "Delete a knowledge base", "write"),
        Action("members.browse", "See the members", "read"),
        Action("members.invite", "Invite people", "admin"),
        Action("members.remove", "Remove people", "admin"),
        Action("workflows.run", "Run workflows", "write"),
        Action("workflows.deploy", "Deploy workflows", "admin"),
        Action("mcp.browse", "See the MCP servers", "read"),
        Action("mcp.tools", "List an MCP server's tools", "read", workspace_key=False),
        Action("mcp.add", "Add an MCP server", "write"),
        Action("workspace.settings", "Change workspace settings", "admin"),
    )
}


def satisfies(level: Level | None, required: Level) -> bool:
    """admin ⊇ write ⊇ read."""
    return level is not None and LEVELS.index(level) >= LEVELS.index(required)


def denial(action_id: str, level: Level | None, key_kind: KeyKind) -> str | None:
    """Why ``action_id`` is not allowed (a tooltip), or ``None`` when it is. An unknown level
    does not deny: the server decides, and its 403 is explained by :func:`forbidden_message`."""
    action = ACTIONS[action_id]
    if key_kind == "workspace" and not action.workspace_key:
        return f"{action.label} needs a personal API key: Sim refuses it to a workspace-scoped key."
    if level is not None and not satisfies(level, action.level):
        return f"{action.label} needs {action.level} permission in this workspace; you have {level}."
    return None


def forbidden_message(action_id: str, server_message: str, detail_code: str | None = None) -> str:
    """A 403 in words that name the permission that was missing (Sim's v1 says only "Access
    denied"; the action says which level it needed)."""
    action = ACTIONS[action_id]
    if detail_code == WORKSPACE_KEY_NOT_PERMITTED:
        return f"{action.label} needs a personal API key: this workspace-scoped key may not do it."
    if detail_code == PERSONAL_KEYS_DISABLED or server_message == PERSONAL_KEY_DENIED:
        return f"{action.label} was refused: this workspace does not allow personal API keys."
    if server_message == WORKSPACE_KEY_SCOPE_DENIED:
        return f"{action.label} was refused: this workspace-scoped key belongs to another workspace."
    return f"{action.label} needs {action.level} permission in this workspace (Sim said: {server_message})."


def key_kind_from_refusal(message: str) -> KeyKind:
    """What a v1 scope refusal says about the key: Sim checks a workspace key's workspace first,
    and a personal key against the workspace's "allow personal keys" setting."""
    if message == WORKSPACE_KEY_SCOPE_DENIED:
        return "workspace"
    if message == PERSONAL_KEY_DENIED:
        return "personal"
    return "unknown"


KEY_KIND_LABELS: dict[KeyKind, str] = {
    "personal": "Personal key: acts as you, with your level in each workspace",
    "workspace": "Workspace key: bound to one workspace",
    "unknown": "Key kind not known yet",
}


@dataclass(frozen=True)
class Member:
    email: str
    name: str
    role: Level
    is_external: bool
    joined_at: str | None
    image: str | None = None


@dataclass(frozen=True)
class McpTool:
    name: str
    description: str | None
    input_schema: Mapping[str, Any]
    server_id: str
    server_name: str

    def arguments(self) -> list[tuple[str, str, bool, str]]:
        """(name, type, required, description) of each argument, for a read-only table."""
        props = self.input_schema.get("properties")
        required = self.input_schema.get("required")
        needed = set(required) if isinstance(required, list) else set()
        rows = []
        for name, schema in props.items() if isinstance(props, dict) else ():
            spec = schema if isinstance(schema, dict) else {}
            kind = spec.get("type", "any")
            if "enum" in spec and isinstance(spec["enum"], list):
                kind = f"{kind}: {' | '.join(str(v) for v in spec['enum'])}"
            rows.append((str(name), str(kind), name in needed, str(spec.get("description", ""))))
        return rows


@dataclass(frozen=True)
class McpServer:
    id: str
    name: str
    transport: str
    url: str | None
    enabled: bool
    connection_status: str
    last_error: str | None
    tool_count: int
    description: str | None = None
    auth_type: str | None = None
    header_names: tuple[str, ...] = field(default_factory=tuple)
    last_connected: str | None = None

    @property
    def status_text(self) -> str:
        if not self.enabled:
            return "disabled"
        return self.connection_status
