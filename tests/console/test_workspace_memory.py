"""The workspace chosen in the workflows browser, remembered per profile in the state file.

Against the embedded sandbox, whose personal key lists "Demo Workspace" then "Team Ops" and whose
workspace key lists only the Demo one: a choice is restored after a restart (from the cache at
once, with no other workspace shown on the way, and after the refresh); a workspace that is no
longer listed falls back quietly and is forgotten; the profile's default workspace comes next.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from simdesk.api import SimClient
from simdesk.app.workbench import Workbench
from simdesk.sandbox import demo
from simdesk.sandbox.server import RunningSandbox
from simdesk.services.settings import Settings
from simdesk.services.workspace_memory import LAST_WORKSPACES, WorkspaceMemory

MakeBench = Callable[..., Workbench]
State = Callable[[], Settings]
PROFILE = "test"  # make_bench's profile


@pytest.fixture
def state(tmp_path: Path) -> State:
    """``state()`` → Settings over the same two files each call, as each start of the app reads them."""
    made: list[Settings] = []

    def make() -> Settings:
        for earlier in made:
            earlier.sync()  # what quitting does
        made.append(Settings.at(tmp_path / "settings.ini", tmp_path / "state.ini"))
        return made[-1]

    return make


def _choose_next(qtbot: Any, bench: Workbench, name: str) -> None:
    """Pick the workspace below the current one as a user does: Down on the workspace box."""
    box = bench.panel.workspaces
    assert box.itemText(box.currentIndex() + 1) == name
    with qtbot.waitSignal(bench.catalogue.loading_changed, check_params_cb=lambda busy: not busy, timeout=10_000):
        qtbot.keyClick(box, Qt.Key.Key_Down)
    assert box.currentText() == name


def _open(bench: Workbench, client: SimClient, **kw: Any) -> asyncio.Future[None]:
    """Switch the bench's catalogue to the profile (the cached tree shows before this returns)."""

    async def get() -> SimClient:
        return client

    task = bench.catalogue.set_profile(PROFILE, get, **kw)
    assert task is not None
    return task


def _shown_workspaces(bench: Workbench) -> list[str]:
    """Every workspace the box shows each time the tree is redrawn, from now on."""
    shown: list[str] = []
    # connected after the panel's own slot, so it sees what the panel has just drawn
    bench.catalogue.snapshot_changed.connect(lambda _s: shown.append(bench.panel.workspaces.currentText()))
    return shown


def test_the_chosen_workspace_is_restored_after_a_restart(
    qtbot: Any,
    make_bench: MakeBench,
    sandbox: RunningSandbox,
    clients: Callable[..., SimClient],
    arun: Callable[..., Any],
    tmp_path: Path,
    state: State,
) -> None:
    first = make_bench(sandbox, data=tmp_path / "shared", settings=state())
    assert first.panel.workspaces.currentText() == "Demo Workspace"
    _choose_next(qtbot, first, "Team Ops")

    again = make_bench(sandbox, data=tmp_path / "shared", settings=state(), refresh=False)
    shown = _shown_workspaces(again)
    # the profile's default workspace comes after the user's own choice
    refreshing = _open(again, clients(sandbox), default_workspace=demo.WS_DEMO)
    panel = again.panel

    def shown_now() -> tuple[bool, str, list[str]]:
        return again.catalogue.snapshot.cached, panel.workspaces.currentText(), panel.visible_workflows()

    assert shown_now() == (True, "Team Ops", ["Ticket Triage"])
    assert panel.status.text().startswith("Cached")
    arun(refreshing, timeout=10_000)
    assert shown_now() == (False, "Team Ops", ["Ticket Triage"])
    assert len(shown) >= 2 and set(shown) == {"Team Ops"}  # the cached tree, then fresh ones: never another


def test_a_workspace_no_longer_listed_falls_back_quietly_and_is_forgotten(
    qtbot: Any,
    make_bench: MakeBench,
    sandbox: RunningSandbox,
    clients: Callable[..., SimClient],
    arun: Callable[..., Any],
    tmp_path: Path,
    state: State,
) -> None:
    first = make_bench(sandbox, data=tmp_path / "shared", settings=state())
    _choose_next(qtbot, first, "Team Ops")

    # next start the profile's key sees only the Demo workspace: Team Ops is gone for it
    again = make_bench(sandbox, data=tmp_path / "shared", settings=state(), refresh=False)
    refreshing = _open(again, clients(sandbox, key=demo.WORKSPACE_KEY))
    assert again.panel.workspaces.currentText() == "Team Ops"  # the cache cannot know yet
    arun(refreshing, timeout=10_000)
    panel = again.panel
    assert panel.workspaces.currentText() == "Demo Workspace"
    assert "Echo" in panel.visible_workflows()
    assert panel.status.text().startswith("Updated")  # quietly: no error shown
    assert again.catalogue.memory.get(PROFILE) is None
    assert WorkspaceMemory(state()).get(PROFILE) is None  # forgotten in the file too


def test_the_profile_default_comes_after_a_vanished_choice_and_before_the_first(
    make_bench: MakeBench,
    sandbox: RunningSandbox,
    clients: Callable[..., SimClient],
    arun: Callable[..., Any],
    state: State,
) -> None:
    bench = make_bench(sandbox, settings=state(), refresh=False)
    client = clients(sandbox)
    bench.catalogue.memory.remember(PROFILE, "ws-deleted-since")
    arun(_open(bench, client, default_workspace=demo.WS_TEAM), timeout=10_000)
    assert bench.panel.workspaces.currentText() == "Team Ops"
    assert bench.catalogue.memory.get(PROFILE) is None
    arun(_open(bench, client, default_workspace="ws-not-listed-either"), timeout=10_000)
    assert bench.panel.workspaces.currentText() == "Demo Workspace"


def test_switching_profiles_and_back_keeps_each_profile_choice(
    qtbot: Any,
    make_bench: MakeBench,
    sandbox: RunningSandbox,
    clients: Callable[..., SimClient],
    arun: Callable[..., Any],
    state: State,
) -> None:
    bench = make_bench(sandbox, settings=state())
    _choose_next(qtbot, bench, "Team Ops")
    client = clients(sandbox)

    async def get() -> SimClient:
        return client

    other = bench.catalogue.set_profile("other", get)
    assert other is not None
    arun(other, timeout=10_000)
    assert bench.panel.workspaces.currentText() == "Demo Workspace"  # nothing chosen on "other"
    back = _open(bench, client)
    assert bench.panel.workspaces.currentText() == "Team Ops"  # at once, from the cache
    arun(back, timeout=10_000)
    assert bench.panel.workspaces.currentText() == "Team Ops"

    bench.catalogue.set_profile("other", get)  # and back before "other" has loaded
    back = _open(bench, client)
    assert bench.panel.workspaces.currentText() == "Team Ops"
    arun(back, timeout=10_000)  # the switch back refreshes too, not left on the cache
    assert not bench.catalogue.snapshot.cached and bench.panel.workspaces.currentText() == "Team Ops"


def test_the_memory_follows_a_rename_and_forgets_a_removed_profile(state: State) -> None:
    memory = WorkspaceMemory(state())
    memory.remember("Work", "ws-1")
    memory.remember("Home/Lab = [x]", "ws-2")  # any character may be in a profile name
    memory.rename("Work", "Work 2")
    assert (memory.get("Work"), memory.get("Work 2")) == (None, "ws-1")
    reread = WorkspaceMemory(state())
    assert (reread.get("Work 2"), reread.get("Home/Lab = [x]")) == ("ws-1", "ws-2")
    reread.forget("Work 2")
    reread.rename("Gone", "Home/Lab = [x]")  # a name freed and taken again starts afresh
    assert (reread.get("Work 2"), reread.get("Home/Lab = [x]")) == (None, None)
    state_file = state().files()[1]
    assert "last_workspaces" not in state_file.read_text()  # the emptied key is gone, not left as "{}"


def test_an_unreadable_entry_is_ignored(state: State) -> None:
    settings = state()
    settings.set(LAST_WORKSPACES, '{"Work": 7, "Home": "ws-2"')  # cut short and hand-edited
    assert WorkspaceMemory(settings).get("Home") is None
    settings.set(LAST_WORKSPACES, '{"Work": 7, "Home": "ws-2"}')
    memory = WorkspaceMemory(settings)
    assert (memory.get("Work"), memory.get("Home")) == (None, "ws-2")
