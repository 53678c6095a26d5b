"""The knowledge and workspace panels in the composed app: docks, the active profile's client, the
workspace of the workflows browser, and the remembered "you are"."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from simdesk.app import AppContext
from simdesk.app.knowledge import ME, sim_page
from simdesk.core.paths import AppPaths
from simdesk.sandbox import demo
from simdesk.sandbox.server import RunningSandbox
from simdesk.ui.knowledge_panel import KnowledgePanel
from simdesk.ui.workspace_panel import WorkspacePanel

MakeApp = Callable[..., AppContext]


def test_panels_follow_the_profile_and_workspace(
    qtbot: Any, make_app: MakeApp, app_paths: AppPaths, sandbox: RunningSandbox, memory_keyring: Any
) -> None:
    ctx = make_app(app_paths)
    ctx.install_knowledge(ctx.install_workbench())
    assert ctx.knowledge is not None and ctx.workbench is not None
    assert isinstance(ctx.window.dock("knowledgePanel").widget(), KnowledgePanel)
    panel = ctx.window.dock("workspacePanel").widget()
    assert isinstance(panel, WorkspacePanel)
    ctx.profiles.use_demo(sandbox.base_url, sandbox.api_key)
    knowledge = ctx.knowledge.knowledge_panel
    qtbot.waitUntil(lambda: knowledge.base_list.topLevelItemCount() == 3, timeout=8000)
    qtbot.waitUntil(lambda: panel.me.count() == 4, timeout=5000)  # "(pick your email)" and 3 members
    panel.me.setCurrentIndex(panel.me.findData("demo@simdesk.dev"))
    assert "admin" in panel.level_label.text()
    assert "demo@simdesk.dev" in ctx.settings.get(ME)
    ctx.workbench.catalogue.select_workspace(demo.WS_TEAM)
    qtbot.waitUntil(lambda: knowledge.base_list.topLevelItemCount() == 1, timeout=5000)
    qtbot.waitUntil(lambda: "read" in panel.level_label.text(), timeout=5000)  # the same person, read here
    assert not knowledge.upload.isEnabled()
    assert "needs write permission" in knowledge.upload.toolTip()


def test_actions_open_the_right_page_in_sim() -> None:
    assert sim_page("knowledge.upload") == "knowledge"
    assert sim_page("members.invite") == "settings"
