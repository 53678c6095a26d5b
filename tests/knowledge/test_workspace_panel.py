"""The workspace panel against the sandbox: key kind, your level, members, the permission table,
disabled actions with reasons, MCP servers and tools (including the failing server and the
workspace key's refusal)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from simdesk.sandbox import demo
from simdesk.services.workspace_access import WorkspaceAccessService
from simdesk.ui.workspace_panel import WorkspacePanel
from tests.knowledge.conftest import tree_rows


def make_panel(qtbot: Any, service: WorkspaceAccessService, workspace: str) -> WorkspacePanel:
    widget = WorkspacePanel(service)
    qtbot.addWidget(widget)
    widget.resize(1000, 650)
    with qtbot.waitSignals([service.members_changed, service.servers_changed], timeout=5000):
        service.set_workspace(workspace)
    qtbot.waitUntil(lambda: service.members != [], timeout=5000)
    return widget


def pick(panel: WorkspacePanel, email: str) -> None:
    panel.me.setCurrentIndex(panel.me.findData(email))


def permission_rows(panel: WorkspacePanel) -> dict[str, str]:
    return {name: item.text(2) for name, item in tree_rows(panel.permission_table).items()}


def test_members_key_kind_and_admin_level(qtbot: Any, access: WorkspaceAccessService) -> None:
    panel = make_panel(qtbot, access, demo.WS_DEMO)
    assert panel.member_table.topLevelItemCount() == 3
    assert "Personal key" in panel.key_label.text()
    assert panel.level_label.text() == "Your level: unknown"
    assert panel.gated["members.invite"].isEnabled()  # unknown level: the server decides
    pick(panel, "demo@simdesk.dev")
    assert "admin" in panel.level_label.text()
    assert panel.gated["members.invite"].isEnabled()
    assert permission_rows(panel)["Invite people"] == "✓"


def test_read_level_disables_with_reasons(qtbot: Any, access: WorkspaceAccessService) -> None:
    panel = make_panel(qtbot, access, demo.WS_TEAM)
    assert panel.member_table.topLevelItemCount() == 8
    pick(panel, "demo@simdesk.dev")
    assert "read" in panel.level_label.text()
    invite = panel.gated["members.invite"]
    assert not invite.isEnabled()
    assert invite.toolTip() == "Invite people needs admin permission in this workspace; you have read."
    add = panel.gated["mcp.add"]
    assert not add.isEnabled() and "needs write permission" in add.toolTip()
    rows = permission_rows(panel)
    assert (rows["Run workflows"], rows["Search knowledge bases"]) == ("✗", "✓")


def test_mcp_servers_and_tools(qtbot: Any, access: WorkspaceAccessService) -> None:
    panel = make_panel(qtbot, access, demo.WS_DEMO)
    table = panel.server_table
    rows = tree_rows(table)
    assert rows["Broken CRM"].text(3) == "error" and "connection refused" in rows["Broken CRM"].text(4)
    assert rows["Paused billing tools"].text(3) == "disabled"
    table.setCurrentItem(rows["Docs server"])
    with qtbot.waitSignal(access.tools_changed, timeout=5000):
        panel.list_tools.click()
    top = panel.tool_tree.topLevelItem(0)
    assert top is not None and top.text(0) == "search_docs"
    assert [child.text(0) for i in range(top.childCount()) if (child := top.child(i)) is not None] == ["query", "limit"]
    first = top.child(0)
    assert first is not None and first.text(2) == "yes"


def test_failing_server_says_why(qtbot: Any, access: WorkspaceAccessService) -> None:
    panel = make_panel(qtbot, access, demo.WS_DEMO)
    panel.server_table.setCurrentItem(tree_rows(panel.server_table)["Broken CRM"])
    with qtbot.waitSignal(access.failed, timeout=5000):
        panel.list_tools.click()  # Sim's 503 is retried as any 503 (on the fake clock here), then reported
    assert panel.notice.isVisibleTo(panel)
    assert panel.notice.text() == (
        "The MCP server could not be reached. Try again later, or check the server's address in Sim."
    )


@pytest.fixture
def workspace_key_access(
    client_for: Callable[[str], Any], arun: Callable[..., Any]
) -> Iterator[WorkspaceAccessService]:
    service = WorkspaceAccessService(client_for(demo.WORKSPACE_KEY))
    yield service
    arun(service.aclose())


def test_workspace_key_cannot_list_tools(qtbot: Any, workspace_key_access: WorkspaceAccessService) -> None:
    panel = make_panel(qtbot, workspace_key_access, demo.WS_DEMO)
    qtbot.waitUntil(lambda: "Workspace key" in panel.key_label.text(), timeout=5000)
    assert not panel.list_tools.isEnabled()
    assert "needs a personal API key" in panel.list_tools.toolTip()
    with qtbot.waitSignal(workspace_key_access.failed, timeout=5000) as caught:
        workspace_key_access.load_tools("mcp-3f7a9c21")
    assert caught.args[1] == (
        "List an MCP server's tools needs a personal API key: this workspace-scoped key may not do it."
    )
