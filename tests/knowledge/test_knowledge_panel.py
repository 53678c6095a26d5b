"""The knowledge panel against the sandbox over loopback: bases, tagged documents, the three search
modes, Sim's refusals before sending, permission gating and a 403 that names the permission."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDateEdit, QDoubleSpinBox, QLineEdit

from simdesk.core.workspace_access import denial
from simdesk.sandbox import demo, kb_seed, members
from simdesk.sandbox.server import RunningSandbox
from simdesk.services.knowledge import KnowledgeService
from simdesk.ui.knowledge_panel import KnowledgePanel
from tests.knowledge.conftest import tree_rows


@pytest.fixture
def panel(qtbot: Any, knowledge: KnowledgeService) -> KnowledgePanel:
    widget = KnowledgePanel(knowledge)
    qtbot.addWidget(widget)
    widget.resize(1100, 700)
    with qtbot.waitSignal(knowledge.base_opened, timeout=5000):
        knowledge.set_workspace(demo.WS_DEMO)
    return widget


def v1_tokens(sb: RunningSandbox) -> int:
    return sb.state.peek("api-endpoint:v1", f"user:{demo.DEMO_USER_ID}").remaining


def select(panel: KnowledgePanel, *ids: str) -> None:
    panel.base_list.clearSelection()
    for i in range(panel.base_list.topLevelItemCount()):
        item = panel.base_list.topLevelItem(i)
        assert item is not None
        if item.data(0, Qt.ItemDataRole.UserRole) in ids:
            item.setSelected(True)


def test_bases_documents_and_details(panel: KnowledgePanel) -> None:
    assert list(tree_rows(panel.base_list)) == ["Product handbook", "Support FAQ", "Legal archive"]
    rows = tree_rows(panel.doc_table)
    assert len(rows) == 6
    runbook = rows["oncall-runbook.md"]
    assert runbook.text(4) == "Category: ops, Version: 1, Published: 2026-03-10, Internal: true"
    assert rows["old-faq.txt"].text(1) == "completed (disabled)"
    assert rows["draft-roadmap.docx"].text(1) == "processing"
    details = panel.details.text()
    assert "text-embedding-3-small" in details and "chunks: 8" in details
    assert "Version <i>(number)</i>" in details


def test_filter_rows_get_the_control_of_the_tag_type(panel: KnowledgePanel) -> None:
    row = panel.doc_filters.add_row()
    kinds = {}
    for name in ("Category", "Version", "Published", "Internal"):
        row.set_filter(name, "eq", "x" if name == "Category" else 1 if name == "Version" else "2026-01-01")
        kinds[name] = type(row.value)
    assert kinds["Category"] is QLineEdit and kinds["Version"] is QDoubleSpinBox and kinds["Published"] is QDateEdit
    row.set_filter("Internal", "eq", True)
    ops = [row.operator.itemData(i) for i in range(row.operator.count())]
    assert ops == ["eq", "neq"]  # Sim implements only these for booleans
    row.set_filter("Version", "between", 1, 3)
    assert row.value_to.isVisibleTo(panel)
    assert row.tag_filter().wire() == {"tagName": "Version", "operator": "between", "value": 1, "valueTo": 3}


def test_documents_filtered_by_tag_on_the_server(qtbot: Any, panel: KnowledgePanel) -> None:
    panel.doc_filters.add_row().set_filter("Category", "eq", "OPS")
    with qtbot.waitSignal(panel.service.base_opened, timeout=5000):
        panel.apply_filters.click()
    assert list(tree_rows(panel.doc_table)) == ["oncall-runbook.md"]


def test_vector_search_highlights_and_says_it_is_billed(
    qtbot: Any, panel: KnowledgePanel, sandbox: RunningSandbox
) -> None:
    assert "counts against your usage" in panel.usage.text()
    panel.query.setText("rotate the key")
    before = sandbox.state.current_cost()
    with qtbot.waitSignal(panel.service.results_changed, timeout=5000):
        panel.go.click()
    results = panel.last_results
    assert results is not None and results.hits[0].document_name == "oncall-runbook.md"
    page = panel.results.toHtml()
    assert "oncall-runbook.md" in page and "counted against usage" in page
    assert "background-color:" in page  # the query's words are marked
    assert sandbox.state.current_cost() > before


def test_tag_only_search_is_free(qtbot: Any, panel: KnowledgePanel) -> None:
    panel.mode.setCurrentIndex(panel.mode.findData("tags"))
    assert not panel.query.isEnabled()
    assert "does not count against usage" in panel.usage.text()
    panel.search_filters.add_row().set_filter("Version", "gte", 3)
    with qtbot.waitSignal(panel.service.results_changed, timeout=5000):
        panel.go.click()
    assert panel.last_results is not None
    assert {h.document_name for h in panel.last_results.hits} == {"pricing.pdf", "release-notes.md"}
    assert "tag-only, free" in panel.results.toHtml()


@pytest.mark.parametrize(
    ("mode", "bases", "with_filter", "message"),
    [
        ("tags", (kb_seed.KB_HANDBOOK,), False, "Either query or tagFilters must be provided"),
        (
            "combined",
            (kb_seed.KB_HANDBOOK, kb_seed.KB_SUPPORT),
            True,
            "Tag filters are only supported when searching a single knowledge base",
        ),
        ("vector", (kb_seed.KB_HANDBOOK, kb_seed.KB_LEGAL), False, "different embedding models"),
    ],
)
def test_refusals_use_sims_words_and_send_nothing(
    panel: KnowledgePanel, sandbox: RunningSandbox, mode: str, bases: tuple[str, ...], with_filter: bool, message: str
) -> None:
    if with_filter:
        panel.search_filters.add_row().set_filter("Category", "eq", "guide")
    select(panel, *bases)
    panel.mode.setCurrentIndex(panel.mode.findData(mode))
    panel.query.setText("api key")
    tokens = v1_tokens(sandbox)
    panel.run_search()
    assert panel.notice.isVisibleTo(panel)
    assert message in panel.notice.text()
    assert v1_tokens(sandbox) == tokens


def test_actions_the_level_forbids_are_disabled_with_the_reason(panel: KnowledgePanel) -> None:
    panel.set_access(lambda action: denial(action, "read", "personal"))
    assert not panel.upload.isEnabled()
    assert panel.upload.toolTip() == "Upload a document needs write permission in this workspace; you have read."
    assert panel.go.isEnabled()  # read may search
    panel.set_access(lambda action: denial(action, "write", "personal"))
    assert panel.upload.isEnabled()


def test_a_403_names_the_missing_permission(
    qtbot: Any, knowledge: KnowledgeService, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(members.MEMBERS, demo.WS_TEAM, ())
    with qtbot.waitSignal(knowledge.failed, timeout=5000) as caught:
        knowledge.set_workspace(demo.WS_TEAM)
    area, message = caught.args
    assert area == "bases"
    assert message == "Browse knowledge bases needs read permission in this workspace (Sim said: Access denied)."
