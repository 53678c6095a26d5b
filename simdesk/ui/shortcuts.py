"""Help → Keyboard shortcuts: every key the app binds, in one table (the README lists the same).

:data:`SHORTCUTS` is the one list; the dialog shows it and a test checks the README against it,
so the two cannot drift apart.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from simdesk.ui.main_window import PANELS

# (keys, what they do, where they work)
SHORTCUTS: tuple[tuple[str, str, str], ...] = (
    ("Ctrl+Enter", "Run, stream or run in background (the chosen mode)", "Run console"),
    ("Esc", "Stop the running run", "Run console"),
    ("Enter", "Open the workflow under the cursor", "Workflows"),
    (f"Ctrl+1 … Ctrl+{len(PANELS)}", "Go to " + ", ".join(p.title for p in PANELS), "Anywhere"),
    ("F5", "Refresh the panels and check the connection", "Anywhere"),
    ("Ctrl+,", "Profiles (server address and API key)", "Anywhere"),
    ("Ctrl+Q", "Quit", "Anywhere"),
    ("Enter", "Open the selected job's result", "Jobs"),
    ("F5", "Check the selected jobs now", "Jobs"),
    ("Delete", "Forget the selected jobs", "Jobs"),
    ("Ctrl+T", "Test the connection", "Profiles"),
    ("Ctrl+S", "Save the profile", "Profiles"),
    ("Ctrl+N", "New profile", "Profiles"),
)


class ShortcutsDialog(QDialog):
    """A read-only table of :data:`SHORTCUTS`; non-modal, closes with Esc."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("shortcutsDialog")
        self.setWindowTitle("Keyboard shortcuts")
        self.table = QTableWidget(len(SHORTCUTS), 3, self)
        self.table.setObjectName("shortcutsTable")
        self.table.setHorizontalHeaderLabels(["Keys", "What", "Where"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        for row, cells in enumerate(SHORTCUTS):
            for column, text in enumerate(cells):
                self.table.setItem(row, column, QTableWidgetItem(text))
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(buttons)
        self.resize(620, 440)
