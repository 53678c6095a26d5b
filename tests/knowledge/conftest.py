"""Fixtures for the knowledge and workspace panels: services on the shared sandbox, one client per
test on the Qt-driven loop (closed afterwards)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from PySide6.QtWidgets import QTreeWidget, QTreeWidgetItem

from simdesk.api import SimClient
from simdesk.sandbox import demo
from simdesk.sandbox.server import RunningSandbox
from simdesk.services.knowledge import KnowledgeService
from simdesk.services.workspace_access import WorkspaceAccessService
from tests.api.helpers import FakeClock, policy
from tests.app import conftest as shell_fixtures

# the shell's fixtures for composing the whole app (tests/knowledge/test_install.py), as they are
app_paths = shell_fixtures.app_paths
make_app = shell_fixtures.make_app
memory_keyring = shell_fixtures.memory_keyring

Getter = Callable[[], Any]


@pytest.fixture
def client_for(sandbox: RunningSandbox, arun: Callable[..., Any]) -> Iterator[Callable[[str], Getter]]:
    """``client_for(key)`` → a client getter; each key's client is made once, on the test's loop."""
    made: dict[str, SimClient] = {}

    def getter_for(key: str) -> Getter:
        async def get() -> SimClient:
            if key not in made:
                made[key] = SimClient(sandbox.base_url, key, retry=policy(FakeClock()))  # retry waits take no time
            return made[key]

        return get

    yield getter_for
    for client in made.values():
        arun(client.aclose())


@pytest.fixture
def knowledge(client_for: Callable[[str], Getter], arun: Callable[..., Any]) -> Iterator[KnowledgeService]:
    service = KnowledgeService(client_for(demo.DEMO_KEY))
    yield service
    arun(service.aclose())


@pytest.fixture
def access(client_for: Callable[[str], Getter], arun: Callable[..., Any]) -> Iterator[WorkspaceAccessService]:
    service = WorkspaceAccessService(client_for(demo.DEMO_KEY))
    yield service
    arun(service.aclose())


def tree_rows(tree: QTreeWidget) -> dict[str, QTreeWidgetItem]:
    """A tree's top-level items by their first column."""
    items = (tree.topLevelItem(i) for i in range(tree.topLevelItemCount()))
    return {item.text(0): item for item in items if item is not None}
