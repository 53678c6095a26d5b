"""Members and MCP routes, every response held to Sim's published OpenAPI (openapi-v2-resources.json)."""

from __future__ import annotations

import pytest

from simdesk.sandbox import demo
from simdesk.sandbox.server import RunningSandbox
from tests.conformance.conftest import ClientFactory, ConformanceClient
from tests.conformance.support import data, rate_headers, v2_error

MEMBERS = f"/api/v2/workspaces/{demo.WS_DEMO}/members"


def test_members_page_by_email_with_cursor(client: ConformanceClient) -> None:
    first = client.get(MEMBERS, params={"limit": 2})
    assert first.status_code == 200
    body = first.json()
    assert [m["email"] for m in body["data"]] == ["ana@simdesk.dev", "bo@partner.example"]
    rest = client.get(MEMBERS, params={"limit": 2, "cursor": body["nextCursor"]})
    assert [(m["email"], m["role"]) for m in data(rest)] == [("demo@simdesk.dev", "admin")]
    assert rest.json()["nextCursor"] is None
    limit, remaining, _ = rate_headers(rest)
    assert remaining < limit


def test_members_refusals(client: ConformanceClient, make_client: ClientFactory, sb: RunningSandbox) -> None:
    unknown = client.get("/api/v2/workspaces/ws-nope/members")
    assert (unknown.status_code, v2_error(unknown)[1]) == (404, "Workspace not found")
    strict = client.get(MEMBERS, params={"sortBy": "email"})
    assert strict.status_code == 400
    locked = client.get(f"/api/v2/workspaces/{demo.WS_LOCKED}/members")
    assert (locked.status_code, v2_error(locked)[2]) == (403, {"code": "PERSONAL_API_KEYS_DISABLED"})
    foreign = make_client(sb, key=demo.WORKSPACE_KEY).get(f"/api/v2/workspaces/{demo.WS_TEAM}/members")
    assert foreign.status_code == 404  # a workspace key elsewhere is concealed, not forbidden
    nokey = make_client(sb, key=None).get(MEMBERS)
    assert nokey.status_code == 401


def test_mcp_servers_list_sorted_searched_and_paged(client: ConformanceClient) -> None:
    everything = data(client.get("/api/v2/mcp-servers", params={"workspaceId": demo.WS_DEMO}))
    assert [s["name"] for s in everything] == ["Paused billing tools", "Broken CRM", "Weather", "Docs server"]
    assert all("headers" not in s for s in everything)  # header values are write-only
    found = data(client.get("/api/v2/mcp-servers", params={"workspaceId": demo.WS_DEMO, "search": "DOCS"}))
    assert [s["id"] for s in found] == ["mcp-3f7a9c21"]
    page = client.get("/api/v2/mcp-servers", params={"workspaceId": demo.WS_DEMO, "limit": 3, "sortBy": "name"})
    assert len(data(page)) == 3
    tail = client.get(
        "/api/v2/mcp-servers",
        params={"workspaceId": demo.WS_DEMO, "limit": 3, "sortBy": "name", "cursor": page.json()["nextCursor"]},
    )
    assert [s["name"] for s in data(tail)] == ["Broken CRM"]  # sortOrder defaults to desc
    changed = client.get(
        "/api/v2/mcp-servers",
        params={"workspaceId": demo.WS_DEMO, "limit": 3, "cursor": page.json()["nextCursor"]},
    )
    assert changed.status_code == 400  # a cursor belongs to its sort and filters


def test_mcp_servers_need_a_workspace(client: ConformanceClient) -> None:
    missing = client.get("/api/v2/mcp-servers")
    assert missing.status_code == 400


def test_mcp_tools_with_input_schemas(client: ConformanceClient) -> None:
    answer = client.get("/api/v2/mcp-servers/mcp-8b21e4d0/tools", params={"workspaceId": demo.WS_DEMO})
    assert answer.json()["nextCursor"] is None
    (tool,) = data(answer)
    assert (tool["name"], tool["serverName"]) == ("forecast", "Weather")
    assert tool["inputSchema"]["required"] == ["place"]


@pytest.mark.parametrize(
    ("server", "status", "message"),
    [
        ("mcp-c0ffee00", 503, "The MCP server could not be reached"),
        ("mcp-0ff0ff00", 409, "The MCP server is disabled; enable it before listing its tools"),
        ("mcp-unknown", 404, "MCP server not found"),
    ],
)
def test_mcp_tools_refusals(client: ConformanceClient, server: str, status: int, message: str) -> None:
    answer = client.get(f"/api/v2/mcp-servers/{server}/tools", params={"workspaceId": demo.WS_DEMO, "refresh": "true"})
    assert (answer.status_code, v2_error(answer)[1]) == (status, message)
    if status == 503:
        assert int(answer.headers["retry-after"]) > 0


def test_mcp_tools_refused_to_a_workspace_key(make_client: ClientFactory, sb: RunningSandbox) -> None:
    answer = make_client(sb, key=demo.WORKSPACE_KEY).get(
        "/api/v2/mcp-servers/mcp-3f7a9c21/tools", params={"workspaceId": demo.WS_DEMO}
    )
    assert answer.status_code == 403
    assert v2_error(answer)[2] == {"code": "WORKSPACE_KEY_OPERATION_NOT_PERMITTED"}
