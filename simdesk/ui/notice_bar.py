"""A non-modal notice under the toolbar: errors the user should see, without a dialog."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QToolBar, QToolButton, QWidget

from simdesk.ui.icons import icon
from simdesk.ui.theme import Colors


class _WrappingLabel(QLabel):
    """A word-wrapped label whose size hint is its real height at its current width.

    A toolbar lays its widgets out by size hint only (no height-for-width), and QLabel's own hint
    for wrapped text guesses a narrow, tall box: the bar would be three lines high for one.
    """

    def sizeHint(self) -> QSize:
        width = max(self.width(), 240)
        return QSize(width, self.heightForWidth(width))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if event.oldSize().width() != event.size().width():
            self.updateGeometry()


class NoticeBar(QToolBar):
    """Shows the latest error; stays until dismissed with its ✕ button.

    A toolbar rather than a child widget, so it takes its own row in the main window without a
    central widget; it is never restored as visible from a saved layout.

    Signals:
        action_triggered(): the optional action button was pressed.
    """

    action_triggered = Signal()

    def __init__(self, colors: Colors, parent: QWidget | None = None) -> None:
        super().__init__("Notices", parent)
        self.setObjectName("noticeBar")
        self.setAccessibleName("Notice")
        self.setMovable(False)
        self.setFloatable(False)
        self.toggleViewAction().setVisible(False)
        self.picture = QLabel(self)
        self.picture.setAccessibleName("Error")
        self.addWidget(self.picture)
        self.text = _WrappingLabel(self)
        self.text.setObjectName("noticeText")
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.text.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.text.setContentsMargins(6, 4, 6, 4)
        self.addWidget(self.text)
        self.button = QToolButton(self)
        self.button.setAccessibleName("Notice action")
        self.button.clicked.connect(self.action_triggered)
        self._button_action = self.addWidget(self.button)
        self._button_action.setVisible(False)
        self.close_button = QToolButton(self)
        self.close_button.setIcon(icon("close"))
        self.close_button.setToolTip("Dismiss this notice")
        self.close_button.setAccessibleName("Dismiss notice")
        self.close_button.clicked.connect(self.dismiss)
        self.addWidget(self.close_button)
        self.set_colors(colors)
        self.hide()

    def set_colors(self, colors: Colors) -> None:
        """Draw the warning sign in the theme's error colour."""
        self.picture.setPixmap(icon("error", colors.error).pixmap(QSize(18, 18)))

    def show_message(self, text: str, action: str | None = None) -> None:
        """Show ``text``, with a button labelled ``action`` if given."""
        self.text.setText(text)
        self.text.setToolTip(text)
        self.setAccessibleDescription(text)
        self.button.setText(action or "")
        self._button_action.setVisible(bool(action))
        self.show()
        self.text.updateGeometry()

    def dismiss(self) -> None:
        self.hide()
        self.text.clear()
