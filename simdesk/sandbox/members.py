"""Workspace members and permission levels: ``GET /api/v2/workspaces/{workspaceId}/members``.

Sim gives each person one effective level per workspace: ``read``, ``write`` or ``admin`` (the
workspace's owner reads as ``admin``; the public API does not single the owner out). Every
knowledge, MCP and member route checks the caller's level through :func:`permission_of`, so the
seeded levels below decide what the demo user may do where: admin in the Demo workspace, read-only
in Team Ops, write in Locked Lab (which refuses personal keys anyway).

As in Sim, the member list is ordered by email, cursor-paginated (``limit`` 1–100, default 50),
strict about its query, and a workspace the caller cannot reach answers 404, not 403.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.responses import Response
from starlette.routing import Route

from simdesk.sandbox.clock import iso
from simdesk.sandbox.demo import DEMO_USER_ID, T0, WS_DEMO, WS_LOCKED, WS_TEAM
from simdesk.sandbox.v2.admission import Ctx, V2Error, paginate, route, workspace_for

LEVELS = ("read", "write", "admin")
DEMO_EMAIL = "demo@simdesk.dev"


@dataclass(frozen=True)
class Member:
    user_id: str
    email: str
    name: str
    role: str
    joined_at: float
    is_external: bool = False


def _team(count: int) -> tuple[Member, ...]:
    return tuple(
        Member(f"usr_team_{i:04d}", f"member{i:02d}@teamops.example", f"Team Member {i}", "write", T0 + 3600 + i * 60)
        for i in range(1, count + 1)
    )


MEMBERS: dict[str, tuple[Member, ...]] = {
    WS_DEMO: (
        Member(DEMO_USER_ID, DEMO_EMAIL, "Demo User", "admin", T0),
        Member("usr_demo_0002", "ana@simdesk.dev", "Ana Editor", "write", T0 + 86_400),
        Member("usr_demo_0003", "bo@partner.example", "Bo Viewer", "read", T0 + 2 * 86_400, is_external=True),
    ),
    WS_TEAM: (
        Member("usr_team_0000", "lead@teamops.example", "Team Lead", "admin", T0 + 3600),
        Member(DEMO_USER_ID, DEMO_EMAIL, "Demo User", "read", T0 + 7200),
        *_team(6),
    ),
    WS_LOCKED: (Member(DEMO_USER_ID, DEMO_EMAIL, "Demo User", "write", T0 + 7200),),
}


def permission_of(user_id: str, workspace_id: str) -> str | None:
    """The person's effective level in the workspace, ``None`` when they are not a member."""
    return next((m.role for m in MEMBERS.get(workspace_id, ()) if m.user_id == user_id), None)


def satisfies(level: str | None, required: str) -> bool:
    """Sim's ``permissionSatisfies``: admin ⊇ write ⊇ read."""
    return level is not None and LEVELS.index(level) >= LEVELS.index(required)


def member_item(member: Member) -> dict[str, object]:
    return {
        "email": member.email,
        "name": member.name,
        "image": None,
        "role": member.role,
        "isExternal": member.is_external,
        "joinedAt": iso(member.joined_at),
    }


def reachable_workspace(ctx: Ctx, workspace_id: str, missing: str = "Workspace not found") -> str:
    """The v2 workspace check, then membership: a workspace the person is no member of is
    concealed as a 404, as Sim does with every cross-tenant refusal."""
    assert ctx.key is not None
    try:
        workspace = workspace_for(ctx, workspace_id)
    except V2Error as err:
        if err.status == 404:
            raise V2Error(404, missing) from None
        raise
    if permission_of(ctx.key.user_id, workspace) is None:
        raise V2Error(404, missing)
    return workspace


@route("workspaces.members", allowed={"limit", "cursor"})
async def list_members(ctx: Ctx) -> Response:
    workspace = reachable_workspace(ctx, ctx.request.path_params["workspaceId"])
    members = sorted(MEMBERS.get(workspace, ()), key=lambda m: m.email)
    page, nxt = paginate([member_item(m) for m in members], ctx.query, {"workspaceId": workspace})
    return ctx.ok(page, nextCursor=nxt)


ROUTES = [Route("/api/v2/workspaces/{workspaceId}/members", list_members, methods=["GET"])]
