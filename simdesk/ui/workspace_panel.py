"""The workspace panel: the key's kind, who you are and your level, the members, what each level
may do, and the workspace's MCP servers with their tools (read-only, fetched on demand).

Actions your level does not allow are disabled with the reason as their tooltip; the permissions
tab lists every action with ✓ or ✗. Sim's API names no caller, so "You are" picks your email among
the members (remembered per profile by the window).

Signals:
    action_requested(str): an allowed action Sim's API does not offer ("members.invite", …).
    me_changed(str): the person picked their email.
"""

from __future__ import annotations

import json

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTabWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from simdesk.core.workspace_access import ACTIONS, KEY_KIND_LABELS, KeyKind, McpServer, McpTool, Member
from simdesk.services.workspace_access import WorkspaceAccessService

NOBODY = "(pick your email)"
GATED = (("members.invite", "Invite people…"), ("members.remove", "Remove member…"), ("mcp.add", "Add MCP server…"))


class WorkspacePanel(QWidget):
    """See the module docstring."""

    action_requested = Signal(str)
    me_changed = Signal(str)

    def __init__(self, service: WorkspaceAccessService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("workspacePanel")
        self.service = service
        self.servers: list[McpServer] = []
        self.tools: dict[str, list[McpTool]] = {}

        self.key_label = QLabel(self)
        self.me = QComboBox(self)
        self.me.setAccessibleName("You are")
        self.me.setMinimumContentsLength(18)
        self.level_label = QLabel(self)
        self.refresh = QPushButton("Refresh", self)
        self.notice = QLabel(self)
        self.notice.setObjectName("workspaceNotice")
        self.notice.setWordWrap(True)
        self.notice.hide()
        head = QHBoxLayout()
        head.addWidget(QLabel("You are", self))
        head.addWidget(self.me)
        head.addWidget(self.level_label)
        head.addStretch(1)
        head.addWidget(self.refresh)

        self.tabs = QTabWidget(self)
        self.tabs.addTab(self._members_tab(), "Members")
        self.tabs.addTab(self._permissions_tab(), "Permissions")
        self.tabs.addTab(self._mcp_tab(), "MCP servers")
        layout = QVBoxLayout(self)
        layout.addLayout(head)
        layout.addWidget(self.key_label)
        layout.addWidget(self.notice)
        layout.addWidget(self.tabs, 1)

        self.refresh.clicked.connect(service.refresh)
        self.me.currentIndexChanged.connect(self._on_me)
        service.members_changed.connect(self._on_members)
        service.access_changed.connect(self._on_access)
        service.servers_changed.connect(self._on_servers)
        service.tools_changed.connect(self._on_tools)
        service.failed.connect(self._on_failed)
        self._on_access(service.level, service.key_kind)

    # --- building ------------------------------------------------------------------------

    def _members_tab(self) -> QWidget:
        tab = QWidget(self)
        self.member_table = QTreeWidget(tab)
        self.member_table.setHeaderLabels(["Name", "Email", "Level", "Membership", "Joined"])
        self.member_table.setRootIsDecorated(False)
        self.member_table.header().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.member_table.setAccessibleName("Members")
        self.gated: dict[str, QPushButton] = {}
        buttons = QHBoxLayout()
        for action, label in GATED[:2]:
            self.gated[action] = QPushButton(label, tab)
            buttons.addWidget(self.gated[action])
        buttons.addStretch(1)
        layout = QVBoxLayout(tab)
        layout.addWidget(self.member_table, 1)
        layout.addLayout(buttons)
        return tab

    def _permissions_tab(self) -> QWidget:
        self.permission_table = QTreeWidget(self)
        self.permission_table.setHeaderLabels(["Action", "Needs", "You", "Why not"])
        self.permission_table.setRootIsDecorated(False)
        self.permission_table.header().setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.permission_table.setAccessibleName("What each level may do")
        return self.permission_table

    def _mcp_tab(self) -> QWidget:
        tab = QWidget(self)
        self.server_table = QTreeWidget(tab)
        self.server_table.setHeaderLabels(["Server", "Transport", "URL", "Status", "Last error", "Tools"])
        self.server_table.setRootIsDecorated(False)
        self.server_table.header().setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        self.server_table.setAccessibleName("MCP servers")
        self.list_tools = QPushButton("List tools", tab)
        self.fresh = QCheckBox("Reconnect (skip Sim's tool cache)", tab)
        self.gated["mcp.add"] = QPushButton(GATED[2][1], tab)
        self.tool_tree = QTreeWidget(tab)
        self.tool_tree.setHeaderLabels(["Tool / argument", "Type", "Required", "Description"])
        self.tool_tree.header().setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.tool_tree.setAccessibleName("Tools")
        row = QHBoxLayout()
        row.addWidget(self.list_tools)
        row.addWidget(self.fresh)
        row.addStretch(1)
        row.addWidget(self.gated["mcp.add"])
        split = QSplitter(Qt.Orientation.Vertical, tab)
        split.addWidget(self.server_table)
        split.addWidget(self.tool_tree)
        layout = QVBoxLayout(tab)
        layout.addLayout(row)
        layout.addWidget(split, 1)
        self.list_tools.clicked.connect(self._request_tools)
        self.server_table.itemSelectionChanged.connect(self._show_tools)
        for action, button in self.gated.items():
            button.clicked.connect(lambda _=False, a=action: self.action_requested.emit(a))
        return tab

    # --- slots ---------------------------------------------------------------------------

    def select_me(self, email: str | None) -> None:
        """Preselect the remembered email (if it is a member)."""
        index = self.me.findData(email) if email else -1
        self.me.setCurrentIndex(max(index, 0))

    def _on_members(self, members: list[Member]) -> None:
        remembered = self.service.me
        self.me.blockSignals(True)  # a reload is not the person picking: the remembered email stays
        self.me.clear()
        self.me.addItem(NOBODY, None)
        for m in members:
            self.me.addItem(m.email, m.email)
        self.select_me(remembered)
        self.me.blockSignals(False)
        self.member_table.clear()
        for m in members:
            item = QTreeWidgetItem(
                [m.name, m.email, m.role, "external" if m.is_external else "member", (m.joined_at or "")[:10]]
            )
            if m.role == "admin":
                item.setToolTip(2, "Admin (Sim's API does not single out the owner, who is an admin too)")
            self.member_table.addTopLevelItem(item)
        for column in (0, 2, 3, 4):
            self.member_table.resizeColumnToContents(column)
        self.notice.hide()

    def _on_me(self) -> None:
        email = self.me.currentData()
        self.service.set_me(email)
        self.me_changed.emit(email or "")

    def _on_access(self, level: str | None, key_kind: str) -> None:
        kind: KeyKind = "personal" if key_kind == "personal" else "workspace" if key_kind == "workspace" else "unknown"
        label = KEY_KIND_LABELS[kind]
        self.key_label.setText(f"API key: {label}")
        self.level_label.setText(f"Your level: <b>{level}</b>" if level else "Your level: unknown")
        for action, button in self.gated.items():
            reason = self.service.why_not(action)
            button.setEnabled(reason is None)
            button.setToolTip(reason or f"{ACTIONS[action].label} (opens Sim)")
        reason = self.service.why_not("mcp.tools")
        self.list_tools.setEnabled(reason is None)
        self.list_tools.setToolTip(reason or "Ask Sim for the selected server's tools (Sim connects to it)")
        self.permission_table.clear()
        for spec in ACTIONS.values():
            why = self.service.why_not(spec.id)
            you = "?" if level is None and why is None else ("✗" if why else "✓")
            item = QTreeWidgetItem([spec.label, spec.level, you, why or ""])
            item.setToolTip(2, why or ("Allowed" if level else "Pick your email to see"))
            self.permission_table.addTopLevelItem(item)
        for column in (0, 1, 2):
            self.permission_table.resizeColumnToContents(column)

    def _on_servers(self, servers: list[McpServer]) -> None:
        self.servers = servers
        self.server_table.clear()
        for s in servers:
            item = QTreeWidgetItem(
                [s.name, s.transport, s.url or "", s.status_text, s.last_error or "", str(s.tool_count)]
            )
            item.setData(0, Qt.ItemDataRole.UserRole, s.id)
            if s.last_error:
                item.setToolTip(4, s.last_error)
            self.server_table.addTopLevelItem(item)
        for column in (0, 1, 3, 5):
            self.server_table.resizeColumnToContents(column)
        first = self.server_table.topLevelItem(0)
        if first is not None and self.server_table.currentItem() is None:
            self.server_table.setCurrentItem(first)

    def selected_server(self) -> str | None:
        item = self.server_table.currentItem()
        return str(item.data(0, Qt.ItemDataRole.UserRole)) if item is not None else None

    def _request_tools(self) -> None:
        server = self.selected_server()
        if server is not None:
            self.tool_tree.clear()
            self.tool_tree.addTopLevelItem(QTreeWidgetItem(["Asking Sim…"]))
            self.service.load_tools(server, refresh=self.fresh.isChecked())

    def _on_tools(self, server_id: str, tools: list[McpTool]) -> None:
        self.tools[server_id] = tools
        self.notice.hide()
        if server_id == self.selected_server():
            self._show_tools()

    def _show_tools(self) -> None:
        self.tool_tree.clear()
        server = self.selected_server()
        tools = self.tools.get(server or "")
        if tools is None:
            self.tool_tree.addTopLevelItem(QTreeWidgetItem(["Press “List tools” to ask Sim."]))
            return
        if not tools:
            self.tool_tree.addTopLevelItem(QTreeWidgetItem(["This server offers no tools."]))
        for tool in tools:
            top = QTreeWidgetItem([tool.name, "tool", "", tool.description or ""])
            top.setToolTip(0, json.dumps(dict(tool.input_schema), indent=2))
            for name, kind, required, description in tool.arguments():
                top.addChild(QTreeWidgetItem([name, kind, "yes" if required else "", description]))
            self.tool_tree.addTopLevelItem(top)
            top.setExpanded(True)
        for column in (0, 1, 2):
            self.tool_tree.resizeColumnToContents(column)

    def _on_failed(self, area: str, message: str) -> None:
        if area.startswith("tools:"):
            self.tool_tree.clear()
        self.notice.setText(message)
        self.notice.setStyleSheet("QLabel#workspaceNotice { padding: 6px; border: 1px solid palette(mid); }")
        self.notice.show()
