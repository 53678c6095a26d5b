"""The workflows browser against the embedded sandbox: tree, badges, search, sort, favourites,
all pages, the cache (offline), recent runs, and a server without the v2 catalogue."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from simdesk.api import AsyncPager, SimClient
from simdesk.app.workbench import Workbench
from simdesk.core.catalogue import WorkflowSummary
from simdesk.models.workflow_tree import KNOWN_TITLE, KindRole, SortKey, StatusRole, WorkflowRole
from simdesk.sandbox import demo
from simdesk.sandbox.server import RunningSandbox
from simdesk.services.run_modes import RunRequest

MakeBench = Callable[..., Workbench]
OPS = ("Nightly Report", "Flaky Fetch", "Expense Approval", "Big Export")


def _badges(bench: Workbench) -> dict[str, str]:
    out = {}
    for index in bench.panel.model.workflow_indexes():
        summary = index.data(WorkflowRole)
        out[summary.name] = index.data(StatusRole)
    return out


def test_tree_has_folders_badges_and_every_workflow(make_bench: MakeBench, sandbox: RunningSandbox) -> None:
    bench = make_bench(sandbox)
    panel = bench.panel
    names = panel.visible_workflows()
    assert {"Echo", "Story Teller", "Research Assistant", "Nightly Report", "Draft Idea"} <= set(names)
    badges = _badges(bench)
    assert badges["Research Assistant"] == "Needs redeploy"  # from the status checks after the refresh
    assert badges["Draft Idea"] == "Not deployed"
    assert badges["Echo"] == "Deployed"
    folders = {panel.model.item(r).text() for r in range(panel.model.rowCount())}
    assert {"Agents", "Basics", "Ops"} <= folders
    assert panel.workspaces.currentText() == "Demo Workspace"
    assert panel.status.text().startswith("Updated")


def test_search_matches_names_and_descriptions(make_bench: MakeBench, sandbox: RunningSandbox) -> None:
    panel = make_bench(sandbox).panel
    panel.search.setText("token by token")  # only in Story Teller's description
    assert panel.visible_workflows() == ["Story Teller"]
    panel.search.setText("FETCH")
    assert panel.visible_workflows() == ["Flaky Fetch"]
    panel.search.setText("no such thing")
    assert panel.visible_workflows() == []
    panel.search.clear()
    assert len(panel.visible_workflows()) >= 10


def test_sort_by_name_and_by_last_run(
    qtbot: Any, make_bench: MakeBench, sandbox: RunningSandbox, arun: Callable[..., Any]
) -> None:
    bench = make_bench(sandbox)
    panel = bench.panel
    panel.sort.setCurrentIndex(panel.sort.findData(SortKey.NAME.value))
    ops = [n for n in panel.visible_workflows() if n in OPS]
    assert ops == sorted(ops, key=str.casefold)
    # only successful runs count as "last run": run Big Export, refresh, sort by last run
    with qtbot.waitSignal(bench.runs.finished, timeout=10_000):
        bench.runs.start(RunRequest("test", demo.LARGE_ID, "Big Export", "sync", {"rows": 3}))
    arun(bench.catalogue.refresh(), timeout=10_000)
    panel.sort.setCurrentIndex(panel.sort.findData(SortKey.LAST_RUN.value))
    ops = [n for n in panel.visible_workflows() if n in OPS]
    assert ops[0] == "Big Export"


def test_favourites_are_pinned_at_the_top(make_bench: MakeBench, sandbox: RunningSandbox) -> None:
    bench = make_bench(sandbox)
    assert bench.catalogue.toggle_favourite(demo.SLOW_ID)
    top = bench.panel.proxy.index(0, 0)
    assert top.data() == "★ Favourites"
    assert bench.panel.proxy.index(0, 0, top).data() == "Nightly Report"
    assert bench.panel.visible_workflows()[0] == "Nightly Report"
    assert not bench.catalogue.toggle_favourite(demo.SLOW_ID)
    assert bench.panel.proxy.index(0, 0).data() != "★ Favourites"


def test_every_page_of_workflows_is_loaded(
    make_bench: MakeBench, sandbox: RunningSandbox, clients: Callable[..., SimClient], arun: Callable[..., Any]
) -> None:
    bench = make_bench(sandbox, refresh=False)
    client = clients(sandbox)
    pages: list[int] = []

    def tiny_pages(workspace_id: str, **kw: Any) -> AsyncPager[WorkflowSummary]:
        kw["page_size"] = 2
        pages.append(1)
        return SimClient.list_workflows(client, workspace_id, **kw)

    client.list_workflows = tiny_pages  # type: ignore[method-assign]

    async def get() -> SimClient:
        return client

    arun(bench.catalogue.set_profile("test", get), timeout=10_000)
    assert pages and len(bench.panel.visible_workflows()) >= 11  # 2 per page: six pages or more


def test_cached_tree_shows_at_once_and_offline(
    make_bench: MakeBench, sandbox: RunningSandbox, tmp_path: Path, dead_url: str, qtbot: Any
) -> None:
    make_bench(sandbox, data=tmp_path / "shared")
    offline = make_bench(dead_url, data=tmp_path / "shared", key="sk-sim-demo")
    panel = offline.panel
    assert "Echo" in panel.visible_workflows()  # from the cache
    assert offline.catalogue.snapshot.cached
    qtbot.waitUntil(lambda: "Cannot reach" in panel.status.text(), timeout=5000)
    assert "Showing the cached list" in panel.status.text()


def test_recent_runs_of_the_selected_workflow(qtbot: Any, make_bench: MakeBench, sandbox: RunningSandbox) -> None:
    bench = make_bench(sandbox)
    with qtbot.waitSignal(bench.runs.finished, timeout=10_000):
        bench.runs.start(RunRequest("test", demo.ECHO_ID, "Echo", "sync", {"message": "hi"}))
    assert bench.panel.select(demo.ECHO_ID)
    qtbot.waitUntil(lambda: bench.panel.recent.count() == 1 and "Completed" in bench.panel.recent.item(0).text())
    opened: list[str] = []
    bench.panel.run_opened.connect(opened.append)
    bench.panel.recent.itemActivated.emit(bench.panel.recent.item(0))
    assert opened == [bench.runs.header.key]  # type: ignore[union-attr]


def test_without_v2_the_panel_says_why_and_takes_an_id(
    qtbot: Any, make_bench: MakeBench, sandbox_no_v2: RunningSandbox
) -> None:
    bench = make_bench(sandbox_no_v2)
    panel = bench.panel
    assert not panel.legacy.isHidden()
    assert "v2 API switched off" in panel.legacy_text.text()
    assert panel.visible_workflows() == []
    with qtbot.waitSignal(bench.catalogue.workflow_loaded, timeout=10_000) as loaded:
        panel.id_field.setText(f"https://www.sim.ai/workspace/x/w/{demo.ECHO_ID}")
        panel.add_button.click()
    assert loaded.args[0].legacy and loaded.args[0].status.is_deployed
    assert panel.model.item(0).text() == KNOWN_TITLE
    assert panel.visible_workflows() == [demo.ECHO_ID]
    # the console offers the raw JSON editor (no declared inputs on this server)
    assert bench.console.form.raw_mode and not bench.console.form.form_button.isEnabled()


def test_without_v2_the_profiles_workspace_is_still_listed_through_v1(
    make_bench: MakeBench, sandbox_no_v2: RunningSandbox
) -> None:
    bench = make_bench(sandbox_no_v2, default_workspace=demo.WS_TEAM)
    panel = bench.panel
    assert "only the profile's workspace is listed" in panel.legacy_text.text() and not panel.legacy.isHidden()
    assert bench.catalogue.workspace_id == demo.WS_TEAM
    assert panel.visible_workflows() == ["Ticket Triage"]
    assert panel.model.item(0).text() != "Support"  # flat: v1 knows no folder paths


def test_a_bad_id_is_refused_before_any_request(qtbot: Any, make_bench: MakeBench, sandbox: RunningSandbox) -> None:
    bench = make_bench(sandbox)
    with qtbot.waitSignal(bench.catalogue.workflow_failed, timeout=2000) as failed:
        bench.catalogue.add_workflow_id("not an id!")
    assert "not a workflow id" in failed.args[1]


def test_folder_rows_are_folders(make_bench: MakeBench, sandbox: RunningSandbox) -> None:
    panel = make_bench(sandbox).panel
    kinds = {panel.model.item(r).text(): panel.model.item(r).data(KindRole) for r in range(panel.model.rowCount())}
    assert kinds["Agents"] == "folder"


def test_the_workspace_picker_switches_workspaces(qtbot: Any, make_bench: MakeBench, sandbox: RunningSandbox) -> None:
    bench = make_bench(sandbox)
    panel = bench.panel
    assert panel.workspaces.count() >= 2
    with qtbot.waitSignal(bench.catalogue.loading_changed, check_params_cb=lambda busy: not busy, timeout=10_000):
        panel.workspaces.activated.emit(panel.workspaces.findData(demo.WS_TEAM))
    assert bench.catalogue.workspace_id == demo.WS_TEAM
    assert panel.visible_workflows() == ["Ticket Triage"]
    assert panel.model.item(0).text() == "Support"
