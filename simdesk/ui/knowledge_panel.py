"""The knowledge panel: a workspace's knowledge bases, a base's documents (filterable by tag), and
search in Sim's three ways (tags only, vector only, tags + vector).

Left: the bases (name, documents, model); selecting several searches them together. Under them,
the selected base: its model, document and chunk counts, and its tag definitions. Right, two tabs:
*Documents* (tags, status, size, chunks; tag filters applied by Sim) and *Search* (mode, query,
hybrid retrieval, top K, tag filters, then results with score, document, the chunk with the
query's words highlighted, and its tags). Actions the person's level does not allow are disabled,
with the reason as their tooltip (:meth:`KnowledgePanel.set_access`).

Signals:
    action_requested(str): an allowed action Sim's API does not offer here ("knowledge.upload",
        "knowledge.create"); the window opens Sim for it.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTabWidget,
    QTextBrowser,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from simdesk.core.knowledge import (
    SEARCH_MODES,
    USAGE_NOTE,
    KnowledgeBase,
    KnowledgeDocument,
    SearchMode,
    SearchRequest,
    SearchResults,
    TagDefinition,
    TagValue,
    chunk_total,
    highlight_spans,
    mixed_models_message,
    refusal,
)
from simdesk.services.knowledge import KnowledgeService
from simdesk.ui.tag_filters import TagFilterEditor

FREE_NOTE = "Tag-only search embeds nothing, so it does not count against usage."


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"


def tags_text(tags: dict[str, TagValue] | None) -> str:
    if tags is None:
        return "(needs v2)"
    return ", ".join(f"{k}: {str(v).lower() if isinstance(v, bool) else v}" for k, v in tags.items())


def highlighted(text: str, spans: Sequence[tuple[int, int]], colour: str, ink: str) -> str:
    """``text`` as HTML with ``spans`` marked (``ink`` on ``colour``)."""
    out, at = [], 0
    for start, end in spans:
        out.append(html.escape(text[at:start]))
        out.append(f'<span style="background:{colour}; color:{ink}">{html.escape(text[start:end])}</span>')
        at = end
    out.append(html.escape(text[at:]))
    return "".join(out)


class KnowledgePanel(QWidget):
    """See the module docstring."""

    action_requested = Signal(str)

    def __init__(self, service: KnowledgeService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("knowledgePanel")
        self.service = service
        self.bases: list[KnowledgeBase] = []
        self.documents: list[KnowledgeDocument] = []
        self.definitions: dict[str, list[TagDefinition] | None] = {}
        self.last_results: SearchResults | None = None
        self._notice_area = ""
        self._why_not: Callable[[str], str | None] = lambda _action: None

        self.refresh = QPushButton("Refresh", self)
        self.upload = QPushButton("Upload document…", self)
        self.new_base = QPushButton("New knowledge base…", self)
        self.notice = QLabel(self)
        self.notice.setWordWrap(True)
        self.notice.setObjectName("knowledgeNotice")
        self.notice.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.notice.hide()
        top = QHBoxLayout()
        top.addWidget(QLabel("<b>Knowledge bases</b>", self))
        top.addStretch(1)
        for button in (self.new_base, self.upload, self.refresh):
            top.addWidget(button)

        self.base_list = QTreeWidget(self)
        self.base_list.setHeaderLabels(["Name", "Docs", "Model"])
        self.base_list.setRootIsDecorated(False)
        self.base_list.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.base_list.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.base_list.setAccessibleName("Knowledge bases")
        self.details = QLabel(self)
        self.details.setWordWrap(True)
        self.details.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.details.setTextFormat(Qt.TextFormat.RichText)
        self.details.setMinimumHeight(120)
        left = QSplitter(Qt.Orientation.Vertical, self)
        left.addWidget(self.base_list)
        left.addWidget(self.details)
        left.setSizes([260, 240])

        self.tabs = QTabWidget(self)
        self.tabs.addTab(self._documents_tab(), "Documents")
        self.tabs.addTab(self._search_tab(), "Search")

        split = QSplitter(Qt.Orientation.Horizontal, self)
        split.addWidget(left)
        split.addWidget(self.tabs)
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 5)
        split.setSizes([330, 900])
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.notice)
        layout.addWidget(split, 1)

        self.refresh.clicked.connect(service.refresh)
        self.upload.clicked.connect(lambda: self.action_requested.emit("knowledge.upload"))
        self.new_base.clicked.connect(lambda: self.action_requested.emit("knowledge.create"))
        self.base_list.itemSelectionChanged.connect(self._on_selection)
        service.bases_changed.connect(self._on_bases)
        service.base_opened.connect(self._on_base)
        service.results_changed.connect(self._on_results)
        service.failed.connect(self._on_failed)
        self._on_mode()
        self.set_access(self._why_not)

    # --- building ------------------------------------------------------------------------

    def _documents_tab(self) -> QWidget:
        tab = QWidget(self)
        self.doc_filters = TagFilterEditor(tab)
        self.apply_filters = QPushButton("Apply filters", tab)
        self.doc_table = QTreeWidget(tab)
        self.doc_table.setHeaderLabels(["Document", "Status", "Size", "Chunks", "Tags"])
        self.doc_table.setRootIsDecorated(False)
        self.doc_table.header().setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        self.doc_table.setAccessibleName("Documents")
        row = QHBoxLayout()
        row.addWidget(self.doc_filters, 1)
        row.addWidget(self.apply_filters, 0, Qt.AlignmentFlag.AlignBottom)
        layout = QVBoxLayout(tab)
        layout.addLayout(row)
        layout.addWidget(self.doc_table, 1)
        self.apply_filters.clicked.connect(self._reload_documents)
        return tab

    def _search_tab(self) -> QWidget:
        tab = QWidget(self)
        self.mode = QComboBox(tab)
        for key, label in SEARCH_MODES.items():
            self.mode.addItem(label, key)
        self.mode.setCurrentIndex(1)
        self.query = QLineEdit(tab)
        self.query.setPlaceholderText("What are you looking for?")
        self.query.setClearButtonEnabled(True)
        self.hybrid = QCheckBox("Hybrid (adds full-text matching)", tab)
        self.top_k = QSpinBox(tab)
        self.top_k.setRange(1, 100)
        self.top_k.setValue(10)
        self.search_filters = TagFilterEditor(tab)
        self.go = QPushButton("Search", tab)
        self.go.setDefault(True)
        self.usage = QLabel(tab)
        self.usage.setWordWrap(True)
        self.usage.setObjectName("usageNote")
        self.results = QTextBrowser(tab)
        self.results.setAccessibleName("Search results")
        self.results.setOpenLinks(False)
        form = QFormLayout()
        head = QHBoxLayout()
        head.addWidget(self.mode)
        head.addWidget(QLabel("Top K", tab))
        head.addWidget(self.top_k)
        head.addWidget(self.hybrid)
        head.addStretch(1)
        form.addRow("Mode", head)
        query_row = QHBoxLayout()
        query_row.addWidget(self.query, 1)
        query_row.addWidget(self.go)
        form.addRow("Query", query_row)
        form.addRow("Tags", self.search_filters)
        layout = QVBoxLayout(tab)
        layout.addLayout(form)
        layout.addWidget(self.usage)
        layout.addWidget(self.results, 1)
        self.mode.currentIndexChanged.connect(self._on_mode)
        self.go.clicked.connect(self.run_search)
        self.query.returnPressed.connect(self.run_search)
        return tab

    # --- access --------------------------------------------------------------------------

    def set_access(self, why_not: Callable[[str], str | None]) -> None:
        """Disable what the level does not allow; ``why_not(action)`` gives the reason or None."""
        self._why_not = why_not
        gated = (
            (self.upload, "knowledge.upload", "Upload a document in Sim"),
            (self.new_base, "knowledge.create", "Create a knowledge base in Sim"),
            (self.go, "knowledge.search", "Search the selected knowledge bases"),
        )
        for button, action, tip in gated:
            reason = why_not(action)
            button.setEnabled(reason is None)
            button.setToolTip(reason or tip)

    # --- slots ---------------------------------------------------------------------------

    def _selected_ids(self) -> list[str]:
        return [str(item.data(0, Qt.ItemDataRole.UserRole)) for item in self.base_list.selectedItems()]

    def _on_bases(self, bases: list[KnowledgeBase]) -> None:
        self.bases = bases
        self.base_list.clear()
        for kb in bases:
            item = QTreeWidgetItem([kb.name, str(kb.doc_count), kb.embedding_model])
            item.setData(0, Qt.ItemDataRole.UserRole, kb.id)
            item.setToolTip(0, kb.description or kb.name)
            self.base_list.addTopLevelItem(item)
        for column in (1, 2):
            self.base_list.resizeColumnToContents(column)
        self._clear_notice("bases")
        first = self.base_list.topLevelItem(0)
        if first is not None:
            self.base_list.setCurrentItem(first)
        else:
            self.details.setText("No knowledge bases in this workspace.")

    def _on_selection(self) -> None:
        ids = self._selected_ids()
        if ids:
            self.service.open_base(ids[0])
        self._on_mode()

    def _reload_documents(self) -> None:
        ids = self._selected_ids()
        if ids:
            self.service.open_base(ids[0], self.doc_filters.filters())

    def _on_base(self, kb_id: str, tags: list[TagDefinition] | None, documents: list[KnowledgeDocument]) -> None:
        first_time = kb_id not in self.definitions
        self.definitions[kb_id] = tags
        self.documents = documents
        if first_time or self.doc_filters.definitions != (tags or []):
            self.doc_filters.set_definitions(tags)
            self.search_filters.set_definitions(tags)
        self.doc_table.clear()
        for doc in documents:
            self.doc_table.addTopLevelItem(
                QTreeWidgetItem(
                    [
                        doc.filename,
                        doc.processing_status + ("" if doc.enabled else " (disabled)"),
                        human_size(doc.file_size),
                        str(doc.chunk_count),
                        tags_text(dict(doc.tags) if doc.tags is not None else None),
                    ]
                )
            )
        for column in range(4):
            self.doc_table.resizeColumnToContents(column)
        self._show_details(kb_id, tags, documents)
        self._clear_notice("documents")

    def _show_details(self, kb_id: str, tags: list[TagDefinition] | None, documents: list[KnowledgeDocument]) -> None:
        kb = next((b for b in self.bases if b.id == kb_id), None)
        if kb is None:
            return
        filtered = " (filtered)" if self.doc_filters.rows else ""
        lines = [
            f"<b>{html.escape(kb.name)}</b>",
            html.escape(kb.description or ""),
            f"Model: {html.escape(kb.embedding_model)} ({kb.embedding_dimension or '?'} dimensions)",
            f"Documents: {kb.doc_count} · chunks{filtered}: {chunk_total(documents)}",
        ]
        if tags is None:
            lines.append("Tags: need Sim's v2 API (switched off on this server)")
        elif tags:
            described = ", ".join(f"{html.escape(t.display_name)} <i>({t.field_type})</i>" for t in tags)
            lines.append(f"Tags: {described}")
        else:
            lines.append("Tags: none defined")
        self.details.setText("<br>".join(line for line in lines if line))

    def _mode_key(self) -> SearchMode:
        key = self.mode.currentData()
        return "tags" if key == "tags" else "combined" if key == "combined" else "vector"

    def _on_mode(self) -> None:
        mode = self._mode_key()
        self.query.setEnabled(mode != "tags")
        self.hybrid.setEnabled(mode != "tags")
        self.search_filters.setEnabled(mode != "vector")
        self.usage.setText(FREE_NOTE if mode == "tags" else USAGE_NOTE)

    def search_request(self) -> SearchRequest:
        ids = tuple(self._selected_ids())
        mode = self._mode_key()
        return SearchRequest(
            knowledge_base_ids=ids,
            mode=mode,
            query=self.query.text(),
            filters=self.search_filters.filters() if mode != "vector" else (),
            top_k=self.top_k.value(),
            retrieval="hybrid" if self.hybrid.isChecked() else "vector",
            tag_definitions={k: v for k, v in self.definitions.items() if v is not None},
        )

    def run_search(self) -> None:
        """Check Sim's rules here (its message, nothing sent), then search."""
        request = self.search_request()
        problem = refusal(request)
        if problem is None and request.mode != "tags":
            models = [b.embedding_model for b in self.bases if b.id in request.knowledge_base_ids]
            problem = mixed_models_message(models)
        if problem is not None:
            self._on_failed("search", problem)
            return
        self._clear_notice("search")
        self.results.setHtml("<i>Searching…</i>")
        self.service.search(request)

    def _on_results(self, results: SearchResults) -> None:
        self.last_results = results
        self._clear_notice("search")
        palette = self.palette()
        mark = palette.color(QPalette.ColorRole.Highlight).name()
        ink = palette.color(QPalette.ColorRole.HighlightedText).name()
        filters = self.search_filters.filters() if self._mode_key() != "vector" else ()
        if not results.hits:
            self.results.setHtml("<p>No matching chunks.</p>")
            return
        blocks = [
            f"<p><i>{len(results.hits)} result(s)"
            + (" · this search counted against usage" if results.billed else " · tag-only, free")
            + "</i></p>"
        ]
        for hit in results.hits:
            spans = highlight_spans(hit.content, results.query, filters)
            head = (
                f"<b>{hit.similarity:.3f}</b> · {html.escape(hit.document_name or hit.document_id)}"
                f" · chunk {hit.chunk_index + 1}"
            )
            tags = html.escape(tags_text(dict(hit.tags))) or "no tags"
            blocks.append(f"<p>{head}<br>{highlighted(hit.content, spans, mark, ink)}<br><small>{tags}</small></p>")
        self.results.setHtml("<hr>".join(blocks))

    def _clear_notice(self, area: str) -> None:
        """An answer in ``area`` clears a failure of that area only."""
        if self._notice_area == area:
            self.notice.hide()

    def _on_failed(self, area: str, message: str) -> None:
        self._notice_area = area
        self.notice.setText(message)
        self.notice.setStyleSheet("QLabel#knowledgeNotice { padding: 6px; border: 1px solid palette(mid); }")
        self.notice.show()
        if area == "search":
            self.results.clear()
