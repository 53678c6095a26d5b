"""Wiring the knowledge and workspace panels into the window (composition root).

The *Knowledge* and *Workspace* docks (tabs behind the run console). Both follow the active
profile (its one client) and the workspace chosen in the workflows browser. The email the person
picked as theirs is remembered per profile in the state file (an email, never a key). An allowed
action Sim's API does not offer here opens the workspace's page in Sim.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices

from simdesk.services.knowledge import KnowledgeService
from simdesk.services.settings import Opt
from simdesk.services.workspace_access import WorkspaceAccessService
from simdesk.services.workspace_memory import WorkspaceMemory
from simdesk.ui.knowledge_panel import KnowledgePanel
from simdesk.ui.workspace_panel import WorkspacePanel

if TYPE_CHECKING:
    from simdesk.services.catalogue import CatalogueService
    from simdesk.services.clients import ClientPool
    from simdesk.services.profiles import ProfileService
    from simdesk.services.settings import Settings
    from simdesk.ui.main_window import MainWindow

ME = Opt("workspace/me", "", str, "state", doc="the email each profile's person picked as theirs (JSON: name → email)")


def sim_page(action_id: str) -> str:
    """The page of a workspace in Sim's web app where ``action_id`` is done."""
    return "knowledge" if action_id.startswith("knowledge.") else "settings"


@dataclass
class KnowledgeWiring:
    knowledge: KnowledgeService
    access: WorkspaceAccessService
    knowledge_panel: KnowledgePanel
    workspace_panel: WorkspacePanel


async def _no_profile() -> Any:
    raise RuntimeError("no profile is active")


def install_knowledge(
    window: MainWindow,
    profiles: ProfileService,
    pool: ClientPool,
    catalogue: CatalogueService,
    settings: Settings | None = None,
) -> KnowledgeWiring:
    memory = WorkspaceMemory(settings, ME)
    knowledge = KnowledgeService(_no_profile, window)
    access = WorkspaceAccessService(_no_profile, window)
    wiring = KnowledgeWiring(knowledge, access, KnowledgePanel(knowledge), WorkspacePanel(access))
    window.set_panel("knowledgePanel", wiring.knowledge_panel)
    window.set_panel("workspacePanel", wiring.workspace_panel)
    current = {"profile": "", "base_url": ""}

    def follow(force: bool = False) -> None:
        workspace = catalogue.workspace_id
        if force or workspace != knowledge.workspace_id:
            knowledge.set_workspace(workspace)
            access.set_workspace(workspace)

    def use(name: str) -> None:
        profile = profiles.get(name) if name else None
        if profile is None:
            return

        async def client() -> Any:
            return await pool.client(profiles.get(name) or profile)

        current.update(profile=name, base_url=profile.base_url)
        knowledge.use_client(client)
        access.use_client(client)
        access.me = memory.get(name)
        follow(force=True)

    def remember_me(email: str) -> None:
        if email:
            memory.remember(current["profile"], email)
        else:
            memory.forget(current["profile"])

    def open_in_sim(action_id: str) -> None:
        workspace = catalogue.workspace_id
        if workspace and current["base_url"]:
            QDesktopServices.openUrl(QUrl(f"{current['base_url']}/workspace/{workspace}/{sim_page(action_id)}"))

    profiles.active_changed.connect(use)
    profiles.renamed.connect(memory.rename)
    profiles.removed.connect(memory.forget)
    catalogue.snapshot_changed.connect(lambda _snapshot: follow())
    access.access_changed.connect(lambda *_: wiring.knowledge_panel.set_access(access.why_not))
    wiring.workspace_panel.me_changed.connect(remember_me)
    wiring.knowledge_panel.action_requested.connect(open_in_sim)
    wiring.workspace_panel.action_requested.connect(open_in_sim)
    window.refresh_requested.connect(knowledge.refresh)
    window.refresh_requested.connect(access.refresh)
    if profiles.active_name():
        use(profiles.active_name())
    return wiring
