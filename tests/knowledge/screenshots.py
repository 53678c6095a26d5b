"""Render the knowledge and workspace panels to PNG, light and dark (a developer tool).

    QT_QPA_PLATFORM=offscreen python -m tests.knowledge.screenshots [OUT_DIR]

Against an embedded sandbox: the knowledge panel with a base's tagged documents, then a combined
search with highlighted results, then a refused search; the workspace panel as an admin and as a
read-only member (disabled actions), with an MCP server's tools. Each at the default size and at
1024x600. Default output: /tmp/simdesk-shots/.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QWidget

from simdesk.api import SimClient
from simdesk.sandbox import demo
from simdesk.sandbox.clock import RealClock
from simdesk.sandbox.server import SandboxConfig, start_sandbox
from simdesk.services.knowledge import KnowledgeService
from simdesk.services.workspace_access import WorkspaceAccessService
from simdesk.ui.knowledge_panel import KnowledgePanel
from simdesk.ui.theme import ThemeController
from simdesk.ui.workspace_panel import WorkspacePanel
from tests.console.screenshots import _until
from tests.knowledge.conftest import tree_rows
from tests.support.shots import shoot_both_themes

DEFAULT_SIZE = (1280, 760)


async def _save(widget: QWidget, out: Path, name: str) -> None:
    widget.resize(*DEFAULT_SIZE)
    await asyncio.sleep(0.1)
    widget.grab().save(str(out / f"{name}.png"))
    widget.resize(1024, 600)
    await asyncio.sleep(0.1)
    widget.grab().save(str(out / f"{name}-1024x600.png"))


async def shoot(out: Path, theme_name: str, theme: ThemeController, client: SimClient) -> None:
    theme.set_mode(theme_name)

    async def get() -> SimClient:
        return client

    knowledge = KnowledgeService(get)
    panel = KnowledgePanel(knowledge)
    panel.show()
    knowledge.set_workspace(demo.WS_DEMO)
    await _until(lambda: panel.doc_table.topLevelItemCount() == 6)
    await _save(panel, out, f"knowledge-documents-{theme_name}")
    panel.tabs.setCurrentIndex(1)
    panel.mode.setCurrentIndex(panel.mode.findData("combined"))
    panel.search_filters.add_row().set_filter("Internal", "eq", False)
    panel.query.setText("api key limit")
    panel.run_search()
    await _until(lambda: panel.last_results is not None)
    await _save(panel, out, f"knowledge-search-{theme_name}")
    panel.base_list.selectAll()
    panel.run_search()
    await _save(panel, out, f"knowledge-refused-{theme_name}")
    panel.close()
    await knowledge.aclose()

    access = WorkspaceAccessService(get)
    access.me = "demo@simdesk.dev"
    workspace = WorkspacePanel(access)
    workspace.show()
    access.set_workspace(demo.WS_DEMO)
    await _until(lambda: workspace.member_table.topLevelItemCount() == 3 and workspace.servers)
    await _save(workspace, out, f"workspace-members-admin-{theme_name}")
    workspace.tabs.setCurrentIndex(2)
    workspace.server_table.setCurrentItem(tree_rows(workspace.server_table)["Docs server"])
    workspace.list_tools.click()
    await _until(lambda: "mcp-3f7a9c21" in workspace.tools)
    await _save(workspace, out, f"workspace-mcp-{theme_name}")
    access.set_workspace(demo.WS_TEAM)
    await _until(lambda: workspace.member_table.topLevelItemCount() == 8)
    workspace.tabs.setCurrentIndex(1)
    await _save(workspace, out, f"workspace-permissions-read-{theme_name}")
    workspace.tabs.setCurrentIndex(0)
    await _save(workspace, out, f"workspace-members-read-{theme_name}")
    workspace.close()
    await access.aclose()


def main() -> int:
    sandbox = start_sandbox(SandboxConfig(clock=RealClock()))
    client = SimClient(sandbox.base_url, demo.DEMO_KEY)
    try:
        return shoot_both_themes(lambda out, name, theme: shoot(out, name, theme, client), last=client.aclose)
    finally:
        sandbox.stop()


if __name__ == "__main__":
    raise SystemExit(main())
