"""A non-modal notice under the toolbar: errors the user should see, without a dialog."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import QLabel, QSizePolicy, QToolBar, QToolButton, QWidget

from simdesk.ui.icons import icon


class NoticeBar(QToolBar):
    """Shows the latest error; stays until closed (Esc on the close button, or its ✕).

    A toolbar rather than a child widget so it takes its own row in the main window without
    needing a central widget; it is never saved in the layout as visible.

    Signals:
        action_triggered(): the optional action button was pressed.
    """

    action_triggered = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Notices", parent)
        self.setObjectName("noticeBar")
        self.setAccessibleName("Notice")
        self.setMovable(False)
        self.setFloatable(False)
        self.setIconSize(QSize(18, 18))
        self.toggleViewAction().setVisible(False)
        self.addAction(icon("error"), "Error").setEnabled(False)
        self.text = QLabel(self)
        self.text.setObjectName("noticeText")
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.text.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.addWidget(self.text)
        self.button = QToolButton(self)
        self.button.setAccessibleName("Notice action")
        self.button.clicked.connect(self.action_triggered)
        self._button_action = self.addWidget(self.button)
        self.close_button = QToolButton(self)
        self.close_button.setIcon(icon("close"))
        self.close_button.setToolTip("Dismiss this notice")
        self.close_button.setAccessibleName("Dismiss notice")
        self.close_button.clicked.connect(self.dismiss)
        self.addWidget(self.close_button)
        self.hide()

    def show_message(self, text: str, action: str | None = None) -> None:
        """Show ``text``, with a button labelled ``action`` if given."""
        self.text.setText(text)
        self.text.setToolTip(text)
        self.setAccessibleDescription(text)
        self.button.setText(action or "")
        self._button_action.setVisible(bool(action))
        self.show()

    def dismiss(self) -> None:
        self.hide()
        self.text.clear()
