"""The stand-in a dock shows until its real panel is installed (``MainWindow.set_panel``)."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QSize, Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from simdesk.ui.icons import icon


class PanelPlaceholder(QWidget):
    """An icon, a title and a one-line hint, centred. Focusable, so Ctrl+1..4 can land on it."""

    def __init__(self, title: str, hint: str, icon_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("panelPlaceholder")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAccessibleName(title)
        self.setAccessibleDescription(hint)
        self.setToolTip(hint)

        self._icon_name = icon_name
        self.picture = picture = QLabel(self)
        picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._paint_icon()
        self.title = QLabel(title, self)
        self.title.setObjectName("placeholderTitle")
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.hint = QLabel(hint, self)
        self.hint.setObjectName("placeholderHint")
        self.hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.hint.setWordWrap(True)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 24, 24, 24)
        layout.addStretch(1)
        layout.addWidget(picture)
        layout.addSpacing(6)
        layout.addWidget(self.title)
        layout.addWidget(self.hint)
        layout.addStretch(1)

    def _paint_icon(self) -> None:
        # A pixmap does not follow the palette by itself: re-render it in the muted text colour.
        color = self.palette().color(QPalette.ColorRole.PlaceholderText)
        self.picture.setPixmap(icon(self._icon_name, color).pixmap(QSize(40, 40)))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.PaletteChange:
            self._paint_icon()
        super().changeEvent(event)
